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
	"net/http"
	"testing"

	. "github.com/onsi/gomega"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

// updateRequest returns an admission request updating oldObj to newObj.
func updateRequest(t *testing.T, oldObj, newObj runtime.Object) admission.Request {
	t.Helper()
	g := NewWithT(t)
	oldRaw, err := json.Marshal(oldObj)
	g.Expect(err).NotTo(HaveOccurred())
	newRaw, err := json.Marshal(newObj)
	g.Expect(err).NotTo(HaveOccurred())
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		Operation: admissionv1.Update,
		Name:      "test",
		Namespace: "default",
		OldObject: runtime.RawExtension{Raw: oldRaw},
		Object:    runtime.RawExtension{Raw: newRaw},
	}}
}

func Test_admissionResult(t *testing.T) {
	scheme := runtime.NewScheme()
	NewWithT(t).Expect(bootstrapv1.AddToScheme(scheme)).To(Succeed())
	validator := admission.WithValidator(scheme, &KThreesConfig{})
	defaulter := admission.WithDefaulter(scheme, &KThreesConfig{})
	withTypeMeta := func(c *bootstrapv1.KThreesConfig) {
		c.APIVersion = bootstrapv1.GroupVersion.String()
		c.Kind = "KThreesConfig"
	}
	badSAN := func(c *bootstrapv1.KThreesConfig) { c.Spec.ServerConfig.TLSSan = []string{"bad san"} }

	t.Run("ratcheted error is a warning", func(t *testing.T) {
		g := NewWithT(t)
		resp := validator.Handle(context.Background(),
			updateRequest(t, newKThreesConfig(withTypeMeta, badSAN), newKThreesConfig(withTypeMeta, badSAN)))
		g.Expect(resp.Allowed).To(BeTrue())
		g.Expect(resp.Warnings).To(HaveLen(1))
		g.Expect(resp.Warnings[0]).To(HavePrefix("spec.serverConfig.tlsSan[0]"))
	})
	t.Run("new error is denied with the field path", func(t *testing.T) {
		g := NewWithT(t)
		resp := validator.Handle(context.Background(),
			updateRequest(t, newKThreesConfig(withTypeMeta), newKThreesConfig(withTypeMeta, badSAN)))
		g.Expect(resp.Allowed).To(BeFalse())
		g.Expect(resp.Result.Code).To(BeEquivalentTo(http.StatusUnprocessableEntity))
		g.Expect(resp.Result.Message).To(ContainSubstring(`spec.serverConfig.tlsSan[0]: Invalid value: "bad san"`))
	})
	t.Run("defaulting patches the cloud controller settings", func(t *testing.T) {
		g := NewWithT(t)
		resp := defaulter.Handle(context.Background(),
			updateRequest(t, newKThreesConfig(withTypeMeta), newKThreesConfig(withTypeMeta)))
		g.Expect(resp.Allowed).To(BeTrue())
		var paths []string
		for _, p := range resp.Patches {
			paths = append(paths, p.Path)
		}
		g.Expect(paths).To(ConsistOf("/spec/serverConfig/disableCloudController", "/spec/serverConfig/cloudProviderName"))
	})
}
