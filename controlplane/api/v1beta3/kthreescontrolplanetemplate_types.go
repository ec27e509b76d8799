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

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

// KThreesControlPlaneTemplateSpec defines the desired state of KThreesControlPlaneTemplate.
type KThreesControlPlaneTemplateSpec struct {
	// template describes the KThreesControlPlane created from the template.
	// +required
	Template KThreesControlPlaneTemplateResource `json:"template"`
}

// KThreesControlPlaneTemplateResource describes the KThreesControlPlane created from the template.
type KThreesControlPlaneTemplateResource struct {
	// metadata is added to the KThreesControlPlane created from the template.
	// +optional
	ObjectMeta clusterv1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// spec is the KThreesControlPlane spec without the fields the cluster topology supplies.
	// +optional
	Spec KThreesControlPlaneTemplateResourceSpec `json:"spec,omitempty,omitzero"`
}

// KThreesControlPlaneTemplateResourceSpec is the KThreesControlPlane spec without replicas, version and the
// infrastructure reference, which the cluster topology supplies.
type KThreesControlPlaneTemplateResourceSpec struct {
	// machineTemplate describes the control-plane Machines.
	// +optional
	MachineTemplate KThreesControlPlaneTemplateMachineTemplate `json:"machineTemplate,omitempty,omitzero"`

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

// KThreesControlPlaneTemplateMachineTemplate describes the control-plane Machines of a template.
// +kubebuilder:validation:MinProperties=1
type KThreesControlPlaneTemplateMachineTemplate struct {
	// metadata holds the labels and annotations propagated in place to the Machines.
	// +optional
	ObjectMeta clusterv1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// spec holds the Machine spec fields owned by the control plane.
	// +optional
	Spec KThreesControlPlaneTemplateMachineTemplateSpec `json:"spec,omitempty,omitzero"`
}

// KThreesControlPlaneTemplateMachineTemplateSpec holds the Machine spec fields of a template.
// +kubebuilder:validation:MinProperties=1
type KThreesControlPlaneTemplateMachineTemplateSpec struct {
	// deletion holds the deletion timeouts propagated in place to the Machines.
	// +optional
	Deletion KThreesControlPlaneMachineTemplateDeletionSpec `json:"deletion,omitempty,omitzero"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:path=kthreescontrolplanetemplates,scope=Namespaced,categories=cluster-api
// +kubebuilder:storageversion
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta1=v1beta1_v1beta2"
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta2=v1beta3"
// +kubebuilder:metadata:labels="clusterctl.cluster.x-k8s.io="
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description="Time since creation"

// KThreesControlPlaneTemplate is the Schema for the kthreescontrolplanetemplates API.
type KThreesControlPlaneTemplate struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the template.
	// +optional
	Spec KThreesControlPlaneTemplateSpec `json:"spec,omitempty,omitzero"`
}

// +kubebuilder:object:root=true

// KThreesControlPlaneTemplateList contains a list of KThreesControlPlaneTemplate.
type KThreesControlPlaneTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []KThreesControlPlaneTemplate `json:"items"`
}

func init() {
	SchemeBuilder.Register(&KThreesControlPlaneTemplate{}, &KThreesControlPlaneTemplateList{})
}
