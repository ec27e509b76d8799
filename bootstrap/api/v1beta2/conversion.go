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
	apimachineryconversion "k8s.io/apimachinery/pkg/conversion"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/conversion"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion"
)

// ConvertTo converts this KThreesConfig to the hub version (v1beta3).
func (src *KThreesConfig) ConvertTo(dstRaw conversion.Hub) error {
	dst := dstRaw.(*bootstrapv1.KThreesConfig)
	if err := Convert_v1beta2_KThreesConfig_To_v1beta3_KThreesConfig(src, dst, nil); err != nil {
		return err
	}
	restored := &bootstrapv1.KThreesConfig{}
	ok, err := apiconversion.UnmarshalData(src, restored)
	if err != nil {
		return err
	}
	apiconversion.RemoveData(dst)
	if ok {
		RestoreKThreesConfigSpec(&restored.Spec, &dst.Spec)
		dst.Status.Conditions = restored.Status.Conditions
	}
	dst.Status.Initialization.DataSecretCreated = apiconversion.BoolToPointer(src.Status.Ready, restored.Status.Initialization.DataSecretCreated)

	spokeOnly := &KThreesConfig{}
	if KeepSpokeOnlyKThreesConfigSpec(&src.Spec, &dst.Spec, &spokeOnly.Spec) {
		return apiconversion.MarshalData(spokeOnly, dst)
	}
	return nil
}

// ConvertFrom converts the hub version (v1beta3) to this KThreesConfig.
func (dst *KThreesConfig) ConvertFrom(srcRaw conversion.Hub) error {
	src := srcRaw.(*bootstrapv1.KThreesConfig)
	if err := Convert_v1beta3_KThreesConfig_To_v1beta2_KThreesConfig(src, dst, nil); err != nil {
		return err
	}
	spokeOnly := &KThreesConfig{}
	ok, err := apiconversion.UnmarshalData(src, spokeOnly)
	if err != nil {
		return err
	}
	RestoreSpokeOnlyKThreesConfigSpec(&src.Spec, ok, &spokeOnly.Spec, &dst.Spec)
	dst.Status.Ready = ptr.Deref(src.Status.Initialization.DataSecretCreated, false)
	return apiconversion.MarshalData(src, dst)
}

// ConvertTo converts this KThreesConfigTemplate to the hub version (v1beta3).
func (src *KThreesConfigTemplate) ConvertTo(dstRaw conversion.Hub) error {
	dst := dstRaw.(*bootstrapv1.KThreesConfigTemplate)
	if err := Convert_v1beta2_KThreesConfigTemplate_To_v1beta3_KThreesConfigTemplate(src, dst, nil); err != nil {
		return err
	}
	restored := &bootstrapv1.KThreesConfigTemplate{}
	ok, err := apiconversion.UnmarshalData(src, restored)
	if err != nil {
		return err
	}
	apiconversion.RemoveData(dst)
	if ok {
		RestoreKThreesConfigSpec(&restored.Spec.Template.Spec, &dst.Spec.Template.Spec)
		dst.Spec.Template.ObjectMeta = restored.Spec.Template.ObjectMeta
	}

	spokeOnly := &KThreesConfigTemplate{}
	if KeepSpokeOnlyKThreesConfigSpec(&src.Spec.Template.Spec, &dst.Spec.Template.Spec, &spokeOnly.Spec.Template.Spec) {
		return apiconversion.MarshalData(spokeOnly, dst)
	}
	return nil
}

// ConvertFrom converts the hub version (v1beta3) to this KThreesConfigTemplate.
func (dst *KThreesConfigTemplate) ConvertFrom(srcRaw conversion.Hub) error {
	src := srcRaw.(*bootstrapv1.KThreesConfigTemplate)
	if err := Convert_v1beta3_KThreesConfigTemplate_To_v1beta2_KThreesConfigTemplate(src, dst, nil); err != nil {
		return err
	}
	spokeOnly := &KThreesConfigTemplate{}
	ok, err := apiconversion.UnmarshalData(src, spokeOnly)
	if err != nil {
		return err
	}
	RestoreSpokeOnlyKThreesConfigSpec(&src.Spec.Template.Spec, ok, &spokeOnly.Spec.Template.Spec, &dst.Spec.Template.Spec)
	return apiconversion.MarshalData(src, dst)
}

// ConvertTo converts this list to the hub version (v1beta3).
func (src *KThreesConfigList) ConvertTo(dstRaw conversion.Hub) error {
	return Convert_v1beta2_KThreesConfigList_To_v1beta3_KThreesConfigList(src, dstRaw.(*bootstrapv1.KThreesConfigList), nil)
}

// ConvertFrom converts the hub version (v1beta3) to this list.
func (dst *KThreesConfigList) ConvertFrom(srcRaw conversion.Hub) error {
	return Convert_v1beta3_KThreesConfigList_To_v1beta2_KThreesConfigList(srcRaw.(*bootstrapv1.KThreesConfigList), dst, nil)
}

// ConvertTo converts this list to the hub version (v1beta3).
func (src *KThreesConfigTemplateList) ConvertTo(dstRaw conversion.Hub) error {
	return Convert_v1beta2_KThreesConfigTemplateList_To_v1beta3_KThreesConfigTemplateList(src, dstRaw.(*bootstrapv1.KThreesConfigTemplateList), nil)
}

// ConvertFrom converts the hub version (v1beta3) to this list.
func (dst *KThreesConfigTemplateList) ConvertFrom(srcRaw conversion.Hub) error {
	return Convert_v1beta3_KThreesConfigTemplateList_To_v1beta2_KThreesConfigTemplateList(srcRaw.(*bootstrapv1.KThreesConfigTemplateList), dst, nil)
}

