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

// Conditions and reasons of K3sSimCluster and K3sSimMachine; Ready and Paused are Cluster API's.
const (
	// ReadyCondition is True when a K3sSimCluster's endpoint is reserved, or a K3sSimMachine's node is up. A
	// K3sSimMachine's Ready mirrors its Booted condition until deletion, when it turns False (DeletingReason).
	ReadyCondition = "Ready"

	// EndpointReservedReason: the K3sSimCluster's endpoint is reserved.
	EndpointReservedReason = "EndpointReserved"

	// DeletingReason: the object is being deleted.
	DeletingReason = "Deleting"
)

// Booted condition of K3sSimMachine and its reasons.
const (
	// BootedCondition tells whether the simulated node is up and why not.
	BootedCondition = "Booted"

	// BootedReason: K3s runs and the Node is registered.
	BootedReason = "Booted"

	// WaitingForClusterInfrastructureReason: the K3sSimCluster has no endpoint yet.
	WaitingForClusterInfrastructureReason = "WaitingForClusterInfrastructure"

	// WaitingForBootstrapDataReason: the Machine has no spec.bootstrap.dataSecretName yet.
	WaitingForBootstrapDataReason = "WaitingForBootstrapData"

	// InvalidBootstrapDataReason: the bootstrap data cannot be read or is not valid K3s bootstrap data; the
	// machine never boots. Terminal.
	InvalidBootstrapDataReason = "InvalidBootstrapData"

	// NeverBootReason: spec.neverBoot is set; clearing it lets the machine boot.
	NeverBootReason = "NeverBoot"

	// BootingReason: the machine is booting (spec.bootDelaySeconds).
	BootingReason = "Booting"

	// WaitingForServerReason: a joining node cannot reach its server yet (the cluster is not initialized, or
	// the server URL is not the cluster's endpoint); K3s keeps retrying.
	WaitingForServerReason = "WaitingForServer"

	// JoinRejectedReason: the server rejected the node's token. Terminal.
	JoinRejectedReason = "JoinRejected"

	// ClusterAlreadyInitializedReason: a cluster-init server started on an initialized cluster (split brain).
	// Terminal.
	ClusterAlreadyInitializedReason = "ClusterAlreadyInitialized"

	// CertificateMismatchReason: the CA in the bootstrap data is not the Cluster's <cluster>-ca. Terminal.
	CertificateMismatchReason = "CertificateMismatch"

	// WaitingForCertificatesReason: the Cluster's CA secrets (<cluster>-ca, <cluster>-etcd) are missing.
	WaitingForCertificatesReason = "WaitingForCertificates"

	// DuplicateNodeNameReason: another machine's Node has the same name; K3s rejects the node password until
	// that Node is deleted.
	DuplicateNodeNameReason = "DuplicateNodeName"
)
