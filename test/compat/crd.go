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

package compat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// CRD is one of our generated CustomResourceDefinitions. The typed form is used for names, versions, printer
// columns and subresources; the schemas are kept as generic JSON so that every keyword can be inspected.
type CRD struct {
	// Source is the file the CRD was read from.
	Source string
	Typed  *apiextensionsv1.CustomResourceDefinition
	// Schemas maps a version name to its openAPIV3Schema as decoded JSON (map[string]any, []any, float64, ...).
	Schemas map[string]map[string]any
}

// ParseCRD decodes a single-document CRD YAML (or JSON) manifest.
func ParseCRD(source string, data []byte) (*CRD, error) {
	jsonData, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("failed to convert %s to JSON: %w", source, err)
	}
	typed := &apiextensionsv1.CustomResourceDefinition{}
	if err := json.Unmarshal(jsonData, typed); err != nil {
		return nil, fmt.Errorf("failed to decode %s as a CustomResourceDefinition: %w", source, err)
	}
	if typed.Kind != "CustomResourceDefinition" {
		return nil, fmt.Errorf("%s: kind is %q, want CustomResourceDefinition", source, typed.Kind)
	}
	var generic struct {
		Spec struct {
			Versions []struct {
				Name   string `json:"name"`
				Schema struct {
					OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	dec := json.NewDecoder(bytes.NewReader(jsonData))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return nil, fmt.Errorf("failed to decode the schemas of %s: %w", source, err)
	}
	crd := &CRD{Source: source, Typed: typed, Schemas: map[string]map[string]any{}}
	for _, v := range generic.Spec.Versions {
		crd.Schemas[v.Name] = v.Schema.OpenAPIV3Schema
	}
	return crd, nil
}

// LoadCRDs reads every *.yaml CRD manifest in the given directories.
func LoadCRDs(dirs ...string) ([]*CRD, error) {
	var crds []*CRD
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil {
			return nil, fmt.Errorf("failed to list %s: %w", dir, err)
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("no CRD manifests in %s", dir)
		}
		sort.Strings(files)
		for _, f := range files {
			data, err := os.ReadFile(f) //nolint:gosec // paths come from the repository layout
			if err != nil {
				return nil, fmt.Errorf("failed to read %s: %w", f, err)
			}
			crd, err := ParseCRD(f, data)
			if err != nil {
				return nil, err
			}
			crds = append(crds, crd)
		}
	}
	return crds, nil
}

// version returns the CRD version called name, or nil.
func (c *CRD) version(name string) *apiextensionsv1.CustomResourceDefinitionVersion {
	for i := range c.Typed.Spec.Versions {
		if c.Typed.Spec.Versions[i].Name == name {
			return &c.Typed.Spec.Versions[i]
		}
	}
	return nil
}
