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
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

var uptodateTestNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// uptodateTestKCP is a control plane as upstream's webhook leaves it: the cloud defaults applied to the embedded
// spec, and lists some users write as empty.
func uptodateTestKCP() *controlplanev1.KThreesControlPlane {
	return &controlplanev1.KThreesControlPlane{
		ObjectMeta: metav1.ObjectMeta{Name: "kcp", Namespace: "ns"},
		Spec: controlplanev1.KThreesControlPlaneSpec{
			Version: "v1.34.5+k3s1",
			MachineTemplate: controlplanev1.KThreesControlPlaneMachineTemplate{
				Spec: controlplanev1.KThreesControlPlaneMachineTemplateSpec{
					InfrastructureRef: clusterv1.ContractVersionedObjectReference{
						APIGroup: "infrastructure.cluster.x-k8s.io", Kind: "DockerMachineTemplate", Name: "cp-tpl",
					},
				},
			},
			KThreesConfigSpec: bootstrapv1.KThreesConfigSpec{
				Files:          []bootstrapv1.File{{Path: "/etc/motd", Content: "hi", Permissions: "0644"}},
				PreK3sCommands: []string{},
				AgentConfig:    bootstrapv1.KThreesAgentConfig{NodeName: "{{ ds.meta_data.local_hostname }}", KubeletArgs: []string{}},
				ServerConfig: bootstrapv1.KThreesServerConfig{
					DisableComponents:      []string{"traefik"},
					DisableCloudController: ptr.To(true),
					CloudProviderName:      ptr.To("external"),
				},
			},
		},
	}
}

// uptodateTestUpstreamConfig is the KThreesConfig upstream's controller created for a Machine of
// uptodateTestKCP: a copy of the spec, as read back through the conversion, with the version filled in by the
// bootstrap controller and the empty lists dropped.
func uptodateTestUpstreamConfig() *bootstrapv1.KThreesConfig {
	spec := uptodateTestKCP().Spec.KThreesConfigSpec
	spec.Version = "v1.34.5+k3s1"
	spec.PreK3sCommands = nil
	spec.AgentConfig.KubeletArgs = nil
	return &bootstrapv1.KThreesConfig{ObjectMeta: metav1.ObjectMeta{Name: "kcp-abcde", Namespace: "ns"}, Spec: spec}
}

func uptodateTestInfraMachine(annotations map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("infrastructure.cluster.x-k8s.io/v1beta2")
	u.SetKind("DockerMachine")
	u.SetName("cp-tpl-xyz12")
	u.SetAnnotations(annotations)
	return u
}

func uptodateTestUpstreamInfraAnnotations() map[string]string {
	return map[string]string{
		clusterv1.TemplateClonedFromNameAnnotation:      "cp-tpl",
		clusterv1.TemplateClonedFromGroupKindAnnotation: "DockerMachineTemplate.infrastructure.cluster.x-k8s.io",
	}
}

// uptodateTestUpstreamMachine is a Machine as upstream's controller created it.
func uptodateTestUpstreamMachine() *clusterv1.Machine {
	return &clusterv1.Machine{
		ObjectMeta: metav1.ObjectMeta{
			Name: "kcp-abcde", Namespace: "ns",
			CreationTimestamp: metav1.NewTime(uptodateTestNow.Add(-30 * 24 * time.Hour)),
			Labels:            map[string]string{clusterv1.MachineControlPlaneNameLabel: ""},
			Annotations:       map[string]string{controlplanev1.KThreesServerConfigurationAnnotation: `{"disableComponents":["traefik"]}`},
		},
		Spec: clusterv1.MachineSpec{
			Version: "v1.34.5+k3s1",
			Bootstrap: clusterv1.Bootstrap{ConfigRef: clusterv1.ContractVersionedObjectReference{
				APIGroup: bootstrapv1.GroupVersion.Group, Kind: "KThreesConfig", Name: "kcp-abcde",
			}},
		},
	}
}

