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
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/yaml"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

// defaultAPIServerArgs are the arguments appended to kube-apiserver-arg when the user sets neither key.
var defaultAPIServerArgs = []string{AnonymousAuthArg, TLSCipherSuitesArg}

// configInput returns a NodeInput for role with a token and a control plane endpoint.
func configInput(role Role, spec bootstrapv1.KThreesConfigSpec) NodeInput {
	return NodeInput{
		Role:                 role,
		Spec:                 spec,
		Token:                "token-value",
		ControlPlaneEndpoint: clusterv1.APIEndpoint{Host: "cp.example.com", Port: 6443},
	}
}

func TestNodeConfig_roles(t *testing.T) {
	tests := []struct {
		name string
		role Role
		want *Config
	}{
		{
			name: "init server: cluster-init, no server, endpoint SAN, defaults appended",
			role: RoleInitServer,
			want: &Config{
				Token: "token-value", ClusterInit: true, TLSSan: []string{"cp.example.com"},
				DisableCloudController: true, KubeAPIServerArgs: defaultAPIServerArgs,
				KubeControllerManagerArgs: []string{"cloud-provider=external"},
				KubeletArgs:               []string{"cloud-provider=external"},
			},
		},
		{
			name: "join server: server URL, no cluster-init",
			role: RoleJoinServer,
			want: &Config{
				Token: "token-value", Server: "https://cp.example.com:6443", TLSSan: []string{"cp.example.com"},
				DisableCloudController: true, KubeAPIServerArgs: defaultAPIServerArgs,
				KubeControllerManagerArgs: []string{"cloud-provider=external"},
				KubeletArgs:               []string{"cloud-provider=external"},
			},
		},
		{
			name: "agent: server URL, token and kubelet cloud-provider only",
			role: RoleAgent,
			want: &Config{
				Token: "token-value", Server: "https://cp.example.com:6443",
				KubeletArgs: []string{"cloud-provider=external"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := NodeConfig(configInput(tt.role, bootstrapv1.KThreesConfigSpec{}))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}

func TestNodeConfig_keys(t *testing.T) {
	agentConfig := bootstrapv1.KThreesAgentConfig{
		NodeLabels:      []string{"tier=edge"},
		NodeTaints:      []string{"dedicated=edge:NoSchedule"},
		PrivateRegistry: "/etc/rancher/k3s/registries.yaml",
		KubeletArgs:     []string{"max-pods=250", "--cpu-manager-policy=static"},
		KubeProxyArgs:   []string{"proxy-mode=ipvs"},
		NodeName:        "{{ ds.meta_data.local_hostname }}",
	}
	serverConfig := bootstrapv1.KThreesServerConfig{
		KubeAPIServerArgs:         []string{"audit-log-maxage=30"},
		KubeControllerManagerArgs: []string{"node-monitor-period=5s"},
		KubeSchedulerArgs:         []string{"v=2"},
		TLSSan:                    []string{"api.example.com"},
		BindAddress:               "0.0.0.0",
		HTTPSListenPort:           "6443",
		AdvertiseAddress:          "10.0.0.10",
		AdvertisePort:             "6443",
		ClusterCidr:               "10.42.0.0/16",
		ServiceCidr:               "10.43.0.0/16",
		ClusterDNS:                "10.43.0.10",
		ClusterDomain:             "cluster.local",
		DisableComponents:         []string{"traefik", "etcd-proxy"},
		DisableCloudController:    ptr.To(true),
		CloudProviderName:         ptr.To("aws"),
		SystemDefaultRegistry:     "registry.example.com",
		EtcdProxyImage:            "registry.example.com/socat:1",
	}
	spec := bootstrapv1.KThreesConfigSpec{AgentConfig: agentConfig, ServerConfig: serverConfig}
	agentKeys := Config{
		Token:           "token-value",
		NodeName:        "{{ ds.meta_data.local_hostname }}",
		NodeLabels:      []string{"tier=edge"},
		NodeTaints:      []string{"dedicated=edge:NoSchedule"},
		PrivateRegistry: "/etc/rancher/k3s/registries.yaml",
		KubeletArgs:     []string{"max-pods=250", "--cpu-manager-policy=static", "cloud-provider=aws"},
		KubeProxyArgs:   []string{"proxy-mode=ipvs"},
	}

	t.Run("server gets every server and agent key", func(t *testing.T) {
		g := NewWithT(t)
		got, err := ServerConfig(configInput(RoleJoinServer, spec))
		g.Expect(err).NotTo(HaveOccurred())
		want := agentKeys
		want.Server = "https://cp.example.com:6443"
		want.TLSSan = []string{"api.example.com", "cp.example.com"}
		want.BindAddress = "0.0.0.0"
		want.HTTPSListenPort = "6443"
		want.AdvertiseAddress = "10.0.0.10"
		want.AdvertisePort = "6443"
		want.ClusterCIDR = "10.42.0.0/16"
		want.ServiceCIDR = "10.43.0.0/16"
		want.ClusterDNS = "10.43.0.10"
		want.ClusterDomain = "cluster.local"
		want.Disable = []string{"traefik", "etcd-proxy"}
		want.DisableCloudController = true
		want.SystemDefaultRegistry = "registry.example.com"
		want.KubeAPIServerArgs = append([]string{"audit-log-maxage=30"}, defaultAPIServerArgs...)
		want.KubeControllerManagerArgs = []string{"node-monitor-period=5s", "cloud-provider=aws"}
		want.KubeSchedulerArgs = []string{"v=2"}
		g.Expect(got).To(Equal(&want))
	})

	t.Run("agent gets the agent keys only", func(t *testing.T) {
		g := NewWithT(t)
		got, err := AgentConfig(configInput(RoleAgent, spec))
		g.Expect(err).NotTo(HaveOccurred())
		want := agentKeys
		want.Server = "https://cp.example.com:6443"
		g.Expect(got).To(Equal(&want))
	})

	t.Run("the spec is not modified", func(t *testing.T) {
		g := NewWithT(t)
		in := configInput(RoleInitServer, spec)
		_, err := NodeConfig(in)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(in.Spec.ServerConfig.TLSSan).To(Equal([]string{"api.example.com"}))
		g.Expect(in.Spec.AgentConfig.KubeletArgs).To(Equal([]string{"max-pods=250", "--cpu-manager-policy=static"}))
		g.Expect(in.Spec.ServerConfig.KubeAPIServerArgs).To(Equal([]string{"audit-log-maxage=30"}))
	})
}

func TestNodeConfig_apiServerArgs(t *testing.T) {
	tests := []struct {
		name string
		user []string
		want []string
	}{
		{name: "none set: both appended", want: defaultAPIServerArgs},
		{name: "anonymous-auth set: only the cipher suites appended",
			user: []string{"anonymous-auth=false"},
			want: []string{"anonymous-auth=false", TLSCipherSuitesArg}},
		{name: "--anonymous-auth set: same key",
			user: []string{"--anonymous-auth=false"},
			want: []string{"--anonymous-auth=false", TLSCipherSuitesArg}},
		{name: "tls-cipher-suites set: only anonymous-auth appended",
			user: []string{"--tls-cipher-suites=TLS_AES_128_GCM_SHA256"},
			want: []string{"--tls-cipher-suites=TLS_AES_128_GCM_SHA256", AnonymousAuthArg}},
		{name: "both set: nothing appended",
			user: []string{"tls-cipher-suites=TLS_AES_128_GCM_SHA256", "admission-control-config-file=/psa.yaml",
				"anonymous-auth=false"},
			want: []string{"tls-cipher-suites=TLS_AES_128_GCM_SHA256", "admission-control-config-file=/psa.yaml",
				"anonymous-auth=false"}},
		{name: "a key that only starts the same is another key",
			user: []string{"anonymous-auth-mode=x", "tls-cipher-suites-v2=y"},
			want: []string{"anonymous-auth-mode=x", "tls-cipher-suites-v2=y", AnonymousAuthArg, TLSCipherSuitesArg}},
		{name: "a value that mentions the key does not count",
			user: []string{"feature-gates=anonymous-auth=true"},
			want: []string{"feature-gates=anonymous-auth=true", AnonymousAuthArg, TLSCipherSuitesArg}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			spec := bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{KubeAPIServerArgs: tt.user}}
			got, err := ServerConfig(configInput(RoleInitServer, spec))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got.KubeAPIServerArgs).To(Equal(tt.want))
		})
	}
}

func TestNodeConfig_cloudProvider(t *testing.T) {
	tests := []struct {
		name                   string
		cloudProviderName      *string
		disableCloudController *bool
		wantKubelet            []string
		wantKCM                []string
		wantDisableCC          bool
	}{
		{name: "nil means external, disable-cloud-controller nil means true",
			wantKubelet: []string{"cloud-provider=external"}, wantKCM: []string{"cloud-provider=external"},
			wantDisableCC: true},
		{name: "empty name: no cloud-provider argument", cloudProviderName: ptr.To(""), disableCloudController: ptr.To(true),
			wantDisableCC: true},
		{name: "custom name", cloudProviderName: ptr.To("openstack"),
			wantKubelet: []string{"cloud-provider=openstack"}, wantKCM: []string{"cloud-provider=openstack"},
			wantDisableCC: true},
		{name: "cloud controller enabled: key omitted", cloudProviderName: ptr.To(""), disableCloudController: ptr.To(false)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			spec := bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{
				CloudProviderName: tt.cloudProviderName, DisableCloudController: tt.disableCloudController}}
			server, err := ServerConfig(configInput(RoleJoinServer, spec))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(server.KubeletArgs).To(Equal(tt.wantKubelet))
			g.Expect(server.KubeControllerManagerArgs).To(Equal(tt.wantKCM))
			g.Expect(server.DisableCloudController).To(Equal(tt.wantDisableCC))

			agent, err := AgentConfig(configInput(RoleAgent, spec))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(agent.KubeletArgs).To(Equal(tt.wantKubelet))
			g.Expect(agent.KubeControllerManagerArgs).To(BeNil())
			g.Expect(agent.DisableCloudController).To(BeFalse())
		})
	}
}

