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

	bootstrapv1beta2 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta2"
)

// KThreesControlPlaneTemplateSpec defines the desired state of KThreesControlPlaneTemplate.
type KThreesControlPlaneTemplateSpec struct {
	Template KThreesControlPlaneTemplateResource `json:"template"`
}

// KThreesControlPlaneTemplateResource describes the KThreesControlPlane created from the template.
type KThreesControlPlaneTemplateResource struct {
	// +optional
	ObjectMeta metav1.ObjectMeta                       `json:"metadata,omitempty"`
	Spec       KThreesControlPlaneTemplateResourceSpec `json:"spec"`
}

// KThreesControlPlaneTemplateResourceSpec is the KThreesControlPlane spec without the fields the cluster topology
// supplies (replicas and version).
type KThreesControlPlaneTemplateResourceSpec struct {
	// KThreesConfigSpec is copied into the KThreesConfig of every control-plane Machine.
	// +optional
	KThreesConfigSpec bootstrapv1beta2.KThreesConfigSpec `json:"kthreesConfigSpec,omitempty"`

	// RolloutAfter replaces Machines created before this time once it has passed.
	// +optional
	RolloutAfter *metav1.Time `json:"rolloutAfter,omitempty"`

	// MachineTemplate describes the control-plane Machines.
	// +optional
	MachineTemplate KThreesControlPlaneMachineTemplate `json:"machineTemplate,omitempty"`

	// RemediationStrategy controls how unhealthy control-plane Machines are remediated.
	// +optional
	RemediationStrategy *RemediationStrategy `json:"remediationStrategy,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:path=kthreescontrolplanetemplates,scope=Namespaced,categories=cluster-api
// +kubebuilder:subresource:status

// KThreesControlPlaneTemplate is the Schema for the kthreescontrolplanetemplates API.
type KThreesControlPlaneTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec KThreesControlPlaneTemplateSpec `json:"spec,omitempty"`
}

// +kubebuilder:object:root=true

// KThreesControlPlaneTemplateList contains a list of KThreesControlPlaneTemplate.
type KThreesControlPlaneTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []KThreesControlPlaneTemplate `json:"items"`
}

func init() {
	SchemeBuilder.Register(&KThreesControlPlaneTemplate{}, &KThreesControlPlaneTemplateList{})
}
