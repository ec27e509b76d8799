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
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/errors"
)

const (
	// KThreesControlPlaneFinalizer is the finalizer that keeps a KThreesControlPlane until its Machines are gone.
	// It is upstream's finalizer, so control planes created by upstream keep working.
	KThreesControlPlaneFinalizer = "kthrees.controlplane.cluster.x-k8s.io"

	// KThreesServerConfigurationAnnotation is set on Machines to the JSON of the server configuration they were
	// created with. It is informational only.
	KThreesServerConfigurationAnnotation = "controlplane.cluster.x-k8s.io/kthrees-server-configuration"

	// SkipCoreDNSAnnotation on a KThreesControlPlane skips CoreDNS handling. K3s manages CoreDNS itself.
	SkipCoreDNSAnnotation = "controlplane.cluster.x-k8s.io/skip-coredns"

	// RemediationInProgressAnnotation on a KThreesControlPlane records, as JSON, the remediation between deleting an
	// unhealthy Machine and creating its replacement.
	RemediationInProgressAnnotation = "controlplane.cluster.x-k8s.io/remediation-in-progress"

	// EtcdRemovalHookAnnotation is the pre-terminate hook on control-plane Machines that holds a Machine's deletion,
	// after drain and volume detach, until its etcd member is removed. Key and value are upstream's, so Machines
	// deleted while controllers are swapped in either direction are finished by whichever runs.
	EtcdRemovalHookAnnotation = clusterv1.PreTerminateDeleteHookAnnotationPrefix
	// EtcdRemovalHookValue is the value of EtcdRemovalHookAnnotation.
	EtcdRemovalHookValue = "k3s"

	// RemediationForAnnotation on a replacement Machine links it, as JSON, to the Machine it replaces.
	RemediationForAnnotation = "controlplane.cluster.x-k8s.io/remediation-for"

	// InPlaceUpgradeAnnotation set to "true" on a KThreesControlPlane turns on in-place upgrades like
	// spec.rollout.strategy.type InPlace does. It is the way to reach them through the v1beta1 and v1beta2 APIs,
	// whose rollout strategy enum upstream fixed to RollingUpdate, e.g. from a KThreesControlPlaneTemplate's
	// spec.template.metadata.annotations in a ClusterClass.
	InPlaceUpgradeAnnotation = "controlplane.cluster.x-k8s.io/in-place-upgrade"

	// CertificatesExpiryDaysAnnotation on a KThreesControlPlane (e.g. from a KThreesControlPlaneTemplate's
	// spec.template.metadata.annotations) sets, as a decimal number of days (at least 7), what
	// spec.rollout.before.certificatesExpiryDays sets when that is not set: the v1beta1 and v1beta2 APIs have no
	// such field.
	CertificatesExpiryDaysAnnotation = "controlplane.cluster.x-k8s.io/certificates-expiry-days"

	// InPlaceUpgradeTargetAnnotation on a control-plane Machine records the K3s version it is being upgraded to in
	// place; it is set before anything is done on the node and removed when the Machine reflects the new version.
	InPlaceUpgradeTargetAnnotation = "controlplane.cluster.x-k8s.io/in-place-upgrade-target"

	// InPlaceUpgradeStartedAnnotation on a control-plane Machine records, in RFC 3339, when its in-place upgrade
	// started; the node timeout counts from it.
	InPlaceUpgradeStartedAnnotation = "controlplane.cluster.x-k8s.io/in-place-upgrade-started"

	// InPlaceCertificatesRenewalAnnotation on a control-plane Machine makes its in-place upgrade a renewal of its
	// node's K3s certificates at the same version; the value is the expiry being renewed (RFC 3339). The renewal is
	// done once the node presents certificates that expire later.
	InPlaceCertificatesRenewalAnnotation = "controlplane.cluster.x-k8s.io/in-place-certificates-renewal"

	// InPlaceUpgradeCordonedAnnotation on a workload Node records that the control plane cordoned it for an
	// in-place upgrade, so that it uncordons only Nodes it cordoned.
	InPlaceUpgradeCordonedAnnotation = "controlplane.cluster.x-k8s.io/in-place-upgrade-cordoned"

	// UpgradePodLabel marks the Pod that runs the K3s upgrade on a node (value "true").
	UpgradePodLabel = "controlplane.cluster.x-k8s.io/k3s-upgrade"

	// UpgradePodVersionAnnotation on the upgrade Pod is the K3s version it installs.
	UpgradePodVersionAnnotation = "controlplane.cluster.x-k8s.io/k3s-upgrade-version"

	// UpgradePodActionAnnotation on the upgrade Pod says what it does when it is not a binary upgrade:
	// UpgradePodActionRotateCertificates.
	UpgradePodActionAnnotation = "controlplane.cluster.x-k8s.io/k3s-upgrade-action"

	// UpgradePodActionRotateCertificates rotates the node's K3s certificates (k3s certificate rotate with the
	// node's own binary and configuration) and restarts K3s, which issues new ones as it starts.
	UpgradePodActionRotateCertificates = "rotate-certificates"

	// DefaultUpgradeImage is the image of the upgrade Pod, K3s's own upgrade image (the one system-upgrade-controller
	// runs): it replaces the k3s binary of the running server and restarts K3s. Its tag is the version with '-' for '+'.
	DefaultUpgradeImage = "rancher/k3s-upgrade"

	// DefaultInPlaceNodeTimeoutSeconds bounds how long one node may take to come back Ready with the new version.
	DefaultInPlaceNodeTimeoutSeconds = int32(900)

	// DefaultMinHealthyPeriod is the period after which a new failure is no longer a retry of the previous one.
	DefaultMinHealthyPeriod = 1 * time.Hour

	// DefaultMinHealthyPeriodSeconds is DefaultMinHealthyPeriod in seconds.
	DefaultMinHealthyPeriodSeconds = int32(3600)
)

