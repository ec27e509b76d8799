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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// K3sSimClusterTemplateSpec defines the desired state of a K3sSimClusterTemplate.
type K3sSimClusterTemplateSpec struct {
	// template describes the K3sSimClusters created from this template.
	// +required
	Template K3sSimClusterTemplateResource `json:"template"`
}

// K3sSimClusterTemplateResource holds the metadata and spec of K3sSimClusters created from the template.
type K3sSimClusterTemplateResource struct {
	// metadata is the metadata added to created K3sSimClusters.
	// +optional
	ObjectMeta clusterv1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// spec is the K3sSimCluster spec.
	// +optional
	Spec K3sSimClusterSpec `json:"spec,omitempty,omitzero"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:path=k3ssimclustertemplates,scope=Namespaced,categories=cluster-api
// +kubebuilder:storageversion
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta2=v1beta1"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description="Time since creation"

// K3sSimClusterTemplate is a template of K3sSimClusters (ClusterClass).
type K3sSimClusterTemplate struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the K3sSimClusterTemplate.
	// +optional
	Spec K3sSimClusterTemplateSpec `json:"spec,omitempty,omitzero"`
}

// +kubebuilder:object:root=true

// K3sSimClusterTemplateList contains a list of K3sSimClusterTemplate.
type K3sSimClusterTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []K3sSimClusterTemplate `json:"items"`
}

func init() {
	SchemeBuilder.Register(&K3sSimClusterTemplate{}, &K3sSimClusterTemplateList{})
}
