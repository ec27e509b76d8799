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
	apimachineryconversion "k8s.io/apimachinery/pkg/conversion"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/conversion"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion"
)

// ConvertTo converts this KThreesConfig to the hub version (v1beta3).
func (src *KThreesConfig) ConvertTo(dstRaw conversion.Hub) error {
	dst := dstRaw.(*bootstrapv1.KThreesConfig)
	if err := Convert_v1beta1_KThreesConfig_To_v1beta3_KThreesConfig(src, dst, nil); err != nil {
		return err
	}
	restored := &bootstrapv1.KThreesConfig{}
	ok, err := apiconversion.UnmarshalData(src, restored)
	if err != nil {
		return err
	}
	apiconversion.RemoveData(dst)
	if ok {
		RestoreKThreesConfigSpec(&src.Spec, &restored.Spec, &dst.Spec)
		dst.Status.Conditions = restored.Status.Conditions
	}
	dst.Status.Initialization.DataSecretCreated = apiconversion.BoolToPointer(src.Status.Ready, restored.Status.Initialization.DataSecretCreated)
	return nil
}

// ConvertFrom converts the hub version (v1beta3) to this KThreesConfig.
func (dst *KThreesConfig) ConvertFrom(srcRaw conversion.Hub) error {
	src := srcRaw.(*bootstrapv1.KThreesConfig)
	if err := Convert_v1beta3_KThreesConfig_To_v1beta1_KThreesConfig(src, dst, nil); err != nil {
		return err
	}
	dst.Status.Ready = ptr.Deref(src.Status.Initialization.DataSecretCreated, false)
	return apiconversion.MarshalData(src, dst)
}

// ConvertTo converts this KThreesConfigTemplate to the hub version (v1beta3).
func (src *KThreesConfigTemplate) ConvertTo(dstRaw conversion.Hub) error {
	dst := dstRaw.(*bootstrapv1.KThreesConfigTemplate)
	if err := Convert_v1beta1_KThreesConfigTemplate_To_v1beta3_KThreesConfigTemplate(src, dst, nil); err != nil {
		return err
	}
	restored := &bootstrapv1.KThreesConfigTemplate{}
	ok, err := apiconversion.UnmarshalData(src, restored)
	if err != nil {
		return err
	}
	apiconversion.RemoveData(dst)
	if ok {
		RestoreKThreesConfigSpec(&src.Spec.Template.Spec, &restored.Spec.Template.Spec, &dst.Spec.Template.Spec)
		dst.Spec.Template.ObjectMeta = restored.Spec.Template.ObjectMeta
	}
	return nil
}

// ConvertFrom converts the hub version (v1beta3) to this KThreesConfigTemplate.
func (dst *KThreesConfigTemplate) ConvertFrom(srcRaw conversion.Hub) error {
	src := srcRaw.(*bootstrapv1.KThreesConfigTemplate)
	if err := Convert_v1beta3_KThreesConfigTemplate_To_v1beta1_KThreesConfigTemplate(src, dst, nil); err != nil {
		return err
	}
	return apiconversion.MarshalData(src, dst)
}

// ConvertTo converts this list to the hub version (v1beta3).
func (src *KThreesConfigList) ConvertTo(dstRaw conversion.Hub) error {
	return Convert_v1beta1_KThreesConfigList_To_v1beta3_KThreesConfigList(src, dstRaw.(*bootstrapv1.KThreesConfigList), nil)
}

// ConvertFrom converts the hub version (v1beta3) to this list.
func (dst *KThreesConfigList) ConvertFrom(srcRaw conversion.Hub) error {
	return Convert_v1beta3_KThreesConfigList_To_v1beta1_KThreesConfigList(srcRaw.(*bootstrapv1.KThreesConfigList), dst, nil)
}

// ConvertTo converts this list to the hub version (v1beta3).
func (src *KThreesConfigTemplateList) ConvertTo(dstRaw conversion.Hub) error {
	return Convert_v1beta1_KThreesConfigTemplateList_To_v1beta3_KThreesConfigTemplateList(src, dstRaw.(*bootstrapv1.KThreesConfigTemplateList), nil)
}

// ConvertFrom converts the hub version (v1beta3) to this list.
func (dst *KThreesConfigTemplateList) ConvertFrom(srcRaw conversion.Hub) error {
	return Convert_v1beta3_KThreesConfigTemplateList_To_v1beta1_KThreesConfigTemplateList(srcRaw.(*bootstrapv1.KThreesConfigTemplateList), dst, nil)
}