// KThreesControlPlaneRolloutStrategyType is the type of a rollout strategy.
// +kubebuilder:validation:Enum=RollingUpdate;InPlace
type KThreesControlPlaneRolloutStrategyType string

const (
	// RollingUpdateStrategyType replaces the old control-plane Machines one by one.
	RollingUpdateStrategyType KThreesControlPlaneRolloutStrategyType = "RollingUpdate"

	// InPlaceStrategyType upgrades the K3s version of the control-plane Machines in place, one node at a time,
	// keeping each Machine, its InfraMachine and its host; other changes are rolled out as with RollingUpdate.
	InPlaceStrategyType KThreesControlPlaneRolloutStrategyType = "InPlace"
)

// KThreesControlPlaneSpec defines the desired state of KThreesControlPlane.
type KThreesControlPlaneSpec struct {
	// replicas is the number of desired control-plane Machines. Defaults to 1.
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// version is the K3s version of the control plane, vX.Y.Z+k3sN.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Version string `json:"version,omitempty"`

	// machineTemplate describes the control-plane Machines.
	// +required
	MachineTemplate KThreesControlPlaneMachineTemplate `json:"machineTemplate,omitempty,omitzero"`

	// kthreesConfigSpec is copied into the KThreesConfig of every control-plane Machine.
	// +optional
	KThreesConfigSpec bootstrapv1.KThreesConfigSpec `json:"kthreesConfigSpec,omitempty,omitzero"`

	// rollout controls when and how control-plane Machines are replaced.
	// +optional
	Rollout KThreesControlPlaneRolloutSpec `json:"rollout,omitempty,omitzero"`

	// remediation controls how unhealthy control-plane Machines are remediated.
	// +optional
	Remediation KThreesControlPlaneRemediationSpec `json:"remediation,omitempty,omitzero"`

	// machineNaming controls the names of the control-plane Machines.
	// +optional
	MachineNaming MachineNamingSpec `json:"machineNaming,omitempty,omitzero"`
}

// KThreesControlPlaneMachineTemplate describes the control-plane Machines.
type KThreesControlPlaneMachineTemplate struct {
	// metadata holds the labels and annotations propagated in place to the Machines.
	// +optional
	ObjectMeta clusterv1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// spec holds the Machine spec fields owned by the control plane.
	// +required
	Spec KThreesControlPlaneMachineTemplateSpec `json:"spec,omitempty,omitzero"`
}

// KThreesControlPlaneMachineTemplateSpec holds the Machine spec fields owned by the control plane.
type KThreesControlPlaneMachineTemplateSpec struct {
	// infrastructureRef references the infrastructure machine template to clone.
	// +required
	InfrastructureRef clusterv1.ContractVersionedObjectReference `json:"infrastructureRef,omitempty,omitzero"`

	// readinessGates are extra conditions the Machines' Ready condition waits for.
	// +optional
	// +listType=map
	// +listMapKey=conditionType
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	ReadinessGates []clusterv1.MachineReadinessGate `json:"readinessGates,omitempty"`

	// deletion holds the deletion timeouts propagated in place to the Machines.
	// +optional
	Deletion KThreesControlPlaneMachineTemplateDeletionSpec `json:"deletion,omitempty,omitzero"`
}

