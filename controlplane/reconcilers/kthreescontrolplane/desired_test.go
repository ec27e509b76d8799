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

package kthreescontrolplane

import (
	"encoding/json"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/labels/format"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

func TestDesiredNewMachineName(t *testing.T) {
	tests := []struct {
		name     string
		template string
		kcpName  string
		want     string // regexp
		wantErr  string
	}{
		{name: "default", kcpName: "kcp", want: `^kcp-[a-z0-9]{5}$`},
		{name: "cluster and random", kcpName: "kcp", template: "{{ .cluster.name }}-cp-{{ .random }}", want: `^cluster-cp-[a-z0-9]{5}$`},
		{name: "control plane name", kcpName: "my-kcp", template: "{{.kthreesControlPlane.name}}.{{.random}}", want: `^my-kcp\.[a-z0-9]{5}$`},
		{name: "unknown variable", kcpName: "kcp", template: "{{ .machine.name }}-{{ .random }}", wantErr: "failed to execute"},
		{name: "unparsable", kcpName: "kcp", template: "{{ .random ", wantErr: "invalid spec.machineNaming.template"},
		{name: "invalid name", kcpName: "kcp", template: "UPPER-{{ .random }}", wantErr: "invalid Machine name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := &controlplanev1.KThreesControlPlane{ObjectMeta: metav1.ObjectMeta{Name: tt.kcpName}}
			kcp.Spec.MachineNaming.Template = tt.template
			name, err := newMachineName(kcp, &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "cluster"}})
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				return
			}
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(name).To(MatchRegexp(tt.want))
		})
	}
}

func TestDesiredNewMachineNameIsRandom(t *testing.T) {
	g := NewWithT(t)
	kcp := &controlplanev1.KThreesControlPlane{ObjectMeta: metav1.ObjectMeta{Name: "kcp"}}
	names := map[string]bool{}
	for range 20 {
		name, err := newMachineName(kcp, &clusterv1.Cluster{})
		g.Expect(err).ToNot(HaveOccurred())
		names[name] = true
	}
	g.Expect(len(names)).To(BeNumerically(">", 15))
}

func TestDesiredMachineLabels(t *testing.T) {
	longName := strings.Repeat("k", 70)
	tests := []struct {
		name     string
		kcpName  string
		template map[string]string
		want     map[string]string
	}{
		{
			name:    "no template labels",
			kcpName: "kcp",
			want: map[string]string{
				clusterv1.ClusterNameLabel: "cluster", clusterv1.MachineControlPlaneLabel: "", clusterv1.MachineControlPlaneNameLabel: "kcp",
			},
		},
		{
			name:     "template labels merged, control-plane labels win",
			kcpName:  "kcp",
			template: map[string]string{"team": "a", clusterv1.ClusterNameLabel: "other", clusterv1.MachineControlPlaneLabel: "x"},
			want: map[string]string{
				"team": "a", clusterv1.ClusterNameLabel: "cluster", clusterv1.MachineControlPlaneLabel: "", clusterv1.MachineControlPlaneNameLabel: "kcp",
			},
		},
		{
			name:    "long control-plane names are hashed to a valid label value",
			kcpName: longName,
			want: map[string]string{
				clusterv1.ClusterNameLabel: "cluster", clusterv1.MachineControlPlaneLabel: "", clusterv1.MachineControlPlaneNameLabel: format.MustFormatValue(longName),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := &controlplanev1.KThreesControlPlane{ObjectMeta: metav1.ObjectMeta{Name: tt.kcpName}}
			kcp.Spec.MachineTemplate.ObjectMeta.Labels = tt.template
			got := desiredMachineLabels(kcp, "cluster")
			g.Expect(got).To(Equal(tt.want))
			g.Expect(len(got[clusterv1.MachineControlPlaneNameLabel])).To(BeNumerically("<=", 63))
			// The control plane's own map is not changed.
			g.Expect(kcp.Spec.MachineTemplate.ObjectMeta.Labels).ToNot(HaveKey(clusterv1.MachineControlPlaneNameLabel))
		})
	}
}

func TestDesiredReadinessGates(t *testing.T) {
	agent := clusterv1.MachineReadinessGate{ConditionType: controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition}
	etcd := clusterv1.MachineReadinessGate{ConditionType: controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition}
	custom := clusterv1.MachineReadinessGate{ConditionType: "Custom", Polarity: clusterv1.NegativePolarityCondition}
	tests := []struct {
		name     string
		template []clusterv1.MachineReadinessGate
		want     []clusterv1.MachineReadinessGate
	}{
		{name: "none", want: []clusterv1.MachineReadinessGate{agent, etcd}},
		{name: "template first", template: []clusterv1.MachineReadinessGate{custom}, want: []clusterv1.MachineReadinessGate{custom, agent, etcd}},
		{
			name:     "duplicates removed",
			template: []clusterv1.MachineReadinessGate{etcd, custom, custom},
			want:     []clusterv1.MachineReadinessGate{etcd, custom, agent},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := &controlplanev1.KThreesControlPlane{}
			kcp.Spec.MachineTemplate.Spec.ReadinessGates = tt.template
			g.Expect(desiredReadinessGates(kcp)).To(Equal(tt.want))
			g.Expect(kcp.Spec.MachineTemplate.Spec.ReadinessGates).To(Equal(tt.template))
		})
	}
}