func TestUpToDateMachineUpToDate(t *testing.T) {
	tests := []struct {
		name        string
		kcp         func(*controlplanev1.KThreesControlPlane)
		machine     func(*clusterv1.Machine)
		config      func(*bootstrapv1.KThreesConfig) *bootstrapv1.KThreesConfig
		infra       func(map[string]string) *unstructured.Unstructured
		wantReasons []string
	}{
		{name: "upstream-created Machine"},
		{
			name: "upstream-created Machine, control plane created before the cloud defaults",
			kcp: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.KThreesConfigSpec.ServerConfig.DisableCloudController = nil
				kcp.Spec.KThreesConfigSpec.ServerConfig.CloudProviderName = nil
			},
		},
		{
			name: "upstream-created Machine, KThreesConfig not defaulted",
			config: func(c *bootstrapv1.KThreesConfig) *bootstrapv1.KThreesConfig {
				c.Spec.ServerConfig.DisableCloudController = nil
				c.Spec.ServerConfig.CloudProviderName = nil
				return c
			},
		},
		{
			name: "render-time defaults written out on one side",
			config: func(c *bootstrapv1.KThreesConfig) *bootstrapv1.KThreesConfig {
				c.Spec.Format = bootstrapv1.CloudConfig
				c.Spec.AgentConfig.AirGappedInstallScriptPath = bootstrapv1.DefaultAirGappedInstallScriptPath
				c.Spec.ServerConfig.EtcdProxyImage = "alpine/socat:1.8.0.0"
				return c
			},
		},
		{
			name: "in-place changes do not roll out",
			kcp: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Annotations = map[string]string{controlplanev1.RemediationInProgressAnnotation: "{}"}
				kcp.Spec.MachineTemplate.ObjectMeta = clusterv1.ObjectMeta{Labels: map[string]string{"a": "b"}, Annotations: map[string]string{"c": "d"}}
				kcp.Spec.MachineTemplate.Spec.Deletion.NodeDrainTimeoutSeconds = ptr.To[int32](10)
				kcp.Spec.MachineTemplate.Spec.ReadinessGates = []clusterv1.MachineReadinessGate{{ConditionType: "X"}}
				kcp.Spec.Remediation.MaxRetry = ptr.To[int32](3)
				kcp.Spec.MachineNaming.Template = "{{ .random }}-cp"
				kcp.Spec.Rollout.Strategy.Type = controlplanev1.RollingUpdateStrategyType
			},
		},
		{
			name:        "version differs",
			kcp:         func(kcp *controlplanev1.KThreesControlPlane) { kcp.Spec.Version = "v1.35.0+k3s1" },
			wantReasons: []string{"Version v1.34.5+k3s1, v1.35.0+k3s1 required"},
		},
		{
			name:        "version build metadata differs",
			machine:     func(m *clusterv1.Machine) { m.Spec.Version = "v1.34.5+k3s2" },
			wantReasons: []string{"Version v1.34.5+k3s2, v1.34.5+k3s1 required"},
		},
		{
			name:        "version not set",
			machine:     func(m *clusterv1.Machine) { m.Spec.Version = "" },
			wantReasons: []string{"Version not set, v1.34.5+k3s1 required"},
		},
		{
			name: "server configuration differs",
			kcp: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.KThreesConfigSpec.ServerConfig.TLSSan = []string{"x.example.com"}
			},
			wantReasons: []string{"KThreesConfig differs from spec.kthreesConfigSpec in serverConfig"},
		},
		{
			name: "files and commands differ",
			kcp: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.KThreesConfigSpec.Files[0].Content = "bye"
				kcp.Spec.KThreesConfigSpec.PreK3sCommands = []string{"echo"}
			},
			wantReasons: []string{"KThreesConfig differs from spec.kthreesConfigSpec in files, preK3sCommands"},
		},
		{
			name: "format differs",
			kcp: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.KThreesConfigSpec.Format = bootstrapv1.Ignition
			},
			wantReasons: []string{"KThreesConfig differs from spec.kthreesConfigSpec in format"},
		},
		{
			name: "missing KThreesConfig matches",
			kcp: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.KThreesConfigSpec.PreK3sCommands = []string{"echo"}
			},
			config: func(*bootstrapv1.KThreesConfig) *bootstrapv1.KThreesConfig { return nil },
		},
		{
			name: "infrastructure template renamed",
			kcp: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.MachineTemplate.Spec.InfrastructureRef.Name = "cp-tpl-2"
			},
			wantReasons: []string{"InfraMachine template DockerMachineTemplate cp-tpl, DockerMachineTemplate cp-tpl-2 required"},
		},
		{
			name: "infrastructure template kind changed",
			kcp: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.MachineTemplate.Spec.InfrastructureRef.APIGroup = "infrastructure.example.com"
			},
			wantReasons: []string{"InfraMachine template DockerMachineTemplate.infrastructure.cluster.x-k8s.io cp-tpl, " +
				"DockerMachineTemplate.infrastructure.example.com cp-tpl required"},
		},
		{
			name: "InfraMachine without clone annotations matches",
			kcp: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.MachineTemplate.Spec.InfrastructureRef.Name = "cp-tpl-2"
			},
			infra: func(map[string]string) *unstructured.Unstructured { return uptodateTestInfraMachine(nil) },
		},
		{
			name: "missing InfraMachine matches",
			kcp: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.MachineTemplate.Spec.InfrastructureRef.Name = "cp-tpl-2"
			},
			infra: func(map[string]string) *unstructured.Unstructured { return nil },
		},
		{
			name: "rollout.after passed, Machine older",
			kcp: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.Rollout.After = metav1.NewTime(uptodateTestNow.Add(-time.Hour))
			},
			wantReasons: []string{"Machine was created before spec.rollout.after 2026-03-01T11:00:00Z"},
		},
		{
			name: "rollout.after in the future",
			kcp: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.Rollout.After = metav1.NewTime(uptodateTestNow.Add(time.Hour))
			},
		},
		{
			name: "rollout.after passed, Machine newer",
			kcp: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.Rollout.After = metav1.NewTime(uptodateTestNow.Add(-40 * 24 * time.Hour))
			},
		},
		{
			name: "certificates expire within certificatesExpiryDays",
			kcp:  func(kcp *controlplanev1.KThreesControlPlane) { kcp.Spec.Rollout.Before.CertificatesExpiryDays = 30 },
			machine: func(m *clusterv1.Machine) {
				m.Annotations[clusterv1.MachineCertificatesExpiryDateAnnotation] = uptodateTestNow.Add(10 * 24 * time.Hour).Format(time.RFC3339)
			},
			wantReasons: []string{"Certificates expire at 2026-03-11T12:00:00Z, less than 30 days from now"},
		},
		{
			name: "certificates expire later",
			kcp:  func(kcp *controlplanev1.KThreesControlPlane) { kcp.Spec.Rollout.Before.CertificatesExpiryDays = 30 },
			machine: func(m *clusterv1.Machine) {
				m.Annotations[clusterv1.MachineCertificatesExpiryDateAnnotation] = uptodateTestNow.Add(40 * 24 * time.Hour).Format(time.RFC3339)
			},
		},
		{
			name: "certificate expiry unparsable",
			kcp:  func(kcp *controlplanev1.KThreesControlPlane) { kcp.Spec.Rollout.Before.CertificatesExpiryDays = 30 },
			machine: func(m *clusterv1.Machine) {
				m.Annotations[clusterv1.MachineCertificatesExpiryDateAnnotation] = "tomorrow"
			},
		},
		{
			name: "certificate expiry not checked without certificatesExpiryDays",
			machine: func(m *clusterv1.Machine) {
				m.Annotations[clusterv1.MachineCertificatesExpiryDateAnnotation] = uptodateTestNow.Add(time.Hour).Format(time.RFC3339)
			},
		},
		{
			name: "several reasons",
			kcp: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.Version = "v1.35.0+k3s1"
				kcp.Spec.KThreesConfigSpec.AgentConfig.NodeLabels = []string{"a=b"}
				kcp.Spec.MachineTemplate.Spec.InfrastructureRef.Name = "cp-tpl-2"
			},
			wantReasons: []string{
				"Version v1.34.5+k3s1, v1.35.0+k3s1 required",
				"KThreesConfig differs from spec.kthreesConfigSpec in agentConfig",
				"InfraMachine template DockerMachineTemplate cp-tpl, DockerMachineTemplate cp-tpl-2 required",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := uptodateTestKCP()
			if tt.kcp != nil {
				tt.kcp(kcp)
			}
			m := uptodateTestUpstreamMachine()
			if tt.machine != nil {
				tt.machine(m)
			}
			config := uptodateTestUpstreamConfig()
			if tt.config != nil {
				config = tt.config(config)
			}
			infra := uptodateTestInfraMachine(uptodateTestUpstreamInfraAnnotations())
			if tt.infra != nil {
				infra = tt.infra(uptodateTestUpstreamInfraAnnotations())
			}
			cp := &controlPlane{
				KCP:           kcp,
				InfraMachines: map[string]*unstructured.Unstructured{},
				Configs:       map[string]*bootstrapv1.KThreesConfig{},
				reconcileTime: uptodateTestNow,
			}
			if config != nil {
				cp.Configs[m.Name] = config
			}
			if infra != nil {
				cp.InfraMachines[m.Name] = infra
			}
			kcpBefore, configBefore := kcp.DeepCopy(), config.DeepCopy()

			got := machineUpToDate(cp, m)
			g.Expect(got.Reasons).To(Equal(tt.wantReasons))
			g.Expect(got.UpToDate).To(Equal(len(tt.wantReasons) == 0))
			// The comparison normalizes copies only.
			g.Expect(kcp).To(Equal(kcpBefore))
			g.Expect(config).To(Equal(configBefore))
		})
	}
}

