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

package k3sconfig

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation/field"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

func Test_ValidateKThreesConfigSpec(t *testing.T) {
	tests := []struct {
		name string
		spec *bootstrapv1.KThreesConfigSpec
		// wantErrs lists, in order, the beginning of each expected error message, which starts with the field path.
		wantErrs []string
	}{
		{name: "nil spec", spec: nil},
		{name: "empty spec", spec: &bootstrapv1.KThreesConfigSpec{}},
		{
			name: "fully valid spec",
			spec: &bootstrapv1.KThreesConfigSpec{
				Version: "v1.34.5+k3s1",
				Files: []bootstrapv1.File{
					{Path: "/etc/a", Content: "a", Owner: "root:root", Permissions: "0640"},
					{Path: "/etc/b", Owner: "1000:1000", Permissions: "644", ContentFrom: &bootstrapv1.FileSource{
						Secret: bootstrapv1.SecretFileSource{Name: "s", Key: "k"},
					}},
					{Path: "/usr/local/bin/c", Owner: "nobody", Permissions: "4755"},
					{Path: "/etc/d", Owner: "systemd-network:_ssh"},
				},
				ServerConfig: bootstrapv1.KThreesServerConfig{
					KubeAPIServerArgs:         []string{"anonymous-auth=true", "--feature-gates=A=true,B=false"},
					KubeControllerManagerArgs: []string{"node-cidr-mask-size=24"},
					KubeSchedulerArgs:         []string{"v=2"},
					TLSSan:                    []string{"10.0.0.1", "fd00::1", "api.example.com", "*.example.com", "API.Example.com", "localhost"},
					HTTPSListenPort:           "6443",
					AdvertisePort:             "65535",
					ClusterCidr:               "10.42.0.0/16,fd00:42::/56",
					ServiceCidr:               "10.43.0.0/16",
					ClusterDNS:                "10.43.0.10, fd00:43::a",
					ClusterDomain:             "cluster.local",
				},
				AgentConfig: bootstrapv1.KThreesAgentConfig{
					KubeletArgs:                []string{"--max-pods=250", "kube-reserved=cpu=100m"},
					KubeProxyArgs:              []string{"metrics-bind-address=0.0.0.0"},
					AirGappedInstallScriptPath: "/opt/k3s/install.sh",
					NodeName:                   "edge-1.example.com",
					NodeLabels:                 []string{"a=b", "example.com/zone=", "topology.kubernetes.io/zone={{ ds.meta_data.availability_zone }}"},
					NodeTaints:                 []string{"dedicated=edge:NoSchedule", "gpu:NoExecute", "k={{ v1.local_hostname }}:PreferNoSchedule"},
					PrivateRegistry:            "/etc/rancher/k3s/registries.yaml",
				},
			},
		},
		{
			name: "jinja node name with ignition",
			spec: &bootstrapv1.KThreesConfigSpec{Format: bootstrapv1.Ignition,
				AgentConfig: bootstrapv1.KThreesAgentConfig{NodeName: "{{ ds.meta_data.local_hostname }}"}},
			wantErrs: []string{`spec.agentConfig.nodeName: Invalid value: "{{ ds.meta_data.local_hostname }}": jinja expressions are rendered only with format cloud-config`},
		},
		{
			name: "jinja node name with cloud-config",
			spec: &bootstrapv1.KThreesConfigSpec{Format: bootstrapv1.CloudConfig,
				AgentConfig: bootstrapv1.KThreesAgentConfig{NodeName: "{{ ds.meta_data.local_hostname }}"}},
		},
		{
			name: "literal node name with ignition",
			spec: &bootstrapv1.KThreesConfigSpec{Format: bootstrapv1.Ignition, AgentConfig: bootstrapv1.KThreesAgentConfig{NodeName: "edge-1"}},
		},
		{
			name:     "version format",
			spec:     &bootstrapv1.KThreesConfigSpec{Version: "v1.34.5"},
			wantErrs: []string{`spec.version: Invalid value: "v1.34.5"`},
		},
		{
			name:     "file path required",
			spec:     &bootstrapv1.KThreesConfigSpec{Files: []bootstrapv1.File{{Content: "x"}}},
			wantErrs: []string{"spec.files[0].path: Required value"},
		},
		{
			name:     "file path absolute",
			spec:     &bootstrapv1.KThreesConfigSpec{Files: []bootstrapv1.File{{Path: "etc/a"}}},
			wantErrs: []string{`spec.files[0].path: Invalid value: "etc/a": must be an absolute path`},
		},
		{
			name: "file path unique",
			spec: &bootstrapv1.KThreesConfigSpec{Files: []bootstrapv1.File{
				{Path: "/etc/a"}, {Path: "/etc/b"}, {Path: "/etc//a"},
			}},
			wantErrs: []string{`spec.files[2].path: Duplicate value: "/etc//a"`},
		},
		{
			name: "file content and contentFrom exclusive",
			spec: &bootstrapv1.KThreesConfigSpec{Files: []bootstrapv1.File{{
				Path: "/etc/a", Content: "x",
				ContentFrom: &bootstrapv1.FileSource{Secret: bootstrapv1.SecretFileSource{Name: "s", Key: "k"}},
			}}},
			wantErrs: []string{"spec.files[0].contentFrom: Forbidden: content and contentFrom are mutually exclusive"},
		},
		{
			name: "file owner",
			spec: &bootstrapv1.KThreesConfigSpec{Files: []bootstrapv1.File{
				{Path: "/etc/a", Owner: "root:root:root"}, {Path: "/etc/b", Owner: "1root"}, {Path: "/etc/c", Owner: "root:"},
			}},
			wantErrs: []string{
				`spec.files[0].owner: Invalid value: "root:root:root"`,
				`spec.files[1].owner: Invalid value: "1root"`,
				`spec.files[2].owner: Invalid value: "root:"`,
			},
		},
		{
			name: "file permissions",
			spec: &bootstrapv1.KThreesConfigSpec{Files: []bootstrapv1.File{
				{Path: "/etc/a", Permissions: "0800"}, {Path: "/etc/b", Permissions: "rw-r--r--"},
				{Path: "/etc/c", Permissions: "64"}, {Path: "/etc/d", Permissions: "00644"},
			}},
			wantErrs: []string{
				`spec.files[0].permissions: Invalid value: "0800"`,
				`spec.files[1].permissions: Invalid value: "rw-r--r--"`,
				`spec.files[2].permissions: Invalid value: "64"`,
				`spec.files[3].permissions: Invalid value: "00644"`,
			},
		},
		{
			name: "file contentFrom secret name and key",
			spec: &bootstrapv1.KThreesConfigSpec{Files: []bootstrapv1.File{{
				Path: "/etc/a", ContentFrom: &bootstrapv1.FileSource{},
			}}},
			wantErrs: []string{
				"spec.files[0].contentFrom.secret.name: Required value",
				"spec.files[0].contentFrom.secret.key: Required value",
			},
		},
		{
			name: "file contentFrom secret name and key that cannot be",
			spec: &bootstrapv1.KThreesConfigSpec{Files: []bootstrapv1.File{{
				Path: "/etc/a", ContentFrom: &bootstrapv1.FileSource{Secret: bootstrapv1.SecretFileSource{Name: "{{ bad", Key: strings.Repeat("é", 1000)}},
			}}},
			wantErrs: []string{
				`spec.files[0].contentFrom.secret.name: Invalid value: "{{ bad": must be a Secret name: `,
				`spec.files[0].contentFrom.secret.key: Invalid value: "éééé`,
			},
		},
		{
			name:     "nodeName that is not a Node name",
			spec:     &bootstrapv1.KThreesConfigSpec{AgentConfig: bootstrapv1.KThreesAgentConfig{NodeName: "../../etc/passwd"}},
			wantErrs: []string{`spec.agentConfig.nodeName: Invalid value: "../../etc/passwd": must be a Node name (lowercase RFC 1123 subdomain)`},
		},
		{
			name: "nodeLabels",
			spec: &bootstrapv1.KThreesConfigSpec{AgentConfig: bootstrapv1.KThreesAgentConfig{NodeLabels: []string{"65536", "a b=c", "a=b c"}}},
			wantErrs: []string{
				`spec.agentConfig.nodeLabels[0]: Invalid value: "65536": must be key=value`,
				`spec.agentConfig.nodeLabels[1]: Invalid value: "a b=c": the key must be a label key`,
				`spec.agentConfig.nodeLabels[2]: Invalid value: "a=b c": the value must be a label value`,
			},
		},
		{
			name: "nodeTaints",
			spec: &bootstrapv1.KThreesConfigSpec{AgentConfig: bootstrapv1.KThreesAgentConfig{NodeTaints: []string{"nocolon", "k=v:Sometimes", "a b:NoSchedule"}}},
			wantErrs: []string{
				`spec.agentConfig.nodeTaints[0]: Invalid value: "nocolon": must be key[=value]:effect with effect NoSchedule, PreferNoSchedule, NoExecute`,
				`spec.agentConfig.nodeTaints[1]: Invalid value: "k=v:Sometimes": the effect must be one of NoSchedule, PreferNoSchedule, NoExecute`,
				`spec.agentConfig.nodeTaints[2]: Invalid value: "a b:NoSchedule": the key must be a label key`,
			},
		},
		{
			name:     "privateRegistry relative",
			spec:     &bootstrapv1.KThreesConfigSpec{AgentConfig: bootstrapv1.KThreesAgentConfig{PrivateRegistry: "v1.2.3"}},
			wantErrs: []string{`spec.agentConfig.privateRegistry: Invalid value: "v1.2.3": must be the absolute path of K3s's registries.yaml`},
		},
		{
			name:     "httpsListenPort",
			spec:     &bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{HTTPSListenPort: "65536"}},
			wantErrs: []string{`spec.serverConfig.httpsListenPort: Invalid value: "65536"`},
		},
		{
			name:     "advertisePort",
			spec:     &bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{AdvertisePort: "0"}},
			wantErrs: []string{`spec.serverConfig.advertisePort: Invalid value: "0"`},
		},
		{
			name: "tlsSan",
			spec: &bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{
				TLSSan: []string{"ok.example.com", "not valid", "", "a.*.example.com", "10.0.0.1/32"},
			}},
			wantErrs: []string{
				`spec.serverConfig.tlsSan[1]: Invalid value: "not valid"`,
				`spec.serverConfig.tlsSan[2]: Invalid value: ""`,
				`spec.serverConfig.tlsSan[3]: Invalid value: "a.*.example.com"`,
				`spec.serverConfig.tlsSan[4]: Invalid value: "10.0.0.1/32"`,
			},
		},
		{
			name: "kubeAPIServerArgs",
			spec: &bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{
				KubeAPIServerArgs: []string{"ok=1", "anonymous-auth"},
			}},
			wantErrs: []string{`spec.serverConfig.kubeAPIServerArgs[1]: Invalid value: "anonymous-auth"`},
		},
		{
			name: "kubeControllerManagerArgs",
			spec: &bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{
				KubeControllerManagerArgs: []string{"=value"},
			}},
			wantErrs: []string{`spec.serverConfig.kubeControllerManagerArgs[0]: Invalid value: "=value"`},
		},
		{
			name: "kubeSchedulerArgs",
			spec: &bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{
				KubeSchedulerArgs: []string{"bad key=1"},
			}},
			wantErrs: []string{`spec.serverConfig.kubeSchedulerArgs[0]: Invalid value: "bad key=1"`},
		},
		{
			name: "kubeletArgs",
			spec: &bootstrapv1.KThreesConfigSpec{AgentConfig: bootstrapv1.KThreesAgentConfig{
				KubeletArgs: []string{"--=250"},
			}},
			wantErrs: []string{`spec.agentConfig.kubeletArgs[0]: Invalid value: "--=250"`},
		},
		{
			name: "kubeProxyArgs",
			spec: &bootstrapv1.KThreesConfigSpec{AgentConfig: bootstrapv1.KThreesAgentConfig{
				KubeProxyArgs: []string{""},
			}},
			wantErrs: []string{`spec.agentConfig.kubeProxyArgs[0]: Invalid value: ""`},
		},
		{
			name: "airGappedInstallScriptPath",
			spec: &bootstrapv1.KThreesConfigSpec{AgentConfig: bootstrapv1.KThreesAgentConfig{
				AirGapped: true, AirGappedInstallScriptPath: "install.sh",
			}},
			wantErrs: []string{`spec.agentConfig.airGappedInstallScriptPath: Invalid value: "install.sh"`},
		},
		{
			name: "clusterCidr",
			spec: &bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{
				ClusterCidr: "10.42.0.0/16,10.42.0.0",
			}},
			wantErrs: []string{`spec.serverConfig.clusterCidr: Invalid value: "10.42.0.0/16,10.42.0.0": "10.42.0.0" is not a valid CIDR`},
		},
		{
			name: "clusterCidr one per family",
			spec: &bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{
				ClusterCidr: "10.42.0.0/16,10.44.0.0/16",
			}},
			wantErrs: []string{`spec.serverConfig.clusterCidr: Invalid value: "10.42.0.0/16,10.44.0.0/16": must hold at most one IPv4`},
		},
		{
			name: "serviceCidr",
			spec: &bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{
				ServiceCidr: "10.43.0.0/16,",
			}},
			wantErrs: []string{`spec.serverConfig.serviceCidr: Invalid value: "10.43.0.0/16,": "" is not a valid CIDR`},
		},
		{
			name: "clusterDNS",
			spec: &bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{
				ClusterDNS: "10.43.0.10,10.43.0.300",
			}},
			wantErrs: []string{`spec.serverConfig.clusterDNS: Invalid value: "10.43.0.10,10.43.0.300": "10.43.0.300" is not a valid IP`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			errs := ValidateKThreesConfigSpec(tt.spec, field.NewPath("spec"))
			g.Expect(errs).To(HaveLen(len(tt.wantErrs)), "errors: %v", errs)
			for i, want := range tt.wantErrs {
				g.Expect(errs[i].Error()).To(HavePrefix(want))
			}
		})
	}

	t.Run("errors are named below the given path", func(t *testing.T) {
		g := NewWithT(t)
		spec := &bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{TLSSan: []string{"bad san"}}}
		errs := ValidateKThreesConfigSpec(spec, field.NewPath("spec", "kthreesConfigSpec"))
		g.Expect(errs).To(HaveLen(1))
		g.Expect(errs[0].Field).To(Equal("spec.kthreesConfigSpec.serverConfig.tlsSan[0]"))
	})
}
