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

package main

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/yaml"
)

func renderFile(t *testing.T, path string, opts Options) (*Output, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	NewWithT(t).Expect(err).ToNot(HaveOccurred())
	return Render(t.Context(), bytes.NewReader(data), opts)
}

func TestRender_InitServer(t *testing.T) {
	g := NewWithT(t)
	out, err := renderFile(t, "testdata/init-server.yaml", Options{})
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(out.Format).To(Equal("cloud-config"))
	value := string(out.Value)
	g.Expect(value).To(HavePrefix("## template: jinja\n#cloud-config\n"))
	g.Expect(value).To(ContainSubstring("cluster-init: true"))
	g.Expect(value).To(ContainSubstring("kind: AdmissionConfiguration"), "contentFrom is inlined")
	g.Expect(value).To(ContainSubstring("/var/lib/rancher/k3s/server/tls/server-ca.crt"), "CAs are generated in memory for the init server")
	g.Expect(value).To(ContainSubstring("INSTALL_K3S_VERSION=v1.34.5+k3s1"))
	g.Expect(value).To(ContainSubstring("cloud-provider=external"), "webhook defaults applied")
	g.Expect(strings.Count(value, "anonymous-auth")).To(Equal(1), "the user's anonymous-auth is not duplicated")
	var doc map[string]any
	g.Expect(yaml.Unmarshal(out.Value, &doc)).To(Succeed())
}

func TestRender_NoDefaults(t *testing.T) {
	g := NewWithT(t)
	withDefaults, err := renderFile(t, "testdata/init-server.yaml", Options{})
	g.Expect(err).ToNot(HaveOccurred())
	without, err := renderFile(t, "testdata/init-server.yaml", Options{NoDefaults: true})
	g.Expect(err).ToNot(HaveOccurred())
	// Unset cloud settings render as upstream's defaults, so the node's K3s config is the same either way (the
	// CAs differ: they are generated per run).
	configWith, configWithout := k3sConfigSection(string(withDefaults.Value)), k3sConfigSection(string(without.Value))
	g.Expect(configWithout).To(ContainSubstring("cloud-provider=external"))
	g.Expect(configWithout).To(ContainSubstring("disable-cloud-controller: true"))
	g.Expect(configWithout).To(Equal(configWith))
}

// k3sConfigSection returns the config.yaml write_files entry of a cloud-config (it is written last, before runcmd).
func k3sConfigSection(cloudConfig string) string {
	start := strings.Index(cloudConfig, "path: /etc/rancher/k3s/config.yaml")
	end := strings.Index(cloudConfig, "runcmd:")
	if start < 0 || end < start {
		return ""
	}
	return cloudConfig[start:end]
}

func TestRender_WorkerFromV1beta1(t *testing.T) {
	g := NewWithT(t)
	out, err := renderFile(t, "testdata/worker.yaml", Options{})
	g.Expect(err).ToNot(HaveOccurred())
	value := string(out.Value)
	g.Expect(value).To(ContainSubstring("server: https://[fd00::10]:6443"))
	g.Expect(value).To(ContainSubstring("INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_EXEC='agent' sh /opt/install.sh"))
	g.Expect(value).To(ContainSubstring("--max-pods=250"))
	g.Expect(value).ToNot(ContainSubstring("cluster-init"))
}

func TestRender_WorkerBeforeControlPlaneInitializedWaits(t *testing.T) {
	g := NewWithT(t)
	data, err := os.ReadFile("testdata/worker.yaml")
	g.Expect(err).ToNot(HaveOccurred())
	input := strings.Replace(string(data), "controlPlaneInitialized: true", "controlPlaneInitialized: false", 1)
	_, err = Render(t.Context(), strings.NewReader(input), Options{})
	var waiting *WaitingError
	g.Expect(errors.As(err, &waiting)).To(BeTrue(), "got %v", err)
	g.Expect(waiting.Message).To(ContainSubstring("controlPlaneInitialized"))
}

func TestRender_BadInput(t *testing.T) {
	tests := []struct {
		name, input, wantErr string
	}{
		{name: "no config", input: "apiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: default}\n", wantErr: "no KThreesConfig"},
		{name: "unknown kind", input: "apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: x}\n", wantErr: "unsupported kind"},
		{name: "not yaml", input: "{{{", wantErr: "document 0"},
		{name: "config without owner", input: "apiVersion: bootstrap.cluster.x-k8s.io/v1beta2\nkind: KThreesConfig\nmetadata: {name: x, namespace: default}\n", wantErr: "ownerReferences"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := Render(t.Context(), strings.NewReader(tt.input), Options{})
			g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
		})
	}
}
