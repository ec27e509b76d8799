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

package v1beta1

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1beta1 "sigs.k8s.io/cluster-api/api/core/v1beta1"

	bootstrapv1beta1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta1"
	"github.com/k3s-io/cluster-api-k3s/pkg/errors"
)

const (
	// KThreesControlPlaneFinalizer is the finalizer that keeps a KThreesControlPlane until its Machines are gone.
	KThreesControlPlaneFinalizer = "kthrees.controlplane.cluster.x-k8s.io"

	// KThreesServerConfigurationAnnotation is set on Machines to the JSON of the server configuration they were
	// created with. It is informational only.
	KThreesServerConfigurationAnnotation = "controlplane.cluster.x-k8s.io/kthrees-server-configuration"

	// SkipCoreDNSAnnotation on a KThreesControlPlane skips CoreDNS handling. K3s manages CoreDNS itself.
	SkipCoreDNSAnnotation = "controlplane.cluster.x-k8s.io/skip-coredns"

	// RemediationInProgressAnnotation on a KThreesControlPlane records, as JSON, the remediation between deleting an
	// unhealthy Machine and creating its replacement.
	RemediationInProgressAnnotation = "controlplane.cluster.x-k8s.io/remediation-in-progress"

	// RemediationForAnnotation on a replacement Machine links it, as JSON, to the Machine it replaces.
	RemediationForAnnotation = "controlplane.cluster.x-k8s.io/remediation-for"

	// DefaultMinHealthyPeriod is the period after which a new failure is no longer a retry of the previous one.
	DefaultMinHealthyPeriod = 1 * time.Hour
)

// KThreesControlPlaneSpec defines the desired state of KThreesControlPlane.
type KThreesControlPlaneSpec struct {
	// Replicas is the number of desired control-plane Machines. Defaults to 1.
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Version is the K3s version of the control plane, e.g. v1.30.2+k3s2.
	Version string `json:"version"`

	// InfrastructureTemplate references the infrastructure machine template to clone.
	InfrastructureTemplate corev1.ObjectReference `json:"infrastructureTemplate"`

	// KThreesConfigSpec is copied into the KThreesConfig of every control-plane Machine.
	// +optional
	KThreesConfigSpec bootstrapv1beta1.KThreesConfigSpec `json:"kthreesConfigSpec,omitempty"`

	// UpgradeAfter replaces Machines created before this time once it has passed.
	// +optional
	UpgradeAfter *metav1.Time `json:"upgradeAfter,omitempty"`

	// NodeDrainTimeout is the maximum time spent draining a node; 0 means no limit.
	// +optional
	NodeDrainTimeout *metav1.Duration `json:"nodeDrainTimeout,omitempty"`

	// MachineTemplate holds the metadata propagated to the Machines.
	// +optional
	MachineTemplate KThreesControlPlaneMachineTemplate `json:"machineTemplate,omitempty"`

	// RemediationStrategy controls how unhealthy control-plane Machines are remediated.
	// +optional
	RemediationStrategy *RemediationStrategy `json:"remediationStrategy,omitempty"`
}

// KThreesControlPlaneMachineTemplate holds the metadata propagated to the control-plane Machines.
type KThreesControlPlaneMachineTemplate struct {
	// ObjectMeta holds the labels and annotations propagated to the Machines.
	// +optional
	ObjectMeta clusterv1beta1.ObjectMeta `json:"metadata,omitempty"`
}

// RemediationStrategy controls how unhealthy control-plane Machines are remediated.
// Its conversion to the hub is written by hand (remediationToHub).
// +k8s:conversion-gen=false
type RemediationStrategy struct {
	// MaxRetry is the maximum number of retries when a replacement Machine also fails; unset means no limit.
	// +optional
	MaxRetry *int32 `json:"maxRetry,omitempty"`

	// RetryPeriod is the time to wait before remediating a replacement Machine again.
	// +optional
	RetryPeriod metav1.Duration `json:"retryPeriod,omitempty"`

	// MinHealthyPeriod is the time after which a failure is no longer a retry of the previous one. Defaults to 1h.
	// +optional
	MinHealthyPeriod *metav1.Duration `json:"minHealthyPeriod,omitempty"`
}

