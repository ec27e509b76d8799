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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

// newKThreesConfigTemplate returns a valid KThreesConfigTemplate named test.
func newKThreesConfigTemplate(mutate ...func(*bootstrapv1.KThreesConfigTemplate)) *bootstrapv1.KThreesConfigTemplate {
	t := &bootstrapv1.KThreesConfigTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "test", Namespace: "default"},
		Spec: bootstrapv1.KThreesConfigTemplateSpec{Template: bootstrapv1.KThreesConfigTemplateResource{
			Spec: newKThreesConfig().Spec,
		}},
	}
	for _, m := range mutate {
		m(t)
	}
	return t
}

func TestKThreesConfigTemplate_Default(t *testing.T) {
	g := NewWithT(t)
	tpl := newKThreesConfigTemplate()
	g.Expect((&KThreesConfigTemplate{}).Default(context.Background(), tpl)).To(Succeed())
	g.Expect(tpl.Spec.Template.Spec.ServerConfig.DisableCloudController).To(Equal(ptr.To(true)))
	g.Expect(tpl.Spec.Template.Spec.ServerConfig.CloudProviderName).To(Equal(ptr.To("external")))
	g.Expect(tpl.Spec.Template.Spec.Format).To(BeEmpty())

	g.Expect((&KThreesConfigTemplate{}).Default(context.Background(), nil)).NotTo(Succeed())
}

func TestKThreesConfigTemplate_ValidateCreate(t *testing.T) {
	tests := []struct {
		name     string
		template *bootstrapv1.KThreesConfigTemplate
		wantErr  string
	}{
		{name: "valid", template: newKThreesConfigTemplate()},
		{name: "empty", template: &bootstrapv1.KThreesConfigTemplate{}},
		{
			name: "invalid tlsSan",
			template: newKThreesConfigTemplate(func(t *bootstrapv1.KThreesConfigTemplate) {
				t.Spec.Template.Spec.ServerConfig.TLSSan = []string{"bad san"}
			}),
			wantErr: `spec.template.spec.serverConfig.tlsSan[0]: Invalid value: "bad san"`,
		},
		{
			name: "duplicate file path",
			template: newKThreesConfigTemplate(func(t *bootstrapv1.KThreesConfigTemplate) {
				t.Spec.Template.Spec.Files = append(t.Spec.Template.Spec.Files, bootstrapv1.File{Path: "/etc/a"})
			}),
			wantErr: `spec.template.spec.files[1].path: Duplicate value: "/etc/a"`,
		},
		{
			name: "invalid https listen port",
			template: newKThreesConfigTemplate(func(t *bootstrapv1.KThreesConfigTemplate) {
				t.Spec.Template.Spec.ServerConfig.HTTPSListenPort = "https"
			}),
			wantErr: `spec.template.spec.serverConfig.httpsListenPort: Invalid value: "https"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			warnings, err := (&KThreesConfigTemplate{}).ValidateCreate(context.Background(), tt.template)
			g.Expect(warnings).To(BeEmpty())
			if tt.wantErr == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "error: %v", err)
			g.Expect(err.Error()).To(ContainSubstring(`KThreesConfigTemplate.bootstrap.cluster.x-k8s.io "test" is invalid`))
			g.Expect(err.Error()).To(ContainSubstring(tt.wantErr))
		})
	}
}

func TestKThreesConfigTemplate_ValidateUpdate(t *testing.T) {
	owner := func(o string) func(*bootstrapv1.KThreesConfigTemplate) {
		return func(t *bootstrapv1.KThreesConfigTemplate) { t.Spec.Template.Spec.Files[0].Owner = o }
	}
	tests := []struct {
		name         string
		oldTemplate  *bootstrapv1.KThreesConfigTemplate
		newTemplate  *bootstrapv1.KThreesConfigTemplate
		wantErr      string
		wantWarnings int
	}{
		{
			name:        "templates are mutable",
			oldTemplate: newKThreesConfigTemplate(),
			newTemplate: newKThreesConfigTemplate(func(t *bootstrapv1.KThreesConfigTemplate) {
				t.Spec.Template.Spec.Version = "v1.35.0+k3s1"
				t.Spec.Template.Spec.ServerConfig.ClusterCidr = "10.50.0.0/16"
			}),
		},
		{
			name:        "old good, new bad is rejected",
			oldTemplate: newKThreesConfigTemplate(),
			newTemplate: newKThreesConfigTemplate(owner("root:root:root")),
			wantErr:     `spec.template.spec.files[0].owner: Invalid value: "root:root:root"`,
		},
		{
			name:         "old bad and unchanged is a warning",
			oldTemplate:  newKThreesConfigTemplate(owner("root:root:root")),
			newTemplate:  newKThreesConfigTemplate(owner("root:root:root")),
			wantWarnings: 1,
		},
		{
			name:        "old bad changed to another bad value is rejected",
			oldTemplate: newKThreesConfigTemplate(owner("root:root:root")),
			newTemplate: newKThreesConfigTemplate(owner("a:b:c")),
			wantErr:     `spec.template.spec.files[0].owner: Invalid value: "a:b:c"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			warnings, err := (&KThreesConfigTemplate{}).ValidateUpdate(context.Background(), tt.oldTemplate, tt.newTemplate)
			g.Expect(warnings).To(HaveLen(tt.wantWarnings))
			for _, w := range warnings {
				g.Expect(w).To(HavePrefix(`spec.template.spec.files[0].owner: Invalid value: "root:root:root"`))
			}
			if tt.wantErr == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "error: %v", err)
			g.Expect(err.Error()).To(ContainSubstring(tt.wantErr))
		})
	}

	t.Run("nil objects are rejected", func(t *testing.T) {
		g := NewWithT(t)
		w := &KThreesConfigTemplate{}
		_, err := w.ValidateCreate(context.Background(), nil)
		g.Expect(apierrors.IsBadRequest(err)).To(BeTrue())
		_, err = w.ValidateUpdate(context.Background(), newKThreesConfigTemplate(), nil)
		g.Expect(apierrors.IsBadRequest(err)).To(BeTrue())
	})
}

func TestKThreesConfigTemplate_ValidateDelete(t *testing.T) {
	g := NewWithT(t)
	warnings, err := (&KThreesConfigTemplate{}).ValidateDelete(context.Background(), newKThreesConfigTemplate())
	g.Expect(warnings).To(BeEmpty())
	g.Expect(err).NotTo(HaveOccurred())
}
