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

// DefaultCloudProviderName is the cloud provider upstream sets when the external cloud provider is enabled.
const DefaultCloudProviderName = "external"

// CloudProviderFromDisableExternal applies upstream's v1beta1 rule: disableExternalCloudProvider=false means
// cloudProviderName "external" with the K3s cloud controller disabled; true means no cloud provider argument and the
// K3s cloud controller enabled.
func CloudProviderFromDisableExternal(disableExternal bool) (cloudProviderName *string, disableCloudController *bool) {
	name, disable := DefaultCloudProviderName, true
	if disableExternal {
		name, disable = "", false
	}
	return &name, &disable
}

// DisableExternalFromCloudProvider is the reverse of CloudProviderFromDisableExternal: the external cloud provider
// counts as disabled only when no cloud provider name is set and the K3s cloud controller is enabled explicitly.
func DisableExternalFromCloudProvider(cloudProviderName *string, disableCloudController *bool) bool {
	return cloudProviderName != nil && *cloudProviderName == "" && disableCloudController != nil && !*disableCloudController
}