func TestDesiredNewMachine(t *testing.T) {
	serverConfig := bootstrapv1.KThreesServerConfig{DisableComponents: []string{"traefik"}, TLSSan: []string{"a.example.com"}}
	serverConfigJSON, _ := json.Marshal(serverConfig)
	tests := []struct {
		name            string
		kcpAnnotations  map[string]string
		templateAnn     map[string]string
		wantAnnotations map[string]string
	}{
		{
			name:        "template annotations, server configuration and hook",
			templateAnn: map[string]string{"note": "x"},
			wantAnnotations: map[string]string{
				"note": "x",
				controlplanev1.KThreesServerConfigurationAnnotation: string(serverConfigJSON),
				controlplanev1.EtcdRemovalHookAnnotation:            controlplanev1.EtcdRemovalHookValue,
			},
		},
		{
			name:           "remediation in progress is handed to the replacement",
			kcpAnnotations: map[string]string{controlplanev1.RemediationInProgressAnnotation: `{"machine":"m1"}`, "unrelated": "y"},
			wantAnnotations: map[string]string{
				controlplanev1.KThreesServerConfigurationAnnotation: string(serverConfigJSON),
				controlplanev1.RemediationForAnnotation:             `{"machine":"m1"}`,
				controlplanev1.EtcdRemovalHookAnnotation:            controlplanev1.EtcdRemovalHookValue,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := machinesTestKCP()
			kcp.Annotations = tt.kcpAnnotations
			kcp.Spec.MachineTemplate.ObjectMeta.Annotations = tt.templateAnn
			kcp.Spec.KThreesConfigSpec.ServerConfig = serverConfig
			kcp.Spec.MachineTemplate.Spec.Deletion = controlplanev1.KThreesControlPlaneMachineTemplateDeletionSpec{
				NodeDrainTimeoutSeconds: ptr.To[int32](1), NodeVolumeDetachTimeoutSeconds: ptr.To[int32](2), NodeDeletionTimeoutSeconds: ptr.To[int32](3),
			}
			infraRef := clusterv1.ContractVersionedObjectReference{APIGroup: "infra.example.com", Kind: "M", Name: "m-1"}

			m, err := desiredNewMachine(kcp, machinesTestCluster(), "m-1", "fd", infraRef)
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(m.Name).To(Equal("m-1"))
			g.Expect(m.Namespace).To(Equal(kcp.Namespace))
			g.Expect(m.Annotations).To(Equal(tt.wantAnnotations))
			g.Expect(m.Labels).To(HaveKeyWithValue(clusterv1.MachineControlPlaneNameLabel, "kcp"))
			g.Expect(m.OwnerReferences).To(Equal([]metav1.OwnerReference{{
				APIVersion: controlplanev1.GroupVersion.String(), Kind: "KThreesControlPlane", Name: "kcp", UID: "kcp-uid",
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
			}}))
			g.Expect(m.Spec.ClusterName).To(Equal("cluster"))
			g.Expect(m.Spec.Version).To(Equal(kcp.Spec.Version))
			g.Expect(m.Spec.FailureDomain).To(Equal("fd"))
			g.Expect(m.Spec.InfrastructureRef).To(Equal(infraRef))
			g.Expect(m.Spec.Bootstrap.ConfigRef).To(Equal(clusterv1.ContractVersionedObjectReference{
				APIGroup: bootstrapv1.GroupVersion.Group, Kind: "KThreesConfig", Name: "m-1",
			}))
			g.Expect(m.Spec.Deletion).To(Equal(clusterv1.MachineDeletionSpec{
				NodeDrainTimeoutSeconds: ptr.To[int32](1), NodeVolumeDetachTimeoutSeconds: ptr.To[int32](2), NodeDeletionTimeoutSeconds: ptr.To[int32](3),
			}))
			// The desired Machine does not alias the control plane's spec.
			*m.Spec.Deletion.NodeDrainTimeoutSeconds = 99
			g.Expect(*kcp.Spec.MachineTemplate.Spec.Deletion.NodeDrainTimeoutSeconds).To(BeEquivalentTo(1))
		})
	}
}

