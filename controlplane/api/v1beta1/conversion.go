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
	apimachineryconversion "k8s.io/apimachinery/pkg/conversion"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/conversion"

	bootstrapv1beta1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta1"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion"
)

// ConvertTo converts this KThreesControlPlane to the hub version (v1beta3).
func (src *KThreesControlPlane) ConvertTo(dstRaw conversion.Hub) error {
	dst := dstRaw.(*controlplanev1.KThreesControlPlane)
	if err := Convert_v1beta1_KThreesControlPlane_To_v1beta3_KThreesControlPlane(src, dst, nil); err != nil {
		return err
	}
	infraRef, err := apiconversion.ToContractVersionedReference(&src.Spec.InfrastructureTemplate)
	if err != nil {
		return err
	}
	dst.Spec.MachineTemplate.Spec.InfrastructureRef = infraRef

	restored := &controlplanev1.KThreesControlPlane{}
	ok, err := apiconversion.UnmarshalData(src, restored)
	if err != nil {
		return err
	}
	apiconversion.RemoveData(dst)
	if ok {
		bootstrapv1beta1.RestoreKThreesConfigSpec(&src.Spec.KThreesConfigSpec, &restored.Spec.KThreesConfigSpec, &dst.Spec.KThreesConfigSpec)
		dst.Spec.MachineTemplate.Spec.Deletion.NodeVolumeDetachTimeoutSeconds = restored.Spec.MachineTemplate.Spec.Deletion.NodeVolumeDetachTimeoutSeconds
		dst.Spec.MachineTemplate.Spec.Deletion.NodeDeletionTimeoutSeconds = restored.Spec.MachineTemplate.Spec.Deletion.NodeDeletionTimeoutSeconds
		dst.Status.Version = restored.Status.Version
		dst.Spec.MachineTemplate.Spec.ReadinessGates = restored.Spec.MachineTemplate.Spec.ReadinessGates
		dst.Spec.Rollout.Before = restored.Spec.Rollout.Before
		dst.Spec.Rollout.Strategy = restored.Spec.Rollout.Strategy
		dst.Spec.MachineNaming = restored.Spec.MachineNaming
		restoreStatus(&restored.Status, &dst.Status)
	}
	restoreRemediationIntent(src.Spec.RemediationStrategy, &restored.Spec.Remediation, &dst.Spec.Remediation)
	dst.Status.Replicas = apiconversion.Int32ToPointer(src.Status.Replicas, restored.Status.Replicas)
	dst.Status.Initialization.ControlPlaneInitialized = apiconversion.BoolToPointer(src.Status.Initialized, restored.Status.Initialization.ControlPlaneInitialized)
	if ok {
		restoreLastRemediationIntent(src.Status.LastRemediation, &restored.Status.LastRemediation, &dst.Status.LastRemediation)
	}

	keep := &KThreesControlPlane{}
	needed := false
	if !apiconversion.IsDerivable(&src.Spec.InfrastructureTemplate, src.Namespace) {
		keep.Spec.InfrastructureTemplate = apiconversion.KeptReference(src.Spec.InfrastructureTemplate, src.Namespace)
		needed = true
	}
	if _, exact := apiconversion.DurationToSeconds(src.Spec.NodeDrainTimeout); !exact {
		keep.Spec.NodeDrainTimeout = src.Spec.NodeDrainTimeout
		needed = true
	}
	if keepInexactRemediation(src.Spec.RemediationStrategy, &keep.Spec.RemediationStrategy) {
		needed = true
	}
	if needed {
		return apiconversion.MarshalData(keep, dst)
	}
	return nil
}

