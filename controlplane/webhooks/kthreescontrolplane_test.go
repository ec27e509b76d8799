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
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// newKCP returns a valid KThreesControlPlane named test.
func newKCP(mutate ...func(*controlplanev1.KThreesControlPlane)) *controlplanev1.KThreesControlPlane {
	kcp := &controlplanev1.KThreesControlPlane{
		ObjectMeta: metav1.ObjectMeta{Name: "test", Namespace: "default"},
		Spec: controlplanev1.KThreesControlPlaneSpec{
			Replicas: ptr.To[int32](3),
			Version:  "v1.30.2+k3s1",
			MachineTemplate: controlplanev1.KThreesControlPlaneMachineTemplate{
				Spec: controlplanev1.KThreesControlPlaneMachineTemplateSpec{
					InfrastructureRef: clusterv1.ContractVersionedObjectReference{
						APIGroup: "infrastructure.cluster.x-k8s.io", Kind: "DockerMachineTemplate", Name: "cp",
					},
				},
			},
			KThreesConfigSpec: bootstrapv1.KThreesConfigSpec{
				ServerConfig: bootstrapv1.KThreesServerConfig{
					TLSSan:        []string{"api.example.com"},
					ClusterCidr:   "10.42.0.0/16",
					ServiceCidr:   "10.43.0.0/16",
					ClusterDNS:    "10.43.0.10",
					ClusterDomain: "cluster.local",
				},
				AgentConfig: bootstrapv1.KThreesAgentConfig{KubeletArgs: []string{"--max-pods=250"}},
			},
			Rollout: controlplanev1.KThreesControlPlaneRolloutSpec{Strategy: controlplanev1.KThreesControlPlaneRolloutStrategy{
				Type: controlplanev1.RollingUpdateStrategyType,
				RollingUpdate: controlplanev1.KThreesControlPlaneRolloutStrategyRollingUpdate{
					MaxSurge: ptr.To(intstr.FromInt32(1)),
				},
			}},
			Remediation: controlplanev1.KThreesControlPlaneRemediationSpec{
				MaxRetry: ptr.To[int32](3), RetryPeriodSeconds: ptr.To[int32](60), MinHealthyPeriodSeconds: ptr.To[int32](3600),
			},
			MachineNaming: controlplanev1.MachineNamingSpec{Template: "{{ .kthreesControlPlane.name }}-{{ .random }}"},
		},
	}
	for _, m := range mutate {
		m(kcp)
	}
	return kcp
}

func TestKThreesControlPlane_Default(t *testing.T) {
	tests := []struct {
		name         string
		kcp          *controlplanev1.KThreesControlPlane
		wantReplicas int32
	}{
		{
			name:         "replicas defaults to 1",
			kcp:          newKCP(func(kcp *controlplanev1.KThreesControlPlane) { kcp.Spec.Replicas = nil }),
			wantReplicas: 1,
		},
		{name: "replicas kept", kcp: newKCP(), wantReplicas: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect((&KThreesControlPlane{}).Default(context.Background(), tt.kcp)).To(Succeed())
			g.Expect(tt.kcp.Spec.Replicas).To(Equal(ptr.To(tt.wantReplicas)))
			server := tt.kcp.Spec.KThreesConfigSpec.ServerConfig
			g.Expect(server.DisableCloudController).To(Equal(ptr.To(true)))
			g.Expect(server.CloudProviderName).To(Equal(ptr.To("external")))
			// Render- and controller-time defaults stay unset.
			g.Expect(tt.kcp.Spec.KThreesConfigSpec.Format).To(BeEmpty())
			g.Expect(tt.kcp.Spec.MachineNaming).To(Equal(newKCP().Spec.MachineNaming))
		})
	}
	g := NewWithT(t)
	empty := &controlplanev1.KThreesControlPlane{}
	g.Expect((&KThreesControlPlane{}).Default(context.Background(), empty)).To(Succeed())
	g.Expect(empty.Spec.Rollout).To(BeZero())
	g.Expect(empty.Spec.Remediation).To(BeZero())
	g.Expect(empty.Spec.MachineNaming).To(BeZero())
	g.Expect((&KThreesControlPlane{}).Default(context.Background(), nil)).NotTo(Succeed())
}

