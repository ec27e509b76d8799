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
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

// ConfigPath is the K3s configuration file written on every node; K3s and its installer read it on start.
const ConfigPath = "/etc/rancher/k3s/config.yaml"

// Arguments the provider appends to kube-apiserver-arg unless the user sets the same key (upstream always
// appended them, issue k3s-io/cluster-api-k3s#176).
const (
	// AnonymousAuthArg keeps anonymous requests to the API server allowed (health checks use them).
	AnonymousAuthArg = "anonymous-auth=true"
	// TLSCipherSuitesArg restricts the API server's TLS 1.2 cipher suites.
	TLSCipherSuitesArg = "tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384," +
		"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256," +
		"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305," +
		"TLS_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_256_GCM_SHA384"
)

// Config is the content of /etc/rancher/k3s/config.yaml. Each field is one K3s flag; unset fields are left
// out, and the keys are written in alphabetical order.
type Config struct {
	// Agent keys, written on every node.

	// Server is the URL of the supervisor/API server a joining node registers with.
	Server string `json:"server,omitempty"`
	// Token is the cluster's shared secret.
	Token string `json:"token,omitempty"`
	// NodeName is the node's name; cloud-init jinja such as {{ ds.meta_data.local_hostname }} is allowed.
	NodeName string `json:"node-name,omitempty"`
	// NodeLabels are the labels the kubelet registers the node with.
	NodeLabels []string `json:"node-label,omitempty"`
	// NodeTaints are the taints the kubelet registers the node with.
	NodeTaints []string `json:"node-taint,omitempty"`
	// PrivateRegistry is the path of the registries configuration file.
	PrivateRegistry string `json:"private-registry,omitempty"`
	// KubeletArgs are extra kubelet arguments.
	KubeletArgs []string `json:"kubelet-arg,omitempty"`
	// KubeProxyArgs are extra kube-proxy arguments.
	KubeProxyArgs []string `json:"kube-proxy-arg,omitempty"`

	// Server keys, written on servers only.

	// ClusterInit starts a new embedded etcd cluster; only the first server sets it.
	ClusterInit bool `json:"cluster-init,omitempty"`
	// TLSSan are extra subject alternative names of the serving certificate.
	TLSSan []string `json:"tls-san,omitempty"`
	// BindAddress is the address K3s binds to.
	BindAddress string `json:"bind-address,omitempty"`
	// HTTPSListenPort is the HTTPS listen port.
	HTTPSListenPort string `json:"https-listen-port,omitempty"`
	// AdvertiseAddress is the address the API server advertises.
	AdvertiseAddress string `json:"advertise-address,omitempty"`
	// AdvertisePort is the port the API server advertises.
	AdvertisePort string `json:"advertise-port,omitempty"`
	// ClusterCIDR is the pod network CIDR.
	ClusterCIDR string `json:"cluster-cidr,omitempty"`
	// ServiceCIDR is the service network CIDR.
	ServiceCIDR string `json:"service-cidr,omitempty"`
	// ClusterDNS is the cluster IP of the DNS service.
	ClusterDNS string `json:"cluster-dns,omitempty"`
	// ClusterDomain is the cluster domain.
	ClusterDomain string `json:"cluster-domain,omitempty"`
	// Disable lists the packaged components K3s does not deploy.
	Disable []string `json:"disable,omitempty"`
	// DisableCloudController disables the K3s cloud controller manager.
	DisableCloudController bool `json:"disable-cloud-controller,omitempty"`
	// SystemDefaultRegistry is the registry of all K3s system images.
	SystemDefaultRegistry string `json:"system-default-registry,omitempty"`
	// KubeAPIServerArgs are extra kube-apiserver arguments.
	KubeAPIServerArgs []string `json:"kube-apiserver-arg,omitempty"`
	// KubeControllerManagerArgs are extra kube-controller-manager arguments.
	KubeControllerManagerArgs []string `json:"kube-controller-manager-arg,omitempty"`
	// KubeSchedulerArgs are extra kube-scheduler arguments.
	KubeSchedulerArgs []string `json:"kube-scheduler-arg,omitempty"`
}

// Marshal returns c as YAML, keys in alphabetical order.
func (c *Config) Marshal() ([]byte, error) {
	out, err := yaml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", ConfigPath, err)
	}
	return out, nil
}

// ServerConfig returns the config.yaml of a server: in.Role must be RoleInitServer (cluster-init: true, no
// server) or RoleJoinServer (server: the control plane endpoint).
func ServerConfig(in NodeInput) (*Config, error) {
	if in.Role != RoleInitServer && in.Role != RoleJoinServer {
		return nil, fmt.Errorf("server config requested for role %q", in.Role)
	}
	c, err := agentKeys(in)
	if err != nil {
		return nil, err
	}
	sc := &in.Spec.ServerConfig
	c.ClusterInit = in.Role == RoleInitServer
	c.TLSSan = appendSAN(slices.Clone(sc.TLSSan), in.ControlPlaneEndpoint.Host)
	c.BindAddress = sc.BindAddress
	c.HTTPSListenPort = sc.HTTPSListenPort
	c.AdvertiseAddress = sc.AdvertiseAddress
	c.AdvertisePort = sc.AdvertisePort
	c.ClusterCIDR = sc.ClusterCidr
	c.ServiceCIDR = sc.ServiceCidr
	c.ClusterDNS = sc.ClusterDNS
	c.ClusterDomain = sc.ClusterDomain
	c.Disable = slices.Clone(sc.DisableComponents)
	c.DisableCloudController = disableCloudController(sc)
	c.SystemDefaultRegistry = sc.SystemDefaultRegistry
	c.KubeAPIServerArgs = apiServerArgs(sc.KubeAPIServerArgs)
	c.KubeControllerManagerArgs = slices.Clone(sc.KubeControllerManagerArgs)
	if name := cloudProviderName(sc); name != "" {
		c.KubeControllerManagerArgs = append(c.KubeControllerManagerArgs, "cloud-provider="+name)
	}
	c.KubeSchedulerArgs = slices.Clone(sc.KubeSchedulerArgs)
	return c, nil
}