// ConvertFrom converts the hub version (v1beta3) to this KThreesControlPlane.
func (dst *KThreesControlPlane) ConvertFrom(srcRaw conversion.Hub) error {
	src := srcRaw.(*controlplanev1.KThreesControlPlane)
	if err := Convert_v1beta3_KThreesControlPlane_To_v1beta1_KThreesControlPlane(src, dst, nil); err != nil {
		return err
	}
	kept := &KThreesControlPlane{}
	if _, err := apiconversion.UnmarshalData(src, kept); err != nil {
		return err
	}
	keptRef, err := apiconversion.KeptInfrastructureReference(src)
	if err != nil {
		return err
	}
	infraRef, err := apiconversion.ToObjectReference(src.Spec.MachineTemplate.Spec.InfrastructureRef, src.Namespace, keptRef)
	if err != nil {
		return err
	}
	dst.Spec.InfrastructureTemplate = infraRef
	dst.Spec.NodeDrainTimeout = apiconversion.SecondsToDuration(src.Spec.MachineTemplate.Spec.Deletion.NodeDrainTimeoutSeconds, kept.Spec.NodeDrainTimeout)
	dst.Spec.RemediationStrategy = remediationFromHub(&src.Spec.Remediation, kept.Spec.RemediationStrategy)
	dst.Status.Initialized = ptr.Deref(src.Status.Initialization.ControlPlaneInitialized, false)
	return apiconversion.MarshalData(src, dst)
}

// ConvertTo converts this list to the hub version (v1beta3).
func (src *KThreesControlPlaneList) ConvertTo(dstRaw conversion.Hub) error {
	return Convert_v1beta1_KThreesControlPlaneList_To_v1beta3_KThreesControlPlaneList(src, dstRaw.(*controlplanev1.KThreesControlPlaneList), nil)
}

// ConvertFrom converts the hub version (v1beta3) to this list.
func (dst *KThreesControlPlaneList) ConvertFrom(srcRaw conversion.Hub) error {
	return Convert_v1beta3_KThreesControlPlaneList_To_v1beta1_KThreesControlPlaneList(srcRaw.(*controlplanev1.KThreesControlPlaneList), dst, nil)
}

// restoreStatus copies the hub-only status fields restored from conversion data.
func restoreStatus(restored, dst *controlplanev1.KThreesControlPlaneStatus) {
	dst.Conditions = restored.Conditions
	dst.ReadyReplicas = restored.ReadyReplicas
	dst.AvailableReplicas = restored.AvailableReplicas
	dst.UpToDateReplicas = restored.UpToDateReplicas
	dst.Versions = restored.Versions
}

// restoreLastRemediationIntent keeps an unset retryCount unset when the spoke reports 0 for it.
func restoreLastRemediationIntent(src *LastRemediationStatus, restored, dst *controlplanev1.LastRemediationStatus) {
	if src != nil && src.RetryCount == 0 && restored.RetryCount == nil && dst.RetryCount != nil {
		dst.RetryCount = nil
	}
}

// restoreRemediationIntent keeps an explicit zero retry period that the spoke's value type cannot express.
func restoreRemediationIntent(src *RemediationStrategy, restored, dst *controlplanev1.KThreesControlPlaneRemediationSpec) {
	if src != nil && src.RetryPeriod.Duration == 0 && restored.RetryPeriodSeconds != nil && *restored.RetryPeriodSeconds == 0 {
		dst.RetryPeriodSeconds = ptr.To[int32](0)
	}
}

// keepInexactRemediation records the remediation periods that do not convert to whole seconds.
func keepInexactRemediation(src *RemediationStrategy, keep **RemediationStrategy) bool {
	if src == nil {
		return false
	}
	_, retryExact := apiconversion.DurationToSeconds(&src.RetryPeriod)
	_, healthyExact := apiconversion.DurationToSeconds(src.MinHealthyPeriod)
	if retryExact && healthyExact {
		return false
	}
	*keep = &RemediationStrategy{RetryPeriod: src.RetryPeriod, MinHealthyPeriod: src.MinHealthyPeriod}
	return true
}

// remediationToHub converts the remediation strategy of this version to the hub's remediation spec.
func remediationToHub(in *RemediationStrategy) controlplanev1.KThreesControlPlaneRemediationSpec {
	if in == nil {
		return controlplanev1.KThreesControlPlaneRemediationSpec{}
	}
	out := controlplanev1.KThreesControlPlaneRemediationSpec{MaxRetry: in.MaxRetry}
	if in.RetryPeriod.Duration != 0 {
		out.RetryPeriodSeconds, _ = apiconversion.DurationToSeconds(&in.RetryPeriod)
	}
	out.MinHealthyPeriodSeconds, _ = apiconversion.DurationToSeconds(in.MinHealthyPeriod)
	return out
}