// RestoreKThreesConfigSpec copies the hub-only fields of a KThreesConfigSpec restored from conversion data into dst.
func RestoreKThreesConfigSpec(restored, dst *bootstrapv1.KThreesConfigSpec) {
	dst.Format = restored.Format
}

// KeepSpokeOnlyKThreesConfigSpec records in keep the fields of src that the hub does not hold and reports whether
// they must be kept because hub cannot rebuild them. disableExternalCloudProvider is derived from the cloud provider fields unless it was
// written inconsistently with them.
func KeepSpokeOnlyKThreesConfigSpec(src *KThreesConfigSpec, hub *bootstrapv1.KThreesConfigSpec, keep *KThreesConfigSpec) bool {
	// Always record the value: when conversion data is kept for another reason, it must hold this field too.
	keep.ServerConfig.DeprecatedDisableExternalCloudProvider = src.ServerConfig.DeprecatedDisableExternalCloudProvider
	derived := apiconversion.DisableExternalFromCloudProvider(hub.ServerConfig.CloudProviderName, hub.ServerConfig.DisableCloudController)
	return src.ServerConfig.DeprecatedDisableExternalCloudProvider != derived
}

// RestoreSpokeOnlyKThreesConfigSpec fills the fields of dst that the hub does not hold, from the recorded spoke-only
// data when present and otherwise by derivation.
func RestoreSpokeOnlyKThreesConfigSpec(hub *bootstrapv1.KThreesConfigSpec, hasKept bool, kept, dst *KThreesConfigSpec) {
	if hasKept {
		dst.ServerConfig.DeprecatedDisableExternalCloudProvider = kept.ServerConfig.DeprecatedDisableExternalCloudProvider
		return
	}
	dst.ServerConfig.DeprecatedDisableExternalCloudProvider = apiconversion.DisableExternalFromCloudProvider(hub.ServerConfig.CloudProviderName, hub.ServerConfig.DisableCloudController)
}

// Convert_v1beta3_KThreesConfigSpec_To_v1beta2_KThreesConfigSpec drops the hub-only format field, which the object
// conversion restores from conversion data.
func Convert_v1beta3_KThreesConfigSpec_To_v1beta2_KThreesConfigSpec(in *bootstrapv1.KThreesConfigSpec, out *KThreesConfigSpec, s apimachineryconversion.Scope) error {
	return autoConvert_v1beta3_KThreesConfigSpec_To_v1beta2_KThreesConfigSpec(in, out, s)
}

// Convert_v1beta2_KThreesServerConfig_To_v1beta3_KThreesServerConfig drops disableExternalCloudProvider, which the
// object conversion keeps as spoke-only data when it cannot be derived.
func Convert_v1beta2_KThreesServerConfig_To_v1beta3_KThreesServerConfig(in *KThreesServerConfig, out *bootstrapv1.KThreesServerConfig, s apimachineryconversion.Scope) error {
	return autoConvert_v1beta2_KThreesServerConfig_To_v1beta3_KThreesServerConfig(in, out, s)
}

// Convert_v1beta3_KThreesConfigTemplateResource_To_v1beta2_KThreesConfigTemplateResource drops the hub-only template
// metadata, which the object conversion restores from conversion data.
func Convert_v1beta3_KThreesConfigTemplateResource_To_v1beta2_KThreesConfigTemplateResource(in *bootstrapv1.KThreesConfigTemplateResource, out *KThreesConfigTemplateResource, s apimachineryconversion.Scope) error {
	return autoConvert_v1beta3_KThreesConfigTemplateResource_To_v1beta2_KThreesConfigTemplateResource(in, out, s)
}

// Convert_v1beta2_KThreesConfigStatus_To_v1beta3_KThreesConfigStatus moves the CAPI v1beta1-style status to
// status.deprecated.v1beta1 of the hub.
func Convert_v1beta2_KThreesConfigStatus_To_v1beta3_KThreesConfigStatus(in *KThreesConfigStatus, out *bootstrapv1.KThreesConfigStatus, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta2_KThreesConfigStatus_To_v1beta3_KThreesConfigStatus(in, out, s); err != nil {
		return err
	}
	out.Conditions = nil
	out.DataSecretName = apiconversion.PointerToString(in.DataSecretName)
	out.Deprecated = apiconversion.BootstrapV1Beta1Status(in.Conditions, in.FailureReason, in.FailureMessage, in.BootstrapData)
	return nil
}

// Convert_v1beta3_KThreesConfigStatus_To_v1beta2_KThreesConfigStatus reads the CAPI v1beta1-style status back from
// status.deprecated.v1beta1 of the hub; the hub's metav1 conditions are kept in the conversion data.
func Convert_v1beta3_KThreesConfigStatus_To_v1beta2_KThreesConfigStatus(in *bootstrapv1.KThreesConfigStatus, out *KThreesConfigStatus, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta3_KThreesConfigStatus_To_v1beta2_KThreesConfigStatus(in, out, s); err != nil {
		return err
	}
	out.DataSecretName = apiconversion.StringToPointer(in.DataSecretName)
	old := apiconversion.BootstrapV1Beta1StatusOf(in.Deprecated)
	out.Conditions = apiconversion.FromHubConditions(old.Conditions)
	out.FailureReason = old.FailureReason
	out.FailureMessage = old.FailureMessage
	out.BootstrapData = old.BootstrapData
	return nil
}
