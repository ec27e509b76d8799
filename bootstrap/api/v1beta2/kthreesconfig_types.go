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

package v1beta2

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1beta1 "sigs.k8s.io/cluster-api/api/core/v1beta1"
)

// KThreesConfigSpec defines the desired K3s configuration of a node.
type KThreesConfigSpec struct {
	// Files lists extra files written to the node before K3s is installed.
	// +optional
	Files []File `json:"files,omitempty"`

	// PreK3sCommands are run before the K3s install command.
	// +optional
	PreK3sCommands []string `json:"preK3sCommands,omitempty"`

	// PostK3sCommands are run after the K3s install command.
	// +optional
	PostK3sCommands []string `json:"postK3sCommands,omitempty"`

	// AgentConfig holds the agent (kubelet) settings used by every node.
	// +optional
	AgentConfig KThreesAgentConfig `json:"agentConfig,omitempty"`

	// ServerConfig holds the server settings used by control-plane nodes.
	// +optional
	ServerConfig KThreesServerConfig `json:"serverConfig,omitempty"`

	// Version is the K3s release to install, e.g. v1.30.2+k3s2. Defaults to the owner Machine's version.
	// +optional
	Version string `json:"version,omitempty"`
}

// IsEtcdEmbedded reports whether the nodes use K3s's embedded etcd; it is the only supported datastore.
func (c *KThreesConfigSpec) IsEtcdEmbedded() bool {
	return true
}

// KThreesServerConfig holds the K3s server settings.
type KThreesServerConfig struct {
	// KubeAPIServerArgs are extra kube-apiserver arguments (K3s kube-apiserver-arg).
	// +optional
	KubeAPIServerArgs []string `json:"kubeAPIServerArg,omitempty"`

	// KubeControllerManagerArgs are extra kube-controller-manager arguments.
	// +optional
	KubeControllerManagerArgs []string `json:"kubeControllerManagerArgs,omitempty"`

	// KubeSchedulerArgs are extra kube-scheduler arguments.
	// +optional
	KubeSchedulerArgs []string `json:"kubeSchedulerArgs,omitempty"`

	// TLSSan lists extra hostnames or IPs added to the serving certificate.
	// +optional
	TLSSan []string `json:"tlsSan,omitempty"`

	// BindAddress is the K3s bind address (K3s default 0.0.0.0).
	// +optional
	BindAddress string `json:"bindAddress,omitempty"`

	// HTTPSListenPort is the HTTPS listen port (K3s default 6443).
	// +optional
	HTTPSListenPort string `json:"httpsListenPort,omitempty"`

	// AdvertiseAddress is the address the API server advertises to cluster members.
	// +optional
	AdvertiseAddress string `json:"advertiseAddress,omitempty"`

	// AdvertisePort is the port the API server advertises to cluster members.
	// +optional
	AdvertisePort string `json:"advertisePort,omitempty"`

	// ClusterCidr is the pod network CIDR (K3s default 10.42.0.0/16).
	// +optional
	ClusterCidr string `json:"clusterCidr,omitempty"`

	// ServiceCidr is the service network CIDR (K3s default 10.43.0.0/16).
	// +optional
	ServiceCidr string `json:"serviceCidr,omitempty"`

	// ClusterDNS is the cluster IP of the DNS service (K3s default 10.43.0.10).
	// +optional
	ClusterDNS string `json:"clusterDNS,omitempty"`

	// ClusterDomain is the cluster domain (K3s default cluster.local).
	// +optional
	ClusterDomain string `json:"clusterDomain,omitempty"`

	// DisableComponents lists packaged K3s components not to deploy (K3s disable), e.g. traefik.
	// +optional
	DisableComponents []string `json:"disableComponents,omitempty"`

	// DeprecatedDisableExternalCloudProvider is the v1beta1 switch for the external cloud provider. It is not used
	// for rendering; DisableCloudController and CloudProviderName are.
	// +optional
	DeprecatedDisableExternalCloudProvider bool `json:"disableExternalCloudProvider,omitempty"`

	// DisableCloudController disables the K3s cloud controller manager. Defaults to true.
	// +optional
	DisableCloudController *bool `json:"disableCloudController,omitempty"`

	// CloudProviderName is passed as cloud-provider to the kubelet and controller manager. Defaults to "external".
	// +optional
	CloudProviderName *string `json:"cloudProviderName,omitempty"`

	// SystemDefaultRegistry is the private registry used for all K3s system images.
	// +optional
	SystemDefaultRegistry string `json:"systemDefaultRegistry,omitempty"`

	// EtcdProxyImage is the image of the etcd proxy DaemonSet. Defaults to alpine/socat:1.8.0.0.
	// +optional
	EtcdProxyImage string `json:"etcdProxyImage,omitempty"`
}

