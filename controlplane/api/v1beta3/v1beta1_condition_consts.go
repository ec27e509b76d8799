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

// Upstream's (v1beta1-style) condition types and reasons, kept in status.deprecated.v1beta1.conditions so that the
// v1beta1 and v1beta2 API versions show what upstream's controller showed. Remove together with those versions.
const (
	DeprecatedV1Beta1ReadyCondition                               clusterv1.ConditionType = "Ready"
	DeprecatedV1Beta1AvailableCondition                           clusterv1.ConditionType = "Available"
	DeprecatedV1Beta1WaitingForKthreesServerReason                                        = "WaitingForKthreesServer"
	DeprecatedV1Beta1CertificatesAvailableCondition               clusterv1.ConditionType = "CertificatesAvailable"
	DeprecatedV1Beta1CertificatesGenerationFailedReason                                   = "CertificatesGenerationFailed"
	DeprecatedV1Beta1TokenAvailableCondition                      clusterv1.ConditionType = "TokenAvailable"
	DeprecatedV1Beta1TokenGenerationFailedReason                                          = "TokenGenerationFailed"
	DeprecatedV1Beta1MachinesReadyCondition                       clusterv1.ConditionType = "MachinesReady"
	DeprecatedV1Beta1MachinesSpecUpToDateCondition                clusterv1.ConditionType = "MachinesSpecUpToDate"
	DeprecatedV1Beta1RollingUpdateInProgressReason                                        = "RollingUpdateInProgress"
	DeprecatedV1Beta1ResizedCondition                             clusterv1.ConditionType = "Resized"
	DeprecatedV1Beta1ScalingUpReason                                                      = "ScalingUp"
	DeprecatedV1Beta1ScalingDownReason                                                    = "ScalingDown"
	DeprecatedV1Beta1DeletingReason                                                       = "Deleting"
	DeprecatedV1Beta1ControlPlaneComponentsHealthyCondition       clusterv1.ConditionType = "ControlPlaneComponentsHealthy"
	DeprecatedV1Beta1ControlPlaneComponentsUnhealthyReason                                = "ControlPlaneComponentsUnhealthy"
	DeprecatedV1Beta1ControlPlaneComponentsUnknownReason                                  = "ControlPlaneComponentsUnknown"
	DeprecatedV1Beta1ControlPlaneComponentsInspectionFailedReason                         = "ControlPlaneComponentsInspectionFailed"
	DeprecatedV1Beta1EtcdClusterHealthyCondition                  clusterv1.ConditionType = "EtcdClusterHealthyCondition"
	DeprecatedV1Beta1EtcdClusterInspectionFailedReason                                    = "EtcdClusterInspectionFailed"
	DeprecatedV1Beta1EtcdClusterUnknownReason                                             = "EtcdClusterUnknown"
	DeprecatedV1Beta1EtcdClusterUnhealthyReason                                           = "EtcdClusterUnhealthy"

	// Machine conditions.
	DeprecatedV1Beta1MachineAgentHealthyCondition      clusterv1.ConditionType = "AgentHealthy"
	DeprecatedV1Beta1PodProvisioningReason                                     = "PodProvisioning"
	DeprecatedV1Beta1PodMissingReason                                          = "PodMissing"
	DeprecatedV1Beta1PodFailedReason                                           = "PodFailed"
	DeprecatedV1Beta1PodInspectionFailedReason                                 = "PodInspectionFailed"
	DeprecatedV1Beta1MachineEtcdMemberHealthyCondition clusterv1.ConditionType = "EtcdMemberHealthy"
	DeprecatedV1Beta1EtcdMemberInspectionFailedReason                          = "MemberInspectionFailed"
	DeprecatedV1Beta1EtcdMemberUnhealthyReason                                 = "EtcdMemberUnhealthy"
	DeprecatedV1Beta1RemediationFailedReason                                   = "RemediationFailed"
	DeprecatedV1Beta1RemediationInProgressReason                               = "RemediationInProgress"
	DeprecatedV1Beta1WaitingForRemediationReason                               = "WaitingForRemediation"
)