// KThreesControlPlaneMachineTemplateDeletionSpec holds the deletion timeouts of the control-plane Machines.
// +kubebuilder:validation:MinProperties=1
type KThreesControlPlaneMachineTemplateDeletionSpec struct {
	// nodeDrainTimeoutSeconds is the maximum time spent draining a node; 0 means no limit.
	// +optional
	// +kubebuilder:validation:Minimum=0
	NodeDrainTimeoutSeconds *int32 `json:"nodeDrainTimeoutSeconds,omitempty"`

	// nodeVolumeDetachTimeoutSeconds is the maximum time spent waiting for volumes to detach; 0 means no limit.
	// +optional
	// +kubebuilder:validation:Minimum=0
	NodeVolumeDetachTimeoutSeconds *int32 `json:"nodeVolumeDetachTimeoutSeconds,omitempty"`

	// nodeDeletionTimeoutSeconds is how long the Machine controller tries to delete the Node; 0 means forever.
	// +optional
	// +kubebuilder:validation:Minimum=0
	NodeDeletionTimeoutSeconds *int32 `json:"nodeDeletionTimeoutSeconds,omitempty"`
}

// KThreesControlPlaneRolloutSpec controls when and how control-plane Machines are replaced.
// +kubebuilder:validation:MinProperties=1
type KThreesControlPlaneRolloutSpec struct {
	// before replaces Machines before the given conditions occur.
	// +optional
	Before KThreesControlPlaneRolloutBeforeSpec `json:"before,omitempty,omitzero"`

	// after replaces Machines created before this time once it has passed.
	// +optional
	After metav1.Time `json:"after,omitempty,omitzero"`

	// strategy is how Machines are replaced.
	// +optional
	Strategy KThreesControlPlaneRolloutStrategy `json:"strategy,omitempty,omitzero"`
}

// KThreesControlPlaneRolloutBeforeSpec lists the conditions before which Machines are replaced.
// +kubebuilder:validation:MinProperties=1
type KThreesControlPlaneRolloutBeforeSpec struct {
	// certificatesExpiryDays replaces a Machine whose certificates expire within this many days (at least 7).
	// +optional
	// +kubebuilder:validation:Minimum=7
	CertificatesExpiryDays int32 `json:"certificatesExpiryDays,omitempty"`
}

// KThreesControlPlaneRolloutStrategy is how Machines are replaced.
// +kubebuilder:validation:MinProperties=1
type KThreesControlPlaneRolloutStrategy struct {
	// type of the strategy: RollingUpdate (the default) replaces Machines; InPlace upgrades the K3s version of the
	// Machines in place and replaces them for other changes.
	// +optional
	Type KThreesControlPlaneRolloutStrategyType `json:"type,omitempty"`

	// inPlace configures the InPlace strategy.
	// +optional
	InPlace KThreesControlPlaneRolloutStrategyInPlace `json:"inPlace,omitempty,omitzero"`

	// rollingUpdate configures the RollingUpdate strategy.
	// +optional
	RollingUpdate KThreesControlPlaneRolloutStrategyRollingUpdate `json:"rollingUpdate,omitempty,omitzero"`
}

