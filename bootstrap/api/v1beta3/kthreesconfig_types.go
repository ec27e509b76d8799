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

package v1beta3

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// Format is the format of the bootstrap data.
// +kubebuilder:validation:Enum=cloud-config;ignition
type Format string

const (
	// CloudConfig renders the bootstrap data as a cloud-init cloud-config document.
	CloudConfig Format = "cloud-config"

	// Ignition renders the bootstrap data as an Ignition config.
	Ignition Format = "ignition"
)

const (
	// DefaultAirGappedInstallScriptPath is the install script used on air-gapped nodes when none is configured.
	DefaultAirGappedInstallScriptPath = "/opt/install.sh"

	// DefaultCloudProviderName is the cloud provider name defaulted by the webhooks.
	DefaultCloudProviderName = "external"
)

// KThreesConfigSpec defines the desired K3s configuration of a node.
type KThreesConfigSpec struct {
	// files lists extra files written to the node before K3s is installed.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=200
	Files []File `json:"files,omitempty"`

	// preK3sCommands are run, in order, before the K3s install command.
	// +optional
	// +listType=atomic
	PreK3sCommands []string `json:"preK3sCommands,omitempty"`

	// postK3sCommands are run, in order, after the K3s install command.
	// +optional
	// +listType=atomic
	PostK3sCommands []string `json:"postK3sCommands,omitempty"`

	// agentConfig holds the agent (kubelet) settings used by every node.
	// +optional
	AgentConfig KThreesAgentConfig `json:"agentConfig,omitempty,omitzero"`

	// serverConfig holds the server settings used by control-plane nodes.
	// +optional
	ServerConfig KThreesServerConfig `json:"serverConfig,omitempty,omitzero"`

	// version is the K3s release to install, e.g. v1.34.5+k3s1. Defaults to the owner's version.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Version string `json:"version,omitempty"`

	// format is the format of the bootstrap data: cloud-config (the default) or ignition.
	// +optional
	Format Format `json:"format,omitempty"`
}

// IsEtcdEmbedded reports whether the nodes use K3s's embedded etcd; it is the only supported datastore.
func (c *KThreesConfigSpec) IsEtcdEmbedded() bool {
	return true
}

// KThreesServerConfig holds the K3s server settings. Each field maps to one key of /etc/rancher/k3s/config.yaml.
type KThreesServerConfig struct {
	// kubeAPIServerArgs are extra kube-apiserver arguments in key=value form (K3s kube-apiserver-arg).
	// +optional
	// +listType=atomic
	KubeAPIServerArgs []string `json:"kubeAPIServerArgs,omitempty"`

	// kubeControllerManagerArgs are extra kube-controller-manager arguments in key=value form.
	// +optional
	// +listType=atomic
	KubeControllerManagerArgs []string `json:"kubeControllerManagerArgs,omitempty"`

	// kubeSchedulerArgs are extra kube-scheduler arguments in key=value form.
	// +optional
	// +listType=atomic
	KubeSchedulerArgs []string `json:"kubeSchedulerArgs,omitempty"`

	// tlsSan lists extra DNS names or IPs added to the serving certificate.
	// +optional
	// +listType=atomic
	TLSSan []string `json:"tlsSan,omitempty"`

	// bindAddress is the K3s bind address (K3s default 0.0.0.0).
	// +optional
	BindAddress string `json:"bindAddress,omitempty"`

	// httpsListenPort is the HTTPS listen port, 1-65535 (K3s default 6443).
	// +optional
	HTTPSListenPort string `json:"httpsListenPort,omitempty"`

	// advertiseAddress is the address the API server advertises to cluster members.
	// +optional
	AdvertiseAddress string `json:"advertiseAddress,omitempty"`

	// advertisePort is the port, 1-65535, the API server advertises to cluster members.
	// +optional
	AdvertisePort string `json:"advertisePort,omitempty"`

	// clusterCidr is the pod network CIDR (K3s default 10.42.0.0/16). Immutable on a control plane.
	// +optional
	ClusterCidr string `json:"clusterCidr,omitempty"`

	// serviceCidr is the service network CIDR (K3s default 10.43.0.0/16). Immutable on a control plane.
	// +optional
	ServiceCidr string `json:"serviceCidr,omitempty"`

	// clusterDNS is the cluster IP of the DNS service (K3s default 10.43.0.10). Immutable on a control plane.
	// +optional
	ClusterDNS string `json:"clusterDNS,omitempty"`

	// clusterDomain is the cluster domain (K3s default cluster.local). Immutable on a control plane.
	// +optional
	ClusterDomain string `json:"clusterDomain,omitempty"`

	// disableComponents lists packaged K3s components not to deploy (K3s disable), e.g. traefik or etcd-proxy.
	// +optional
	// +listType=atomic
	DisableComponents []string `json:"disableComponents,omitempty"`

	// disableCloudController disables the K3s cloud controller manager. Defaults to true.
	// +optional
	DisableCloudController *bool `json:"disableCloudController,omitempty"`

	// cloudProviderName is passed as cloud-provider to the kubelet and controller manager when not empty.
	// Defaults to "external".
	// +optional
	CloudProviderName *string `json:"cloudProviderName,omitempty"`

	// systemDefaultRegistry is the private registry used for all K3s system images.
	// +optional
	SystemDefaultRegistry string `json:"systemDefaultRegistry,omitempty"`

	// etcdProxyImage is the image of the etcd proxy DaemonSet. Defaults to alpine/socat:1.8.0.0, prefixed with
	// systemDefaultRegistry when set.
	// +optional
	EtcdProxyImage string `json:"etcdProxyImage,omitempty"`
}