func TestNodeConfig_endpoint(t *testing.T) {
	tests := []struct {
		name       string
		endpoint   clusterv1.APIEndpoint
		userSANs   []string
		wantServer string
		wantSANs   []string
	}{
		{name: "DNS name", endpoint: clusterv1.APIEndpoint{Host: "cp.example.com", Port: 6443},
			wantServer: "https://cp.example.com:6443", wantSANs: []string{"cp.example.com"}},
		{name: "IPv4", endpoint: clusterv1.APIEndpoint{Host: "10.0.0.1", Port: 443},
			wantServer: "https://10.0.0.1:443", wantSANs: []string{"10.0.0.1"}},
		{name: "IPv6 is bracketed in the URL, not in the SAN", endpoint: clusterv1.APIEndpoint{Host: "fd00:10::1", Port: 6443},
			wantServer: "https://[fd00:10::1]:6443", wantSANs: []string{"fd00:10::1"}},
		{name: "an already bracketed IPv6 host is not bracketed twice",
			endpoint:   clusterv1.APIEndpoint{Host: "[fd00:10::1]", Port: 6443},
			wantServer: "https://[fd00:10::1]:6443", wantSANs: []string{"fd00:10::1"}},
		{name: "a SAN already listed (other case) is not repeated",
			endpoint: clusterv1.APIEndpoint{Host: "cp.example.com", Port: 6443}, userSANs: []string{"CP.Example.com"},
			wantServer: "https://cp.example.com:6443", wantSANs: []string{"CP.Example.com"}},
		{name: "an IP already listed (other notation) is not repeated",
			endpoint: clusterv1.APIEndpoint{Host: "fd00:10::1", Port: 6443}, userSANs: []string{"fd00:10:0:0::1"},
			wantServer: "https://[fd00:10::1]:6443", wantSANs: []string{"fd00:10:0:0::1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			in := configInput(RoleJoinServer, bootstrapv1.KThreesConfigSpec{
				ServerConfig: bootstrapv1.KThreesServerConfig{TLSSan: tt.userSANs}})
			in.ControlPlaneEndpoint = tt.endpoint
			got, err := ServerConfig(in)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got.Server).To(Equal(tt.wantServer))
			g.Expect(got.TLSSan).To(Equal(tt.wantSANs))
		})
	}

	t.Run("init server without an endpoint host: no SAN appended", func(t *testing.T) {
		g := NewWithT(t)
		in := configInput(RoleInitServer, bootstrapv1.KThreesConfigSpec{})
		in.ControlPlaneEndpoint = clusterv1.APIEndpoint{}
		got, err := ServerConfig(in)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got.TLSSan).To(BeEmpty())
		g.Expect(got.Server).To(BeEmpty())
	})
}

