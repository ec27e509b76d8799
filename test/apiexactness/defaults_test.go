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

package apiexactness

import (
	"context"
	"encoding/json"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/conversion"

	bootstrapv1beta2 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta2"
	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	bootstrapwebhooks "github.com/k3s-io/cluster-api-k3s/bootstrap/webhooks"
	controlplanev1beta2 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta2"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	controlplanewebhooks "github.com/k3s-io/cluster-api-k3s/controlplane/webhooks"
	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion"
	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion/conversiontest"
)

// defaulter is a v1beta2 type with upstream's Default method.
type defaulter interface {
	conversion.Convertible
	Default(ctx context.Context, obj runtime.Object) error
}

// The v1beta2 Default methods exist for upstream's Go API; they must give what a v1beta2 reader gets back from the
// API server, where the webhook defaults the hub version between the two conversions.
func TestV1beta2DefaultMatchesWebhooks(t *testing.T) {
	apiconversion.SetAPIVersionGetter(conversiontest.APIVersionGetter)
	t.Cleanup(func() { apiconversion.SetAPIVersionGetter(nil) })
	config := func(mutate func(*bootstrapv1beta2.KThreesConfigSpec)) *bootstrapv1beta2.KThreesConfig {
		c := &bootstrapv1beta2.KThreesConfig{}
		c.Namespace = "ns"
		mutate(&c.Spec)
		return c
	}
	kcp := func(mutate func(*controlplanev1beta2.KThreesControlPlaneSpec)) *controlplanev1beta2.KThreesControlPlane {
		c := &controlplanev1beta2.KThreesControlPlane{}
		c.Namespace = "ns"
		mutate(&c.Spec)
		return c
	}
	infraRef := corev1.ObjectReference{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta1", Kind: "DockerMachineTemplate", Name: "cp"}
	tests := []struct {
		name  string
		check func(g Gomega)
	}{
		{"KThreesConfig, empty", func(g Gomega) {
			expectSameDefaults(g, config(func(*bootstrapv1beta2.KThreesConfigSpec) {}), &bootstrapv1.KThreesConfig{}, (&bootstrapwebhooks.KThreesConfig{}).Default)
		}},
		{"KThreesConfig, explicit cloud-provider settings", func(g Gomega) {
			expectSameDefaults(g, config(func(s *bootstrapv1beta2.KThreesConfigSpec) {
				s.ServerConfig.DisableCloudController = ptr.To(false)
				s.ServerConfig.CloudProviderName = ptr.To("")
			}), &bootstrapv1.KThreesConfig{}, (&bootstrapwebhooks.KThreesConfig{}).Default)
		}},
		{"KThreesConfig, deprecated disableExternalCloudProvider", func(g Gomega) {
			expectSameDefaults(g, config(func(s *bootstrapv1beta2.KThreesConfigSpec) {
				s.ServerConfig.DeprecatedDisableExternalCloudProvider = true
			}), &bootstrapv1.KThreesConfig{}, (&bootstrapwebhooks.KThreesConfig{}).Default)
		}},
		{"KThreesConfigTemplate, empty", func(g Gomega) {
			expectSameDefaults(g, &bootstrapv1beta2.KThreesConfigTemplate{}, &bootstrapv1.KThreesConfigTemplate{},
				(&bootstrapwebhooks.KThreesConfigTemplate{}).Default)
		}},
		{"KThreesConfigTemplate, cloud provider set", func(g Gomega) {
			tpl := &bootstrapv1beta2.KThreesConfigTemplate{}
			tpl.Spec.Template.Spec.ServerConfig.CloudProviderName = ptr.To("aws")
			expectSameDefaults(g, tpl, &bootstrapv1.KThreesConfigTemplate{}, (&bootstrapwebhooks.KThreesConfigTemplate{}).Default)
		}},
		{"KThreesControlPlane, empty", func(g Gomega) {
			expectSameDefaults(g, kcp(func(*controlplanev1beta2.KThreesControlPlaneSpec) {}), &controlplanev1.KThreesControlPlane{},
				(&controlplanewebhooks.KThreesControlPlane{}).Default)
		}},
		{"KThreesControlPlane, replicas and a reference without namespace", func(g Gomega) {
			expectSameDefaults(g, kcp(func(s *controlplanev1beta2.KThreesControlPlaneSpec) {
				s.Replicas = ptr.To[int32](3)
				s.MachineTemplate.InfrastructureRef = infraRef
			}), &controlplanev1.KThreesControlPlane{}, (&controlplanewebhooks.KThreesControlPlane{}).Default)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(NewWithT(t))
		})
	}
}

func TestV1beta2DefaultRejectsOtherObjects(t *testing.T) {
	tests := []struct {
		name string
		obj  defaulter
	}{
		{"KThreesConfig", &bootstrapv1beta2.KThreesConfig{}},
		{"KThreesConfigTemplate", &bootstrapv1beta2.KThreesConfigTemplate{}},
		{"KThreesControlPlane", &controlplanev1beta2.KThreesControlPlane{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(tt.obj.Default(context.Background(), &corev1.ConfigMap{})).To(MatchError(ContainSubstring("ConfigMap")))
		})
	}
}

// expectSameDefaults compares spoke.Default with what a v1beta2 reader gets after the webhook defaulted the hub;
// hub is an empty object of the hub version.
func expectSameDefaults[S defaulter, H conversion.Hub](g Gomega, spoke S, hub H, webhookDefault func(context.Context, H) error) {
	ctx := context.Background()
	want := spoke.DeepCopyObject().(S)
	g.Expect(want.Default(ctx, want)).To(Succeed())

	g.Expect(spoke.DeepCopyObject().(S).ConvertTo(hub)).To(Succeed())
	g.Expect(webhookDefault(ctx, hub)).To(Succeed())
	got := spoke.DeepCopyObject().(S)
	g.Expect(got.ConvertFrom(hub)).To(Succeed())
	g.Expect(specJSON(g, got)).To(MatchJSON(specJSON(g, want)))
}

// specJSON returns the JSON of an object's spec, what readers of that version see.
func specJSON(g Gomega, obj runtime.Object) string {
	data, err := json.Marshal(obj)
	g.Expect(err).NotTo(HaveOccurred())
	var fields map[string]json.RawMessage
	g.Expect(json.Unmarshal(data, &fields)).To(Succeed())
	return string(fields["spec"])
}
