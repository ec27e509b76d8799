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

// ClusterFinalizer lets the simulator release a K3sSimCluster's listener and workload objects before it is
// removed.
const ClusterFinalizer = "k3ssimcluster.infrastructure.cluster.x-k8s.io"

// K3sSimClusterSpec defines the desired state of a K3sSimCluster.
type K3sSimClusterSpec struct {
	// controlPlaneEndpoint is the endpoint of the simulated workload API server: 127.0.0.1 and a port reserved
	// by the simulator. It is set by the simulator; a port set beforehand is reused.
	// +optional
	ControlPlaneEndpoint clusterv1.APIEndpoint `json:"controlPlaneEndpoint,omitempty,omitzero"`

	// failureDomains are published on status.failureDomains, for Cluster API to spread Machines over.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	FailureDomains []clusterv1.FailureDomain `json:"failureDomains,omitempty"`
}

// K3sSimClusterStatus defines the observed state of a K3sSimCluster.
// +kubebuilder:validation:MinProperties=1
type K3sSimClusterStatus struct {
	// conditions represent the observations of the K3sSimCluster's state: Ready, Paused.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// initialization provides observations of the K3sSimCluster initialization process.
	// +optional
	Initialization K3sSimClusterInitializationStatus `json:"initialization,omitempty,omitzero"`

	// failureDomains are the failure domains Machines can be placed in, from spec.failureDomains.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	FailureDomains []clusterv1.FailureDomain `json:"failureDomains,omitempty"`
}

// K3sSimClusterInitializationStatus provides observations of the K3sSimCluster initialization process.
// +kubebuilder:validation:MinProperties=1
type K3sSimClusterInitializationStatus struct {
	// provisioned is true once the endpoint is reserved.
	// +optional
	Provisioned *bool `json:"provisioned,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:path=k3ssimclusters,scope=Namespaced,categories=cluster-api
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta2=v1beta1"
// +kubebuilder:printcolumn:name="Cluster",type="string",JSONPath=".metadata.labels['cluster\\.x-k8s\\.io/cluster-name']",description="Cluster"
// +kubebuilder:printcolumn:name="Endpoint",type="string",JSONPath=".spec.controlPlaneEndpoint.port",description="Port of the endpoint on 127.0.0.1"
// +kubebuilder:printcolumn:name="Provisioned",type="boolean",JSONPath=".status.initialization.provisioned",description="Endpoint reserved"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description="Time since creation"

// K3sSimCluster is the infrastructure of a simulated K3s cluster: a loopback endpoint for its API server.
type K3sSimCluster struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the K3sSimCluster.
	// +optional
	Spec K3sSimClusterSpec `json:"spec,omitempty,omitzero"`

	// status is the observed state of the K3sSimCluster.
	// +optional
	Status K3sSimClusterStatus `json:"status,omitempty,omitzero"`
}

// GetConditions returns the conditions.
func (c *K3sSimCluster) GetConditions() []metav1.Condition { return c.Status.Conditions }

// SetConditions sets the conditions.
func (c *K3sSimCluster) SetConditions(conditions []metav1.Condition) {
	c.Status.Conditions = conditions
}

// +kubebuilder:object:root=true

// K3sSimClusterList contains a list of K3sSimCluster.
type K3sSimClusterList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []K3sSimCluster `json:"items"`
}

func init() {
	SchemeBuilder.Register(&K3sSimCluster{}, &K3sSimClusterList{})
}
