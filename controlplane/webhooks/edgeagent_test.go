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
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/test/webhooktest"
)

// TestEdgeAgentWarnings checks that both kinds warn, on create and on update, about what agents that run the
// bootstrap data without cloud-init cannot run, naming the field, and still admit the object.
func TestEdgeAgentWarnings(t *testing.T) {
	ctx := context.Background()
	kinds := []struct {
		name     string
		specPath string
		validate func(mutate func(*bootstrapv1.KThreesConfigSpec)) (create, update admission.Warnings, err error)
	}{
		{name: "KThreesControlPlane", specPath: "spec.kthreesConfigSpec",
			validate: func(mutate func(*bootstrapv1.KThreesConfigSpec)) (admission.Warnings, admission.Warnings, error) {
				kcp := newKCP(func(kcp *controlplanev1.KThreesControlPlane) { mutate(&kcp.Spec.KThreesConfigSpec) })
				create, err := (&KThreesControlPlane{}).ValidateCreate(ctx, kcp)
				if err != nil {
					return nil, nil, err
				}
				update, err := (&KThreesControlPlane{}).ValidateUpdate(ctx, newKCP(), kcp)
				return create, update, err
			}},
		{name: "KThreesControlPlaneTemplate", specPath: "spec.template.spec.kthreesConfigSpec",
			validate: func(mutate func(*bootstrapv1.KThreesConfigSpec)) (admission.Warnings, admission.Warnings, error) {
				tpl := newKCPTemplate(func(t *controlplanev1.KThreesControlPlaneTemplate) {
					mutate(&t.Spec.Template.Spec.KThreesConfigSpec)
				})
				create, err := (&KThreesControlPlaneTemplate{}).ValidateCreate(ctx, tpl)
				if err != nil {
					return nil, nil, err
				}
				update, err := (&KThreesControlPlaneTemplate{}).ValidateUpdate(ctx, newKCPTemplate(), tpl)
				return create, update, err
			}},
	}
	for _, kind := range kinds {
		for _, tc := range webhooktest.EdgeAgentCases() {
			t.Run(kind.name+"/"+tc.Name, func(t *testing.T) {
				g := NewWithT(t)
				create, update, err := kind.validate(tc.Mutate)
				g.Expect(err).NotTo(HaveOccurred())
				webhooktest.ExpectEdgeAgentWarnings(g, create, kind.specPath, tc.Fields)
				webhooktest.ExpectEdgeAgentWarnings(g, update, kind.specPath, tc.Fields)
			})
		}
	}
}
