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
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
)

// repoRoot is the repository root (the directory holding go.mod).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := envtest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// sharedReferenceDir returns <repo>/../shared/reference when it holds the reference files, else "".
func sharedReferenceDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(filepath.Dir(repoRoot(t)), "shared", "reference")
	for _, name := range ReferenceFiles {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("failed to stat %s: %v", name, err)
			}
			return ""
		}
	}
	return dir
}

// referenceDir returns the directory the reference is read from: the shared copy when present, else testdata.
func referenceDir(t *testing.T) string {
	t.Helper()
	if dir := sharedReferenceDir(t); dir != "" {
		return dir
	}
	return "testdata"
}

func loadReference(t *testing.T) *Reference {
	t.Helper()
	dir := referenceDir(t)
	ref, err := LoadReference(dir)
	if err != nil {
		t.Fatalf("failed to load the reference from %s: %v", dir, err)
	}
	return ref
}

// crdDirs are our generated CRD directories, relative to the repository root.
var crdDirs = []string{"bootstrap/config/crd/bases", "controlplane/config/crd/bases"}

func loadOurCRDs(t *testing.T) []*CRD {
	t.Helper()
	root := repoRoot(t)
	dirs := make([]string, 0, len(crdDirs))
	for _, d := range crdDirs {
		dirs = append(dirs, filepath.Join(root, d))
	}
	crds, err := LoadCRDs(dirs...)
	if err != nil {
		t.Fatalf("failed to load our CRDs: %v", err)
	}
	return crds
}

func TestVendoredReferenceMatchesShared(t *testing.T) {
	shared := sharedReferenceDir(t)
	if shared == "" {
		t.Skip("no shared reference directory beside the repository; using the vendored copies in testdata")
	}
	for _, name := range ReferenceFiles {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			want, err := os.ReadFile(filepath.Join(shared, name)) //nolint:gosec // fixed names
			g.Expect(err).NotTo(HaveOccurred())
			got, err := os.ReadFile(filepath.Join("testdata", name)) //nolint:gosec // fixed names
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(bytes.Equal(got, want)).To(BeTrue(),
				"testdata/%s differs from %s; copy it verbatim: cp %s testdata/", name, shared, filepath.Join(shared, name))
		})
	}
}

func TestReferenceLoads(t *testing.T) {
	for _, dir := range []string{"testdata", sharedReferenceDir(t)} {
		if dir == "" {
			continue
		}
		t.Run(dir, func(t *testing.T) {
			g := NewWithT(t)
			ref, err := LoadReference(dir)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(ref.Fields).To(HaveLen(539))
			g.Expect(ref.Validations).To(HaveLen(31))
			g.Expect(ref.PrinterColumns).To(HaveLen(14))
			for _, f := range ref.Fields {
				g.Expect(f.Served).To(BeTrue(), "%s %s %s", f.Kind, f.Version, f.Path)
				_, err := parsePath(f.Path)
				g.Expect(err).NotTo(HaveOccurred())
			}
		})
	}
}

