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

package k3sconfig

import (
	"k8s.io/utils/ptr"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

// DefaultKThreesConfigSpec sets the webhook defaults of a KThreesConfigSpec: serverConfig.disableCloudController
// defaults to true and serverConfig.cloudProviderName to "external". Other fields, such as format or
// agentConfig.airGappedInstallScriptPath, are defaulted when the bootstrap data is rendered, not here, so that
// stored specs do not change. A nil spec is ignored.
func DefaultKThreesConfigSpec(spec *bootstrapv1.KThreesConfigSpec) {
	if spec == nil {
		return
	}
	if spec.ServerConfig.DisableCloudController == nil {
		spec.ServerConfig.DisableCloudController = ptr.To(true)
	}
	if spec.ServerConfig.CloudProviderName == nil {
		spec.ServerConfig.CloudProviderName = ptr.To(bootstrapv1.DefaultCloudProviderName)
	}
}