// KThreesAgentConfig holds the K3s agent settings.
type KThreesAgentConfig struct {
	// NodeLabels are labels the kubelet registers the node with.
	// +optional
	NodeLabels []string `json:"nodeLabels,omitempty"`

	// NodeTaints are taints the kubelet registers the node with.
	// +optional
	NodeTaints []string `json:"nodeTaints,omitempty"`

	// PrivateRegistry is the path of the registries configuration file on the node.
	// +optional
	PrivateRegistry string `json:"privateRegistry,omitempty"`

	// KubeletArgs are extra kubelet arguments.
	// +optional
	KubeletArgs []string `json:"kubeletArgs,omitempty"`

	// KubeProxyArgs are extra kube-proxy arguments.
	// +optional
	KubeProxyArgs []string `json:"kubeProxyArgs,omitempty"`

	// NodeName is the name of the node.
	// +optional
	NodeName string `json:"nodeName,omitempty"`

	// AirGapped installs K3s from a script pre-staged on the node instead of downloading it.
	// +optional
	AirGapped bool `json:"airGapped,omitempty"`

	// AirGappedInstallScriptPath is the path of the pre-staged install script. Defaults to /opt/install.sh.
	// +optional
	AirGappedInstallScriptPath string `json:"airGappedInstallScriptPath,omitempty"`
}

// KThreesConfigStatus defines the observed state of KThreesConfig.
type KThreesConfigStatus struct {
	// Ready is true once the bootstrap data secret has been created.
	// +optional
	Ready bool `json:"ready,omitempty"`

	// BootstrapData is a legacy field that is never written.
	// +optional
	BootstrapData []byte `json:"bootstrapData,omitempty"`

	// DataSecretName is the name of the secret that holds the bootstrap data.
	// +optional
	DataSecretName *string `json:"dataSecretName,omitempty"`

	// FailureReason is set on non-retryable errors.
	// +optional
	FailureReason string `json:"failureReason,omitempty"`

	// FailureMessage is set on non-retryable errors.
	// +optional
	FailureMessage string `json:"failureMessage,omitempty"`

	// ObservedGeneration is the latest generation observed by the controller.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions are the current conditions of the KThreesConfig.
	// +optional
	Conditions clusterv1beta1.Conditions `json:"conditions,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:path=kthreesconfigs,scope=Namespaced,categories=cluster-api
// +kubebuilder:subresource:status

// KThreesConfig is the Schema for the kthreesconfigs API.
type KThreesConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   KThreesConfigSpec   `json:"spec,omitempty"`
	Status KThreesConfigStatus `json:"status,omitempty"`
}

// GetConditions returns the conditions of the KThreesConfig.
func (c *KThreesConfig) GetConditions() clusterv1beta1.Conditions {
	return c.Status.Conditions
}

// SetConditions sets the conditions of the KThreesConfig.
func (c *KThreesConfig) SetConditions(conditions clusterv1beta1.Conditions) {
	c.Status.Conditions = conditions
}

// +kubebuilder:object:root=true

// KThreesConfigList contains a list of KThreesConfig.
type KThreesConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []KThreesConfig `json:"items"`
}

// Encoding is the encoding of a file's content.
// +kubebuilder:validation:Enum=base64;gzip;gzip+base64
type Encoding string

const (
	// Base64 means the content is base64 encoded.
	Base64 Encoding = "base64"
	// Gzip means the content is gzip compressed.
	Gzip Encoding = "gzip"
	// GzipBase64 means the content is gzip compressed and then base64 encoded.
	GzipBase64 Encoding = "gzip+base64"
)

// File is a file written to the node.
type File struct {
	// Path is the absolute path of the file on the node.
	Path string `json:"path"`

	// Owner is the owner of the file, e.g. root:root.
	// +optional
	Owner string `json:"owner,omitempty"`

	// Permissions are the file permissions, e.g. 0640.
	// +optional
	Permissions string `json:"permissions,omitempty"`

	// Encoding is the encoding of Content.
	// +optional
	Encoding Encoding `json:"encoding,omitempty"`

	// Content is the file content.
	// +optional
	Content string `json:"content,omitempty"`

	// ContentFrom references the source of the file content.
	// +optional
	ContentFrom *FileSource `json:"contentFrom,omitempty"`
}

// FileSource is the source of a file's content.
type FileSource struct {
	// Secret is a secret key that holds the content.
	Secret SecretFileSource `json:"secret"`
}

// SecretFileSource references a key of a Secret in the KThreesConfig's namespace.
type SecretFileSource struct {
	// Name is the name of the secret.
	Name string `json:"name"`

	// Key is the key in the secret's data.
	Key string `json:"key"`
}

func init() {
	SchemeBuilder.Register(&KThreesConfig{}, &KThreesConfigList{})
}