// KThreesAgentConfig holds the K3s agent settings.
type KThreesAgentConfig struct {
	// nodeLabels are labels the kubelet registers the node with.
	// +optional
	// +listType=atomic
	NodeLabels []string `json:"nodeLabels,omitempty"`

	// nodeTaints are taints the kubelet registers the node with.
	// +optional
	// +listType=atomic
	NodeTaints []string `json:"nodeTaints,omitempty"`

	// privateRegistry is the path of the registries configuration file on the node.
	// +optional
	PrivateRegistry string `json:"privateRegistry,omitempty"`

	// kubeletArgs are extra kubelet arguments in key=value form.
	// +optional
	// +listType=atomic
	KubeletArgs []string `json:"kubeletArgs,omitempty"`

	// kubeProxyArgs are extra kube-proxy arguments in key=value form.
	// +optional
	// +listType=atomic
	KubeProxyArgs []string `json:"kubeProxyArgs,omitempty"`

	// nodeName is the name of the node; cloud-init jinja such as {{ ds.meta_data.local_hostname }} is allowed.
	// +optional
	NodeName string `json:"nodeName,omitempty"`

	// airGapped installs K3s from a script pre-staged on the node instead of downloading it.
	// +optional
	AirGapped bool `json:"airGapped,omitempty"`

	// airGappedInstallScriptPath is the absolute path of the pre-staged install script. Defaults to /opt/install.sh.
	// +optional
	AirGappedInstallScriptPath string `json:"airGappedInstallScriptPath,omitempty"`
}

// KThreesConfigStatus defines the observed state of KThreesConfig.
// +kubebuilder:validation:MinProperties=1
type KThreesConfigStatus struct {
	// conditions represent the observations of the KThreesConfig's state.
	// Known condition types are Ready, DataSecretAvailable, CertificatesAvailable and Paused.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// initialization reports the provisioning milestones of the KThreesConfig (CAPI bootstrap contract).
	// +optional
	Initialization KThreesConfigInitializationStatus `json:"initialization,omitempty,omitzero"`

	// dataSecretName is the name of the secret that holds the bootstrap data.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	DataSecretName string `json:"dataSecretName,omitempty"`

	// observedGeneration is the latest generation observed by the controller.
	// +optional
	// +kubebuilder:validation:Minimum=1
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// deprecated groups the status fields that only older API versions expose.
	// +optional
	Deprecated *KThreesConfigDeprecatedStatus `json:"deprecated,omitempty"`
}

// KThreesConfigInitializationStatus reports the provisioning milestones of a KThreesConfig.
// +kubebuilder:validation:MinProperties=1
type KThreesConfigInitializationStatus struct {
	// dataSecretCreated is true once the bootstrap data secret has been created.
	// +optional
	DataSecretCreated *bool `json:"dataSecretCreated,omitempty"`
}

// KThreesConfigDeprecatedStatus groups deprecated status fields.
type KThreesConfigDeprecatedStatus struct {
	// v1beta1 holds the status fields of the v1beta1 and v1beta2 API versions.
	// +optional
	V1Beta1 *KThreesConfigV1Beta1DeprecatedStatus `json:"v1beta1,omitempty"`
}

