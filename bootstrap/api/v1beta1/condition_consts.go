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

import clusterv1beta1 "sigs.k8s.io/cluster-api/api/core/v1beta1"

// Conditions and reasons of KThreesConfig as exposed by this API version (CAPI v1beta1 condition shape).
const (
	// DataSecretAvailableCondition reports whether the bootstrap data secret has been generated.
	DataSecretAvailableCondition clusterv1beta1.ConditionType = "DataSecretAvailable"

	// WaitingForClusterInfrastructureReason (Severity=Info) means the config waits for the cluster infrastructure.
	WaitingForClusterInfrastructureReason = "WaitingForClusterInfrastructure"

	// WaitingForControlPlaneAvailableReason (Severity=Info) means the config of a joining Machine waits for the
	// control plane to be initialized. The controller sets CAPI's v1beta1 reason, which has the same value.
	WaitingForControlPlaneAvailableReason = "WaitingForControlPlaneAvailable"

	// DataSecretGenerationFailedReason (Severity=Warning) means generating the bootstrap data failed; the controller
	// retries.
	DataSecretGenerationFailedReason = "DataSecretGenerationFailed"
)

const (
	// CertificatesAvailableCondition reports whether the cluster certificates exist.
	CertificatesAvailableCondition clusterv1beta1.ConditionType = "CertificatesAvailable"

	// CertificatesGenerationFailedReason (Severity=Warning) means generating the certificates failed; the controller
	// retries.
	CertificatesGenerationFailedReason = "CertificatesGenerationFailed"

	// CertificatesCorruptedReason (Severity=Error) means existing certificates could not be used.
	CertificatesCorruptedReason = "CertificatesCorrupted"
)
