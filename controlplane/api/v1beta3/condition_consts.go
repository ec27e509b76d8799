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

import clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

// Condition types and reasons of KThreesControlPlane, named like KubeadmControlPlane's so CAPI tooling and users
// read them the same way.

// Available condition and its reasons.
const (
	// KThreesControlPlaneAvailableCondition is true when the control plane is not deleting, certificates exist, at
	// least one K3s server is healthy and etcd has quorum. CAPI mirrors it to the Cluster's ControlPlaneAvailable.
	KThreesControlPlaneAvailableCondition = clusterv1.AvailableCondition

	// KThreesControlPlaneAvailableReason surfaces that the control plane is available.
	KThreesControlPlaneAvailableReason = clusterv1.AvailableReason

	// KThreesControlPlaneNotAvailableReason surfaces that the control plane is not available.
	KThreesControlPlaneNotAvailableReason = clusterv1.NotAvailableReason

	// KThreesControlPlaneAvailableInspectionFailedReason surfaces a failure while computing availability.
	KThreesControlPlaneAvailableInspectionFailedReason = clusterv1.InspectionFailedReason
)

// Initialized condition and its reasons.
const (
	// KThreesControlPlaneInitializedCondition is true once the first K3s server accepts requests.
	KThreesControlPlaneInitializedCondition = "Initialized"

	// KThreesControlPlaneInitializedReason surfaces that the control plane is initialized.
	KThreesControlPlaneInitializedReason = "Initialized"

	// KThreesControlPlaneNotInitializedReason surfaces that the control plane is not initialized yet.
	KThreesControlPlaneNotInitializedReason = "NotInitialized"
)

// CertificatesAvailable condition and its reasons.
const (
	// KThreesControlPlaneCertificatesAvailableCondition is true once the cluster CAs exist.
	KThreesControlPlaneCertificatesAvailableCondition = "CertificatesAvailable"

	// KThreesControlPlaneCertificatesAvailableReason surfaces that the certificates are available.
	KThreesControlPlaneCertificatesAvailableReason = clusterv1.AvailableReason

	// KThreesControlPlaneCertificatesNotAvailableReason surfaces that certificates could not be read or generated.
	KThreesControlPlaneCertificatesNotAvailableReason = clusterv1.NotAvailableReason

	// KThreesControlPlaneCertificatesInternalErrorReason surfaces an unexpected error.
	KThreesControlPlaneCertificatesInternalErrorReason = clusterv1.InternalErrorReason
)

// EtcdClusterHealthy and ControlPlaneComponentsHealthy conditions and their reasons.
const (
	// KThreesControlPlaneEtcdClusterHealthyCondition reports the health of the embedded etcd cluster.
	KThreesControlPlaneEtcdClusterHealthyCondition = "EtcdClusterHealthy"

	// KThreesControlPlaneEtcdClusterHealthyReason surfaces a healthy etcd cluster.
	KThreesControlPlaneEtcdClusterHealthyReason = "Healthy"

	// KThreesControlPlaneEtcdClusterNotHealthyReason surfaces an unhealthy etcd cluster.
	KThreesControlPlaneEtcdClusterNotHealthyReason = "NotHealthy"

	// KThreesControlPlaneEtcdClusterHealthUnknownReason surfaces an etcd cluster whose health is unknown.
	KThreesControlPlaneEtcdClusterHealthUnknownReason = "HealthUnknown"

	// KThreesControlPlaneEtcdClusterInspectionFailedReason surfaces a failure while inspecting etcd.
	KThreesControlPlaneEtcdClusterInspectionFailedReason = clusterv1.InspectionFailedReason

	// KThreesControlPlaneEtcdClusterConnectionDownReason surfaces that the workload cluster is unreachable.
	KThreesControlPlaneEtcdClusterConnectionDownReason = clusterv1.ConnectionDownReason

	// KThreesControlPlaneEtcdClusterNotInspectedReason surfaces that etcd is not inspected, e.g. because the etcd
	// proxy is disabled.
	KThreesControlPlaneEtcdClusterNotInspectedReason = "NotInspected"

	// KThreesControlPlaneControlPlaneComponentsHealthyCondition reports the health of the K3s servers.
	KThreesControlPlaneControlPlaneComponentsHealthyCondition = "ControlPlaneComponentsHealthy"

	// KThreesControlPlaneControlPlaneComponentsHealthyReason surfaces healthy K3s servers.
	KThreesControlPlaneControlPlaneComponentsHealthyReason = "Healthy"

	// KThreesControlPlaneControlPlaneComponentsNotHealthyReason surfaces unhealthy K3s servers.
	KThreesControlPlaneControlPlaneComponentsNotHealthyReason = "NotHealthy"

	// KThreesControlPlaneControlPlaneComponentsHealthUnknownReason surfaces K3s servers of unknown health.
	KThreesControlPlaneControlPlaneComponentsHealthUnknownReason = "HealthUnknown"

	// KThreesControlPlaneControlPlaneComponentsInspectionFailedReason surfaces a failure inspecting the servers.
	KThreesControlPlaneControlPlaneComponentsInspectionFailedReason = clusterv1.InspectionFailedReason

	// KThreesControlPlaneControlPlaneComponentsConnectionDownReason surfaces an unreachable workload cluster.
	KThreesControlPlaneControlPlaneComponentsConnectionDownReason = clusterv1.ConnectionDownReason
)

