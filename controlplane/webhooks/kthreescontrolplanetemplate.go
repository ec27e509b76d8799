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

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	crd "github.com/k3s-io/cluster-api-k3s/controlplane/config/crd"
	"github.com/k3s-io/cluster-api-k3s/internal/admissionresult"
	"github.com/k3s-io/cluster-api-k3s/internal/edgeagent"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

// +kubebuilder:webhook:verbs=create;update,path=/mutate-controlplane-cluster-x-k8s-io-v1beta3-kthreescontrolplanetemplate,mutating=true,failurePolicy=fail,matchPolicy=Equivalent,groups=controlplane.cluster.x-k8s.io,resources=kthreescontrolplanetemplates,versions=v1beta3,name=default.kthreescontrolplanetemplate.controlplane.cluster.x-k8s.io,sideEffects=None,admissionReviewVersions=v1;v1beta1
// +kubebuilder:webhook:verbs=create;update,path=/validate-controlplane-cluster-x-k8s-io-v1beta3-kthreescontrolplanetemplate,mutating=false,failurePolicy=fail,matchPolicy=Equivalent,groups=controlplane.cluster.x-k8s.io,resources=kthreescontrolplanetemplates,versions=v1beta3,name=validation.kthreescontrolplanetemplate.controlplane.cluster.x-k8s.io,sideEffects=None,admissionReviewVersions=v1;v1beta1

// KThreesControlPlaneTemplate implements the defaulting and validating webhooks of KThreesControlPlaneTemplate.
// Templates stay mutable.
type KThreesControlPlaneTemplate struct{}

var (
	_ admission.Defaulter[*controlplanev1.KThreesControlPlaneTemplate] = &KThreesControlPlaneTemplate{}
	_ admission.Validator[*controlplanev1.KThreesControlPlaneTemplate] = &KThreesControlPlaneTemplate{}
)

// SetupWebhookWithManager registers the KThreesControlPlaneTemplate webhooks with the manager's webhook server.
func (w *KThreesControlPlaneTemplate) SetupWebhookWithManager(mgr ctrl.Manager) error {
	return admissionresult.Register(mgr, &controlplanev1.KThreesControlPlaneTemplate{}, w, crd.CRDs)
}

// Default sets the defaults of the template's KThreesConfigSpec.
func (w *KThreesControlPlaneTemplate) Default(_ context.Context, t *controlplanev1.KThreesControlPlaneTemplate) error {
	if t == nil {
		return admissionresult.NilObject("KThreesControlPlaneTemplate")
	}
	k3sconfig.DefaultKThreesConfigSpec(&t.Spec.Template.Spec.KThreesConfigSpec)
	return nil
}

// ValidateCreate validates a new KThreesControlPlaneTemplate.
func (w *KThreesControlPlaneTemplate) ValidateCreate(_ context.Context, t *controlplanev1.KThreesControlPlaneTemplate) (admission.Warnings, error) {
	if t == nil {
		return nil, admissionresult.NilObject("KThreesControlPlaneTemplate")
	}
	return admissionresult.Of(kthreesControlPlaneTemplateGroupKind, t.Name, validateKThreesControlPlaneTemplate(t), edgeAgentTemplateWarnings(t))
}

// ValidateUpdate validates an updated KThreesControlPlaneTemplate. Errors the old object already had, on fields
// the update did not change, are reported as warnings so that stored objects stay updatable.
func (w *KThreesControlPlaneTemplate) ValidateUpdate(_ context.Context, oldT, newT *controlplanev1.KThreesControlPlaneTemplate) (admission.Warnings, error) {
	if oldT == nil || newT == nil {
		return nil, admissionresult.NilObject("KThreesControlPlaneTemplate")
	}
	errs, warnings := k3sconfig.ValidateRatcheted(oldT, newT, validateKThreesControlPlaneTemplate)
	warnings = append(warnings, edgeAgentTemplateWarnings(newT)...)
	return admissionresult.Of(kthreesControlPlaneTemplateGroupKind, newT.Name, errs, warnings)
}

// ValidateDelete allows every deletion.
func (w *KThreesControlPlaneTemplate) ValidateDelete(_ context.Context, _ *controlplanev1.KThreesControlPlaneTemplate) (admission.Warnings, error) {
	return nil, nil
}

// kthreesControlPlaneTemplateGroupKind is the GroupKind reported in KThreesControlPlaneTemplate validation errors.
var kthreesControlPlaneTemplateGroupKind = controlplanev1.GroupVersion.WithKind("KThreesControlPlaneTemplate").GroupKind()

// validateKThreesControlPlaneTemplate validates the control-plane spec of a template.
func validateKThreesControlPlaneTemplate(t *controlplanev1.KThreesControlPlaneTemplate) field.ErrorList {
	spec := &t.Spec.Template.Spec
	specPath := field.NewPath("spec", "template", "spec")
	var errs field.ErrorList
	errs = append(errs, k3sconfig.ValidateKThreesConfigSpec(&spec.KThreesConfigSpec, specPath.Child("kthreesConfigSpec"))...)
	errs = append(errs, validateRollout(&spec.Rollout, specPath.Child("rollout"))...)
	errs = append(errs, validateCertificatesExpiryDaysAnnotation(t.Spec.Template.ObjectMeta.Annotations,
		field.NewPath("spec", "template", "metadata", "annotations"))...)
	errs = append(errs, validateRemediation(&spec.Remediation, specPath.Child("remediation"))...)
	errs = append(errs, validateMachineNaming(&spec.MachineNaming, specPath.Child("machineNaming"))...)
	return errs
}

// edgeAgentTemplateWarnings warns about what agents that run the bootstrap data without cloud-init cannot run,
// except on fields that already have a validation error.
func edgeAgentTemplateWarnings(t *controlplanev1.KThreesControlPlaneTemplate) []string {
	return edgeagent.Warnings(&t.Spec.Template.Spec.KThreesConfigSpec,
		field.NewPath("spec", "template", "spec", "kthreesConfigSpec"), validateKThreesControlPlaneTemplate(t))
}
