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
	"fmt"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	crd "github.com/k3s-io/cluster-api-k3s/controlplane/config/crd"
	"github.com/k3s-io/cluster-api-k3s/internal/admissionresult"
	"github.com/k3s-io/cluster-api-k3s/internal/edgeagent"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sversion"
)

// +kubebuilder:webhook:verbs=create;update,path=/mutate-controlplane-cluster-x-k8s-io-v1beta3-kthreescontrolplane,mutating=true,failurePolicy=fail,matchPolicy=Equivalent,groups=controlplane.cluster.x-k8s.io,resources=kthreescontrolplanes,versions=v1beta3,name=default.kthreescontrolplane.controlplane.cluster.x-k8s.io,sideEffects=None,admissionReviewVersions=v1;v1beta1
// +kubebuilder:webhook:verbs=create;update,path=/validate-controlplane-cluster-x-k8s-io-v1beta3-kthreescontrolplane,mutating=false,failurePolicy=fail,matchPolicy=Equivalent,groups=controlplane.cluster.x-k8s.io,resources=kthreescontrolplanes,versions=v1beta3,name=validation.kthreescontrolplane.controlplane.cluster.x-k8s.io,sideEffects=None,admissionReviewVersions=v1;v1beta1

// KThreesControlPlane implements the defaulting and validating webhooks of KThreesControlPlane.
type KThreesControlPlane struct{}

var (
	_ admission.Defaulter[*controlplanev1.KThreesControlPlane] = &KThreesControlPlane{}
	_ admission.Validator[*controlplanev1.KThreesControlPlane] = &KThreesControlPlane{}
)

// SetupWebhookWithManager registers the KThreesControlPlane webhooks with the manager's webhook server.
func (w *KThreesControlPlane) SetupWebhookWithManager(mgr ctrl.Manager) error {
	return admissionresult.Register(mgr, &controlplanev1.KThreesControlPlane{}, w, crd.CRDs)
}

// Default sets the defaults of the control plane: one replica and the KThreesConfigSpec defaults.
func (w *KThreesControlPlane) Default(_ context.Context, kcp *controlplanev1.KThreesControlPlane) error {
	if kcp == nil {
		return admissionresult.NilObject("KThreesControlPlane")
	}
	if kcp.Spec.Replicas == nil {
		kcp.Spec.Replicas = ptr.To[int32](1)
	}
	k3sconfig.DefaultKThreesConfigSpec(&kcp.Spec.KThreesConfigSpec)
	return nil
}

// ValidateCreate validates a new KThreesControlPlane.
func (w *KThreesControlPlane) ValidateCreate(_ context.Context, kcp *controlplanev1.KThreesControlPlane) (admission.Warnings, error) {
	if kcp == nil {
		return nil, admissionresult.NilObject("KThreesControlPlane")
	}
	return admissionresult.Of(kthreesControlPlaneGroupKind, kcp.Name, validateKThreesControlPlane(kcp),
		append(replicasWarnings(kcp), edgeAgentWarnings(kcp)...))
}

// ValidateUpdate validates an updated KThreesControlPlane. Errors the old object already had, on fields the update
// did not change, are reported as warnings so that stored objects stay updatable; the immutability of the
// cluster network settings and the version upgrade rules always apply.
func (w *KThreesControlPlane) ValidateUpdate(_ context.Context, oldKCP, newKCP *controlplanev1.KThreesControlPlane) (admission.Warnings, error) {
	if oldKCP == nil || newKCP == nil {
		return nil, admissionresult.NilObject("KThreesControlPlane")
	}
	errs, warnings := k3sconfig.ValidateRatcheted(oldKCP, newKCP, validateKThreesControlPlane)
	errs = append(errs, validateKThreesControlPlaneChange(oldKCP, newKCP)...)
	warnings = append(warnings, replicasWarnings(newKCP)...)
	warnings = append(warnings, edgeAgentWarnings(newKCP)...)
	return admissionresult.Of(kthreesControlPlaneGroupKind, newKCP.Name, errs, warnings)
}

// ValidateDelete allows every deletion.
func (w *KThreesControlPlane) ValidateDelete(_ context.Context, _ *controlplanev1.KThreesControlPlane) (admission.Warnings, error) {
	return nil, nil
}

// kthreesControlPlaneGroupKind is the GroupKind reported in KThreesControlPlane validation errors.
var kthreesControlPlaneGroupKind = controlplanev1.GroupVersion.WithKind("KThreesControlPlane").GroupKind()