// KThreesControlPlaneRolloutStrategyRollingUpdate configures the RollingUpdate strategy.
// +kubebuilder:validation:MinProperties=1
type KThreesControlPlaneRolloutStrategyRollingUpdate struct {
	// maxSurge is the number of Machines created above the desired replicas during a rollout: 1 (the default)
	// creates a new Machine before deleting an old one, 0 deletes first, for hosts without spare capacity.
	// +optional
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`
}

// KThreesControlPlaneRolloutStrategyInPlace configures in-place upgrades.
// +kubebuilder:validation:MinProperties=1
type KThreesControlPlaneRolloutStrategyInPlace struct {
	// nodeTimeoutSeconds bounds how long one node may take, from the start of its upgrade, to come back Ready with
	// the new version; the upgrade stops there with a condition and an event. Defaults to 900.
	// +optional
	// +kubebuilder:validation:Minimum=60
	NodeTimeoutSeconds *int32 `json:"nodeTimeoutSeconds,omitempty"`

	// upgradeImage is the image, without tag, of the Pod that upgrades a node: K3s's upgrade image or a mirror of
	// it (air-gapped clusters). The tag is the target version with '-' for '+'. Defaults to rancher/k3s-upgrade.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	UpgradeImage string `json:"upgradeImage,omitempty"`
}

// KThreesControlPlaneRemediationSpec controls how unhealthy control-plane Machines are remediated.
// +kubebuilder:validation:MinProperties=1
type KThreesControlPlaneRemediationSpec struct {
	// maxRetry is the maximum number of retries when a replacement Machine also fails; unset means no limit.
	// +optional
	MaxRetry *int32 `json:"maxRetry,omitempty"`

	// retryPeriodSeconds is the time to wait before remediating a replacement Machine again.
	// +optional
	// +kubebuilder:validation:Minimum=0
	RetryPeriodSeconds *int32 `json:"retryPeriodSeconds,omitempty"`

	// minHealthyPeriodSeconds is the time after which a failure is no longer a retry of the previous one.
	// Defaults to 3600.
	// +optional
	// +kubebuilder:validation:Minimum=0
	MinHealthyPeriodSeconds *int32 `json:"minHealthyPeriodSeconds,omitempty"`
}

// MachineNamingSpec controls the names of the control-plane Machines.
// +kubebuilder:validation:MinProperties=1
type MachineNamingSpec struct {
	// template is a Go template for Machine names. Variables: .cluster.name, .kthreesControlPlane.name and
	// .random (required). Defaults to "{{ .kthreesControlPlane.name }}-{{ .random }}".
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Template string `json:"template,omitempty"`
}

// KThreesControlPlaneStatus defines the observed state of KThreesControlPlane.
// +kubebuilder:validation:MinProperties=1
type KThreesControlPlaneStatus struct {
	// conditions represent the observations of the control plane's state. Known condition types are Available,
	// Initialized, CertificatesAvailable, EtcdClusterHealthy, ControlPlaneComponentsHealthy, MachinesReady,
	// MachinesUpToDate, RollingOut, ScalingUp, ScalingDown, Remediating, Deleting and Paused.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// initialization reports the provisioning milestones of the control plane (CAPI control-plane contract).
	// +optional
	Initialization KThreesControlPlaneInitializationStatus `json:"initialization,omitempty,omitzero"`

	// selector is the label selector of the control-plane Machines, in string form (scale subresource).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Selector string `json:"selector,omitempty"`

	// replicas is the number of control-plane Machines.
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// readyReplicas is the number of control-plane Machines whose Ready condition is true.
	// +optional
	ReadyReplicas *int32 `json:"readyReplicas,omitempty"`

	// availableReplicas is the number of control-plane Machines whose Available condition is true.
	// +optional
	AvailableReplicas *int32 `json:"availableReplicas,omitempty"`

	// upToDateReplicas is the number of control-plane Machines whose UpToDate condition is true.
	// +optional
	UpToDateReplicas *int32 `json:"upToDateReplicas,omitempty"`

	// versions lists the K3s versions of the control-plane Machines with their counts, oldest first.
	// +optional
	// +listType=map
	// +listMapKey=version
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	Versions []clusterv1.StatusVersion `json:"versions,omitempty"`

	// version is the oldest K3s version among the control-plane Machines.
	// Deprecated: use versions; kept for ClusterClass and older consumers.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Version string `json:"version,omitempty"`

	// observedGeneration is the latest generation observed by the controller.
	// +optional
	// +kubebuilder:validation:Minimum=1
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// lastRemediation describes the last remediation performed.
	// +optional
	LastRemediation LastRemediationStatus `json:"lastRemediation,omitempty,omitzero"`

	// deprecated groups the status fields that only older API versions expose.
	// +optional
	Deprecated *KThreesControlPlaneDeprecatedStatus `json:"deprecated,omitempty"`
}

// KThreesControlPlaneInitializationStatus reports the provisioning milestones of the control plane.
// +kubebuilder:validation:MinProperties=1
type KThreesControlPlaneInitializationStatus struct {
	// controlPlaneInitialized is true once the first K3s server accepts requests. It is never reset.
	// +optional
	ControlPlaneInitialized *bool `json:"controlPlaneInitialized,omitempty"`
}

// KThreesControlPlaneDeprecatedStatus groups deprecated status fields.
type KThreesControlPlaneDeprecatedStatus struct {
	// v1beta1 holds the status fields of the v1beta1 and v1beta2 API versions.
	// +optional
	V1Beta1 *KThreesControlPlaneV1Beta1DeprecatedStatus `json:"v1beta1,omitempty"`
}

// KThreesControlPlaneV1Beta1DeprecatedStatus holds the status fields that v1beta1 and v1beta2 expose with their
// upstream meaning.
type KThreesControlPlaneV1Beta1DeprecatedStatus struct {
	// conditions are the CAPI v1beta1-style conditions with upstream's condition types.
	// +optional
	Conditions clusterv1.Conditions `json:"conditions,omitempty"`

	// failureReason is set on non-retryable errors.
	// +optional
	FailureReason errors.KThreesControlPlaneStatusError `json:"failureReason,omitempty"`

	// failureMessage is set on non-retryable errors.
	// +optional
	// +kubebuilder:validation:MaxLength=10240
	FailureMessage *string `json:"failureMessage,omitempty"`

	// updatedReplicas is the number of control-plane Machines that match the desired spec.
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas,omitempty"`

	// readyReplicas is the number of ready control-plane nodes.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`

	// unavailableReplicas is the number of control-plane Machines that are not ready.
	// +optional
	UnavailableReplicas int32 `json:"unavailableReplicas,omitempty"`

	// ready is true once the API server accepts requests (the "API Server Available" column of older versions).
	// +optional
	Ready bool `json:"ready,omitempty"`
}

