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

// newKThreesConfig returns a valid KThreesConfig named test.
func newKThreesConfig(mutate ...func(*bootstrapv1.KThreesConfig)) *bootstrapv1.KThreesConfig {
	c := &bootstrapv1.KThreesConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "test", Namespace: "default"},
		Spec: bootstrapv1.KThreesConfigSpec{
			Version: "v1.34.5+k3s1",
			Files:   []bootstrapv1.File{{Path: "/etc/a", Content: "a", Owner: "root:root", Permissions: "0640"}},
			ServerConfig: bootstrapv1.KThreesServerConfig{
				TLSSan:      []string{"api.example.com", "10.0.0.1"},
				ClusterCidr: "10.42.0.0/16",
			},
			AgentConfig: bootstrapv1.KThreesAgentConfig{KubeletArgs: []string{"--max-pods=250"}},
		},
	}
	for _, m := range mutate {
		m(c)
	}
	return c
}

func TestKThreesConfig_Default(t *testing.T) {
	g := NewWithT(t)
	c := newKThreesConfig()
	g.Expect((&KThreesConfig{}).Default(context.Background(), c)).To(Succeed())
	g.Expect(c.Spec.ServerConfig.DisableCloudController).To(Equal(ptr.To(true)))
	g.Expect(c.Spec.ServerConfig.CloudProviderName).To(Equal(ptr.To("external")))
	g.Expect(c.Spec.Format).To(BeEmpty())
	g.Expect(c.Spec.AgentConfig.AirGappedInstallScriptPath).To(BeEmpty())

	g.Expect((&KThreesConfig{}).Default(context.Background(), nil)).NotTo(Succeed())
}

func TestKThreesConfig_ValidateCreate(t *testing.T) {
	tests := []struct {
		name    string
		config  *bootstrapv1.KThreesConfig
		wantErr string
	}{
		{name: "valid", config: newKThreesConfig()},
		{name: "empty spec", config: &bootstrapv1.KThreesConfig{}},
		{
			name: "invalid version",
			config: newKThreesConfig(func(c *bootstrapv1.KThreesConfig) {
				c.Spec.Version = "1.34.5"
			}),
			wantErr: `spec.version: Invalid value: "1.34.5"`,
		},
		{
			name: "invalid tlsSan",
			config: newKThreesConfig(func(c *bootstrapv1.KThreesConfig) {
				c.Spec.ServerConfig.TLSSan = []string{"bad san"}
			}),
			wantErr: `spec.serverConfig.tlsSan[0]: Invalid value: "bad san"`,
		},
		{
			name: "relative file path",
			config: newKThreesConfig(func(c *bootstrapv1.KThreesConfig) {
				c.Spec.Files[0].Path = "etc/a"
			}),
			wantErr: `spec.files[0].path: Invalid value: "etc/a"`,
		},
		{
			name: "invalid kubelet arg",
			config: newKThreesConfig(func(c *bootstrapv1.KThreesConfig) {
				c.Spec.AgentConfig.KubeletArgs = []string{"max-pods"}
			}),
			wantErr: `spec.agentConfig.kubeletArgs[0]: Invalid value: "max-pods"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			warnings, err := (&KThreesConfig{}).ValidateCreate(context.Background(), tt.config)
			g.Expect(warnings).To(BeEmpty())
			if tt.wantErr == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "error: %v", err)
			g.Expect(err.Error()).To(ContainSubstring(`KThreesConfig.bootstrap.cluster.x-k8s.io "test" is invalid`))
			g.Expect(err.Error()).To(ContainSubstring(tt.wantErr))
		})
	}
}

func TestKThreesConfig_ValidateUpdate(t *testing.T) {
	badSAN := func(san string) func(*bootstrapv1.KThreesConfig) {
		return func(c *bootstrapv1.KThreesConfig) { c.Spec.ServerConfig.TLSSan = []string{san} }
	}
	tests := []struct {
		name         string
		oldConfig    *bootstrapv1.KThreesConfig
		newConfig    *bootstrapv1.KThreesConfig
		wantErr      string
		wantWarnings int
	}{
		{name: "valid update", oldConfig: newKThreesConfig(), newConfig: newKThreesConfig(badSAN("other.example.com"))},
		{
			name:      "old good, new bad is rejected",
			oldConfig: newKThreesConfig(),
			newConfig: newKThreesConfig(badSAN("bad san")),
			wantErr:   `spec.serverConfig.tlsSan[0]: Invalid value: "bad san"`,
		},
		{
			name:         "old bad and unchanged is a warning",
			oldConfig:    newKThreesConfig(badSAN("bad san")),
			newConfig:    newKThreesConfig(badSAN("bad san"), func(c *bootstrapv1.KThreesConfig) { c.Spec.PreK3sCommands = []string{"true"} }),
			wantWarnings: 1,
		},
		{
			name:      "old bad changed to another bad value is rejected",
			oldConfig: newKThreesConfig(badSAN("bad san")),
			newConfig: newKThreesConfig(badSAN("worse san")),
			wantErr:   `spec.serverConfig.tlsSan[0]: Invalid value: "worse san"`,
		},
		{
			name:         "old bad kept while another field becomes bad",
			oldConfig:    newKThreesConfig(badSAN("bad san")),
			newConfig:    newKThreesConfig(badSAN("bad san"), func(c *bootstrapv1.KThreesConfig) { c.Spec.Version = "v1" }),
			wantErr:      `spec.version: Invalid value: "v1"`,
			wantWarnings: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			warnings, err := (&KThreesConfig{}).ValidateUpdate(context.Background(), tt.oldConfig, tt.newConfig)
			g.Expect(warnings).To(HaveLen(tt.wantWarnings))
			for _, w := range warnings {
				g.Expect(w).To(HavePrefix(`spec.serverConfig.tlsSan[0]: Invalid value: "bad san"`))
			}
			if tt.wantErr == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "error: %v", err)
			g.Expect(err.Error()).To(ContainSubstring(tt.wantErr))
			if tt.wantWarnings > 0 {
				g.Expect(err.Error()).NotTo(ContainSubstring(`"bad san"`))
			}
		})
	}

	t.Run("nil objects are rejected", func(t *testing.T) {
		g := NewWithT(t)
		w := &KThreesConfig{}
		_, err := w.ValidateCreate(context.Background(), nil)
		g.Expect(apierrors.IsBadRequest(err)).To(BeTrue())
		_, err = w.ValidateUpdate(context.Background(), nil, newKThreesConfig())
		g.Expect(apierrors.IsBadRequest(err)).To(BeTrue())
		_, err = w.ValidateUpdate(context.Background(), newKThreesConfig(), nil)
		g.Expect(apierrors.IsBadRequest(err)).To(BeTrue())
		_, err = w.ValidateDelete(context.Background(), nil)
		g.Expect(err).NotTo(HaveOccurred())
	})
}

func TestKThreesConfig_ValidateDelete(t *testing.T) {
	g := NewWithT(t)
	warnings, err := (&KThreesConfig{}).ValidateDelete(context.Background(), newKThreesConfig(func(c *bootstrapv1.KThreesConfig) {
		c.Spec.Version = "bad"
	}))
	g.Expect(warnings).To(BeEmpty())
	g.Expect(err).NotTo(HaveOccurred())
}
