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

package kthreesconfig

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"

	bootstrapv1beta2 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta2"
	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

// Conditions are kept in two shapes: metav1 conditions (CAPI v1beta2 contract) and upstream's CAPI v1beta1-style
// conditions under status.deprecated.v1beta1, which v1beta1/v1beta2 readers see as status.conditions.

// The v1beta1-style condition types, as upstream writes them.
const (
	dataSecretAvailableV1Beta1   = clusterv1.ConditionType(bootstrapv1beta2.DataSecretAvailableCondition)
	certificatesAvailableV1Beta1 = clusterv1.ConditionType(bootstrapv1beta2.CertificatesAvailableCondition)
)

func markWaitingForInfrastructure(config *bootstrapv1.KThreesConfig) {
	conditions.Set(config, metav1.Condition{
		Type:    bootstrapv1.KThreesConfigDataSecretAvailableCondition,
		Status:  metav1.ConditionFalse,
		Reason:  bootstrapv1.KThreesConfigDataSecretWaitingForClusterInfrastructureReason,
		Message: "Waiting for Cluster status.initialization.infrastructureProvisioned to be true",
	})
	v1beta1conditions.MarkFalse(config, dataSecretAvailableV1Beta1, bootstrapv1beta2.WaitingForClusterInfrastructureReason, clusterv1.ConditionSeverityInfo, "")
}

func markWaitingForControlPlane(config *bootstrapv1.KThreesConfig, message string) {
	conditions.Set(config, metav1.Condition{
		Type:    bootstrapv1.KThreesConfigDataSecretAvailableCondition,
		Status:  metav1.ConditionFalse,
		Reason:  bootstrapv1.KThreesConfigDataSecretWaitingForControlPlaneInitializedReason,
		Message: message,
	})
	v1beta1conditions.MarkFalse(config, dataSecretAvailableV1Beta1, clusterv1.WaitingForControlPlaneAvailableV1Beta1Reason, clusterv1.ConditionSeverityInfo, "")
}

// markDataSecretNotAvailable reports why the bootstrap data cannot be generated; message names the object to fix.
func markDataSecretNotAvailable(config *bootstrapv1.KThreesConfig, reason, message string) {
	conditions.Set(config, metav1.Condition{
		Type:    bootstrapv1.KThreesConfigDataSecretAvailableCondition,
		Status:  metav1.ConditionFalse,
		Reason:  reason,
		Message: message,
	})
	v1beta1conditions.MarkFalse(config, dataSecretAvailableV1Beta1, bootstrapv1beta2.DataSecretGenerationFailedReason, clusterv1.ConditionSeverityWarning, "%s", message)
}

func markDataSecretCreated(config *bootstrapv1.KThreesConfig, name string) {
	config.Status.DataSecretName = name
	config.Status.Initialization.DataSecretCreated = ptr.To(true)
	conditions.Set(config, metav1.Condition{
		Type:   bootstrapv1.KThreesConfigDataSecretAvailableCondition,
		Status: metav1.ConditionTrue,
		Reason: bootstrapv1.KThreesConfigDataSecretAvailableReason,
	})
	v1beta1conditions.MarkTrue(config, dataSecretAvailableV1Beta1)
}

func markCertificatesAvailable(config *bootstrapv1.KThreesConfig) {
	conditions.Set(config, metav1.Condition{
		Type:   bootstrapv1.KThreesConfigCertificatesAvailableCondition,
		Status: metav1.ConditionTrue,
		Reason: bootstrapv1.KThreesConfigCertificatesAvailableReason,
	})
	v1beta1conditions.MarkTrue(config, certificatesAvailableV1Beta1)
}

func markCertificatesNotAvailable(config *bootstrapv1.KThreesConfig, err error) {
	conditions.Set(config, metav1.Condition{
		Type:    bootstrapv1.KThreesConfigCertificatesAvailableCondition,
		Status:  metav1.ConditionFalse,
		Reason:  bootstrapv1.KThreesConfigCertificatesNotAvailableReason,
		Message: fmt.Sprintf("Failed to read or generate the cluster CA Secrets: %v", err),
	})
	v1beta1conditions.MarkFalse(config, certificatesAvailableV1Beta1, bootstrapv1beta2.CertificatesGenerationFailedReason, clusterv1.ConditionSeverityWarning, "%v", err)
}

// setReadyCondition summarises DataSecretAvailable and CertificatesAvailable into Ready, in both shapes.
func setReadyCondition(config *bootstrapv1.KThreesConfig) {
	if err := conditions.SetSummaryCondition(config, config, bootstrapv1.KThreesConfigReadyCondition,
		conditions.ForConditionTypes{bootstrapv1.KThreesConfigDataSecretAvailableCondition, bootstrapv1.KThreesConfigCertificatesAvailableCondition},
		conditions.IgnoreTypesIfMissing{bootstrapv1.KThreesConfigCertificatesAvailableCondition},
	); err != nil {
		conditions.Set(config, metav1.Condition{
			Type:    bootstrapv1.KThreesConfigReadyCondition,
			Status:  metav1.ConditionUnknown,
			Reason:  clusterv1.InternalErrorReason,
			Message: "Please check controller logs for errors",
		})
	}
	v1beta1conditions.SetSummary(config, v1beta1conditions.WithConditions(dataSecretAvailableV1Beta1, certificatesAvailableV1Beta1))
}
