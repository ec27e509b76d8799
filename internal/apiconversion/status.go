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

package apiconversion

import (
	clusterv1beta1 "sigs.k8s.io/cluster-api/api/core/v1beta1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// BootstrapV1Beta1Status builds the hub's status.deprecated of a KThreesConfig from the status fields v1beta1 and
// v1beta2 expose; nil when they are all empty.
func BootstrapV1Beta1Status(conditions clusterv1beta1.Conditions, failureReason, failureMessage string, bootstrapData []byte) *bootstrapv1.KThreesConfigDeprecatedStatus {
	if conditions == nil && failureReason == "" && failureMessage == "" && bootstrapData == nil {
		return nil
	}
	old := &bootstrapv1.KThreesConfigV1Beta1DeprecatedStatus{
		Conditions:     ToHubConditions(conditions),
		FailureReason:  failureReason,
		FailureMessage: failureMessage,
	}
	if bootstrapData != nil {
		old.BootstrapData = append([]byte{}, bootstrapData...)
	}
	return &bootstrapv1.KThreesConfigDeprecatedStatus{V1Beta1: old}
}

// BootstrapV1Beta1StatusOf returns the v1beta1 status fields kept in the hub's status.deprecated of a KThreesConfig;
// the zero value when there are none.
func BootstrapV1Beta1StatusOf(deprecated *bootstrapv1.KThreesConfigDeprecatedStatus) bootstrapv1.KThreesConfigV1Beta1DeprecatedStatus {
	if deprecated == nil || deprecated.V1Beta1 == nil {
		return bootstrapv1.KThreesConfigV1Beta1DeprecatedStatus{}
	}
	return *deprecated.V1Beta1.DeepCopy()
}

// ToHubConditions converts CAPI v1beta1 conditions of an old API version to the hub's status.deprecated shape.
func ToHubConditions(in clusterv1beta1.Conditions) clusterv1.Conditions {
	if in == nil {
		return nil
	}
	var out clusterv1.Conditions
	clusterv1beta1.Convert_v1beta1_Conditions_To_v1beta2_Deprecated_V1Beta1_Conditions(&in, &out)
	return out
}

// FromHubConditions converts the hub's status.deprecated conditions to the CAPI v1beta1 conditions of an old API
// version.
func FromHubConditions(in clusterv1.Conditions) clusterv1beta1.Conditions {
	if in == nil {
		return nil
	}
	var out clusterv1beta1.Conditions
	clusterv1beta1.Convert_v1beta2_Deprecated_V1Beta1_Conditions_To_v1beta1_Conditions(&in, &out)
	return out
}

// ControlPlaneV1Beta1Status builds the hub's status.deprecated of a KThreesControlPlane from the status fields
// v1beta1 and v1beta2 expose; nil when they are all empty.
func ControlPlaneV1Beta1Status(in controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus) *controlplanev1.KThreesControlPlaneDeprecatedStatus {
	if in.Conditions == nil && in.FailureReason == "" && in.FailureMessage == nil && in.UpdatedReplicas == 0 &&
		in.ReadyReplicas == 0 && in.UnavailableReplicas == 0 && !in.Ready {
		return nil
	}
	return &controlplanev1.KThreesControlPlaneDeprecatedStatus{V1Beta1: in.DeepCopy()}
}

// ControlPlaneV1Beta1StatusOf returns the v1beta1 status fields kept in the hub's status.deprecated of a
// KThreesControlPlane; the zero value when there are none.
func ControlPlaneV1Beta1StatusOf(deprecated *controlplanev1.KThreesControlPlaneDeprecatedStatus) controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus {
	if deprecated == nil || deprecated.V1Beta1 == nil {
		return controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus{}
	}
	return *deprecated.V1Beta1.DeepCopy()
}