// MachinesReady and MachinesUpToDate conditions and their reasons.
const (
	// KThreesControlPlaneMachinesReadyCondition aggregates the Ready condition of the control-plane Machines.
	KThreesControlPlaneMachinesReadyCondition = clusterv1.MachinesReadyCondition

	// KThreesControlPlaneMachinesReadyReason surfaces that all Machines are ready.
	KThreesControlPlaneMachinesReadyReason = clusterv1.ReadyReason

	// KThreesControlPlaneMachinesNotReadyReason surfaces that some Machines are not ready.
	KThreesControlPlaneMachinesNotReadyReason = clusterv1.NotReadyReason

	// KThreesControlPlaneMachinesReadyUnknownReason surfaces Machines whose readiness is unknown.
	KThreesControlPlaneMachinesReadyUnknownReason = clusterv1.ReadyUnknownReason

	// KThreesControlPlaneMachinesReadyNoReplicasReason surfaces that there are no Machines.
	KThreesControlPlaneMachinesReadyNoReplicasReason = clusterv1.NoReplicasReason

	// KThreesControlPlaneMachinesUpToDateCondition aggregates the UpToDate condition of the control-plane Machines.
	KThreesControlPlaneMachinesUpToDateCondition = clusterv1.MachinesUpToDateCondition

	// KThreesControlPlaneMachinesUpToDateReason surfaces that all Machines are up to date.
	KThreesControlPlaneMachinesUpToDateReason = clusterv1.UpToDateReason

	// KThreesControlPlaneMachinesNotUpToDateReason surfaces that some Machines are not up to date.
	KThreesControlPlaneMachinesNotUpToDateReason = clusterv1.NotUpToDateReason

	// KThreesControlPlaneMachinesUpToDateNoReplicasReason surfaces that there are no Machines.
	KThreesControlPlaneMachinesUpToDateNoReplicasReason = clusterv1.NoReplicasReason
)

// RollingOut, ScalingUp, ScalingDown, Remediating and Deleting conditions and their reasons.
const (
	// KThreesControlPlaneRollingOutCondition is true while Machines are replaced to match the desired spec.
	KThreesControlPlaneRollingOutCondition = clusterv1.RollingOutCondition

	// KThreesControlPlaneRollingOutReason surfaces a rollout in progress.
	KThreesControlPlaneRollingOutReason = clusterv1.RollingOutReason

	// KThreesControlPlaneInPlaceUpgradeStalledReason surfaces that an in-place upgrade stopped at a node that did
	// not come back with the new version within its timeout, or whose upgrade Pod failed; the message names both.
	KThreesControlPlaneInPlaceUpgradeStalledReason = "InPlaceUpgradeStalled"

	// KThreesControlPlaneNotRollingOutReason surfaces that no rollout is in progress.
	KThreesControlPlaneNotRollingOutReason = clusterv1.NotRollingOutReason

	// KThreesControlPlaneScalingUpCondition is true while Machines are being added.
	KThreesControlPlaneScalingUpCondition = clusterv1.ScalingUpCondition

	// KThreesControlPlaneScalingUpReason surfaces a scale up in progress.
	KThreesControlPlaneScalingUpReason = clusterv1.ScalingUpReason

	// KThreesControlPlaneNotScalingUpReason surfaces that no scale up is in progress.
	KThreesControlPlaneNotScalingUpReason = clusterv1.NotScalingUpReason

	// KThreesControlPlaneScalingDownCondition is true while Machines are being removed.
	KThreesControlPlaneScalingDownCondition = clusterv1.ScalingDownCondition

	// KThreesControlPlaneScalingDownReason surfaces a scale down in progress.
	KThreesControlPlaneScalingDownReason = clusterv1.ScalingDownReason

	// KThreesControlPlaneNotScalingDownReason surfaces that no scale down is in progress.
	KThreesControlPlaneNotScalingDownReason = clusterv1.NotScalingDownReason

	// KThreesControlPlaneRemediatingCondition is true while an unhealthy Machine is being remediated.
	KThreesControlPlaneRemediatingCondition = clusterv1.RemediatingCondition

	// KThreesControlPlaneRemediatingReason surfaces a remediation in progress.
	KThreesControlPlaneRemediatingReason = clusterv1.RemediatingReason

	// KThreesControlPlaneNotRemediatingReason surfaces that no remediation is in progress.
	KThreesControlPlaneNotRemediatingReason = clusterv1.NotRemediatingReason

	// KThreesControlPlaneDeletingCondition reports the progress of the deletion.
	KThreesControlPlaneDeletingCondition = clusterv1.DeletingCondition

	// KThreesControlPlaneNotDeletingReason surfaces that the control plane is not being deleted.
	KThreesControlPlaneNotDeletingReason = clusterv1.NotDeletingReason

	// KThreesControlPlaneDeletingWaitingForWorkersDeletionReason surfaces that worker Machines must go first.
	KThreesControlPlaneDeletingWaitingForWorkersDeletionReason = "WaitingForWorkersDeletion"

	// KThreesControlPlaneDeletingWaitingForMachineDeletionReason surfaces that control-plane Machines are deleting.
	KThreesControlPlaneDeletingWaitingForMachineDeletionReason = "WaitingForMachineDeletion"

	// KThreesControlPlaneDeletingDeletionCompletedReason surfaces that the deletion is complete.
	KThreesControlPlaneDeletingDeletionCompletedReason = "DeletionCompleted"

	// KThreesControlPlanePausedCondition is true when reconciliation is paused.
	KThreesControlPlanePausedCondition = clusterv1.PausedCondition
)
