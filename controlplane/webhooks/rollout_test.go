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
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

func Test_validateRollout(t *testing.T) {
	surge := func(v intstr.IntOrString) controlplanev1.KThreesControlPlaneRolloutSpec {
		return controlplanev1.KThreesControlPlaneRolloutSpec{Strategy: controlplanev1.KThreesControlPlaneRolloutStrategy{
			RollingUpdate: controlplanev1.KThreesControlPlaneRolloutStrategyRollingUpdate{MaxSurge: &v},
		}}
	}
	tests := []struct {
		name    string
		rollout controlplanev1.KThreesControlPlaneRolloutSpec
		wantErr string
	}{
		{name: "unset"},
		{name: "maxSurge 0", rollout: surge(intstr.FromInt32(0))},
		{name: "maxSurge 1", rollout: surge(intstr.FromInt32(1))},
		{
			name: "RollingUpdate type",
			rollout: controlplanev1.KThreesControlPlaneRolloutSpec{Strategy: controlplanev1.KThreesControlPlaneRolloutStrategy{
				Type: controlplanev1.RollingUpdateStrategyType,
			}},
		},
		{name: "maxSurge 2", rollout: surge(intstr.FromInt32(2)), wantErr: `spec.rollout.strategy.rollingUpdate.maxSurge: Invalid value: "2"`},
		{name: "certificatesExpiryDays 364", rollout: controlplanev1.KThreesControlPlaneRolloutSpec{Before: controlplanev1.KThreesControlPlaneRolloutBeforeSpec{CertificatesExpiryDays: 364}}},
		{
			name:    "certificatesExpiryDays 365",
			rollout: controlplanev1.KThreesControlPlaneRolloutSpec{Before: controlplanev1.KThreesControlPlaneRolloutBeforeSpec{CertificatesExpiryDays: 365}},
			wantErr: `spec.rollout.before.certificatesExpiryDays: Invalid value: 365: must be a whole number of days from 7 to 364`,
		},
		{name: "maxSurge -1", rollout: surge(intstr.FromInt32(-1)), wantErr: `spec.rollout.strategy.rollingUpdate.maxSurge: Invalid value: "-1"`},
		{name: "maxSurge string", rollout: surge(intstr.FromString("1")), wantErr: `spec.rollout.strategy.rollingUpdate.maxSurge: Invalid value: "1"`},
		{name: "maxSurge percentage", rollout: surge(intstr.FromString("100%")), wantErr: `spec.rollout.strategy.rollingUpdate.maxSurge: Invalid value: "100%"`},
		{
			name: "unsupported type",
			rollout: controlplanev1.KThreesControlPlaneRolloutSpec{Strategy: controlplanev1.KThreesControlPlaneRolloutStrategy{
				Type: "Recreate",
			}},
			wantErr: `spec.rollout.strategy.type: Unsupported value: "Recreate"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			errs := validateRollout(&tt.rollout, field.NewPath("spec", "rollout"))
			if tt.wantErr == "" {
				g.Expect(errs).To(BeEmpty())
				return
			}
			g.Expect(errs).To(HaveLen(1))
			g.Expect(errs[0].Error()).To(HavePrefix(tt.wantErr))
		})
	}
}

func Test_validateRemediation(t *testing.T) {
	tests := []struct {
		name        string
		remediation controlplanev1.KThreesControlPlaneRemediationSpec
		wantErr     string
	}{
		{name: "unset"},
		{
			name: "zeros",
			remediation: controlplanev1.KThreesControlPlaneRemediationSpec{
				MaxRetry: ptr.To[int32](0), RetryPeriodSeconds: ptr.To[int32](0), MinHealthyPeriodSeconds: ptr.To[int32](0),
			},
		},
		{
			name:        "negative maxRetry",
			remediation: controlplanev1.KThreesControlPlaneRemediationSpec{MaxRetry: ptr.To[int32](-1)},
			wantErr:     "spec.remediation.maxRetry: Invalid value: -1",
		},
		{
			name:        "negative retryPeriodSeconds",
			remediation: controlplanev1.KThreesControlPlaneRemediationSpec{RetryPeriodSeconds: ptr.To[int32](-5)},
			wantErr:     "spec.remediation.retryPeriodSeconds: Invalid value: -5",
		},
		{
			name:        "negative minHealthyPeriodSeconds",
			remediation: controlplanev1.KThreesControlPlaneRemediationSpec{MinHealthyPeriodSeconds: ptr.To[int32](-1)},
			wantErr:     "spec.remediation.minHealthyPeriodSeconds: Invalid value: -1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			errs := validateRemediation(&tt.remediation, field.NewPath("spec", "remediation"))
			if tt.wantErr == "" {
				g.Expect(errs).To(BeEmpty())
				return
			}
			g.Expect(errs).To(HaveLen(1))
			g.Expect(errs[0].Error()).To(HavePrefix(tt.wantErr))
		})
	}
}

func Test_validateCertificatesExpiryDaysAnnotation(t *testing.T) {
	path := field.NewPath("metadata", "annotations")
	for _, tc := range []struct {
		name    string
		value   *string
		wantErr string
	}{
		{name: "absent"},
		{name: "30 days", value: ptr.To("30")},
		{name: "the field's minimum", value: ptr.To("7")},
		{name: "below the minimum", value: ptr.To("6"), wantErr: `metadata.annotations[controlplane.cluster.x-k8s.io/certificates-expiry-days]: Invalid value: "6"`},
		{name: "not a number", value: ptr.To("30d"), wantErr: "must be a whole number of days from 7 to 364"},
		{name: "as long as the certificates' validity", value: ptr.To("365"), wantErr: `Invalid value: "365"`},
		{name: "empty", value: ptr.To(""), wantErr: `Invalid value: ""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			annotations := map[string]string{"other": "x"}
			if tc.value != nil {
				annotations[controlplanev1.CertificatesExpiryDaysAnnotation] = *tc.value
			}
			errs := validateCertificatesExpiryDaysAnnotation(annotations, path)
			if tc.wantErr == "" {
				g.Expect(errs).To(BeEmpty())
				return
			}
			g.Expect(errs.ToAggregate().Error()).To(ContainSubstring(tc.wantErr))
		})
	}
}