// KThreesConfigV1Beta1DeprecatedStatus holds the status fields that v1beta1 and v1beta2 expose.
type KThreesConfigV1Beta1DeprecatedStatus struct {
	// conditions are the CAPI v1beta1-style conditions.
	// +optional
	Conditions clusterv1.Conditions `json:"conditions,omitempty"`

	// failureReason is set on non-retryable errors.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	FailureReason string `json:"failureReason,omitempty"`

	// failureMessage is set on non-retryable errors.
	// +optional
	// +kubebuilder:validation:MaxLength=10240
	FailureMessage string `json:"failureMessage,omitempty"`

	// bootstrapData is the legacy inline bootstrap data; it is never written.
	// +optional
	BootstrapData []byte `json:"bootstrapData,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:path=kthreesconfigs,scope=Namespaced,categories=cluster-api
// +kubebuilder:storageversion
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta1=v1beta1_v1beta2"
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta2=v1beta3"
// +kubebuilder:metadata:labels="clusterctl.cluster.x-k8s.io="
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Cluster",type="string",JSONPath=".metadata.labels['cluster\\.x-k8s\\.io/cluster-name']",description="Cluster"
// +kubebuilder:printcolumn:name="Data secret created",type="boolean",JSONPath=".status.initialization.dataSecretCreated",description="Whether the bootstrap data secret has been created"
// +kubebuilder:printcolumn:name="Format",type="string",JSONPath=".spec.format",description="Bootstrap data format",priority=10
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description="Time since creation"

// KThreesConfig is the Schema for the kthreesconfigs API.
type KThreesConfig struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the KThreesConfig.
	// +optional
	Spec KThreesConfigSpec `json:"spec,omitempty,omitzero"`

	// status is the observed state of the KThreesConfig.
	// +optional
	Status KThreesConfigStatus `json:"status,omitempty,omitzero"`
}

// GetV1Beta1Conditions returns the v1beta1-style conditions kept for older API versions.
func (c *KThreesConfig) GetV1Beta1Conditions() clusterv1.Conditions {
	if c.Status.Deprecated == nil || c.Status.Deprecated.V1Beta1 == nil {
		return nil
	}
	return c.Status.Deprecated.V1Beta1.Conditions
}

// SetV1Beta1Conditions sets the v1beta1-style conditions kept for older API versions.
func (c *KThreesConfig) SetV1Beta1Conditions(conditions clusterv1.Conditions) {
	if c.Status.Deprecated == nil {
		c.Status.Deprecated = &KThreesConfigDeprecatedStatus{}
	}
	if c.Status.Deprecated.V1Beta1 == nil {
		c.Status.Deprecated.V1Beta1 = &KThreesConfigV1Beta1DeprecatedStatus{}
	}
	c.Status.Deprecated.V1Beta1.Conditions = conditions
}

// GetConditions returns the conditions of the KThreesConfig.
func (c *KThreesConfig) GetConditions() []metav1.Condition {
	return c.Status.Conditions
}

// SetConditions sets the conditions of the KThreesConfig.
func (c *KThreesConfig) SetConditions(conditions []metav1.Condition) {
	c.Status.Conditions = conditions
}

// +kubebuilder:object:root=true

// KThreesConfigList contains a list of KThreesConfig.
type KThreesConfigList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
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
	// path is the absolute path of the file on the node; paths are unique within a config.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	Path string `json:"path"`

	// owner is the owner of the file as user:group, e.g. root:root.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Owner string `json:"owner,omitempty"`

	// permissions are the octal file permissions, e.g. 0640.
	// +optional
	// +kubebuilder:validation:MaxLength=16
	Permissions string `json:"permissions,omitempty"`

	// encoding is the encoding of content.
	// +optional
	Encoding Encoding `json:"encoding,omitempty"`

	// content is the file content. Exactly one of content and contentFrom may be set.
	// +optional
	Content string `json:"content,omitempty"`

	// contentFrom references the source of the file content.
	// +optional
	ContentFrom *FileSource `json:"contentFrom,omitempty"`
}

// FileSource is the source of a file's content.
type FileSource struct {
	// secret is a secret key that holds the content.
	// +required
	Secret SecretFileSource `json:"secret"`
}

// SecretFileSource references a key of a Secret in the KThreesConfig's namespace.
type SecretFileSource struct {
	// name is the name of the secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// key is the key in the secret's data.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key"`
}

func init() {
	SchemeBuilder.Register(&KThreesConfig{}, &KThreesConfigList{})
}
