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
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

// The Default methods keep upstream's Go API (controller-runtime's CustomDefaulter shape: obj is the object to
// default) for consumers that call them, e.g. in unit tests. They set what our admission webhooks, which run on the
// hub version (bootstrap/webhooks), store; test/apiexactness checks that both agree. Validation stays in the
// webhooks: it would pull controller-runtime's webhook packages into every importer of this package.

// Default sets the defaults of a KThreesConfig.
func (c *KThreesConfig) Default(_ context.Context, obj runtime.Object) error {
	config, ok := obj.(*KThreesConfig)
	if !ok {
		return fmt.Errorf("expected a KThreesConfig but got a %T", obj)
	}
	defaultKThreesConfigSpec(&config.Spec)
	return nil
}

// Default sets the defaults of the KThreesConfig spec of a KThreesConfigTemplate, like those of the configs stamped
// out of it (upstream's template defaulter set none).
func (t *KThreesConfigTemplate) Default(_ context.Context, obj runtime.Object) error {
	template, ok := obj.(*KThreesConfigTemplate)
	if !ok {
		return fmt.Errorf("expected a KThreesConfigTemplate but got a %T", obj)
	}
	defaultKThreesConfigSpec(&template.Spec.Template.Spec)
	return nil
}

// defaultKThreesConfigSpec sets upstream's cloud-provider defaults.
func defaultKThreesConfigSpec(spec *KThreesConfigSpec) {
	if spec.ServerConfig.DisableCloudController == nil {
		spec.ServerConfig.DisableCloudController = ptr.To(true)
	}
	if spec.ServerConfig.CloudProviderName == nil {
		spec.ServerConfig.CloudProviderName = ptr.To(bootstrapv1.DefaultCloudProviderName)
	}
}