func TestUpToDateKThreesConfigSpecDiff(t *testing.T) {
	tests := []struct {
		name    string
		desired bootstrapv1.KThreesConfigSpec
		actual  bootstrapv1.KThreesConfigSpec
		want    []string
	}{
		{name: "empty specs", want: nil},
		{name: "version ignored", desired: bootstrapv1.KThreesConfigSpec{Version: "v1"}, actual: bootstrapv1.KThreesConfigSpec{Version: "v2"}},
		{
			name:    "nil and empty lists",
			desired: bootstrapv1.KThreesConfigSpec{Files: []bootstrapv1.File{}, ServerConfig: bootstrapv1.KThreesServerConfig{TLSSan: []string{}}},
		},
		{
			name:    "explicit non-default cloud settings differ",
			desired: bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{DisableCloudController: ptr.To(false)}},
			want:    []string{"serverConfig"},
		},
		{
			name:    "etcd proxy image resolved with the registry",
			desired: bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{SystemDefaultRegistry: "reg.example.com"}},
			actual: bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{
				SystemDefaultRegistry: "reg.example.com", EtcdProxyImage: "reg.example.com/alpine/socat:1.8.0.0",
			}},
		},
		{
			name:    "post commands differ",
			desired: bootstrapv1.KThreesConfigSpec{PostK3sCommands: []string{"a"}},
			want:    []string{"postK3sCommands"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(kthreesConfigSpecDiff(&tt.desired, &tt.actual)).To(Equal(tt.want))
			g.Expect(kthreesConfigSpecDiff(&tt.actual, &tt.desired)).To(Equal(tt.want))
		})
	}
}
