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
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// TestJinja_rejectedAndRatcheted checks the jinja validation of both control-plane kinds: a command and a node
// name cloud-init cannot render are refused with their nested field and position, except with format ignition
// (the node name is then refused for another reason) and, on update, when the object already held them.
func TestJinja_rejectedAndRatcheted(t *testing.T) {
	bad := func(format bootstrapv1.Format) func(*bootstrapv1.KThreesConfigSpec) {
		return func(s *bootstrapv1.KThreesConfigSpec) {
			s.Format = format
			s.PreK3sCommands = []string{"true", `n=${#a[@]}`}
		}
	}
	good := func(s *bootstrapv1.KThreesConfigSpec) {
		s.PreK3sCommands = []string{"true", "{% raw %}n=${#a[@]}{% endraw %}"}
	}
	type validator struct {
		create func(m func(*bootstrapv1.KThreesConfigSpec)) ([]string, error)
		update func(o, n func(*bootstrapv1.KThreesConfigSpec)) ([]string, error)
		field  string
	}
	validators := map[string]validator{
		"KThreesControlPlane": {
			create: func(m func(*bootstrapv1.KThreesConfigSpec)) ([]string, error) {
				return (&KThreesControlPlane{}).ValidateCreate(context.Background(),
					newKCP(func(k *controlplanev1.KThreesControlPlane) { m(&k.Spec.KThreesConfigSpec) }))
			},
			update: func(o, n func(*bootstrapv1.KThreesConfigSpec)) ([]string, error) {
				return (&KThreesControlPlane{}).ValidateUpdate(context.Background(),
					newKCP(func(k *controlplanev1.KThreesControlPlane) { o(&k.Spec.KThreesConfigSpec) }),
					newKCP(func(k *controlplanev1.KThreesControlPlane) { n(&k.Spec.KThreesConfigSpec) }))
			},
			field: "spec.kthreesConfigSpec.preK3sCommands[1]",
		},
		"KThreesControlPlaneTemplate": {
			create: func(m func(*bootstrapv1.KThreesConfigSpec)) ([]string, error) {
				return (&KThreesControlPlaneTemplate{}).ValidateCreate(context.Background(),
					newKCPTemplate(func(t *controlplanev1.KThreesControlPlaneTemplate) { m(&t.Spec.Template.Spec.KThreesConfigSpec) }))
			},
			update: func(o, n func(*bootstrapv1.KThreesConfigSpec)) ([]string, error) {
				return (&KThreesControlPlaneTemplate{}).ValidateUpdate(context.Background(),
					newKCPTemplate(func(t *controlplanev1.KThreesControlPlaneTemplate) { o(&t.Spec.Template.Spec.KThreesConfigSpec) }),
					newKCPTemplate(func(t *controlplanev1.KThreesControlPlaneTemplate) { n(&t.Spec.Template.Spec.KThreesConfigSpec) }))
			},
			field: "spec.template.spec.kthreesConfigSpec.preK3sCommands[1]",
		},
	}
	for kind, v := range validators {
		t.Run(kind, func(t *testing.T) {
			g := NewWithT(t)
			_, err := v.create(bad(""))
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "error: %v", err)
			g.Expect(err.Error()).To(ContainSubstring(v.field + `: Invalid value: "n=${#a[@]}": cloud-init renders`))
			g.Expect(err.Error()).To(ContainSubstring("line 1, column 4: missing end of comment tag"))
			g.Expect(err.Error()).To(ContainSubstring("{% raw %}…{% endraw %}"))

			_, err = v.create(bad(bootstrapv1.Ignition))
			g.Expect(err).NotTo(HaveOccurred(), "Ignition data is not rendered as jinja")
			_, err = v.create(good)
			g.Expect(err).NotTo(HaveOccurred())
			_, err = v.create(func(s *bootstrapv1.KThreesConfigSpec) { s.AgentConfig.NodeName = "{{ .Values.name }}" })
			g.Expect(err).To(MatchError(ContainSubstring(`nodeName: Invalid value: "{{ .Values.name }}": cloud-init renders`)))

			warnings, err := v.update(bad(""), func(s *bootstrapv1.KThreesConfigSpec) {
				bad("")(s)
				s.PostK3sCommands = []string{"true"}
			})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(warnings).To(ContainElement(HavePrefix(v.field + ": Invalid value")))
			_, err = v.update(good, bad(""))
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "error: %v", err)
		})
	}
}