func TestDesiredUpdatedMachine(t *testing.T) {
	existing := &clusterv1.Machine{
		ObjectMeta: metav1.ObjectMeta{
			Name: "m-1", Namespace: machinesTestNamespace, UID: "m-uid",
			Labels: map[string]string{"old": "label"},
			Annotations: map[string]string{
				controlplanev1.KThreesServerConfigurationAnnotation: `{"old":true}`,
				controlplanev1.RemediationForAnnotation:             `{"machine":"m0"}`,
				"old":                                               "annotation",
			},
		},
		Spec: clusterv1.MachineSpec{
			Version:           "v1.33.1+k3s1",
			FailureDomain:     "fd-old",
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{APIGroup: "infra.example.com", Kind: "M", Name: "infra-m-1"},
			Bootstrap:         clusterv1.Bootstrap{ConfigRef: clusterv1.ContractVersionedObjectReference{APIGroup: bootstrapv1.GroupVersion.Group, Kind: "KThreesConfig", Name: "cfg-m-1"}},
			ProviderID:        "provider://m-1",
		},
	}
	tests := []struct {
		name            string
		existingAnn     map[string]string
		kcpAnnotations  map[string]string
		wantAnnotations map[string]string
	}{
		{
			name:           "creation annotations keep their values",
			existingAnn:    existing.Annotations,
			kcpAnnotations: map[string]string{controlplanev1.RemediationInProgressAnnotation: `{"machine":"other"}`},
			wantAnnotations: map[string]string{
				"note": "one",
				controlplanev1.KThreesServerConfigurationAnnotation: `{"old":true}`,
				controlplanev1.RemediationForAnnotation:             `{"machine":"m0"}`,
				controlplanev1.EtcdRemovalHookAnnotation:            controlplanev1.EtcdRemovalHookValue,
			},
		},
		{
			name:           "missing creation annotations are not added",
			existingAnn:    map[string]string{"old": "annotation"},
			kcpAnnotations: map[string]string{controlplanev1.RemediationInProgressAnnotation: `{"machine":"other"}`},
			wantAnnotations: map[string]string{
				"note":                                   "one",
				controlplanev1.EtcdRemovalHookAnnotation: controlplanev1.EtcdRemovalHookValue,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := machinesTestKCP()
			kcp.Annotations = tt.kcpAnnotations
			kcp.Spec.Version = "v1.34.5+k3s1"
			m := existing.DeepCopy()
			m.Annotations = tt.existingAnn

			got := desiredUpdatedMachine(kcp, machinesTestCluster(), m)
			g.Expect(got.Name).To(Equal("m-1"))
			g.Expect(got.UID).To(BeEquivalentTo("m-uid"))
			g.Expect(got.Labels).To(Equal(desiredMachineLabels(kcp, "cluster")))
			g.Expect(got.Annotations).To(Equal(tt.wantAnnotations))
			g.Expect(got.Spec.Version).To(Equal("v1.33.1+k3s1"))
			g.Expect(got.Spec.FailureDomain).To(Equal("fd-old"))
			g.Expect(got.Spec.InfrastructureRef).To(Equal(existing.Spec.InfrastructureRef))
			g.Expect(got.Spec.Bootstrap.ConfigRef).To(Equal(existing.Spec.Bootstrap.ConfigRef))
			// Fields set by others are not part of the intent.
			g.Expect(got.Spec.ProviderID).To(BeEmpty())
			g.Expect(got.Spec.Deletion.NodeDrainTimeoutSeconds).To(Equal(ptr.To[int32](30)))
			g.Expect(got.Spec.ReadinessGates).To(HaveLen(2))
		})
	}
}

func TestDesiredKThreesConfig(t *testing.T) {
	g := NewWithT(t)
	kcp := machinesTestKCP()
	kcp.Spec.KThreesConfigSpec.Version = "v1.34.5+k3s1"
	kcp.Spec.KThreesConfigSpec.Files = []bootstrapv1.File{{Path: "/etc/x", Content: "x"}}

	config := desiredKThreesConfig(kcp, machinesTestCluster(), "m-1")
	g.Expect(config.Name).To(Equal("m-1"))
	g.Expect(config.Namespace).To(Equal(kcp.Namespace))
	g.Expect(config.Labels).To(Equal(desiredMachineLabels(kcp, "cluster")))
	g.Expect(config.Annotations).To(Equal(map[string]string{"note": "one"}))
	g.Expect(config.OwnerReferences).To(Equal([]metav1.OwnerReference{{
		APIVersion: controlplanev1.GroupVersion.String(), Kind: "KThreesControlPlane", Name: "kcp", UID: "kcp-uid",
	}}))
	g.Expect(config.Spec).To(Equal(kcp.Spec.KThreesConfigSpec))

	// Without a version of its own, the config gets the Machine's, so the bootstrap controller need not write it.
	kcp.Spec.KThreesConfigSpec.Version = ""
	kcp.Spec.Version = "v1.35.0+k3s1"
	withoutVersion := desiredKThreesConfig(kcp, machinesTestCluster(), "m-2")
	g.Expect(withoutVersion.Spec.Version).To(Equal("v1.35.0+k3s1"))
	g.Expect(kcp.Spec.KThreesConfigSpec.Version).To(BeEmpty())
	// A deep copy: changing the config does not change the control plane.
	config.Spec.Files[0].Content = "changed"
	config.Spec.PreK3sCommands[0] = "changed"
	g.Expect(kcp.Spec.KThreesConfigSpec.Files[0].Content).To(Equal("x"))
	g.Expect(kcp.Spec.KThreesConfigSpec.PreK3sCommands[0]).To(Equal("echo hi"))
}