// validateKThreesControlPlane validates the spec of a KThreesControlPlane.
func validateKThreesControlPlane(kcp *controlplanev1.KThreesControlPlane) field.ErrorList {
	spec := &kcp.Spec
	specPath := field.NewPath("spec")
	var errs field.ErrorList

	versionPath := specPath.Child("version")
	switch {
	case spec.Version == "":
		errs = append(errs, field.Required(versionPath, "must be a K3s version vX.Y.Z+k3sN, e.g. v1.34.5+k3s1"))
	case !k3sversion.IsValid(spec.Version):
		errs = append(errs, field.Invalid(versionPath, spec.Version,
			"must be a K3s version vX.Y.Z+k3sN with N >= 1, e.g. v1.34.5+k3s1"))
	}
	if spec.Replicas != nil && *spec.Replicas < 1 {
		errs = append(errs, field.Invalid(specPath.Child("replicas"), *spec.Replicas, "must be at least 1"))
	}
	errs = append(errs, validateInfrastructureRef(&spec.MachineTemplate.Spec.InfrastructureRef,
		specPath.Child("machineTemplate", "spec", "infrastructureRef"))...)
	errs = append(errs, k3sconfig.ValidateKThreesConfigSpec(&spec.KThreesConfigSpec, specPath.Child("kthreesConfigSpec"))...)
	errs = append(errs, validateRollout(&spec.Rollout, specPath.Child("rollout"))...)
	errs = append(errs, validateCertificatesExpiryDaysAnnotation(kcp.Annotations, field.NewPath("metadata", "annotations"))...)
	errs = append(errs, validateRemediation(&spec.Remediation, specPath.Child("remediation"))...)
	errs = append(errs, validateMachineNaming(&spec.MachineNaming, specPath.Child("machineNaming"))...)
	return errs
}

// validateInfrastructureRef checks that the infrastructure reference found at fldPath names its API group, kind
// and name.
func validateInfrastructureRef(ref *clusterv1.ContractVersionedObjectReference, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if ref.APIGroup == "" {
		errs = append(errs, field.Required(fldPath.Child("apiGroup"), "must be the API group of the infrastructure machine template"))
	}
	if ref.Kind == "" {
		errs = append(errs, field.Required(fldPath.Child("kind"), "must be the kind of the infrastructure machine template"))
	}
	if ref.Name == "" {
		errs = append(errs, field.Required(fldPath.Child("name"), "must be the name of the infrastructure machine template"))
	}
	return errs
}

// validateKThreesControlPlaneChange validates what an update changes: the cluster network settings are immutable
// and the version may neither go down nor skip a minor version.
func validateKThreesControlPlaneChange(oldKCP, newKCP *controlplanev1.KThreesControlPlane) field.ErrorList {
	var errs field.ErrorList
	serverPath := field.NewPath("spec", "kthreesConfigSpec", "serverConfig")
	oldServer, newServer := &oldKCP.Spec.KThreesConfigSpec.ServerConfig, &newKCP.Spec.KThreesConfigSpec.ServerConfig
	errs = append(errs, apivalidation.ValidateImmutableField(newServer.ClusterCidr, oldServer.ClusterCidr, serverPath.Child("clusterCidr"))...)
	errs = append(errs, apivalidation.ValidateImmutableField(newServer.ServiceCidr, oldServer.ServiceCidr, serverPath.Child("serviceCidr"))...)
	errs = append(errs, apivalidation.ValidateImmutableField(newServer.ClusterDNS, oldServer.ClusterDNS, serverPath.Child("clusterDNS"))...)
	errs = append(errs, apivalidation.ValidateImmutableField(newServer.ClusterDomain, oldServer.ClusterDomain, serverPath.Child("clusterDomain"))...)

	// Versions that do not parse are reported by validateKThreesControlPlane; they cannot be compared.
	oldVersion, oldErr := k3sversion.Parse(oldKCP.Spec.Version)
	newVersion, newErr := k3sversion.Parse(newKCP.Spec.Version)
	if oldErr == nil && newErr == nil {
		if err := k3sversion.ValidateUpgrade(oldVersion, newVersion); err != nil {
			errs = append(errs, field.Forbidden(field.NewPath("spec", "version"), err.Error()))
		}
	}
	return errs
}

// replicasWarnings warns about an even number of replicas: embedded etcd tolerates no more member failures with
// an even number of members than with one member fewer.
func replicasWarnings(kcp *controlplanev1.KThreesControlPlane) admission.Warnings {
	if r := kcp.Spec.Replicas; r != nil && *r > 0 && *r%2 == 0 {
		return admission.Warnings{fmt.Sprintf("spec.replicas: %d is an even number; embedded etcd tolerates no more "+
			"member failures with %d members than with %d, so an odd number of replicas is recommended", *r, *r, *r-1)}
	}
	return nil
}

// edgeAgentWarnings warns about what agents that run the bootstrap data without cloud-init cannot run,
// except on fields that already have a validation error.
func edgeAgentWarnings(kcp *controlplanev1.KThreesControlPlane) []string {
	return edgeagent.Warnings(&kcp.Spec.KThreesConfigSpec, field.NewPath("spec", "kthreesConfigSpec"),
		validateKThreesControlPlane(kcp))
}
