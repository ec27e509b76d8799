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
	"errors"
	"regexp"
	"strings"
	"text/template"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// randomPattern matches the {{ .random }} action of a machine naming template, whitespace-tolerant.
var randomPattern = regexp.MustCompile(`\{\{-?\s*\.random\s*-?\}\}`)

// machineNamingSampleData is the data a machine naming template is executed with during validation.
var machineNamingSampleData = map[string]any{
	"cluster":             map[string]any{"name": "cluster"},
	"kthreesControlPlane": map[string]any{"name": "kthreescontrolplane"},
	"random":              "abcde",
}

// errNameTooLong stops the execution of a template whose output cannot be a valid name anyway.
var errNameTooLong = errors.New("generated name is longer than 253 characters")

// limitedWriter collects at most validation.DNS1123SubdomainMaxLength bytes and fails beyond that, so that a
// template cannot produce unbounded output.
type limitedWriter struct {
	b strings.Builder
}

// Write implements io.Writer.
func (w *limitedWriter) Write(p []byte) (int, error) {
	if w.b.Len()+len(p) > validation.DNS1123SubdomainMaxLength {
		return 0, errNameTooLong
	}
	return w.b.Write(p)
}

// validateMachineNaming validates the machine naming settings found at fldPath: the template, when set, is a Go
// text/template that contains {{ .random }} and, executed with sample values, yields a DNS-1123 subdomain.
func validateMachineNaming(n *controlplanev1.MachineNamingSpec, fldPath *field.Path) field.ErrorList {
	if n.Template == "" {
		return nil
	}
	p := fldPath.Child("template")
	if !randomPattern.MatchString(n.Template) {
		return field.ErrorList{field.Invalid(p, n.Template, "must contain {{ .random }}")}
	}
	tpl, err := template.New("machineNaming").Option("missingkey=error").Parse(n.Template)
	if err != nil {
		return field.ErrorList{field.Invalid(p, n.Template, "must be a valid Go template: "+err.Error())}
	}
	var out limitedWriter
	if err := tpl.Execute(&out, machineNamingSampleData); err != nil {
		return field.ErrorList{field.Invalid(p, n.Template, "must execute with the variables .cluster.name, "+
			".kthreesControlPlane.name and .random: "+err.Error())}
	}
	if msgs := validation.IsDNS1123Subdomain(out.b.String()); len(msgs) > 0 {
		return field.ErrorList{field.Invalid(p, n.Template, "must generate valid Machine names, but generated "+
			"\""+out.b.String()+"\": "+strings.Join(msgs, "; "))}
	}
	return nil
}
