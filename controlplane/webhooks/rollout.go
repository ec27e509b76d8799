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
	"slices"
	"strconv"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3supgrade"
)

// validateRollout validates the rollout settings found at fldPath: the strategy type, when set, is RollingUpdate
// or InPlace, maxSurge, when set, is the integer 0 or 1, and inPlace settings go with the InPlace type.
func validateRollout(r *controlplanev1.KThreesControlPlaneRolloutSpec, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	strategyPath := fldPath.Child("strategy")
	supported := []controlplanev1.KThreesControlPlaneRolloutStrategyType{controlplanev1.RollingUpdateStrategyType, controlplanev1.InPlaceStrategyType}
	if t := r.Strategy.Type; t != "" && !slices.Contains(supported, t) {
		errs = append(errs, field.NotSupported(strategyPath.Child("type"), t, supported))
	}
	if s := r.Strategy.InPlace.NodeTimeoutSeconds; s != nil && *s < 60 {
		errs = append(errs, field.Invalid(strategyPath.Child("inPlace", "nodeTimeoutSeconds"), *s, "must be at least 60"))
	}
	if s := r.Strategy.RollingUpdate.MaxSurge; s != nil {
		if s.Type != intstr.Int || (s.IntVal != 0 && s.IntVal != 1) {
			errs = append(errs, field.Invalid(strategyPath.Child("rollingUpdate", "maxSurge"), s.String(),
				"must be the integer 0 or 1"))
		}
	}
	if days := r.Before.CertificatesExpiryDays; days >= k3supgrade.CertificateValidityDays {
		errs = append(errs, field.Invalid(fldPath.Child("before", "certificatesExpiryDays"), days, certificatesExpiryDaysMessage))
	}
	return errs
}

const certificatesExpiryDaysMessage = "must be a whole number of days from 7 to 364: K3s issues its certificates for 365 days"

// validateRemediation validates the remediation settings found at fldPath: maxRetry, retryPeriodSeconds and
// minHealthyPeriodSeconds, when set, are not negative.
func validateRemediation(r *controlplanev1.KThreesControlPlaneRemediationSpec, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct {
		name  string
		value *int32
	}{
		{name: "maxRetry", value: r.MaxRetry},
		{name: "retryPeriodSeconds", value: r.RetryPeriodSeconds},
		{name: "minHealthyPeriodSeconds", value: r.MinHealthyPeriodSeconds},
	} {
		if f.value != nil && *f.value < 0 {
			errs = append(errs, field.Invalid(fldPath.Child(f.name), *f.value, "must be greater than or equal to 0"))
		}
	}
	return errs
}

// validateCertificatesExpiryDaysAnnotation checks the v1beta2 way to certificatesExpiryDays: a whole number of days,
// at least 7 like the field.
func validateCertificatesExpiryDaysAnnotation(annotations map[string]string, fldPath *field.Path) field.ErrorList {
	value, ok := annotations[controlplanev1.CertificatesExpiryDaysAnnotation]
	if !ok {
		return nil
	}
	if days, err := strconv.ParseInt(value, 10, 32); err != nil || days < 7 || days >= k3supgrade.CertificateValidityDays {
		return field.ErrorList{field.Invalid(fldPath.Key(controlplanev1.CertificatesExpiryDaysAnnotation), value, certificatesExpiryDaysMessage)}
	}
	return nil
}