// LastRemediationStatus describes the last remediation performed.
type LastRemediationStatus struct {
	// machine is the name of the last remediated Machine.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Machine string `json:"machine,omitempty"`

	// time is when the last remediation happened.
	// +optional
	Time metav1.Time `json:"time,omitempty,omitzero"`

	// retryCount counts the retries of the last remediation.
	// +optional
	// +kubebuilder:validation:Minimum=0
	RetryCount *int32 `json:"retryCount,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:path=kthreescontrolplanes,scope=Namespaced,categories=cluster-api
// +kubebuilder:storageversion
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta1=v1beta1_v1beta2"
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta2=v1beta3"
// +kubebuilder:metadata:labels="clusterctl.cluster.x-k8s.io="
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas,selectorpath=.status.selector
// +kubebuilder:printcolumn:name="Cluster",type="string",JSONPath=".metadata.labels['cluster\\.x-k8s\\.io/cluster-name']",description="Cluster"
// +kubebuilder:printcolumn:name="Available",type="string",JSONPath=`.status.conditions[?(@.type=="Available")].status`,description="Whether the control plane passes all availability checks"
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=".spec.replicas",description="Desired control-plane Machines"
// +kubebuilder:printcolumn:name="Current",type=integer,JSONPath=".status.replicas",description="Control-plane Machines"
// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=".status.readyReplicas",description="Control-plane Machines with Ready true"
// +kubebuilder:printcolumn:name="Available",type=integer,JSONPath=".status.availableReplicas",description="Control-plane Machines with Available true"
// +kubebuilder:printcolumn:name="Up-to-date",type=integer,JSONPath=".status.upToDateReplicas",description="Control-plane Machines with UpToDate true"
// +kubebuilder:printcolumn:name="Paused",type="string",JSONPath=`.status.conditions[?(@.type=="Paused")].status`,description="Reconciliation paused",priority=10
// +kubebuilder:printcolumn:name="Initialized",type=boolean,JSONPath=".status.initialization.controlPlaneInitialized",description="Whether the control plane accepts requests"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description="Time since creation"
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=".spec.version",description="K3s version of the control plane"

// KThreesControlPlane is the Schema for the kthreescontrolplanes API.
type KThreesControlPlane struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the control plane.
	// +optional
	Spec KThreesControlPlaneSpec `json:"spec,omitempty,omitzero"`

	// status is the observed state of the control plane.
	// +optional
	Status KThreesControlPlaneStatus `json:"status,omitempty,omitzero"`
}

// GetV1Beta1Conditions returns the v1beta1-style conditions kept for older API versions.
func (in *KThreesControlPlane) GetV1Beta1Conditions() clusterv1.Conditions {
	if in.Status.Deprecated == nil || in.Status.Deprecated.V1Beta1 == nil {
		return nil
	}
	return in.Status.Deprecated.V1Beta1.Conditions
}

// SetV1Beta1Conditions sets the v1beta1-style conditions kept for older API versions.
func (in *KThreesControlPlane) SetV1Beta1Conditions(conditions clusterv1.Conditions) {
	if in.Status.Deprecated == nil {
		in.Status.Deprecated = &KThreesControlPlaneDeprecatedStatus{}
	}
	if in.Status.Deprecated.V1Beta1 == nil {
		in.Status.Deprecated.V1Beta1 = &KThreesControlPlaneV1Beta1DeprecatedStatus{}
	}
	in.Status.Deprecated.V1Beta1.Conditions = conditions
}

// GetConditions returns the conditions of the control plane.
func (in *KThreesControlPlane) GetConditions() []metav1.Condition {
	return in.Status.Conditions
}

// SetConditions sets the conditions of the control plane.
func (in *KThreesControlPlane) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// +kubebuilder:object:root=true

// KThreesControlPlaneList contains a list of KThreesControlPlane.
type KThreesControlPlaneList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []KThreesControlPlane `json:"items"`
}

func init() {
	SchemeBuilder.Register(&KThreesControlPlane{}, &KThreesControlPlaneList{})
}