// remediationFromHub converts the hub's remediation spec, preferring kept durations that round to the same seconds.
func remediationFromHub(in *controlplanev1.KThreesControlPlaneRemediationSpec, kept *RemediationStrategy) *RemediationStrategy {
	if *in == (controlplanev1.KThreesControlPlaneRemediationSpec{}) {
		return nil
	}
	if kept == nil {
		kept = &RemediationStrategy{}
	}
	out := &RemediationStrategy{MaxRetry: in.MaxRetry}
	if retry := apiconversion.SecondsToDuration(in.RetryPeriodSeconds, &kept.RetryPeriod); retry != nil {
		out.RetryPeriod = *retry
	}
	out.MinHealthyPeriod = apiconversion.SecondsToDuration(in.MinHealthyPeriodSeconds, kept.MinHealthyPeriod)
	return out
}

// Convert_v1beta1_KThreesControlPlaneSpec_To_v1beta3_KThreesControlPlaneSpec maps the v1beta1 spec fields to their
// hub places; the infrastructure template is converted by the object conversion, which knows the namespace.
func Convert_v1beta1_KThreesControlPlaneSpec_To_v1beta3_KThreesControlPlaneSpec(in *KThreesControlPlaneSpec, out *controlplanev1.KThreesControlPlaneSpec, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta1_KThreesControlPlaneSpec_To_v1beta3_KThreesControlPlaneSpec(in, out, s); err != nil {
		return err
	}
	out.Rollout.After = apiconversion.TimeFromPointer(in.UpgradeAfter)
	out.Remediation = remediationToHub(in.RemediationStrategy)
	out.MachineTemplate.Spec.Deletion.NodeDrainTimeoutSeconds, _ = apiconversion.DurationToSeconds(in.NodeDrainTimeout)
	return nil
}

// Convert_v1beta3_KThreesControlPlaneSpec_To_v1beta1_KThreesControlPlaneSpec maps the hub spec back to v1beta1.
func Convert_v1beta3_KThreesControlPlaneSpec_To_v1beta1_KThreesControlPlaneSpec(in *controlplanev1.KThreesControlPlaneSpec, out *KThreesControlPlaneSpec, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta3_KThreesControlPlaneSpec_To_v1beta1_KThreesControlPlaneSpec(in, out, s); err != nil {
		return err
	}
	out.UpgradeAfter = apiconversion.TimeToPointer(in.Rollout.After)
	return nil
}

// Convert_v1beta3_KThreesControlPlaneMachineTemplate_To_v1beta1_KThreesControlPlaneMachineTemplate keeps the
// metadata; v1beta1 holds the reference and drain timeout at the top of the spec.
func Convert_v1beta3_KThreesControlPlaneMachineTemplate_To_v1beta1_KThreesControlPlaneMachineTemplate(in *controlplanev1.KThreesControlPlaneMachineTemplate, out *KThreesControlPlaneMachineTemplate, s apimachineryconversion.Scope) error {
	return autoConvert_v1beta3_KThreesControlPlaneMachineTemplate_To_v1beta1_KThreesControlPlaneMachineTemplate(in, out, s)
}

// Convert_v1beta1_KThreesControlPlaneStatus_To_v1beta3_KThreesControlPlaneStatus moves the CAPI v1beta1-contract
// status to status.deprecated.v1beta1 of the hub.
func Convert_v1beta1_KThreesControlPlaneStatus_To_v1beta3_KThreesControlPlaneStatus(in *KThreesControlPlaneStatus, out *controlplanev1.KThreesControlPlaneStatus, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta1_KThreesControlPlaneStatus_To_v1beta3_KThreesControlPlaneStatus(in, out, s); err != nil {
		return err
	}
	out.Conditions = nil
	out.ReadyReplicas = nil
	out.Deprecated = apiconversion.ControlPlaneV1Beta1Status(controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus{
		Conditions: apiconversion.ToHubConditions(in.Conditions), FailureReason: in.FailureReason, FailureMessage: in.FailureMessage,
		UpdatedReplicas: in.UpdatedReplicas, ReadyReplicas: in.ReadyReplicas, UnavailableReplicas: in.UnavailableReplicas, Ready: in.Ready,
	})
	return nil
}

