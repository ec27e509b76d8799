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
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

// helmValues is a Helm values file: not jinja, so cloud-init cannot render a document holding it.
const helmValues = "replicas: {{ .Values.replicas }}\n"

// TestJinja_rejectedAndRatcheted checks the jinja validation of both bootstrap kinds: text cloud-init cannot
// render is refused with its field and position, except with format ignition and, on update, when the object
// already held it (a warning then).
func TestJinja_rejectedAndRatcheted(t *testing.T) {
	withFile := func(content string, format bootstrapv1.Format) func(*bootstrapv1.KThreesConfigSpec) {
		return func(s *bootstrapv1.KThreesConfigSpec) {
			s.Format = format
			s.Files = append(s.Files, bootstrapv1.File{Path: "/etc/b", Content: "b"}, bootstrapv1.File{Path: "/etc/values.yaml", Content: content})
		}
	}
	type validator struct {
		create func(mutate func(*bootstrapv1.KThreesConfigSpec)) ([]string, error)
		update func(oldM, newM func(*bootstrapv1.KThreesConfigSpec)) ([]string, error)
		field  string
	}
	validators := map[string]validator{
		"KThreesConfig": {
			create: func(m func(*bootstrapv1.KThreesConfigSpec)) ([]string, error) {
				return (&KThreesConfig{}).ValidateCreate(context.Background(), newKThreesConfig(func(c *bootstrapv1.KThreesConfig) { m(&c.Spec) }))
			},
			update: func(o, n func(*bootstrapv1.KThreesConfigSpec)) ([]string, error) {
				return (&KThreesConfig{}).ValidateUpdate(context.Background(),
					newKThreesConfig(func(c *bootstrapv1.KThreesConfig) { o(&c.Spec) }), newKThreesConfig(func(c *bootstrapv1.KThreesConfig) { n(&c.Spec) }))
			},
			field: "spec.files[2].content",
		},
		"KThreesConfigTemplate": {
			create: func(m func(*bootstrapv1.KThreesConfigSpec)) ([]string, error) {
				return (&KThreesConfigTemplate{}).ValidateCreate(context.Background(),
					newKThreesConfigTemplate(func(t *bootstrapv1.KThreesConfigTemplate) { m(&t.Spec.Template.Spec) }))
			},
			update: func(o, n func(*bootstrapv1.KThreesConfigSpec)) ([]string, error) {
				return (&KThreesConfigTemplate{}).ValidateUpdate(context.Background(),
					newKThreesConfigTemplate(func(t *bootstrapv1.KThreesConfigTemplate) { o(&t.Spec.Template.Spec) }),
					newKThreesConfigTemplate(func(t *bootstrapv1.KThreesConfigTemplate) { n(&t.Spec.Template.Spec) }))
			},
			field: "spec.template.spec.files[2].content",
		},
	}
	for kind, v := range validators {
		t.Run(kind, func(t *testing.T) {
			g := NewWithT(t)
			_, err := v.create(withFile(helmValues, ""))
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "error: %v", err)
			g.Expect(err.Error()).To(ContainSubstring(v.field + `: Invalid value: "replicas: {{ .Values.replicas }}\n": cloud-init renders`))
			g.Expect(err.Error()).To(ContainSubstring(`line 1, column 14: unexpected "."`))
			g.Expect(err.Error()).To(ContainSubstring("encoding: base64"))

			_, err = v.create(withFile(helmValues, bootstrapv1.Ignition))
			g.Expect(err).NotTo(HaveOccurred(), "Ignition data is not rendered as jinja")
			_, err = v.create(withFile("{% raw %}"+helmValues+"{% endraw %}", ""))
			g.Expect(err).NotTo(HaveOccurred())

			// Ratcheting: the same text kept is a warning, new text an error.
			keep := func(s *bootstrapv1.KThreesConfigSpec) {
				withFile(helmValues, "")(s)
				s.PreK3sCommands = []string{"true"}
			}
			warnings, err := v.update(withFile(helmValues, ""), keep)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(warnings).To(ContainElement(HavePrefix(v.field + ": Invalid value")))
			_, err = v.update(withFile(helmValues, ""), withFile(helmValues+"{{ .Values.x }}", ""))
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "error: %v", err)
			_, err = v.update(withFile("a", ""), withFile(helmValues, ""))
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "error: %v", err)
		})
	}
}