// RestoreKThreesConfigSpec copies into dst the hub-only fields of a KThreesConfigSpec restored from conversion data.
// The cloud provider fields are restored only while the v1beta1 disableExternalCloudProvider switch still says what
// they say, so a user flipping the switch through v1beta1 wins over the restored values.
func RestoreKThreesConfigSpec(src *KThreesConfigSpec, restored, dst *bootstrapv1.KThreesConfigSpec) {
	dst.Format = restored.Format
	dst.AgentConfig.AirGappedInstallScriptPath = restored.AgentConfig.AirGappedInstallScriptPath
	dst.ServerConfig.SystemDefaultRegistry = restored.ServerConfig.SystemDefaultRegistry
	dst.ServerConfig.EtcdProxyImage = restored.ServerConfig.EtcdProxyImage
	restoredSwitch := apiconversion.DisableExternalFromCloudProvider(restored.ServerConfig.CloudProviderName, restored.ServerConfig.DisableCloudController)
	if restoredSwitch == src.ServerConfig.DisableExternalCloudProvider {
		dst.ServerConfig.CloudProviderName = restored.ServerConfig.CloudProviderName
		dst.ServerConfig.DisableCloudController = restored.ServerConfig.DisableCloudController
	}
}

// Convert_v1beta1_KThreesServerConfig_To_v1beta3_KThreesServerConfig applies upstream's rule that maps
// disableExternalCloudProvider to cloudProviderName and disableCloudController.
func Convert_v1beta1_KThreesServerConfig_To_v1beta3_KThreesServerConfig(in *KThreesServerConfig, out *bootstrapv1.KThreesServerConfig, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta1_KThreesServerConfig_To_v1beta3_KThreesServerConfig(in, out, s); err != nil {
		return err
	}
	out.CloudProviderName, out.DisableCloudController = apiconversion.CloudProviderFromDisableExternal(in.DisableExternalCloudProvider)
	return nil
}

// Convert_v1beta3_KThreesServerConfig_To_v1beta1_KThreesServerConfig derives disableExternalCloudProvider from the
// cloud provider fields; the hub-only fields are restored from conversion data.
func Convert_v1beta3_KThreesServerConfig_To_v1beta1_KThreesServerConfig(in *bootstrapv1.KThreesServerConfig, out *KThreesServerConfig, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta3_KThreesServerConfig_To_v1beta1_KThreesServerConfig(in, out, s); err != nil {
		return err
	}
	out.DisableExternalCloudProvider = apiconversion.DisableExternalFromCloudProvider(in.CloudProviderName, in.DisableCloudController)
	return nil
}

// Convert_v1beta3_KThreesAgentConfig_To_v1beta1_KThreesAgentConfig drops the hub-only install script path.
func Convert_v1beta3_KThreesAgentConfig_To_v1beta1_KThreesAgentConfig(in *bootstrapv1.KThreesAgentConfig, out *KThreesAgentConfig, s apimachineryconversion.Scope) error {
	return autoConvert_v1beta3_KThreesAgentConfig_To_v1beta1_KThreesAgentConfig(in, out, s)
}

// Convert_v1beta3_KThreesConfigSpec_To_v1beta1_KThreesConfigSpec drops the hub-only format field.
func Convert_v1beta3_KThreesConfigSpec_To_v1beta1_KThreesConfigSpec(in *bootstrapv1.KThreesConfigSpec, out *KThreesConfigSpec, s apimachineryconversion.Scope) error {
	return autoConvert_v1beta3_KThreesConfigSpec_To_v1beta1_KThreesConfigSpec(in, out, s)
}

// Convert_v1beta3_KThreesConfigTemplateResource_To_v1beta1_KThreesConfigTemplateResource drops the hub-only template
// metadata.
func Convert_v1beta3_KThreesConfigTemplateResource_To_v1beta1_KThreesConfigTemplateResource(in *bootstrapv1.KThreesConfigTemplateResource, out *KThreesConfigTemplateResource, s apimachineryconversion.Scope) error {
	return autoConvert_v1beta3_KThreesConfigTemplateResource_To_v1beta1_KThreesConfigTemplateResource(in, out, s)
}

// Convert_v1beta1_KThreesConfigStatus_To_v1beta3_KThreesConfigStatus moves the CAPI v1beta1-style status to
// status.deprecated.v1beta1 of the hub.
func Convert_v1beta1_KThreesConfigStatus_To_v1beta3_KThreesConfigStatus(in *KThreesConfigStatus, out *bootstrapv1.KThreesConfigStatus, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta1_KThreesConfigStatus_To_v1beta3_KThreesConfigStatus(in, out, s); err != nil {
		return err
	}
	out.Conditions = nil
	out.DataSecretName = apiconversion.PointerToString(in.DataSecretName)
	out.Deprecated = apiconversion.BootstrapV1Beta1Status(in.Conditions, in.FailureReason, in.FailureMessage, in.BootstrapData)
	return nil
}

// Convert_v1beta3_KThreesConfigStatus_To_v1beta1_KThreesConfigStatus reads the CAPI v1beta1-style status back from
// status.deprecated.v1beta1 of the hub; the hub's metav1 conditions are kept in the conversion data.
func Convert_v1beta3_KThreesConfigStatus_To_v1beta1_KThreesConfigStatus(in *bootstrapv1.KThreesConfigStatus, out *KThreesConfigStatus, s apimachineryconversion.Scope) error {
	if err := autoConvert_v1beta3_KThreesConfigStatus_To_v1beta1_KThreesConfigStatus(in, out, s); err != nil {
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
