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

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apimachineryconversion "k8s.io/apimachinery/pkg/conversion"
	"k8s.io/utils/ptr"
	clusterv1beta1 "sigs.k8s.io/cluster-api/api/core/v1beta1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/conversion"

	bootstrapv1beta2 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta2"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion"
)

// ConvertTo converts this KThreesControlPlane to the hub version (v1beta3).
func (src *KThreesControlPlane) ConvertTo(dstRaw conversion.Hub) error {
	dst := dstRaw.(*controlplanev1.KThreesControlPlane)
	if err := Convert_v1beta2_KThreesControlPlane_To_v1beta3_KThreesControlPlane(src, dst, nil); err != nil {
		return err
	}
	infraRef, err := apiconversion.ToContractVersionedReference(&src.Spec.MachineTemplate.InfrastructureRef)
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
		bootstrapv1beta2.RestoreKThreesConfigSpec(&restored.Spec.KThreesConfigSpec, &dst.Spec.KThreesConfigSpec)
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
	needed := bootstrapv1beta2.KeepSpokeOnlyKThreesConfigSpec(&src.Spec.KThreesConfigSpec, &dst.Spec.KThreesConfigSpec, &keep.Spec.KThreesConfigSpec)
	if !apiconversion.IsDerivable(&src.Spec.MachineTemplate.InfrastructureRef, src.Namespace) {
		keep.Spec.MachineTemplate.InfrastructureRef = apiconversion.KeptReference(src.Spec.MachineTemplate.InfrastructureRef, src.Namespace)
		needed = true
	}
	if keepInexactMachineTemplate(&src.Spec.MachineTemplate, &keep.Spec.MachineTemplate) {
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
	if err := Convert_v1beta3_KThreesControlPlane_To_v1beta2_KThreesControlPlane(src, dst, nil); err != nil {
		return err
	}
	kept := &KThreesControlPlane{}
	ok, err := apiconversion.UnmarshalData(src, kept)
	if err != nil {
		return err
	}
	bootstrapv1beta2.RestoreSpokeOnlyKThreesConfigSpec(&src.Spec.KThreesConfigSpec, ok, &kept.Spec.KThreesConfigSpec, &dst.Spec.KThreesConfigSpec)
	keptRef, err := apiconversion.KeptInfrastructureReference(src)
	if err != nil {
		return err
	}
	infraRef, err := apiconversion.ToObjectReference(src.Spec.MachineTemplate.Spec.InfrastructureRef, src.Namespace, keptRef)
	if err != nil {
		return err
	}
	dst.Spec.MachineTemplate.InfrastructureRef = infraRef
	deletionFromHub(&src.Spec.MachineTemplate.Spec.Deletion, &kept.Spec.MachineTemplate, &dst.Spec.MachineTemplate)
	dst.Spec.RemediationStrategy = remediationFromHub(&src.Spec.Remediation, kept.Spec.RemediationStrategy)
	dst.Status.Initialized = ptr.Deref(src.Status.Initialization.ControlPlaneInitialized, false)
	return apiconversion.MarshalData(src, dst)
}

// ConvertTo converts this KThreesControlPlaneTemplate to the hub version (v1beta3).
func (src *KThreesControlPlaneTemplate) ConvertTo(dstRaw conversion.Hub) error {
	dst := dstRaw.(*controlplanev1.KThreesControlPlaneTemplate)
	if err := Convert_v1beta2_KThreesControlPlaneTemplate_To_v1beta3_KThreesControlPlaneTemplate(src, dst, nil); err != nil {
		return err
	}
	restored := &controlplanev1.KThreesControlPlaneTemplate{}
	ok, err := apiconversion.UnmarshalData(src, restored)
	if err != nil {
		return err
	}
	apiconversion.RemoveData(dst)
	srcSpec, dstSpec, restoredSpec := &src.Spec.Template.Spec, &dst.Spec.Template.Spec, &restored.Spec.Template.Spec
	if ok {
		bootstrapv1beta2.RestoreKThreesConfigSpec(&restoredSpec.KThreesConfigSpec, &dstSpec.KThreesConfigSpec)
		dstSpec.Rollout.Before = restoredSpec.Rollout.Before
		dstSpec.Rollout.Strategy = restoredSpec.Rollout.Strategy
		dstSpec.MachineNaming = restoredSpec.MachineNaming
		dst.Spec.Template.ObjectMeta = restored.Spec.Template.ObjectMeta
	}
	restoreRemediationIntent(srcSpec.RemediationStrategy, &restoredSpec.Remediation, &dstSpec.Remediation)

	keep := &KThreesControlPlaneTemplate{}
	keepSpec := &keep.Spec.Template.Spec
	needed := bootstrapv1beta2.KeepSpokeOnlyKThreesConfigSpec(&srcSpec.KThreesConfigSpec, &dstSpec.KThreesConfigSpec, &keepSpec.KThreesConfigSpec)
	// The hub has no place for the template's infrastructure reference (ClusterClass supplies it).
	if srcSpec.MachineTemplate.InfrastructureRef != (corev1.ObjectReference{}) {
		keepSpec.MachineTemplate.InfrastructureRef = srcSpec.MachineTemplate.InfrastructureRef
		needed = true
	}
	if keepInexactMachineTemplate(&srcSpec.MachineTemplate, &keepSpec.MachineTemplate) {
		needed = true
	}
	if keepInexactRemediation(srcSpec.RemediationStrategy, &keepSpec.RemediationStrategy) {
		needed = true
	}
	if needed {
		return apiconversion.MarshalData(keep, dst)
	}
	return nil
}

// ConvertFrom converts the hub version (v1beta3) to this KThreesControlPlaneTemplate.
func (dst *KThreesControlPlaneTemplate) ConvertFrom(srcRaw conversion.Hub) error {
	src := srcRaw.(*controlplanev1.KThreesControlPlaneTemplate)
	if err := Convert_v1beta3_KThreesControlPlaneTemplate_To_v1beta2_KThreesControlPlaneTemplate(src, dst, nil); err != nil {
		return err
	}
	kept := &KThreesControlPlaneTemplate{}
	ok, err := apiconversion.UnmarshalData(src, kept)
	if err != nil {
		return err
	}
	srcSpec, dstSpec, keptSpec := &src.Spec.Template.Spec, &dst.Spec.Template.Spec, &kept.Spec.Template.Spec
	bootstrapv1beta2.RestoreSpokeOnlyKThreesConfigSpec(&srcSpec.KThreesConfigSpec, ok, &keptSpec.KThreesConfigSpec, &dstSpec.KThreesConfigSpec)
	// The infrastructure reference lives in the kept data only.
	dstSpec.MachineTemplate.InfrastructureRef = keptSpec.MachineTemplate.InfrastructureRef
	deletionFromHub(&srcSpec.MachineTemplate.Spec.Deletion, &keptSpec.MachineTemplate, &dstSpec.MachineTemplate)
	dstSpec.RemediationStrategy = remediationFromHub(&srcSpec.Remediation, keptSpec.RemediationStrategy)
	return apiconversion.MarshalData(src, dst)
}

// ConvertTo converts this list to the hub version (v1beta3).
func (src *KThreesControlPlaneList) ConvertTo(dstRaw conversion.Hub) error {
	return Convert_v1beta2_KThreesControlPlaneList_To_v1beta3_KThreesControlPlaneList(src, dstRaw.(*controlplanev1.KThreesControlPlaneList), nil)
}

// ConvertFrom converts the hub version (v1beta3) to this list.
func (dst *KThreesControlPlaneList) ConvertFrom(srcRaw conversion.Hub) error {
	return Convert_v1beta3_KThreesControlPlaneList_To_v1beta2_KThreesControlPlaneList(srcRaw.(*controlplanev1.KThreesControlPlaneList), dst, nil)
}

// ConvertTo converts this list to the hub version (v1beta3).
func (src *KThreesControlPlaneTemplateList) ConvertTo(dstRaw conversion.Hub) error {
	return Convert_v1beta2_KThreesControlPlaneTemplateList_To_v1beta3_KThreesControlPlaneTemplateList(src, dstRaw.(*controlplanev1.KThreesControlPlaneTemplateList), nil)
}

// ConvertFrom converts the hub version (v1beta3) to this list.
func (dst *KThreesControlPlaneTemplateList) ConvertFrom(srcRaw conversion.Hub) error {
	return Convert_v1beta3_KThreesControlPlaneTemplateList_To_v1beta2_KThreesControlPlaneTemplateList(srcRaw.(*controlplanev1.KThreesControlPlaneTemplateList), dst, nil)
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

// keepInexactMachineTemplate records the timeouts that do not convert to whole seconds.
func keepInexactMachineTemplate(src, keep *KThreesControlPlaneMachineTemplate) bool {
	needed := false
	for _, d := range []struct{ in, out **metav1.Duration }{
		{&src.NodeDrainTimeout, &keep.NodeDrainTimeout},
		{&src.NodeVolumeDetachTimeout, &keep.NodeVolumeDetachTimeout},
		{&src.NodeDeletionTimeout, &keep.NodeDeletionTimeout},
	} {
		if _, exact := apiconversion.DurationToSeconds(*d.in); !exact {
			*d.out = *d.in
			needed = true
		}
	}
	return needed
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

// deletionFromHub converts the hub's deletion timeouts, preferring kept durations that round to the same seconds.
func deletionFromHub(in *controlplanev1.KThreesControlPlaneMachineTemplateDeletionSpec, kept, out *KThreesControlPlaneMachineTemplate) {
	out.NodeDrainTimeout = apiconversion.SecondsToDuration(in.NodeDrainTimeoutSeconds, kept.NodeDrainTimeout)
	out.NodeVolumeDetachTimeout = apiconversion.SecondsToDuration(in.NodeVolumeDetachTimeoutSeconds, kept.NodeVolumeDetachTimeout)
	out.NodeDeletionTimeout = apiconversion.SecondsToDuration(in.NodeDeletionTimeoutSeconds, kept.NodeDeletionTimeout)
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

// Convert_v1beta2_KThreesControlPlaneSpec_To_v1beta3_KThreesControlPlaneSpec maps the renamed spec fields; the
// infrastructure reference is converted by the object conversion, which knows the namespace.
func Convert_v1beta2_KThreesControlPlaneSpec_To_v1beta3_KThreesControlPlaneSpec(in *KThreesControlPlaneSpec, out *controlplanev1.KThreesControlPlaneSpec, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta2_KThreesControlPlaneSpec_To_v1beta3_KThreesControlPlaneSpec(in, out, s); err != nil {
		return err
	}
	out.Rollout.After = apiconversion.TimeFromPointer(in.RolloutAfter)
	out.Remediation = remediationToHub(in.RemediationStrategy)
	return nil
}

// Convert_v1beta3_KThreesControlPlaneSpec_To_v1beta2_KThreesControlPlaneSpec maps the renamed spec fields back.
func Convert_v1beta3_KThreesControlPlaneSpec_To_v1beta2_KThreesControlPlaneSpec(in *controlplanev1.KThreesControlPlaneSpec, out *KThreesControlPlaneSpec, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta3_KThreesControlPlaneSpec_To_v1beta2_KThreesControlPlaneSpec(in, out, s); err != nil {
		return err
	}
	out.RolloutAfter = apiconversion.TimeToPointer(in.Rollout.After)
	return nil
}

// Convert_v1beta2_KThreesControlPlaneMachineTemplate_To_v1beta3_KThreesControlPlaneMachineTemplate maps the
// timeouts to the hub's deletion seconds.
func Convert_v1beta2_KThreesControlPlaneMachineTemplate_To_v1beta3_KThreesControlPlaneMachineTemplate(in *KThreesControlPlaneMachineTemplate, out *controlplanev1.KThreesControlPlaneMachineTemplate, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta2_KThreesControlPlaneMachineTemplate_To_v1beta3_KThreesControlPlaneMachineTemplate(in, out, s); err != nil {
		return err
	}
	deletionToHub(in, &out.Spec.Deletion)
	return nil
}

// Convert_v1beta3_KThreesControlPlaneMachineTemplate_To_v1beta2_KThreesControlPlaneMachineTemplate converts the
// metadata; the reference and timeouts are converted by the object conversion, which holds the kept data.
func Convert_v1beta3_KThreesControlPlaneMachineTemplate_To_v1beta2_KThreesControlPlaneMachineTemplate(in *controlplanev1.KThreesControlPlaneMachineTemplate, out *KThreesControlPlaneMachineTemplate, s apimachineryconversion.Scope) error {
	return autoConvert_v1beta3_KThreesControlPlaneMachineTemplate_To_v1beta2_KThreesControlPlaneMachineTemplate(in, out, s)
}

func deletionToHub(in *KThreesControlPlaneMachineTemplate, out *controlplanev1.KThreesControlPlaneMachineTemplateDeletionSpec) {
	out.NodeDrainTimeoutSeconds, _ = apiconversion.DurationToSeconds(in.NodeDrainTimeout)
	out.NodeVolumeDetachTimeoutSeconds, _ = apiconversion.DurationToSeconds(in.NodeVolumeDetachTimeout)
	out.NodeDeletionTimeoutSeconds, _ = apiconversion.DurationToSeconds(in.NodeDeletionTimeout)
}

// Convert_v1beta2_KThreesControlPlaneTemplateResourceSpec_To_v1beta3_KThreesControlPlaneTemplateResourceSpec maps
// the renamed fields.
func Convert_v1beta2_KThreesControlPlaneTemplateResourceSpec_To_v1beta3_KThreesControlPlaneTemplateResourceSpec(in *KThreesControlPlaneTemplateResourceSpec, out *controlplanev1.KThreesControlPlaneTemplateResourceSpec, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta2_KThreesControlPlaneTemplateResourceSpec_To_v1beta3_KThreesControlPlaneTemplateResourceSpec(in, out, s); err != nil {
		return err
	}
	out.Rollout.After = apiconversion.TimeFromPointer(in.RolloutAfter)
	out.Remediation = remediationToHub(in.RemediationStrategy)
	return nil
}

// Convert_v1beta2_KThreesControlPlaneMachineTemplate_To_v1beta3_KThreesControlPlaneTemplateMachineTemplate maps a
// template's machine template to the hub; its infrastructure reference is kept by the object conversion.
func Convert_v1beta2_KThreesControlPlaneMachineTemplate_To_v1beta3_KThreesControlPlaneTemplateMachineTemplate(in *KThreesControlPlaneMachineTemplate, out *controlplanev1.KThreesControlPlaneTemplateMachineTemplate, s apimachineryconversion.Scope) error {
	if err := clusterv1beta1.Convert_v1beta1_ObjectMeta_To_v1beta2_ObjectMeta(&in.ObjectMeta, &out.ObjectMeta, s); err != nil {
		return err
	}
	deletionToHub(in, &out.Spec.Deletion)
	return nil
}

// Convert_v1beta3_KThreesControlPlaneTemplateMachineTemplate_To_v1beta2_KThreesControlPlaneMachineTemplate converts
// the metadata; the reference and timeouts are converted by the object conversion, which holds the kept data.
func Convert_v1beta3_KThreesControlPlaneTemplateMachineTemplate_To_v1beta2_KThreesControlPlaneMachineTemplate(in *controlplanev1.KThreesControlPlaneTemplateMachineTemplate, out *KThreesControlPlaneMachineTemplate, s apimachineryconversion.Scope) error {
	return clusterv1beta1.Convert_v1beta2_ObjectMeta_To_v1beta1_ObjectMeta(&in.ObjectMeta, &out.ObjectMeta, s)
}

// Convert_v1beta3_KThreesControlPlaneTemplateResourceSpec_To_v1beta2_KThreesControlPlaneTemplateResourceSpec maps
// the renamed fields back; the machine template's reference and timeouts are set by the object conversion.
func Convert_v1beta3_KThreesControlPlaneTemplateResourceSpec_To_v1beta2_KThreesControlPlaneTemplateResourceSpec(in *controlplanev1.KThreesControlPlaneTemplateResourceSpec, out *KThreesControlPlaneTemplateResourceSpec, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta3_KThreesControlPlaneTemplateResourceSpec_To_v1beta2_KThreesControlPlaneTemplateResourceSpec(in, out, s); err != nil {
		return err
	}
	out.RolloutAfter = apiconversion.TimeToPointer(in.Rollout.After)
	return nil
}

// Convert_v1beta2_KThreesControlPlaneStatus_To_v1beta3_KThreesControlPlaneStatus moves the CAPI v1beta1-contract
// status to status.deprecated.v1beta1 of the hub.
func Convert_v1beta2_KThreesControlPlaneStatus_To_v1beta3_KThreesControlPlaneStatus(in *KThreesControlPlaneStatus, out *controlplanev1.KThreesControlPlaneStatus, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta2_KThreesControlPlaneStatus_To_v1beta3_KThreesControlPlaneStatus(in, out, s); err != nil {
		return err
	}
	out.Conditions = nil
	out.ReadyReplicas = nil
	out.Version = apiconversion.PointerToString(in.Version)
	out.Deprecated = apiconversion.ControlPlaneV1Beta1Status(controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus{
		Conditions: apiconversion.ToHubConditions(in.Conditions), FailureReason: in.FailureReason, FailureMessage: in.FailureMessage,
		UpdatedReplicas: in.UpdatedReplicas, ReadyReplicas: in.ReadyReplicas, UnavailableReplicas: in.UnavailableReplicas, Ready: in.Ready,
	})
	return nil
}

// Convert_v1beta3_KThreesControlPlaneStatus_To_v1beta2_KThreesControlPlaneStatus reads the CAPI v1beta1-contract
// status back from status.deprecated.v1beta1 of the hub.
func Convert_v1beta3_KThreesControlPlaneStatus_To_v1beta2_KThreesControlPlaneStatus(in *controlplanev1.KThreesControlPlaneStatus, out *KThreesControlPlaneStatus, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta3_KThreesControlPlaneStatus_To_v1beta2_KThreesControlPlaneStatus(in, out, s); err != nil {
		return err
	}
	out.Version = apiconversion.StringToPointer(in.Version)
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

// Convert_v1beta2_LastRemediationStatus_To_v1beta3_LastRemediationStatus maps timestamp to time.
func Convert_v1beta2_LastRemediationStatus_To_v1beta3_LastRemediationStatus(in *LastRemediationStatus, out *controlplanev1.LastRemediationStatus, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta2_LastRemediationStatus_To_v1beta3_LastRemediationStatus(in, out, s); err != nil {
		return err
	}
	out.Time = in.Timestamp
	out.RetryCount = ptr.To(in.RetryCount)
	return nil
}

// Convert_v1beta3_LastRemediationStatus_To_v1beta2_LastRemediationStatus maps time to timestamp.
func Convert_v1beta3_LastRemediationStatus_To_v1beta2_LastRemediationStatus(in *controlplanev1.LastRemediationStatus, out *LastRemediationStatus, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta3_LastRemediationStatus_To_v1beta2_LastRemediationStatus(in, out, s); err != nil {
		return err
	}
	out.Timestamp = in.Time
	out.RetryCount = ptr.Deref(in.RetryCount, 0)
	return nil
}

// Convert_Pointer_v1beta2_LastRemediationStatus_To_v1beta3_LastRemediationStatus converts the optional status of
// this version to the hub's value.
func Convert_Pointer_v1beta2_LastRemediationStatus_To_v1beta3_LastRemediationStatus(in **LastRemediationStatus, out *controlplanev1.LastRemediationStatus, s apimachineryconversion.Scope) error {
	if *in == nil {
		*out = controlplanev1.LastRemediationStatus{}
		return nil
	}
	return Convert_v1beta2_LastRemediationStatus_To_v1beta3_LastRemediationStatus(*in, out, s)
}

// Convert_v1beta3_LastRemediationStatus_To_Pointer_v1beta2_LastRemediationStatus converts the hub's value to the
// optional status of this version; an empty value becomes nil.
func Convert_v1beta3_LastRemediationStatus_To_Pointer_v1beta2_LastRemediationStatus(in *controlplanev1.LastRemediationStatus, out **LastRemediationStatus, s apimachineryconversion.Scope) error {
	if in.Machine == "" && in.Time.IsZero() && in.RetryCount == nil {
		*out = nil
		return nil
	}
	*out = &LastRemediationStatus{}
	return Convert_v1beta3_LastRemediationStatus_To_v1beta2_LastRemediationStatus(in, *out, s)
}

// Convert_v1_ObjectMeta_To_v1beta2_ObjectMeta keeps the labels and annotations of the template's metadata, the only
// parts the API server stores for it.
func Convert_v1_ObjectMeta_To_v1beta2_ObjectMeta(in *metav1.ObjectMeta, out *clusterv1.ObjectMeta, _ apimachineryconversion.Scope) error {
	out.Labels = in.Labels
	out.Annotations = in.Annotations
	return nil
}

// Convert_v1beta2_ObjectMeta_To_v1_ObjectMeta is the reverse of Convert_v1_ObjectMeta_To_v1beta2_ObjectMeta.
func Convert_v1beta2_ObjectMeta_To_v1_ObjectMeta(in *clusterv1.ObjectMeta, out *metav1.ObjectMeta, _ apimachineryconversion.Scope) error {
	out.Labels = in.Labels
	out.Annotations = in.Annotations
	return nil
}