// TestCRDsCompatibleWithUpstream is the acceptance test: every upstream field exists with a compatible schema in
// our generated CRDs, and nothing the upstream CRDs accept is rejected by ours.
func TestCRDsCompatibleWithUpstream(t *testing.T) {
	ref := loadReference(t)
	crds := loadOurCRDs(t)
	problems := Check(ref, UpstreamKinds, crds)
	for _, p := range problems {
		t.Errorf("%s", p)
	}
	if len(problems) > 0 {
		t.Logf("%d compatibility problems; reference read from %s", len(problems), referenceDir(t))
	}
	if testing.Verbose() {
		for _, added := range AddedProperties(ref, UpstreamKinds, crds) {
			t.Logf("added (allowed): %s", added)
		}
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		path    string
		want    []step
		wantErr bool
	}{
		{path: ".spec", want: []step{{kind: stepProperty, name: "spec"}}},
		{path: ".spec.files[].path", want: []step{
			{kind: stepProperty, name: "spec"}, {kind: stepProperty, name: "files"}, {kind: stepItems},
			{kind: stepProperty, name: "path"},
		}},
		{path: ".metadata.labels{}", want: []step{
			{kind: stepProperty, name: "metadata"}, {kind: stepProperty, name: "labels"}, {kind: stepValues},
		}},
		{path: "spec", wantErr: true},
		{path: ".spec..x", wantErr: true},
		{path: ".spec[x]", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			g := NewWithT(t)
			got, err := parsePath(tt.path)
			if tt.wantErr {
				g.Expect(err).To(HaveOccurred())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}

// mutableCRD returns a fresh copy of one of our CRDs, parsed from its file, and the others unchanged.
func mutableCRD(t *testing.T, kind string) (*CRD, []*CRD) {
	t.Helper()
	var target *CRD
	var all []*CRD
	for _, crd := range loadOurCRDs(t) {
		if crd.Typed.Spec.Names.Kind == kind {
			data, err := os.ReadFile(crd.Source)
			if err != nil {
				t.Fatalf("failed to read %s: %v", crd.Source, err)
			}
			if target, err = ParseCRD(crd.Source, data); err != nil {
				t.Fatalf("failed to parse %s: %v", crd.Source, err)
			}
			crd = target
		}
		all = append(all, crd)
	}
	if target == nil {
		t.Fatalf("no CRD for kind %s", kind)
	}
	return target, all
}

// node returns the schema node at path of a version, failing the test if it does not exist.
func node(t *testing.T, crd *CRD, version, path string) map[string]any {
	t.Helper()
	n, _, _, err := lookup(crd.Schemas[version], path)
	if err != nil || n == nil {
		t.Fatalf("%s %s has no schema node at %s (err %v)", crd.Typed.Spec.Names.Kind, version, path, err)
	}
	return n
}

// TestCheckDetectsIncompatibilities proves the checker can fail: each case mutates an in-memory copy of one of our
// CRDs and expects a problem naming the mutated path.
func TestCheckDetectsIncompatibilities(t *testing.T) {
	const (
		cp  = "KThreesControlPlane"
		cfg = "KThreesConfig"
	)
	tests := []struct {
		name    string
		kind    string
		version string
		mutate  func(t *testing.T, crd *CRD)
		// want are substrings of one reported problem's String().
		want []string
	}{
		{
			name: "removed property", kind: cp, version: "v1beta1",
			mutate: func(t *testing.T, crd *CRD) {
				props := node(t, crd, "v1beta1", ".spec.kthreesConfigSpec.serverConfig")["properties"].(map[string]any)
				delete(props, "kubeAPIServerArg")
			},
			want: []string{"KThreesControlPlane v1beta1 .spec.kthreesConfigSpec.serverConfig.kubeAPIServerArg", "missing from our schema"},
		},
		{
			name: "changed type", kind: cfg, version: "v1beta2",
			mutate: func(t *testing.T, crd *CRD) {
				node(t, crd, "v1beta2", ".spec.agentConfig.airGapped")["type"] = "string"
			},
			want: []string{"KThreesConfig v1beta2 .spec.agentConfig.airGapped", `type: ours "string", upstream "boolean"`},
		},
		{
			name: "changed format", kind: cp, version: "v1beta2",
			mutate: func(t *testing.T, crd *CRD) {
				delete(node(t, crd, "v1beta2", ".spec.rolloutAfter"), "format")
			},
			want: []string{"KThreesControlPlane v1beta2 .spec.rolloutAfter", `format: ours "", upstream "date-time"`},
		},
		{
			name: "added required entry", kind: cp, version: "v1beta2",
			mutate: func(t *testing.T, crd *CRD) {
				n := node(t, crd, "v1beta2", ".spec")
				n["required"] = append(n["required"].([]any), "replicas")
			},
			want: []string{"KThreesControlPlane v1beta2 .spec.replicas", "required: ours yes, upstream no"},
		},
		{
			name: "required entry upstream does not have", kind: cfg, version: "v1beta1",
			mutate: func(t *testing.T, crd *CRD) {
				node(t, crd, "v1beta1", ".spec")["required"] = []any{"somethingNew"}
			},
			want: []string{"KThreesConfig v1beta1 .spec.somethingNew", "newly required"},
		},
		{
			name: "dropped required entry", kind: cp, version: "v1beta1",
			mutate: func(t *testing.T, crd *CRD) {
				delete(node(t, crd, "v1beta1", ".spec"), "required")
			},
			want: []string{"KThreesControlPlane v1beta1 .spec.version", "required: ours no, upstream yes"},
		},
		{
			name: "narrowed enum", kind: cfg, version: "v1beta1",
			mutate: func(t *testing.T, crd *CRD) {
				node(t, crd, "v1beta1", ".spec.files[].encoding")["enum"] = []any{"base64", "gzip"}
			},
			want: []string{"KThreesConfig v1beta1 .spec.files[].encoding", "does not accept upstream values [gzip+base64]"},
		},
		{
			name: "new enum", kind: cfg, version: "v1beta2",
			mutate: func(t *testing.T, crd *CRD) {
				node(t, crd, "v1beta2", ".spec.version")["enum"] = []any{"v1.30.0+k3s1"}
			},
			want: []string{"KThreesConfig v1beta2 .spec.version", "adds enum [v1.30.0+k3s1]"},
		},
		{
			name: "added maxLength", kind: cp, version: "v1beta1",
			mutate: func(t *testing.T, crd *CRD) {
				node(t, crd, "v1beta1", ".spec.version")["maxLength"] = 256
			},
			want: []string{"KThreesControlPlane v1beta1 .spec.version", "adds restrictive keyword maxLength=256"},
		},
		{
			name: "added CEL rule", kind: cfg, version: "v1beta1",
			mutate: func(t *testing.T, crd *CRD) {
				node(t, crd, "v1beta1", ".spec")["x-kubernetes-validations"] = []any{map[string]any{"rule": "true"}}
			},
			want: []string{"KThreesConfig v1beta1 .spec", "adds restrictive keyword x-kubernetes-validations"},
		},
		{
			name: "added set list type", kind: cfg, version: "v1beta1",
			mutate: func(t *testing.T, crd *CRD) {
				node(t, crd, "v1beta1", ".spec.preK3sCommands")["x-kubernetes-list-type"] = "set"
			},
			want: []string{"KThreesConfig v1beta1 .spec.preK3sCommands", `x-kubernetes-list-type="set"`},
		},
		{
			name: "added default", kind: cp, version: "v1beta2",
			mutate: func(t *testing.T, crd *CRD) {
				node(t, crd, "v1beta2", ".spec.replicas")["default"] = 1
			},
			want: []string{"KThreesControlPlane v1beta2 .spec.replicas", "default: ours 1, upstream none"},
		},
		{
			name: "changed upstream validation value", kind: cp, version: "v1beta2",
			mutate: func(t *testing.T, crd *CRD) {
				node(t, crd, "v1beta2", ".status.conditions[].reason")["maxLength"] = 128
			},
			want: []string{"KThreesControlPlane v1beta2 .status.conditions[].reason", "maxLength: ours 128, upstream 256"},
		},
		{
			name: "dropped map type", kind: cp, version: "v1beta2",
			mutate: func(t *testing.T, crd *CRD) {
				delete(node(t, crd, "v1beta2", ".spec.machineTemplate.infrastructureRef"), "x-kubernetes-map-type")
			},
			want: []string{".spec.machineTemplate.infrastructureRef", `x-kubernetes-map-type: ours none, upstream "atomic"`},
		},
		{
			name: "version not served", kind: cfg, version: "v1beta1",
			mutate: func(t *testing.T, crd *CRD) {
				for i := range crd.Typed.Spec.Versions {
					if crd.Typed.Spec.Versions[i].Name == "v1beta1" {
						crd.Typed.Spec.Versions[i].Served = false
					}
				}
			},
			want: []string{"KThreesConfig v1beta1", "version is not served"},
		},
		{
			name: "reordered printer columns", kind: cp, version: "v1beta1",
			mutate: func(t *testing.T, crd *CRD) {
				v := crd.version("v1beta1")
				cols := v.AdditionalPrinterColumns
				cols[0], cols[1] = cols[1], cols[0]
			},
			want: []string{"KThreesControlPlane v1beta1 additionalPrinterColumns", `column 0: ours "API Server Available"`},
		},
		{
			name: "missing scale subresource", kind: cp, version: "v1beta2",
			mutate: func(t *testing.T, crd *CRD) {
				crd.version("v1beta2").Subresources.Scale = nil
			},
			want: []string{"KThreesControlPlane v1beta2 subresources.scale", "missing"},
		},
		{
			name: "wrong contract label", kind: cfg,
			mutate: func(t *testing.T, crd *CRD) {
				crd.Typed.Labels["cluster.x-k8s.io/v1beta2"] = "v1beta2"
			},
			want: []string{"KThreesConfig metadata.labels", `label cluster.x-k8s.io/v1beta2 is "v1beta2", want "v1beta3"`},
		},
	}
	ref := loadReference(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			crd, all := mutableCRD(t, tt.kind)
			before := problemStrings(Check(ref, UpstreamKinds, all))
			tt.mutate(t, crd)
			after := problemStrings(Check(ref, UpstreamKinds, all))
			var added []string
			for _, p := range after {
				if !containsString(before, p) {
					added = append(added, p)
				}
			}
			g.Expect(added).To(ContainElement(SatisfyAll(containsAll(tt.want)...)),
				"new problems after the mutation:\n%s", strings.Join(added, "\n"))
		})
	}
}

func problemStrings(problems []Problem) []string {
	out := make([]string, 0, len(problems))
	for _, p := range problems {
		out = append(out, p.String())
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}

func containsAll(subs []string) []types.GomegaMatcher {
	matchers := make([]types.GomegaMatcher, 0, len(subs))
	for _, s := range subs {
		matchers = append(matchers, ContainSubstring(s))
	}
	return matchers
}

// Example output format, kept in sync with Problem.String.
func ExampleProblem_String() {
	fmt.Println(Problem{Kind: "KThreesConfig", Version: "v1beta1", Path: ".spec.format", Message: "missing from our schema"})
	// Output: KThreesConfig v1beta1 .spec.format: missing from our schema
}
