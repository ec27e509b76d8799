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
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// newKCPTemplate returns a valid KThreesControlPlaneTemplate named test.
func newKCPTemplate(mutate ...func(*controlplanev1.KThreesControlPlaneTemplate)) *controlplanev1.KThreesControlPlaneTemplate {
	kcp := newKCP()
	t := &controlplanev1.KThreesControlPlaneTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "test", Namespace: "default"},
		Spec: controlplanev1.KThreesControlPlaneTemplateSpec{Template: controlplanev1.KThreesControlPlaneTemplateResource{
			Spec: controlplanev1.KThreesControlPlaneTemplateResourceSpec{
				KThreesConfigSpec: kcp.Spec.KThreesConfigSpec,
				Rollout:           kcp.Spec.Rollout,
				Remediation:       kcp.Spec.Remediation,
				MachineNaming:     kcp.Spec.MachineNaming,
			},
		}},
	}
	for _, m := range mutate {
		m(t)
	}
	return t
}

func TestKThreesControlPlaneTemplate_Default(t *testing.T) {
	g := NewWithT(t)
	tpl := newKCPTemplate()
	g.Expect((&KThreesControlPlaneTemplate{}).Default(context.Background(), tpl)).To(Succeed())
	server := tpl.Spec.Template.Spec.KThreesConfigSpec.ServerConfig
	g.Expect(server.DisableCloudController).To(Equal(ptr.To(true)))
	g.Expect(server.CloudProviderName).To(Equal(ptr.To("external")))

	empty := &controlplanev1.KThreesControlPlaneTemplate{}
	g.Expect((&KThreesControlPlaneTemplate{}).Default(context.Background(), empty)).To(Succeed())
	g.Expect(empty.Spec.Template.Spec.Rollout).To(BeZero())
	g.Expect(empty.Spec.Template.Spec.MachineNaming).To(BeZero())

	g.Expect((&KThreesControlPlaneTemplate{}).Default(context.Background(), nil)).NotTo(Succeed())
}

