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
	"k8s.io/apimachinery/pkg/util/validation/field"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

func Test_validateMachineNaming(t *testing.T) {
	tests := []struct {
		name     string
		template string
		wantErr  string
	}{
		{name: "unset"},
		{name: "default form", template: "{{ .kthreesControlPlane.name }}-{{ .random }}"},
		{name: "no spaces", template: "{{.cluster.name}}-cp-{{.random}}"},
		{name: "trim markers", template: "{{- .cluster.name -}}-{{- .random -}}"},
		{name: "extra spaces", template: "prefix-{{   .random   }}"},
		{
			name:     "missing random",
			template: "{{ .kthreesControlPlane.name }}-cp",
			wantErr:  `spec.machineNaming.template: Invalid value: "{{ .kthreesControlPlane.name }}-cp": must contain {{ .random }}`,
		},
		{
			name:     "does not parse",
			template: "{{ .cluster.name }-{{ .random }}",
			wantErr:  "must be a valid Go template",
		},
		{
			name:     "unknown variable",
			template: "{{ .machineSet.name }}-{{ .random }}",
			wantErr:  "must execute with the variables",
		},
		{
			name:     "invalid generated name",
			template: "{{ .cluster.name }}_{{ .random }}",
			wantErr:  `must generate valid Machine names, but generated "cluster_abcde"`,
		},
		{
			name:     "upper case generated name",
			template: "CP-{{ .random }}",
			wantErr:  "must generate valid Machine names",
		},
		{
			name:     "unbounded output",
			template: "{{ range 100000 }}a{{ end }}{{ .random }}",
			wantErr:  "longer than 253 characters",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			errs := validateMachineNaming(&controlplanev1.MachineNamingSpec{Template: tt.template},
				field.NewPath("spec", "machineNaming"))
			if tt.wantErr == "" {
				g.Expect(errs).To(BeEmpty())
				return
			}
			g.Expect(errs).To(HaveLen(1))
			g.Expect(errs[0].Error()).To(HavePrefix("spec.machineNaming.template: Invalid value"))
			g.Expect(errs[0].Error()).To(ContainSubstring(tt.wantErr))
		})
	}
}