// KThreesControlPlaneStatus defines the observed state of KThreesControlPlane.
type KThreesControlPlaneStatus struct {
	// Selector is the label selector of the control-plane Machines, in string form (scale subresource).
	// +optional
	Selector string `json:"selector,omitempty"`

	// Replicas is the number of non-terminated control-plane Machines.
	// +optional
	Replicas int32 `json:"replicas,omitempty"`

	// UpdatedReplicas is the number of control-plane Machines that match the desired spec.
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas,omitempty"`

	// ReadyReplicas is the number of ready control-plane Machines.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`

	// UnavailableReplicas is the number of control-plane Machines that are not ready.
	// +optional
	UnavailableReplicas int32 `json:"unavailableReplicas,omitempty"`

	// Initialized is true once the first K3s server is initialized.
	// +optional
	Initialized bool `json:"initialized"`

	// Ready is true once the API server accepts requests.
	// +optional
	Ready bool `json:"ready"`

	// FailureReason is set on non-retryable errors.
	// +optional
	FailureReason errors.KThreesControlPlaneStatusError `json:"failureReason,omitempty"`

	// FailureMessage is set on non-retryable errors.
	// +optional
	FailureMessage *string `json:"failureMessage,omitempty"`

	// ObservedGeneration is the latest generation observed by the controller.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions are the current conditions of the KThreesControlPlane.
	// +optional
	Conditions clusterv1beta1.Conditions `json:"conditions,omitempty"`

	// LastRemediation describes the last remediation performed.
	// +optional
	LastRemediation *LastRemediationStatus `json:"lastRemediation,omitempty"`
}

// LastRemediationStatus describes the last remediation performed.
type LastRemediationStatus struct {
	// Machine is the name of the last remediated Machine.
	Machine string `json:"machine"`

	// Timestamp is when the last remediation happened.
	Timestamp metav1.Time `json:"timestamp"`

	// RetryCount counts the retries of the last remediation.
	RetryCount int32 `json:"retryCount"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:path=kthreescontrolplanes,scope=Namespaced,categories=cluster-api
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas,selectorpath=.status.selector
// +kubebuilder:printcolumn:name="Initialized",type=boolean,JSONPath=".status.initialized",description="Whether the first K3s server is initialized"
// +kubebuilder:printcolumn:name="API Server Available",type=boolean,JSONPath=".status.ready",description="Whether the API server accepts requests"
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=".spec.version",description="K3s version of the control plane"
// +kubebuilder:printcolumn:name="Replicas",type=integer,JSONPath=".status.replicas",description="Non-terminated control-plane Machines"
// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=".status.readyReplicas",description="Ready control-plane Machines"
// +kubebuilder:printcolumn:name="Updated",type=integer,JSONPath=".status.updatedReplicas",description="Control-plane Machines with the desired spec"
// +kubebuilder:printcolumn:name="Unavailable",type=integer,JSONPath=".status.unavailableReplicas",description="Control-plane Machines that are not ready"

// KThreesControlPlane is the Schema for the kthreescontrolplanes API.
type KThreesControlPlane struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   KThreesControlPlaneSpec   `json:"spec,omitempty"`
	Status KThreesControlPlaneStatus `json:"status,omitempty"`
}

// GetConditions returns the conditions of the KThreesControlPlane.
func (in *KThreesControlPlane) GetConditions() clusterv1beta1.Conditions {
	return in.Status.Conditions
}

// SetConditions sets the conditions of the KThreesControlPlane.
func (in *KThreesControlPlane) SetConditions(conditions clusterv1beta1.Conditions) {
	in.Status.Conditions = conditions
}

// +kubebuilder:object:root=true

// KThreesControlPlaneList contains a list of KThreesControlPlane.
type KThreesControlPlaneList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []KThreesControlPlane `json:"items"`
}

func init() {
	SchemeBuilder.Register(&KThreesControlPlane{}, &KThreesControlPlaneList{})
}
