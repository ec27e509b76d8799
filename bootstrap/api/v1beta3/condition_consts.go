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

// KThreesConfig's Ready condition and its reasons.
const (
	// KThreesConfigReadyCondition is true when the KThreesConfig is not deleting and DataSecretAvailable and
	// CertificatesAvailable are true. CAPI mirrors it to the Machine's BootstrapConfigReady condition.
	KThreesConfigReadyCondition = clusterv1.ReadyCondition
)

// KThreesConfig's DataSecretAvailable condition and its reasons.
const (
	// KThreesConfigDataSecretAvailableCondition is true once the bootstrap data secret has been created.
	KThreesConfigDataSecretAvailableCondition = "DataSecretAvailable"

	// KThreesConfigDataSecretAvailableReason surfaces that the bootstrap data secret is available.
	KThreesConfigDataSecretAvailableReason = clusterv1.AvailableReason

	// KThreesConfigDataSecretNotAvailableReason surfaces that generating the bootstrap data failed.
	KThreesConfigDataSecretNotAvailableReason = clusterv1.NotAvailableReason

	// KThreesConfigDataSecretWaitingForClusterInfrastructureReason surfaces that the config waits for the
	// cluster infrastructure to be provisioned.
	KThreesConfigDataSecretWaitingForClusterInfrastructureReason = "WaitingForClusterInfrastructure"

	// KThreesConfigDataSecretWaitingForControlPlaneInitializedReason surfaces that a joining node waits for the
	// control plane to be initialized.
	KThreesConfigDataSecretWaitingForControlPlaneInitializedReason = "WaitingForControlPlaneInitialized"

	// KThreesConfigDataSecretInvalidJinjaReason surfaces that file content read from a Secret is not jinja that
	// cloud-init can render, so no bootstrap data is written: cloud-init would apply none of it.
	KThreesConfigDataSecretInvalidJinjaReason = "InvalidJinja"
)

// KThreesConfig's CertificatesAvailable condition and its reasons.
const (
	// KThreesConfigCertificatesAvailableCondition is true once the cluster certificates needed by the node exist.
	KThreesConfigCertificatesAvailableCondition = "CertificatesAvailable"

	// KThreesConfigCertificatesAvailableReason surfaces that the certificates are available.
	KThreesConfigCertificatesAvailableReason = clusterv1.AvailableReason

	// KThreesConfigCertificatesNotAvailableReason surfaces that the certificates could not be read or generated.
	KThreesConfigCertificatesNotAvailableReason = clusterv1.NotAvailableReason
)
