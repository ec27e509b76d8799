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
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Reference file names, the same in testdata/ and in the shared reference directory.
const (
	FieldsFile         = "upstream-crd-fields.tsv"
	ValidationsFile    = "upstream-crd-validations.tsv"
	PrinterColumnsFile = "upstream-printer-columns.tsv"
)

// ReferenceFiles lists the reference files LoadReference reads.
var ReferenceFiles = []string{FieldsFile, ValidationsFile, PrinterColumnsFile}

// Field is one row of upstream-crd-fields.tsv: one openAPI v3 schema property of an upstream CRD version.
type Field struct {
	Group   string
	Kind    string
	Version string
	// Path starts at the object root; "[]" selects the items of an array, "{}" the values of a map.
	Path   string
	Type   string
	Format string
	// Enum holds the allowed values; empty means the property has no enum.
	Enum []string
	// Default is the JSON default value; empty means the property has no default.
	Default string
	// Required is "yes" or "no" (inside the parent object) or "-" for array items and map values.
	Required string
	Served   bool
	Storage  bool
}

// Validation is one row of upstream-crd-validations.tsv: a schema keyword other than type, format, enum, default
// and required that upstream declares on a property.
type Validation struct {
	Group   string
	Kind    string
	Version string
	Path    string
	Keyword string
	// Value is the keyword's value as JSON.
	Value string
}

// PrinterColumn is one row of upstream-printer-columns.tsv.
type PrinterColumn struct {
	Kind     string
	Version  string
	Name     string
	Type     string
	JSONPath string
}

// Reference holds the facts about upstream's CRDs.
type Reference struct {
	Fields         []Field
	Validations    []Validation
	PrinterColumns []PrinterColumn
}

// LoadReference reads the three reference files from dir.
func LoadReference(dir string) (*Reference, error) {
	ref := &Reference{}
	if err := readTSV(filepath.Join(dir, FieldsFile), 11, func(c []string) error {
		f := Field{
			Group: c[0], Kind: c[1], Version: c[2], Path: c[3], Type: c[4], Format: c[5], Default: c[7],
			Required: c[8], Served: c[9] == "yes", Storage: c[10] == "yes",
		}
		if c[6] != "" {
			f.Enum = strings.Split(c[6], ",")
		}
		switch f.Required {
		case "yes", "no", "-":
		default:
			return fmt.Errorf("invalid required value %q", f.Required)
		}
		ref.Fields = append(ref.Fields, f)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := readTSV(filepath.Join(dir, ValidationsFile), 6, func(c []string) error {
		ref.Validations = append(ref.Validations, Validation{
			Group: c[0], Kind: c[1], Version: c[2], Path: c[3], Keyword: c[4], Value: c[5],
		})
		return nil
	}); err != nil {
		return nil, err
	}
	if err := readTSV(filepath.Join(dir, PrinterColumnsFile), 5, func(c []string) error {
		ref.PrinterColumns = append(ref.PrinterColumns, PrinterColumn{
			Kind: c[0], Version: c[1], Name: c[2], Type: c[3], JSONPath: c[4],
		})
		return nil
	}); err != nil {
		return nil, err
	}
	return ref, nil
}

// readTSV calls row with the columns of every non-comment, non-empty line of path, which must have exactly n
// columns.
func readTSV(path string, n int, row func(cols []string) error) error {
	data, err := os.ReadFile(path) //nolint:gosec // test data path built by the caller
	if err != nil {
		return fmt.Errorf("failed to read %s: %w", path, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cols := strings.Split(text, "\t")
		if len(cols) != n {
			return fmt.Errorf("%s:%d: got %d columns, want %d", path, line, len(cols), n)
		}
		if err := row(cols); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("failed to scan %s: %w", path, err)
	}
	return nil
}

// KindExpectation describes one of our CRDs: the upstream facts from the header of upstream-printer-columns.tsv
// (names, scope, subresources) plus the versions this project serves.
type KindExpectation struct {
	Group    string
	Kind     string
	Plural   string
	ListKind string
	// Served lists every version our CRD must serve, exactly.
	Served []string
	// Storage is our storage (hub) version.
	Storage string
	// Legacy lists the upstream versions that must stay compatible.
	Legacy []string
	// StatusSubresource lists the legacy versions upstream declares a status subresource for.
	StatusSubresource []string
	// Scale lists the legacy versions upstream declares a scale subresource for, with its paths.
	Scale map[string]ScalePaths
}

// ScalePaths are the paths of a scale subresource.
type ScalePaths struct {
	SpecReplicasPath   string
	StatusReplicasPath string
	LabelSelectorPath  string
}

// ExpectedLabels are the labels every one of our CRDs must carry: the CAPI contract-version mapping (CAPI v1beta1
// contract served by our v1beta1 and v1beta2, CAPI v1beta2 contract by v1beta3) and the clusterctl label.
var ExpectedLabels = map[string]string{
	"cluster.x-k8s.io/v1beta1":    "v1beta1_v1beta2",
	"cluster.x-k8s.io/v1beta2":    "v1beta3",
	"clusterctl.cluster.x-k8s.io": "",
}

// UpstreamKinds lists our four CRDs with the facts they must match.
var UpstreamKinds = []KindExpectation{
	{
		Group: "bootstrap.cluster.x-k8s.io", Kind: "KThreesConfig", Plural: "kthreesconfigs",
		ListKind: "KThreesConfigList", Served: []string{"v1beta1", "v1beta2", "v1beta3"}, Storage: "v1beta3",
		Legacy: []string{"v1beta1", "v1beta2"}, StatusSubresource: []string{"v1beta1", "v1beta2"},
	},
	{
		Group: "bootstrap.cluster.x-k8s.io", Kind: "KThreesConfigTemplate", Plural: "kthreesconfigtemplates",
		ListKind: "KThreesConfigTemplateList", Served: []string{"v1beta1", "v1beta2", "v1beta3"}, Storage: "v1beta3",
		Legacy: []string{"v1beta1", "v1beta2"},
	},
	{
		Group: "controlplane.cluster.x-k8s.io", Kind: "KThreesControlPlane", Plural: "kthreescontrolplanes",
		ListKind: "KThreesControlPlaneList", Served: []string{"v1beta1", "v1beta2", "v1beta3"}, Storage: "v1beta3",
		Legacy: []string{"v1beta1", "v1beta2"}, StatusSubresource: []string{"v1beta1", "v1beta2"},
		Scale: map[string]ScalePaths{
			"v1beta1": {SpecReplicasPath: ".spec.replicas", StatusReplicasPath: ".status.replicas", LabelSelectorPath: ".status.selector"},
			"v1beta2": {SpecReplicasPath: ".spec.replicas", StatusReplicasPath: ".status.replicas", LabelSelectorPath: ".status.selector"},
		},
	},
	{
		Group: "controlplane.cluster.x-k8s.io", Kind: "KThreesControlPlaneTemplate", Plural: "kthreescontrolplanetemplates",
		ListKind: "KThreesControlPlaneTemplateList", Served: []string{"v1beta2", "v1beta3"}, Storage: "v1beta3",
		Legacy: []string{"v1beta2"}, StatusSubresource: []string{"v1beta2"},
	},
}
