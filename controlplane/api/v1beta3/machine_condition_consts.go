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

// Conditions the control plane sets on its Machines, with upstream's type names so tools reading them keep working.
const (
	// KThreesControlPlaneMachineAgentHealthyCondition reports whether the Machine's K3s server is healthy, i.e. its
	// Node is Ready and reachable.
	KThreesControlPlaneMachineAgentHealthyCondition = "AgentHealthy"
	// KThreesControlPlaneMachineAgentHealthyReason surfaces a healthy K3s server.
	KThreesControlPlaneMachineAgentHealthyReason = "Healthy"
	// KThreesControlPlaneMachineAgentNotHealthyReason surfaces an unhealthy K3s server (Node NotReady or missing).
	KThreesControlPlaneMachineAgentNotHealthyReason = "NotHealthy"
	// KThreesControlPlaneMachineAgentHealthUnknownReason surfaces a K3s server whose health is unknown, e.g. an
	// unreachable Node.
	KThreesControlPlaneMachineAgentHealthUnknownReason = "HealthUnknown"
	// KThreesControlPlaneMachineAgentProvisioningReason surfaces a Machine whose Node does not exist yet.
	KThreesControlPlaneMachineAgentProvisioningReason = "Provisioning"
	// KThreesControlPlaneMachineAgentDeletingReason surfaces a Machine being deleted.
	KThreesControlPlaneMachineAgentDeletingReason = "Deleting"
	// KThreesControlPlaneMachineAgentInspectionFailedReason surfaces a failure while inspecting the Node.
	KThreesControlPlaneMachineAgentInspectionFailedReason = clusterv1.InspectionFailedReason
	// KThreesControlPlaneMachineAgentConnectionDownReason surfaces an unreachable workload cluster.
	KThreesControlPlaneMachineAgentConnectionDownReason = clusterv1.ConnectionDownReason

	// KThreesControlPlaneMachineEtcdMemberHealthyCondition reports whether the Machine's etcd member is healthy.
	KThreesControlPlaneMachineEtcdMemberHealthyCondition = "EtcdMemberHealthy"
	// KThreesControlPlaneMachineEtcdMemberHealthyReason surfaces a healthy etcd member.
	KThreesControlPlaneMachineEtcdMemberHealthyReason = "Healthy"
	// KThreesControlPlaneMachineEtcdMemberNotHealthyReason surfaces an unhealthy or missing etcd member.
	KThreesControlPlaneMachineEtcdMemberNotHealthyReason = "NotHealthy"
	// KThreesControlPlaneMachineEtcdMemberHealthUnknownReason surfaces an etcd member whose health is unknown.
	KThreesControlPlaneMachineEtcdMemberHealthUnknownReason = "HealthUnknown"
	// KThreesControlPlaneMachineEtcdMemberInspectionFailedReason surfaces a failure while inspecting the member.
	KThreesControlPlaneMachineEtcdMemberInspectionFailedReason = clusterv1.InspectionFailedReason
	// KThreesControlPlaneMachineEtcdMemberConnectionDownReason surfaces an unreachable workload cluster.
	KThreesControlPlaneMachineEtcdMemberConnectionDownReason = clusterv1.ConnectionDownReason
	// KThreesControlPlaneMachineEtcdMemberNotInspectedReason surfaces that the member is not inspected through
	// the etcd API (the etcd proxy is disabled); health follows the Node.
	KThreesControlPlaneMachineEtcdMemberNotInspectedReason = "NotInspected"

	// KThreesControlPlaneMachineUpToDateReason and the reasons below are set on the Machine's UpToDate condition
	// (clusterv1.MachineUpToDateCondition), which only the control plane computes for its Machines.
	KThreesControlPlaneMachineUpToDateReason = clusterv1.MachineUpToDateReason
	// KThreesControlPlaneMachineNotUpToDateReason surfaces a Machine that must be replaced.
	KThreesControlPlaneMachineNotUpToDateReason = clusterv1.MachineNotUpToDateReason
)

// Other conditions of the KThreesControlPlane.
const (
	// KThreesControlPlaneTokenAvailableCondition is true once the cluster's join token secret exists.
	KThreesControlPlaneTokenAvailableCondition = "TokenAvailable"
	// KThreesControlPlaneTokenAvailableReason surfaces that the token secret exists.
	KThreesControlPlaneTokenAvailableReason = clusterv1.AvailableReason
	// KThreesControlPlaneTokenNotAvailableReason surfaces that the token secret could not be read or created.
	KThreesControlPlaneTokenNotAvailableReason = clusterv1.NotAvailableReason
)
