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
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// webhookConfigurations holds the admission webhook configurations read from manifests.
type webhookConfigurations struct {
	mutating   []*admissionv1.MutatingWebhookConfiguration
	validating []*admissionv1.ValidatingWebhookConfiguration
}

// readWebhookManifests reads the admission webhook configurations of the manifests at the given paths, relative
// to root. controller-gen names every configuration the same (mutating-webhook-configuration,
// validating-webhook-configuration) and kustomize prefixes them at deploy time, so each configuration is renamed
// here to <first path element>-<name> (for example bootstrap-mutating-webhook-configuration); otherwise the
// second provider's configuration would replace the first's.
func readWebhookManifests(root string, rel []string) (*webhookConfigurations, error) {
	out := &webhookConfigurations{}
	for _, r := range rel {
		prefix, _, _ := strings.Cut(filepath.ToSlash(r), "/")
		if err := out.read(filepath.Join(root, r), prefix); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// read adds the webhook configurations of the manifest at p, their names prefixed with prefix.
func (out *webhookConfigurations) read(p, prefix string) error {
	docs, err := readYAMLDocuments(p)
	if err != nil {
		return err
	}
	for i, doc := range docs {
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return fmt.Errorf("failed to decode document %d of %s: %w", i, p, err)
		}
		if meta.APIVersion != admissionv1.SchemeGroupVersion.String() {
			continue
		}
		switch meta.Kind {
		case "MutatingWebhookConfiguration":
			cfg := &admissionv1.MutatingWebhookConfiguration{}
			if err := yaml.UnmarshalStrict(doc, cfg); err != nil {
				return fmt.Errorf("failed to decode document %d of %s: %w", i, p, err)
			}
			cfg.Name = prefix + "-" + cfg.Name
			out.mutating = append(out.mutating, cfg)
		case "ValidatingWebhookConfiguration":
			cfg := &admissionv1.ValidatingWebhookConfiguration{}
			if err := yaml.UnmarshalStrict(doc, cfg); err != nil {
				return fmt.Errorf("failed to decode document %d of %s: %w", i, p, err)
			}
			cfg.Name = prefix + "-" + cfg.Name
			out.validating = append(out.validating, cfg)
		}
	}
	return nil
}

// readYAMLDocuments splits a multi-document YAML file, skipping empty documents.
func readYAMLDocuments(path string) ([][]byte, error) {
	data, err := os.ReadFile(path) //nolint:gosec // repository manifest paths
	if err != nil {
		return nil, fmt.Errorf("failed to read %s: %w", path, err)
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("failed to split %s into documents: %w", path, err)
		}
		if len(bytes.TrimSpace(doc)) > 0 {
			docs = append(docs, doc)
		}
	}
}