func TestKThreesControlPlaneTemplate_ValidateCreate(t *testing.T) {
	tests := []struct {
		name     string
		template *controlplanev1.KThreesControlPlaneTemplate
		wantErr  string
	}{
		{name: "valid", template: newKCPTemplate()},
		{name: "empty: no version, replicas or infrastructureRef needed", template: &controlplanev1.KThreesControlPlaneTemplate{}},
		{
			name: "kthreesConfigSpec",
			template: newKCPTemplate(func(t *controlplanev1.KThreesControlPlaneTemplate) {
				t.Spec.Template.Spec.KThreesConfigSpec.ServerConfig.TLSSan = []string{"bad san"}
			}),
			wantErr: `spec.template.spec.kthreesConfigSpec.serverConfig.tlsSan[0]: Invalid value: "bad san"`,
		},
		{
			name: "maxSurge",
			template: newKCPTemplate(func(t *controlplanev1.KThreesControlPlaneTemplate) {
				t.Spec.Template.Spec.Rollout.Strategy.RollingUpdate.MaxSurge = ptr.To(intstr.FromInt32(3))
			}),
			wantErr: `spec.template.spec.rollout.strategy.rollingUpdate.maxSurge: Invalid value: "3"`,
		},
		{
			name: "rollout strategy type",
			template: newKCPTemplate(func(t *controlplanev1.KThreesControlPlaneTemplate) {
				t.Spec.Template.Spec.Rollout.Strategy.Type = "Recreate"
			}),
			wantErr: `spec.template.spec.rollout.strategy.type: Unsupported value: "Recreate"`,
		},
		{
			name: "remediation",
			template: newKCPTemplate(func(t *controlplanev1.KThreesControlPlaneTemplate) {
				t.Spec.Template.Spec.Remediation.RetryPeriodSeconds = ptr.To[int32](-1)
			}),
			wantErr: "spec.template.spec.remediation.retryPeriodSeconds: Invalid value: -1",
		},
		{
			name: "machineNaming",
			template: newKCPTemplate(func(t *controlplanev1.KThreesControlPlaneTemplate) {
				t.Spec.Template.Spec.MachineNaming.Template = "{{ .random"
			}),
			wantErr: `spec.template.spec.machineNaming.template: Invalid value: "{{ .random"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			warnings, err := (&KThreesControlPlaneTemplate{}).ValidateCreate(context.Background(), tt.template)
			g.Expect(warnings).To(BeEmpty())
			if tt.wantErr == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "error: %v", err)
			g.Expect(err.Error()).To(ContainSubstring(`KThreesControlPlaneTemplate.controlplane.cluster.x-k8s.io "test" is invalid`))
			g.Expect(err.Error()).To(ContainSubstring(tt.wantErr))
		})
	}
}

func TestKThreesControlPlaneTemplate_ValidateUpdate(t *testing.T) {
	naming := func(tmpl string) func(*controlplanev1.KThreesControlPlaneTemplate) {
		return func(t *controlplanev1.KThreesControlPlaneTemplate) {
			t.Spec.Template.Spec.MachineNaming.Template = tmpl
		}
	}
	tests := []struct {
		name         string
		oldTemplate  *controlplanev1.KThreesControlPlaneTemplate
		newTemplate  *controlplanev1.KThreesControlPlaneTemplate
		wantErr      string
		wantWarnings []string
	}{
		{
			name:        "templates are mutable, including the cluster network",
			oldTemplate: newKCPTemplate(),
			newTemplate: newKCPTemplate(func(t *controlplanev1.KThreesControlPlaneTemplate) {
				t.Spec.Template.Spec.KThreesConfigSpec.ServerConfig.ClusterCidr = "10.50.0.0/16"
				t.Spec.Template.Spec.KThreesConfigSpec.ServerConfig.ClusterDomain = "example.local"
			}),
		},
		{
			name:        "old good, new bad is rejected",
			oldTemplate: newKCPTemplate(),
			newTemplate: newKCPTemplate(naming("cp")),
			wantErr:     `spec.template.spec.machineNaming.template: Invalid value: "cp"`,
		},
		{
			name:         "old bad and unchanged is a warning",
			oldTemplate:  newKCPTemplate(naming("cp")),
			newTemplate:  newKCPTemplate(naming("cp")),
			wantWarnings: []string{`spec.template.spec.machineNaming.template: Invalid value: "cp"`},
		},
		{
			name:        "old bad changed to another bad value is rejected",
			oldTemplate: newKCPTemplate(naming("cp")),
			newTemplate: newKCPTemplate(naming("cp2")),
			wantErr:     `spec.template.spec.machineNaming.template: Invalid value: "cp2"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			warnings, err := (&KThreesControlPlaneTemplate{}).ValidateUpdate(context.Background(), tt.oldTemplate, tt.newTemplate)
			g.Expect(warnings).To(HaveLen(len(tt.wantWarnings)))
			for i, w := range tt.wantWarnings {
				g.Expect(warnings[i]).To(HavePrefix(w))
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
		w := &KThreesControlPlaneTemplate{}
		_, err := w.ValidateCreate(context.Background(), nil)
		g.Expect(apierrors.IsBadRequest(err)).To(BeTrue())
		_, err = w.ValidateUpdate(context.Background(), nil, newKCPTemplate())
		g.Expect(apierrors.IsBadRequest(err)).To(BeTrue())
	})
}

func TestKThreesControlPlaneTemplate_ValidateDelete(t *testing.T) {
	g := NewWithT(t)
	warnings, err := (&KThreesControlPlaneTemplate{}).ValidateDelete(context.Background(), nil)
	g.Expect(warnings).To(BeEmpty())
	g.Expect(err).NotTo(HaveOccurred())
}
