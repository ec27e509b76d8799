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

package envtest

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

const testManifest = `---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: mutating-webhook-configuration
webhooks:
- name: default.a.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig:
    service: {name: webhook-service, namespace: system, path: /mutate-a}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: validating-webhook-configuration
webhooks:
- name: validation.a.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig:
    service: {name: webhook-service, namespace: system, path: /validate-a}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: ignored
`

func TestReadWebhookManifests(t *testing.T) {
	g := NewWithT(t)
	root := t.TempDir()
	for _, dir := range []string{"alpha/config/webhook", "beta/config/webhook"} {
		g.Expect(os.MkdirAll(filepath.Join(root, dir), 0o750)).To(Succeed())
		g.Expect(os.WriteFile(filepath.Join(root, dir, "manifests.yaml"), []byte(testManifest), 0o600)).To(Succeed())
	}
	existing, err := existingFiles(root, []string{
		"alpha/config/webhook/manifests.yaml", "missing/config/webhook/manifests.yaml", "beta/config/webhook/manifests.yaml",
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(existing).To(Equal([]string{"alpha/config/webhook/manifests.yaml", "beta/config/webhook/manifests.yaml"}))

	hooks, err := readWebhookManifests(root, existing)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(hooks.mutating).To(HaveLen(2))
	g.Expect(hooks.validating).To(HaveLen(2))
	g.Expect(hooks.mutating[0].Name).To(Equal("alpha-mutating-webhook-configuration"))
	g.Expect(hooks.mutating[1].Name).To(Equal("beta-mutating-webhook-configuration"))
	g.Expect(hooks.validating[0].Name).To(Equal("alpha-validating-webhook-configuration"))
	g.Expect(hooks.validating[1].Name).To(Equal("beta-validating-webhook-configuration"))
	g.Expect(*hooks.mutating[0].Webhooks[0].ClientConfig.Service.Path).To(Equal("/mutate-a"))
}

func TestReadWebhookManifests_repository(t *testing.T) {
	g := NewWithT(t)
	root, err := RepoRoot()
	g.Expect(err).NotTo(HaveOccurred())
	existing, err := existingFiles(root, OurWebhookManifests)
	g.Expect(err).NotTo(HaveOccurred())
	if len(existing) == 0 {
		t.Skip("no webhook manifests generated yet")
	}
	hooks, err := readWebhookManifests(root, existing)
	g.Expect(err).NotTo(HaveOccurred())
	names := map[string]bool{}
	for _, m := range hooks.mutating {
		g.Expect(names).NotTo(HaveKey(m.Name), "duplicate configuration name")
		names[m.Name] = true
	}
	for _, v := range hooks.validating {
		g.Expect(names).NotTo(HaveKey(v.Name), "duplicate configuration name")
		names[v.Name] = true
	}
}
