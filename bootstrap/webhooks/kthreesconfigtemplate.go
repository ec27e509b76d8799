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

// +kubebuilder:webhook:verbs=create;update,path=/mutate-bootstrap-cluster-x-k8s-io-v1beta3-kthreesconfigtemplate,mutating=true,failurePolicy=fail,matchPolicy=Equivalent,groups=bootstrap.cluster.x-k8s.io,resources=kthreesconfigtemplates,versions=v1beta3,name=default.kthreesconfigtemplate.bootstrap.cluster.x-k8s.io,sideEffects=None,admissionReviewVersions=v1;v1beta1
// +kubebuilder:webhook:verbs=create;update,path=/validate-bootstrap-cluster-x-k8s-io-v1beta3-kthreesconfigtemplate,mutating=false,failurePolicy=fail,matchPolicy=Equivalent,groups=bootstrap.cluster.x-k8s.io,resources=kthreesconfigtemplates,versions=v1beta3,name=validation.kthreesconfigtemplate.bootstrap.cluster.x-k8s.io,sideEffects=None,admissionReviewVersions=v1;v1beta1

// KThreesConfigTemplate implements the defaulting and validating webhooks of KThreesConfigTemplate. Templates
// stay mutable.
type KThreesConfigTemplate struct{}

var (
	_ admission.Defaulter[*bootstrapv1.KThreesConfigTemplate] = &KThreesConfigTemplate{}
	_ admission.Validator[*bootstrapv1.KThreesConfigTemplate] = &KThreesConfigTemplate{}
)

// SetupWebhookWithManager registers the KThreesConfigTemplate webhooks with the manager's webhook server.
func (w *KThreesConfigTemplate) SetupWebhookWithManager(mgr ctrl.Manager) error {
	return admissionresult.Register(mgr, &bootstrapv1.KThreesConfigTemplate{}, w, crd.CRDs)
}

// Default sets the defaults of the template's KThreesConfig spec.
func (w *KThreesConfigTemplate) Default(_ context.Context, t *bootstrapv1.KThreesConfigTemplate) error {
	if t == nil {
		return admissionresult.NilObject("KThreesConfigTemplate")
	}
	k3sconfig.DefaultKThreesConfigSpec(&t.Spec.Template.Spec)
	return nil
}

// ValidateCreate validates a new KThreesConfigTemplate.
func (w *KThreesConfigTemplate) ValidateCreate(_ context.Context, t *bootstrapv1.KThreesConfigTemplate) (admission.Warnings, error) {
	if t == nil {
		return nil, admissionresult.NilObject("KThreesConfigTemplate")
	}
	return admissionresult.Of(kthreesConfigTemplateGroupKind, t.Name, validateKThreesConfigTemplate(t), edgeAgentTemplateWarnings(t))
}

// ValidateUpdate validates an updated KThreesConfigTemplate. Errors the old object already had, on fields the
// update did not change, are reported as warnings so that stored objects stay updatable.
func (w *KThreesConfigTemplate) ValidateUpdate(_ context.Context, oldT, newT *bootstrapv1.KThreesConfigTemplate) (admission.Warnings, error) {
	if oldT == nil || newT == nil {
		return nil, admissionresult.NilObject("KThreesConfigTemplate")
	}
	errs, warnings := k3sconfig.ValidateRatcheted(oldT, newT, validateKThreesConfigTemplate)
	warnings = append(warnings, edgeAgentTemplateWarnings(newT)...)
	return admissionresult.Of(kthreesConfigTemplateGroupKind, newT.Name, errs, warnings)
}

// ValidateDelete allows every deletion.
func (w *KThreesConfigTemplate) ValidateDelete(_ context.Context, _ *bootstrapv1.KThreesConfigTemplate) (admission.Warnings, error) {
	return nil, nil
}

// kthreesConfigTemplateGroupKind is the GroupKind reported in KThreesConfigTemplate validation errors.
var kthreesConfigTemplateGroupKind = bootstrapv1.GroupVersion.WithKind("KThreesConfigTemplate").GroupKind()

// validateKThreesConfigTemplate validates the KThreesConfig spec of a template.
func validateKThreesConfigTemplate(t *bootstrapv1.KThreesConfigTemplate) field.ErrorList {
	return k3sconfig.ValidateKThreesConfigSpec(&t.Spec.Template.Spec, field.NewPath("spec", "template", "spec"))
}

// edgeAgentTemplateWarnings warns about what agents that run the bootstrap data without cloud-init cannot run,
// except on fields that already have a validation error.
func edgeAgentTemplateWarnings(t *bootstrapv1.KThreesConfigTemplate) []string {
	return edgeagent.Warnings(&t.Spec.Template.Spec, field.NewPath("spec", "template", "spec"),
		validateKThreesConfigTemplate(t))
}
