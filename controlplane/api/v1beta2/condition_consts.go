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

import clusterv1beta1 "sigs.k8s.io/cluster-api/api/core/v1beta1"

// Conditions and reasons of KThreesControlPlane and its Machines as exposed by this API version (CAPI v1beta1
// condition shape). The strings are the ones upstream writes; tooling may depend on them.
const (
	// MachinesReadyCondition aggregates the Ready condition of the control-plane Machines.
	MachinesReadyCondition clusterv1beta1.ConditionType = "MachinesReady"
)

const (
	// CertificatesAvailableCondition reports whether the cluster certificates exist.
	CertificatesAvailableCondition clusterv1beta1.ConditionType = "CertificatesAvailable"

	// CertificatesGenerationFailedReason (Severity=Warning) means generating certificates failed; it is retried.
	CertificatesGenerationFailedReason = "CertificatesGenerationFailed"
)

const (
	// AvailableCondition reports that the first K3s server is up and the API server accepts requests.
	AvailableCondition clusterv1beta1.ConditionType = "Available"

	// WaitingForKthreesServerReason (Severity=Info) means the first K3s server is not up yet.
	WaitingForKthreesServerReason = "WaitingForKthreesServer"
)

const (
	// MachinesSpecUpToDateCondition reports whether all control-plane Machines match the desired spec.
	MachinesSpecUpToDateCondition clusterv1beta1.ConditionType = "MachinesSpecUpToDate"

	// RollingUpdateInProgressReason (Severity=Warning) means a rollout is replacing Machines.
	RollingUpdateInProgressReason = "RollingUpdateInProgress"
)

const (
	// ResizedCondition reports whether the number of Machines matches the desired replicas.
	ResizedCondition clusterv1beta1.ConditionType = "Resized"

	// ScalingUpReason (Severity=Info) means Machines are being added.
	ScalingUpReason = "ScalingUp"

	// ScalingDownReason (Severity=Info) means Machines are being removed.
	ScalingDownReason = "ScalingDown"
)

const (
	// ControlPlaneComponentsHealthyCondition reports the health of the K3s servers.
	ControlPlaneComponentsHealthyCondition clusterv1beta1.ConditionType = "ControlPlaneComponentsHealthy"

	// ControlPlaneComponentsUnhealthyReason (Severity=Error) means a K3s server is unhealthy.
	ControlPlaneComponentsUnhealthyReason = "ControlPlaneComponentsUnhealthy"

	// ControlPlaneComponentsUnknownReason means the health of a K3s server is unknown.
	ControlPlaneComponentsUnknownReason = "ControlPlaneComponentsUnknown"

	// ControlPlaneComponentsInspectionFailedReason means the K3s servers could not be inspected.
	ControlPlaneComponentsInspectionFailedReason = "ControlPlaneComponentsInspectionFailed"

	// MachineAgentHealthyCondition reports the health of a Machine's K3s agent.
	MachineAgentHealthyCondition clusterv1beta1.ConditionType = "AgentHealthy"

	// PodProvisioningReason (Severity=Info) means the agent is still being provisioned.
	PodProvisioningReason = "PodProvisioning"

	// PodMissingReason (Severity=Error) means the node of the Machine does not exist.
	PodMissingReason = "PodMissing"

	// PodFailedReason (Severity=Error) means the node of the Machine failed.
	PodFailedReason = "PodFailed"

	// PodInspectionFailedReason means the node of the Machine could not be inspected.
	PodInspectionFailedReason = "PodInspectionFailed"
)

const (
	// EtcdClusterHealthyCondition reports the health of the etcd cluster. Upstream's type string ends in
	// "Condition"; it is kept as is for compatibility.
	EtcdClusterHealthyCondition clusterv1beta1.ConditionType = "EtcdClusterHealthyCondition"

	// EtcdClusterInspectionFailedReason means the etcd cluster could not be inspected.
	EtcdClusterInspectionFailedReason = "EtcdClusterInspectionFailed"

	// EtcdClusterUnknownReason means the health of the etcd cluster is unknown.
	EtcdClusterUnknownReason = "EtcdClusterUnknown"

	// EtcdClusterUnhealthyReason (Severity=Error) means the etcd cluster is unhealthy.
	EtcdClusterUnhealthyReason = "EtcdClusterUnhealthy"

	// MachineEtcdMemberHealthyCondition reports the health of a Machine's etcd member.
	MachineEtcdMemberHealthyCondition clusterv1beta1.ConditionType = "EtcdMemberHealthy"

	// EtcdMemberInspectionFailedReason means the etcd member could not be inspected.
	EtcdMemberInspectionFailedReason = "MemberInspectionFailed"

	// EtcdMemberUnhealthyReason (Severity=Error) means the etcd member is unhealthy.
	EtcdMemberUnhealthyReason = "EtcdMemberUnhealthy"
)

const (
	// TokenAvailableCondition reports whether the cluster join token exists.
	TokenAvailableCondition clusterv1beta1.ConditionType = "TokenAvailable"

	// TokenGenerationFailedReason means the join token could not be generated.
	TokenGenerationFailedReason = "TokenGenerationFailed"
)
