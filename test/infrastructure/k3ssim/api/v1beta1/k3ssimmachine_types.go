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

// MachineFinalizer lets the simulator stop a K3sSimMachine's node before it is removed.
const MachineFinalizer = "k3ssimmachine.infrastructure.cluster.x-k8s.io"

// ProviderIDPrefix starts the provider ID of every simulated node: k3ssim://<namespace>/<name>.
const ProviderIDPrefix = "k3ssim://"

// EtcdUnhealthyMode is how a server's etcd member misbehaves.
// +kubebuilder:validation:Enum=Alarm;Unreachable
type EtcdUnhealthyMode string

const (
	// EtcdAlarm makes the member report a NOSPACE alarm; it stays reachable.
	EtcdAlarm EtcdUnhealthyMode = "Alarm"
	// EtcdUnreachable makes the member unreachable: TLS connections to it fail (it presents no etcd certificate),
	// while the other members still list it.
	EtcdUnreachable EtcdUnhealthyMode = "Unreachable"
)

// K3sSimMachineSpec defines the desired state of a K3sSimMachine. The knobs (all but providerID and
// failureDomain) make the simulated node misbehave; nodeNotReadyAfterBoot, etcdUnhealthy, the upgrade knobs and
// certificatesExpiry may be changed at any time and are applied to a running node.
type K3sSimMachineSpec struct {
	// providerID is the provider ID of the simulated Node, k3ssim://<namespace>/<name>; set by the simulator.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	ProviderID string `json:"providerID,omitempty"`

	// failureDomain is the failure domain of the machine (deprecated v1beta1 contract field; the Machine's
	// spec.failureDomain wins and is reported on status.failureDomain).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	FailureDomain string `json:"failureDomain,omitempty"`

	// bootDelaySeconds is how long the machine takes to boot once its bootstrap data is available, before K3s
	// starts or joins.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	BootDelaySeconds int32 `json:"bootDelaySeconds,omitempty"`

	// nodeReadyDelaySeconds is how long the Node reports Ready=False after it registered, as a K3s node does
	// until its network (flannel) is up; the API server of a server answers meanwhile.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	NodeReadyDelaySeconds int32 `json:"nodeReadyDelaySeconds,omitempty"`

	// neverBoot makes the machine never boot: no Node ever appears and the machine is never provisioned.
	// +optional
	NeverBoot *bool `json:"neverBoot,omitempty"`

	// nodeNotReadyAfterBoot makes the Node report Ready=False (kubelet not ready) once it has booted.
	// +optional
	NodeNotReadyAfterBoot *bool `json:"nodeNotReadyAfterBoot,omitempty"`

	// etcdUnhealthy makes the etcd member of a server unhealthy: Alarm (a NOSPACE alarm) or Unreachable.
	// +optional
	EtcdUnhealthy EtcdUnhealthyMode `json:"etcdUnhealthy,omitempty"`

	// unreachableDuringRemoval makes the Node unreachable (Ready Unknown, node.kubernetes.io/unreachable
	// NoExecute taint, its etcd member unreachable) once the deletion of its Machine starts.
	// +optional
	UnreachableDuringRemoval *bool `json:"unreachableDuringRemoval,omitempty"`

	// upgradeDelaySeconds is how long an upgrade Pod (label controlplane.cluster.x-k8s.io/k3s-upgrade=true) runs
	// on the node before it replaces the K3s binary and restarts K3s; unset means 2.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	UpgradeDelaySeconds *int32 `json:"upgradeDelaySeconds,omitempty"`

	// upgradeFails makes upgrade Pods on the node end Failed once they ran, the K3s binary unchanged.
	// +optional
	UpgradeFails *bool `json:"upgradeFails,omitempty"`

	// nodeNotReadyAfterUpgrade keeps K3s down once an upgrade Pod replaced its binary: the Node stays
	// Ready=False and the Pod Running until this is cleared, then the Node is Ready with the new version.
	// +optional
	NodeNotReadyAfterUpgrade *bool `json:"nodeNotReadyAfterUpgrade,omitempty"`

	// certificatesExpiry is when the node's K3s serving and client certificates expire; unset means one year
	// after the node booted (K3s's validity). Published on the Node as the annotation
	// k3ssim.cluster.x-k8s.io/certificates-expiry (RFC 3339), a simulator-only convention.
	// +optional
	CertificatesExpiry *metav1.Time `json:"certificatesExpiry,omitempty"`
}

// K3sSimMachineStatus defines the observed state of a K3sSimMachine.
// +kubebuilder:validation:MinProperties=1
type K3sSimMachineStatus struct {
	// conditions represent the observations of the K3sSimMachine's state: Ready, Booted, Paused.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// initialization provides observations of the K3sSimMachine initialization process.
	// +optional
	Initialization K3sSimMachineInitializationStatus `json:"initialization,omitempty,omitzero"`

	// addresses are the addresses of the simulated node.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Addresses []clusterv1.MachineAddress `json:"addresses,omitempty"`

	// failureDomain is the failure domain the machine was placed in.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	FailureDomain string `json:"failureDomain,omitempty"`

	// nodeName is the name of the simulated Node.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	NodeName string `json:"nodeName,omitempty"`

	// etcdMemberName is the name of the server's etcd member, <node name>-<8 hex characters> as K3s names it.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	EtcdMemberName string `json:"etcdMemberName,omitempty"`
}

// K3sSimMachineInitializationStatus provides observations of the K3sSimMachine initialization process.
// +kubebuilder:validation:MinProperties=1
type K3sSimMachineInitializationStatus struct {
	// provisioned is true once the simulated node is up.
	// +optional
	Provisioned *bool `json:"provisioned,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:path=k3ssimmachines,scope=Namespaced,categories=cluster-api
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta2=v1beta1"
// +kubebuilder:printcolumn:name="Cluster",type="string",JSONPath=".metadata.labels['cluster\\.x-k8s\\.io/cluster-name']",description="Cluster"
// +kubebuilder:printcolumn:name="Node",type="string",JSONPath=".status.nodeName",description="Simulated Node"
// +kubebuilder:printcolumn:name="Provisioned",type="boolean",JSONPath=".status.initialization.provisioned",description="Node up"
// +kubebuilder:printcolumn:name="Reason",type="string",JSONPath=".status.conditions[?(@.type=='Booted')].reason",description="Boot state"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp",description="Time since creation"

// K3sSimMachine is a simulated K3s node.
type K3sSimMachine struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the K3sSimMachine.
	// +optional
	Spec K3sSimMachineSpec `json:"spec,omitempty,omitzero"`

	// status is the observed state of the K3sSimMachine.
	// +optional
	Status K3sSimMachineStatus `json:"status,omitempty,omitzero"`
}

// GetConditions returns the conditions.
func (m *K3sSimMachine) GetConditions() []metav1.Condition { return m.Status.Conditions }

// SetConditions sets the conditions.
func (m *K3sSimMachine) SetConditions(conditions []metav1.Condition) {
	m.Status.Conditions = conditions
}

// +kubebuilder:object:root=true

// K3sSimMachineList contains a list of K3sSimMachine.
type K3sSimMachineList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []K3sSimMachine `json:"items"`
}

func init() {
	SchemeBuilder.Register(&K3sSimMachine{}, &K3sSimMachineList{})
}
