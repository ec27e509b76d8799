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

// Package admissionresult registers this project's defaulting and validating webhooks and builds their responses.
package admissionresult

import (
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/k3s-io/cluster-api-k3s/internal/conversionschema"
)

// Of turns validation errors and warnings into the result of a validating webhook: an Invalid error for the object
// named name of kind gk when errs is not empty, so the message names every offending field path.
func Of(gk schema.GroupKind, name string, errs field.ErrorList, warnings []string) (admission.Warnings, error) {
	if len(errs) == 0 {
		return warnings, nil
	}
	return warnings, apierrors.NewInvalid(gk, name, errs)
}

// NilObject is returned when a webhook is called without an object.
func NilObject(kind string) error {
	return apierrors.NewBadRequest("expected a " + kind + " but got nil")
}

// Webhook is a defaulting and validating webhook of one kind.
type Webhook[T runtime.Object] interface {
	admission.Defaulter[T]
	admission.Validator[T]
}

// Register registers w as the defaulting and validating webhook of obj's kind with the manager's webhook server,
// and the conversion webhook, which answers objects that do not match their version's schema in crds with the
// schema's field errors (conversionschema).
func Register[T runtime.Object](mgr ctrl.Manager, obj T, w Webhook[T], crds func() ([]*apiextensionsv1.CustomResourceDefinition, error)) error {
	if err := conversionschema.Register(mgr, crds); err != nil {
		return fmt.Errorf("failed to set up the conversion webhook: %w", err)
	}
	if err := ctrl.NewWebhookManagedBy(mgr, obj).WithDefaulter(w).WithValidator(w).Complete(); err != nil {
		return fmt.Errorf("failed to set up the %T webhooks: %w", obj, err)
	}
	return nil
}