// AgentConfig returns the config.yaml of an agent (worker): in.Role must be RoleAgent.
func AgentConfig(in NodeInput) (*Config, error) {
	if in.Role != RoleAgent {
		return nil, fmt.Errorf("agent config requested for role %q", in.Role)
	}
	return agentKeys(in)
}

// NodeConfig returns the config.yaml of the node described by in: ServerConfig for servers, AgentConfig for
// agents.
func NodeConfig(in NodeInput) (*Config, error) {
	switch in.Role {
	case RoleInitServer, RoleJoinServer:
		return ServerConfig(in)
	case RoleAgent:
		return AgentConfig(in)
	default:
		return nil, fmt.Errorf("unknown node role %q: must be %q, %q or %q",
			in.Role, RoleInitServer, RoleJoinServer, RoleAgent)
	}
}

// agentKeys returns the keys every node has: token, server (joining nodes), and the agentConfig keys.
func agentKeys(in NodeInput) (*Config, error) {
	if in.Token == "" {
		return nil, errors.New("token must not be empty")
	}
	ac := &in.Spec.AgentConfig
	c := &Config{
		Token:           in.Token,
		NodeName:        ac.NodeName,
		NodeLabels:      slices.Clone(ac.NodeLabels),
		NodeTaints:      slices.Clone(ac.NodeTaints),
		PrivateRegistry: ac.PrivateRegistry,
		KubeletArgs:     slices.Clone(ac.KubeletArgs),
		KubeProxyArgs:   slices.Clone(ac.KubeProxyArgs),
	}
	if name := cloudProviderName(&in.Spec.ServerConfig); name != "" {
		c.KubeletArgs = append(c.KubeletArgs, "cloud-provider="+name)
	}
	if in.Role != RoleInitServer {
		server, err := ServerURL(in.ControlPlaneEndpoint.Host, in.ControlPlaneEndpoint.Port)
		if err != nil {
			return nil, err
		}
		c.Server = server
	}
	return c, nil
}

// ServerURL returns the URL joining nodes register with: https://host:port, with an IPv6 host in brackets.
func ServerURL(host string, port int32) (string, error) {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" {
		return "", errors.New("the control plane endpoint host must be set for a joining node")
	}
	if port < 1 || port > 65535 {
		return "", fmt.Errorf("the control plane endpoint port %d must be from 1 to 65535", port)
	}
	return "https://" + net.JoinHostPort(host, strconv.Itoa(int(port))), nil
}

// appendSAN appends host to sans unless it is empty or already listed (DNS names compare case-insensitively,
// IP addresses by value).
func appendSAN(sans []string, host string) []string {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" {
		return sans
	}
	hostIP := net.ParseIP(host)
	for _, san := range sans {
		if strings.EqualFold(san, host) {
			return sans
		}
		if ip := net.ParseIP(san); ip != nil && hostIP != nil && ip.Equal(hostIP) {
			return sans
		}
	}
	return append(sans, host)
}

// apiServerArgs returns the user's kube-apiserver arguments followed by AnonymousAuthArg and TLSCipherSuitesArg,
// each only when the user does not set the same key (written key=value or --key=value).
func apiServerArgs(user []string) []string {
	args := slices.Clone(user)
	for _, def := range []string{AnonymousAuthArg, TLSCipherSuitesArg} {
		key, _, _ := strings.Cut(def, "=")
		if !hasArgKey(user, key) {
			args = append(args, def)
		}
	}
	return args
}

// hasArgKey reports whether one of args sets key, written key, key=value, --key or --key=value.
func hasArgKey(args []string, key string) bool {
	for _, arg := range args {
		k, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(arg), "--"), "=")
		if k == key {
			return true
		}
	}
	return false
}

// cloudProviderName returns the cloud-provider passed to the kubelet and controller manager: the configured
// name, "external" when unset (the webhook default), nothing when set to "".
func cloudProviderName(sc *bootstrapv1.KThreesServerConfig) string {
	if sc.CloudProviderName == nil {
		return bootstrapv1.DefaultCloudProviderName
	}
	return *sc.CloudProviderName
}

// disableCloudController returns whether the K3s cloud controller is disabled: the configured value, true when
// unset (the webhook default).
func disableCloudController(sc *bootstrapv1.KThreesServerConfig) bool {
	if sc.DisableCloudController == nil {
		return true
	}
	return *sc.DisableCloudController
}
