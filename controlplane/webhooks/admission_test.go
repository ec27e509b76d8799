/*
Copyright 2026 The cluster-api-k3s Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package webhooks

import (
	"context"
	"encoding/json"
	"testing"

	. "github.com/onsi/gomega"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

func Test_admissionResult(t *testing.T) {
	scheme := runtime.NewScheme()
	NewWithT(t).Expect(controlplanev1.AddToScheme(scheme)).To(Succeed())
	createRequest := func(t *testing.T, kcp *controlplanev1.KThreesControlPlane) admission.Request {
		t.Helper()
		kcp.APIVersion = controlplanev1.GroupVersion.String()
		kcp.Kind = "KThreesControlPlane"
		raw, err := json.Marshal(kcp)
		NewWithT(t).Expect(err).NotTo(HaveOccurred())
		return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
			Operation: admissionv1.Create, Name: kcp.Name, Namespace: kcp.Namespace,
			Object: runtime.RawExtension{Raw: raw},
		}}
	}

	t.Run("even replicas are allowed with a warning", func(t *testing.T) {
		g := NewWithT(t)
		resp := admission.WithValidator(scheme, &KThreesControlPlane{}).Handle(context.Background(),
			createRequest(t, newKCP(func(kcp *controlplanev1.KThreesControlPlane) { kcp.Spec.Replicas = ptr.To[int32](2) })))
		g.Expect(resp.Allowed).To(BeTrue())
		g.Expect(resp.Warnings).To(HaveLen(1))
		g.Expect(resp.Warnings[0]).To(HavePrefix("spec.replicas: 2 is an even number"))
	})
	t.Run("invalid field is denied with its path", func(t *testing.T) {
		g := NewWithT(t)
		resp := admission.WithValidator(scheme, &KThreesControlPlane{}).Handle(context.Background(),
			createRequest(t, newKCP(func(kcp *controlplanev1.KThreesControlPlane) { kcp.Spec.Version = "v1.30" })))
		g.Expect(resp.Allowed).To(BeFalse())
		g.Expect(resp.Result.Message).To(ContainSubstring(`spec.version: Invalid value: "v1.30"`))
	})
	t.Run("defaulting patches replicas and the cloud controller settings", func(t *testing.T) {
		g := NewWithT(t)
		resp := admission.WithDefaulter(scheme, &KThreesControlPlane{}).Handle(context.Background(),
			createRequest(t, newKCP(func(kcp *controlplanev1.KThreesControlPlane) { kcp.Spec.Replicas = nil })))
		g.Expect(resp.Allowed).To(BeTrue())
		var paths []string
		for _, p := range resp.Patches {
			paths = append(paths, p.Path)
		}
		g.Expect(paths).To(ConsistOf("/spec/replicas",
			"/spec/kthreesConfigSpec/serverConfig/disableCloudController",
			"/spec/kthreesConfigSpec/serverConfig/cloudProviderName"))
	})
}