func TestKThreesControlPlane_ValidateCreate(t *testing.T) {
	tests := []struct {
		name         string
		kcp          *controlplanev1.KThreesControlPlane
		wantErrs     []string
		wantWarnings []string
	}{
		{name: "valid", kcp: newKCP()},
		{
			name: "minimal valid",
			kcp: newKCP(func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec = controlplanev1.KThreesControlPlaneSpec{
					Version:         kcp.Spec.Version,
					MachineTemplate: kcp.Spec.MachineTemplate,
				}
			}),
		},
		{
			name:     "version required",
			kcp:      newKCP(func(kcp *controlplanev1.KThreesControlPlane) { kcp.Spec.Version = "" }),
			wantErrs: []string{"spec.version: Required value"},
		},
		{
			name:     "version format",
			kcp:      newKCP(func(kcp *controlplanev1.KThreesControlPlane) { kcp.Spec.Version = "v1.30.2" }),
			wantErrs: []string{`spec.version: Invalid value: "v1.30.2"`},
		},
		{
			name:     "replicas at least 1",
			kcp:      newKCP(func(kcp *controlplanev1.KThreesControlPlane) { kcp.Spec.Replicas = ptr.To[int32](0) }),
			wantErrs: []string{"spec.replicas: Invalid value: 0: must be at least 1"},
		},
		{
			name:         "even replicas is a warning",
			kcp:          newKCP(func(kcp *controlplanev1.KThreesControlPlane) { kcp.Spec.Replicas = ptr.To[int32](2) }),
			wantWarnings: []string{"spec.replicas: 2 is an even number"},
		},
		{
			name: "infrastructureRef fields required",
			kcp: newKCP(func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.MachineTemplate.Spec.InfrastructureRef = clusterv1.ContractVersionedObjectReference{}
			}),
			wantErrs: []string{
				"spec.machineTemplate.spec.infrastructureRef.apiGroup: Required value",
				"spec.machineTemplate.spec.infrastructureRef.kind: Required value",
				"spec.machineTemplate.spec.infrastructureRef.name: Required value",
			},
		},
		{
			name: "kthreesConfigSpec is validated",
			kcp: newKCP(func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.KThreesConfigSpec.ServerConfig.TLSSan = []string{"bad san"}
			}),
			wantErrs: []string{`spec.kthreesConfigSpec.serverConfig.tlsSan[0]: Invalid value: "bad san"`},
		},
		{
			name: "maxSurge",
			kcp: newKCP(func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.Rollout.Strategy.RollingUpdate.MaxSurge = ptr.To(intstr.FromString("50%"))
			}),
			wantErrs: []string{`spec.rollout.strategy.rollingUpdate.maxSurge: Invalid value: "50%"`},
		},
		{
			name: "rollout strategy type",
			kcp: newKCP(func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.Rollout.Strategy.Type = "OnDelete"
			}),
			wantErrs: []string{`spec.rollout.strategy.type: Unsupported value: "OnDelete"`},
		},
		{
			name: "remediation",
			kcp: newKCP(func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.Remediation.MaxRetry = ptr.To[int32](-1)
			}),
			wantErrs: []string{"spec.remediation.maxRetry: Invalid value: -1"},
		},
		{
			name: "machineNaming",
			kcp: newKCP(func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.MachineNaming.Template = "{{ .kthreesControlPlane.name }}"
			}),
			wantErrs: []string{`spec.machineNaming.template: Invalid value: "{{ .kthreesControlPlane.name }}"`},
		},
		{
			name:     "empty object",
			kcp:      &controlplanev1.KThreesControlPlane{ObjectMeta: metav1.ObjectMeta{Name: "test"}},
			wantErrs: []string{"spec.version: Required value", "spec.machineTemplate.spec.infrastructureRef.apiGroup"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			warnings, err := (&KThreesControlPlane{}).ValidateCreate(context.Background(), tt.kcp)
			g.Expect(warnings).To(HaveLen(len(tt.wantWarnings)))
			for i, w := range tt.wantWarnings {
				g.Expect(warnings[i]).To(HavePrefix(w))
			}
			if len(tt.wantErrs) == 0 {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "error: %v", err)
			g.Expect(err.Error()).To(ContainSubstring(`KThreesControlPlane.controlplane.cluster.x-k8s.io "test" is invalid`))
			for _, want := range tt.wantErrs {
				g.Expect(err.Error()).To(ContainSubstring(want))
			}
		})
	}
}