func TestNodeConfig_errors(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*NodeInput)
		call    func(NodeInput) (*Config, error)
		wantErr string
	}{
		{name: "unknown role", mutate: func(in *NodeInput) { in.Role = "worker" }, call: NodeConfig,
			wantErr: `unknown node role "worker"`},
		{name: "server config for an agent", mutate: func(in *NodeInput) { in.Role = RoleAgent }, call: ServerConfig,
			wantErr: "server config requested"},
		{name: "agent config for a server", call: AgentConfig, wantErr: "agent config requested"},
		{name: "no token", mutate: func(in *NodeInput) { in.Token = "" }, call: NodeConfig, wantErr: "token"},
		{name: "joiner without endpoint host", mutate: func(in *NodeInput) { in.ControlPlaneEndpoint.Host = "" },
			call: NodeConfig, wantErr: "host must be set"},
		{name: "joiner without endpoint port", mutate: func(in *NodeInput) { in.ControlPlaneEndpoint.Port = 0 },
			call: NodeConfig, wantErr: "port 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			in := configInput(RoleJoinServer, bootstrapv1.KThreesConfigSpec{})
			if tt.mutate != nil {
				tt.mutate(&in)
			}
			_, err := tt.call(in)
			g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
		})
	}
}

func TestConfig_Marshal(t *testing.T) {
	g := NewWithT(t)
	c := &Config{
		Token:       "a'b\"c: d",
		Server:      "https://[fd00::1]:6443",
		NodeName:    "{{ ds.meta_data.local_hostname }}",
		ClusterInit: true,
		Disable:     []string{"yes"},
		KubeletArgs: []string{"cloud-provider=external"},
	}
	out, err := c.Marshal()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(out)).To(Equal(`cluster-init: true
disable:
- "yes"
kubelet-arg:
- cloud-provider=external
node-name: '{{ ds.meta_data.local_hostname }}'
server: https://[fd00::1]:6443
token: 'a''b"c: d'
`))
	var back Config
	g.Expect(yaml.UnmarshalStrict(out, &back)).To(Succeed())
	g.Expect(&back).To(Equal(c))

	empty, err := (&Config{}).Marshal()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(empty)).To(Equal("{}\n"))
}

func TestServerURL(t *testing.T) {
	g := NewWithT(t)
	g.Expect(ServerURL("fd00::1", 6443)).To(Equal("https://[fd00::1]:6443"))
	g.Expect(ServerURL("cp", 443)).To(Equal("https://cp:443"))
	_, err := ServerURL("cp", 70000)
	g.Expect(err).To(HaveOccurred())
}
