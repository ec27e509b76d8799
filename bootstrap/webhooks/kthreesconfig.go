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

package webhooks

import (
	"context"

	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	crd "github.com/k3s-io/cluster-api-k3s/bootstrap/config/crd"
	"github.com/k3s-io/cluster-api-k3s/internal/admissionresult"
	"github.com/k3s-io/cluster-api-k3s/internal/edgeagent"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

// +kubebuilder:webhook:verbs=create;update,path=/mutate-bootstrap-cluster-x-k8s-io-v1beta3-kthreesconfig,mutating=true,failurePolicy=fail,matchPolicy=Equivalent,groups=bootstrap.cluster.x-k8s.io,resources=kthreesconfigs,versions=v1beta3,name=default.kthreesconfig.bootstrap.cluster.x-k8s.io,sideEffects=None,admissionReviewVersions=v1;v1beta1
// +kubebuilder:webhook:verbs=create;update,path=/validate-bootstrap-cluster-x-k8s-io-v1beta3-kthreesconfig,mutating=false,failurePolicy=fail,matchPolicy=Equivalent,groups=bootstrap.cluster.x-k8s.io,resources=kthreesconfigs,versions=v1beta3,name=validation.kthreesconfig.bootstrap.cluster.x-k8s.io,sideEffects=None,admissionReviewVersions=v1;v1beta1

// KThreesConfig implements the defaulting and validating webhooks of KThreesConfig.
type KThreesConfig struct{}

var (
	_ admission.Defaulter[*bootstrapv1.KThreesConfig] = &KThreesConfig{}
	_ admission.Validator[*bootstrapv1.KThreesConfig] = &KThreesConfig{}
)

// SetupWebhookWithManager registers the KThreesConfig webhooks with the manager's webhook server.
func (w *KThreesConfig) SetupWebhookWithManager(mgr ctrl.Manager) error {
	return admissionresult.Register(mgr, &bootstrapv1.KThreesConfig{}, w, crd.CRDs)
}

// Default sets the defaults of the KThreesConfig's spec.
func (w *KThreesConfig) Default(_ context.Context, c *bootstrapv1.KThreesConfig) error {
	if c == nil {
		return admissionresult.NilObject("KThreesConfig")
	}
	k3sconfig.DefaultKThreesConfigSpec(&c.Spec)
	return nil
}

// ValidateCreate validates a new KThreesConfig.
func (w *KThreesConfig) ValidateCreate(_ context.Context, c *bootstrapv1.KThreesConfig) (admission.Warnings, error) {
	if c == nil {
		return nil, admissionresult.NilObject("KThreesConfig")
	}
	return admissionresult.Of(kthreesConfigGroupKind, c.Name, validateKThreesConfig(c), edgeAgentWarnings(c))
}

// ValidateUpdate validates an updated KThreesConfig. Errors the old object already had, on fields the update did
// not change, are reported as warnings so that stored objects stay updatable.
func (w *KThreesConfig) ValidateUpdate(_ context.Context, oldC, newC *bootstrapv1.KThreesConfig) (admission.Warnings, error) {
	if oldC == nil || newC == nil {
		return nil, admissionresult.NilObject("KThreesConfig")
	}
	errs, warnings := k3sconfig.ValidateRatcheted(oldC, newC, validateKThreesConfig)
	warnings = append(warnings, edgeAgentWarnings(newC)...)
	return admissionresult.Of(kthreesConfigGroupKind, newC.Name, errs, warnings)
}

// ValidateDelete allows every deletion.
func (w *KThreesConfig) ValidateDelete(_ context.Context, _ *bootstrapv1.KThreesConfig) (admission.Warnings, error) {
	return nil, nil
}

// kthreesConfigGroupKind is the GroupKind reported in KThreesConfig validation errors.
var kthreesConfigGroupKind = bootstrapv1.GroupVersion.WithKind("KThreesConfig").GroupKind()

// validateKThreesConfig validates the spec of a KThreesConfig.
func validateKThreesConfig(c *bootstrapv1.KThreesConfig) field.ErrorList {
	return k3sconfig.ValidateKThreesConfigSpec(&c.Spec, field.NewPath("spec"))
}

// edgeAgentWarnings warns about what agents that run the bootstrap data without cloud-init cannot run,
// except on fields that already have a validation error.
func edgeAgentWarnings(c *bootstrapv1.KThreesConfig) []string {
	return edgeagent.Warnings(&c.Spec, field.NewPath("spec"), validateKThreesConfig(c))
}
