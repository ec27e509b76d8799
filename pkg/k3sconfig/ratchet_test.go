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
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation/field"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

func Test_Ratchet(t *testing.T) {
	p := field.NewPath("spec", "serverConfig", "tlsSan").Index(0)
	tests := []struct {
		name         string
		newErrs      field.ErrorList
		oldErrs      field.ErrorList
		wantErrs     int
		wantWarnings int
	}{
		{name: "no errors"},
		{
			name:     "new error without old errors",
			newErrs:  field.ErrorList{field.Invalid(p, "bad san", "x")},
			wantErrs: 1,
		},
		{
			name:         "same error kept",
			newErrs:      field.ErrorList{field.Invalid(p, "bad san", "x")},
			oldErrs:      field.ErrorList{field.Invalid(p, "bad san", "x")},
			wantWarnings: 1,
		},
		{
			name:     "different bad value",
			newErrs:  field.ErrorList{field.Invalid(p, "other bad", "x")},
			oldErrs:  field.ErrorList{field.Invalid(p, "bad san", "x")},
			wantErrs: 1,
		},
		{
			name:     "different path",
			newErrs:  field.ErrorList{field.Invalid(p, "bad san", "x")},
			oldErrs:  field.ErrorList{field.Invalid(field.NewPath("spec").Child("version"), "bad san", "x")},
			wantErrs: 1,
		},
		{
			name:     "different type",
			newErrs:  field.ErrorList{field.Duplicate(p, "bad san")},
			oldErrs:  field.ErrorList{field.Invalid(p, "bad san", "x")},
			wantErrs: 1,
		},
		{
			name:         "mixed",
			newErrs:      field.ErrorList{field.Invalid(p, "bad san", "x"), nil, field.Required(p.Child("a"), "")},
			oldErrs:      field.ErrorList{nil, field.Invalid(p, "bad san", "x")},
			wantErrs:     1,
			wantWarnings: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			errs, warnings := Ratchet(tt.newErrs, tt.oldErrs)
			g.Expect(errs).To(HaveLen(tt.wantErrs))
			g.Expect(warnings).To(HaveLen(tt.wantWarnings))
			for _, w := range warnings {
				g.Expect(w).To(HavePrefix(p.String() + ": "))
			}
		})
	}
}

func Test_ValidateRatcheted(t *testing.T) {
	spec := func(san string) *bootstrapv1.KThreesConfigSpec {
		return &bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{TLSSan: []string{san}}}
	}
	validate := func(s *bootstrapv1.KThreesConfigSpec) field.ErrorList {
		return ValidateKThreesConfigSpec(s, field.NewPath("spec"))
	}
	tests := []struct {
		name         string
		oldSpec      *bootstrapv1.KThreesConfigSpec
		newSpec      *bootstrapv1.KThreesConfigSpec
		wantErr      bool
		wantWarnings int
	}{
		{name: "create valid", newSpec: spec("a.example.com")},
		{name: "create invalid", newSpec: spec("bad san"), wantErr: true},
		{name: "old bad and unchanged is a warning", oldSpec: spec("bad san"), newSpec: spec("bad san"), wantWarnings: 1},
		{name: "old bad changed to another bad value is an error", oldSpec: spec("bad san"), newSpec: spec("worse san"), wantErr: true},
		{name: "old good to new bad is an error", oldSpec: spec("a.example.com"), newSpec: spec("bad san"), wantErr: true},
		{name: "old bad fixed", oldSpec: spec("bad san"), newSpec: spec("a.example.com")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			errs, warnings := ValidateRatcheted(tt.oldSpec, tt.newSpec, validate)
			if tt.wantErr {
				g.Expect(errs).To(HaveLen(1))
				g.Expect(errs[0].Field).To(Equal("spec.serverConfig.tlsSan[0]"))
			} else {
				g.Expect(errs).To(BeEmpty())
			}
			g.Expect(warnings).To(HaveLen(tt.wantWarnings))
		})
	}
}