func TestKThreesControlPlane_ValidateUpdate(t *testing.T) {
	version := func(v string) func(*controlplanev1.KThreesControlPlane) {
		return func(kcp *controlplanev1.KThreesControlPlane) { kcp.Spec.Version = v }
	}
	server := func(f func(*bootstrapv1.KThreesServerConfig)) func(*controlplanev1.KThreesControlPlane) {
		return func(kcp *controlplanev1.KThreesControlPlane) { f(&kcp.Spec.KThreesConfigSpec.ServerConfig) }
	}
	badSAN := func(san string) func(*controlplanev1.KThreesControlPlane) {
		return server(func(s *bootstrapv1.KThreesServerConfig) { s.TLSSan = []string{san} })
	}
	tests := []struct {
		name         string
		oldKCP       *controlplanev1.KThreesControlPlane
		newKCP       *controlplanev1.KThreesControlPlane
		wantErrs     []string
		wantWarnings []string
	}{
		{name: "no change", oldKCP: newKCP(), newKCP: newKCP()},
		{name: "k3s build upgrade", oldKCP: newKCP(), newKCP: newKCP(version("v1.30.2+k3s2"))},
		{name: "patch upgrade", oldKCP: newKCP(), newKCP: newKCP(version("v1.30.9+k3s1"))},
		{name: "minor upgrade", oldKCP: newKCP(), newKCP: newKCP(version("v1.31.0+k3s1"))},
		{
			name:   "scale and mutable fields",
			oldKCP: newKCP(),
			newKCP: newKCP(func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.Replicas = ptr.To[int32](5)
				kcp.Spec.KThreesConfigSpec.ServerConfig.TLSSan = []string{"other.example.com"}
				kcp.Spec.Rollout.Strategy.RollingUpdate.MaxSurge = ptr.To(intstr.FromInt32(0))
			}),
		},
		{
			name:     "minor skip",
			oldKCP:   newKCP(),
			newKCP:   newKCP(version("v1.32.0+k3s1")),
			wantErrs: []string{"spec.version: Forbidden: upgrades must not skip a minor version"},
		},
		{
			name:     "semver downgrade",
			oldKCP:   newKCP(),
			newKCP:   newKCP(version("v1.30.1+k3s3")),
			wantErrs: []string{"spec.version: Forbidden: version downgrades are not supported"},
		},
		{
			name:     "k3s build downgrade",
			oldKCP:   newKCP(version("v1.30.2+k3s2")),
			newKCP:   newKCP(version("v1.30.2+k3s1")),
			wantErrs: []string{"spec.version: Forbidden: version downgrades are not supported"},
		},
		{
			name:     "clusterCidr immutable",
			oldKCP:   newKCP(),
			newKCP:   newKCP(server(func(s *bootstrapv1.KThreesServerConfig) { s.ClusterCidr = "10.50.0.0/16" })),
			wantErrs: []string{`spec.kthreesConfigSpec.serverConfig.clusterCidr: Invalid value: "10.50.0.0/16": field is immutable`},
		},
		{
			name:     "serviceCidr immutable",
			oldKCP:   newKCP(),
			newKCP:   newKCP(server(func(s *bootstrapv1.KThreesServerConfig) { s.ServiceCidr = "" })),
			wantErrs: []string{`spec.kthreesConfigSpec.serverConfig.serviceCidr: Invalid value: "": field is immutable`},
		},
		{
			name:     "clusterDNS immutable",
			oldKCP:   newKCP(),
			newKCP:   newKCP(server(func(s *bootstrapv1.KThreesServerConfig) { s.ClusterDNS = "10.43.0.11" })),
			wantErrs: []string{`spec.kthreesConfigSpec.serverConfig.clusterDNS: Invalid value: "10.43.0.11": field is immutable`},
		},
		{
			name:     "clusterDomain immutable",
			oldKCP:   newKCP(),
			newKCP:   newKCP(server(func(s *bootstrapv1.KThreesServerConfig) { s.ClusterDomain = "example.local" })),
			wantErrs: []string{`spec.kthreesConfigSpec.serverConfig.clusterDomain: Invalid value: "example.local": field is immutable`},
		},
		{
			name:         "even replicas is a warning",
			oldKCP:       newKCP(),
			newKCP:       newKCP(func(kcp *controlplanev1.KThreesControlPlane) { kcp.Spec.Replicas = ptr.To[int32](4) }),
			wantWarnings: []string{"spec.replicas: 4 is an even number"},
		},
		{
			name:     "old good, new bad is rejected",
			oldKCP:   newKCP(),
			newKCP:   newKCP(badSAN("bad san")),
			wantErrs: []string{`spec.kthreesConfigSpec.serverConfig.tlsSan[0]: Invalid value: "bad san"`},
		},
		{
			name:         "old bad and unchanged is a warning",
			oldKCP:       newKCP(badSAN("bad san")),
			newKCP:       newKCP(badSAN("bad san"), version("v1.30.3+k3s1")),
			wantWarnings: []string{`spec.kthreesConfigSpec.serverConfig.tlsSan[0]: Invalid value: "bad san"`},
		},
		{
			name:     "old bad changed to another bad value is rejected",
			oldKCP:   newKCP(badSAN("bad san")),
			newKCP:   newKCP(badSAN("worse san")),
			wantErrs: []string{`spec.kthreesConfigSpec.serverConfig.tlsSan[0]: Invalid value: "worse san"`},
		},
		{
			name:         "old invalid version kept is a warning",
			oldKCP:       newKCP(version("v1.30.2+k3s0")),
			newKCP:       newKCP(version("v1.30.2+k3s0"), func(kcp *controlplanev1.KThreesControlPlane) { kcp.Spec.Replicas = ptr.To[int32](5) }),
			wantWarnings: []string{`spec.version: Invalid value: "v1.30.2+k3s0"`},
		},
		{
			name:         "old zero replicas kept is a warning",
			oldKCP:       newKCP(func(kcp *controlplanev1.KThreesControlPlane) { kcp.Spec.Replicas = ptr.To[int32](0) }),
			newKCP:       newKCP(func(kcp *controlplanev1.KThreesControlPlane) { kcp.Spec.Replicas = ptr.To[int32](0) }),
			wantWarnings: []string{"spec.replicas: Invalid value: 0"},
		},
		{
			name:         "immutability is not ratcheted",
			oldKCP:       newKCP(badSAN("bad san")),
			newKCP:       newKCP(badSAN("bad san"), server(func(s *bootstrapv1.KThreesServerConfig) { s.ClusterDomain = "x.local" })),
			wantErrs:     []string{"spec.kthreesConfigSpec.serverConfig.clusterDomain"},
			wantWarnings: []string{`spec.kthreesConfigSpec.serverConfig.tlsSan[0]: Invalid value: "bad san"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			warnings, err := (&KThreesControlPlane{}).ValidateUpdate(context.Background(), tt.oldKCP, tt.newKCP)
			g.Expect(warnings).To(HaveLen(len(tt.wantWarnings)), "warnings: %v", warnings)
			for i, w := range tt.wantWarnings {
				g.Expect(warnings[i]).To(HavePrefix(w))
			}
			if len(tt.wantErrs) == 0 {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "error: %v", err)
			for _, want := range tt.wantErrs {
				g.Expect(err.Error()).To(ContainSubstring(want))
			}
		})
	}

	t.Run("nil objects are rejected", func(t *testing.T) {
		g := NewWithT(t)
		w := &KThreesControlPlane{}
		_, err := w.ValidateCreate(context.Background(), nil)
		g.Expect(apierrors.IsBadRequest(err)).To(BeTrue())
		_, err = w.ValidateUpdate(context.Background(), nil, newKCP())
		g.Expect(apierrors.IsBadRequest(err)).To(BeTrue())
		_, err = w.ValidateUpdate(context.Background(), newKCP(), nil)
		g.Expect(apierrors.IsBadRequest(err)).To(BeTrue())
	})
}

func TestKThreesControlPlane_ValidateDelete(t *testing.T) {
	g := NewWithT(t)
	warnings, err := (&KThreesControlPlane{}).ValidateDelete(context.Background(), &controlplanev1.KThreesControlPlane{})
	g.Expect(warnings).To(BeEmpty())
	g.Expect(err).NotTo(HaveOccurred())
}