// Convert_v1beta3_KThreesControlPlaneStatus_To_v1beta1_KThreesControlPlaneStatus reads the CAPI v1beta1-contract
// status back from status.deprecated.v1beta1 of the hub.
func Convert_v1beta3_KThreesControlPlaneStatus_To_v1beta1_KThreesControlPlaneStatus(in *controlplanev1.KThreesControlPlaneStatus, out *KThreesControlPlaneStatus, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta3_KThreesControlPlaneStatus_To_v1beta1_KThreesControlPlaneStatus(in, out, s); err != nil {
		return err
	}
	old := apiconversion.ControlPlaneV1Beta1StatusOf(in.Deprecated)
	out.Conditions = apiconversion.FromHubConditions(old.Conditions)
	out.FailureReason = old.FailureReason
	out.FailureMessage = old.FailureMessage
	out.UpdatedReplicas = old.UpdatedReplicas
	out.ReadyReplicas = old.ReadyReplicas
	out.UnavailableReplicas = old.UnavailableReplicas
	out.Ready = old.Ready
	return nil
}

// Convert_v1beta1_LastRemediationStatus_To_v1beta3_LastRemediationStatus maps timestamp to time.
func Convert_v1beta1_LastRemediationStatus_To_v1beta3_LastRemediationStatus(in *LastRemediationStatus, out *controlplanev1.LastRemediationStatus, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta1_LastRemediationStatus_To_v1beta3_LastRemediationStatus(in, out, s); err != nil {
		return err
	}
	out.Time = in.Timestamp
	out.RetryCount = ptr.To(in.RetryCount)
	return nil
}

// Convert_v1beta3_LastRemediationStatus_To_v1beta1_LastRemediationStatus maps time to timestamp.
func Convert_v1beta3_LastRemediationStatus_To_v1beta1_LastRemediationStatus(in *controlplanev1.LastRemediationStatus, out *LastRemediationStatus, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta3_LastRemediationStatus_To_v1beta1_LastRemediationStatus(in, out, s); err != nil {
		return err
	}
	out.Timestamp = in.Time
	out.RetryCount = ptr.Deref(in.RetryCount, 0)
	return nil
}

// Convert_Pointer_v1beta1_LastRemediationStatus_To_v1beta3_LastRemediationStatus converts the optional status of
// this version to the hub's value.
func Convert_Pointer_v1beta1_LastRemediationStatus_To_v1beta3_LastRemediationStatus(in **LastRemediationStatus, out *controlplanev1.LastRemediationStatus, s apimachineryconversion.Scope) error {
	if *in == nil {
		*out = controlplanev1.LastRemediationStatus{}
		return nil
	}
	return Convert_v1beta1_LastRemediationStatus_To_v1beta3_LastRemediationStatus(*in, out, s)
}

// Convert_v1beta3_LastRemediationStatus_To_Pointer_v1beta1_LastRemediationStatus converts the hub's value to the
// optional status of this version; an empty value becomes nil.
func Convert_v1beta3_LastRemediationStatus_To_Pointer_v1beta1_LastRemediationStatus(in *controlplanev1.LastRemediationStatus, out **LastRemediationStatus, s apimachineryconversion.Scope) error {
	if in.Machine == "" && in.Time.IsZero() && in.RetryCount == nil {
		*out = nil
		return nil
	}
	*out = &LastRemediationStatus{}
	return Convert_v1beta3_LastRemediationStatus_To_v1beta1_LastRemediationStatus(in, *out, s)
}

// Convert_v1_ObjectMeta_To_v1beta1_ObjectMeta keeps the labels and annotations of the template's metadata, the only
// parts the API server stores for it.
func Convert_v1_ObjectMeta_To_v1beta1_ObjectMeta(in *metav1.ObjectMeta, out *clusterv1.ObjectMeta, _ apimachineryconversion.Scope) error {
	out.Labels = in.Labels
	out.Annotations = in.Annotations
	return nil
}

// Convert_v1beta1_ObjectMeta_To_v1_ObjectMeta is the reverse of Convert_v1_ObjectMeta_To_v1beta1_ObjectMeta.
func Convert_v1beta1_ObjectMeta_To_v1_ObjectMeta(in *clusterv1.ObjectMeta, out *metav1.ObjectMeta, _ apimachineryconversion.Scope) error {
	out.Labels = in.Labels
	out.Annotations = in.Annotations
	return nil
}
