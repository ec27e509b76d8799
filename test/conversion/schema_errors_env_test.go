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

package conversion

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// schemaErrorCases are objects of a version other than the storage version with a field of the wrong type. The API
// server converts them to v1beta3 before any schema check; the conversion webhook answers with the field errors
// the schema of their own version gives.
var schemaErrorCases = []struct {
	name     string
	manifest string
	// wantMessage is what the error must say: the field path and the schema's complaint.
	wantMessage string
}{
	{
		name: "KThreesControlPlane v1beta2, nodeLabels a string",
		manifest: `
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KThreesControlPlane
metadata:
  name: cp-bad-labels
spec:
  version: v1.29.6+k3s1
  machineTemplate:
    infrastructureRef:
      apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
      kind: DockerMachineTemplate
      name: cp-template
  kthreesConfigSpec:
    agentConfig:
      nodeLabels: "a=b"
`,
		wantMessage: `spec.kthreesConfigSpec.agentConfig.nodeLabels: Invalid value: "string": spec.kthreesConfigSpec.agentConfig.nodeLabels in body must be of type array: "string"`,
	},
	{
		name: "KThreesConfig v1beta1, files an object",
		manifest: `
apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
kind: KThreesConfig
metadata:
  name: config-bad-files
spec:
  files:
    path: /etc/x
`,
		wantMessage: `spec.files: Invalid value: "object": spec.files in body must be of type array: "object"`,
	},
}

// TestSchemaErrorsOfOtherVersions: the error names the field, and the API server answers 500 Internal Error (a
// conversion webhook failure is always that); before, the message was the Go decoder's ("json: cannot unmarshal
// string into Go struct field ...").
func TestSchemaErrorsOfOtherVersions(t *testing.T) {
	for _, tc := range schemaErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx, cancel := context.WithTimeout(t.Context(), caseTimeout)
			defer cancel()
			ns, err := env.CreateNamespace(ctx, "schema")
			g.Expect(err).NotTo(HaveOccurred())
			obj := parseManifest(t, tc.manifest)
			obj.SetNamespace(ns.Name)

			err = env.Client.Create(ctx, obj)
			g.Expect(err).To(HaveOccurred())
			g.Expect(err.Error()).To(ContainSubstring(tc.wantMessage))
			g.Expect(err.Error()).NotTo(ContainSubstring("cannot unmarshal"))
			g.Expect(apierrors.IsInternalError(err)).To(BeTrue(), "reason %s: %v", apierrors.ReasonForError(err), err)
		})
	}
}

// TestWrongTypesNameTheField replaces, one at a time, every spec value of the upstream-shaped v1beta1 and v1beta2
// objects (upstreamCases) with a value of another JSON type, and creates the object. Whatever the API server says,
// it must not be the Go decoder's message, and a rejection must name the replaced field.
func TestWrongTypesNameTheField(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*caseTimeout)
	defer cancel()
	ns, err := env.CreateNamespace(ctx, "wrongtypes")
	g.Expect(err).NotTo(HaveOccurred())

	mutations, rejected := 0, 0
	for _, tc := range upstreamCases {
		if tc.version == hubVersion {
			continue
		}
		base := parseManifest(t, strings.ReplaceAll(tc.manifest, "NAMESPACE", ns.Name))
		for _, leaf := range specLeaves(base.Object["spec"], "spec") {
			obj := base.DeepCopy()
			obj.SetNamespace(ns.Name)
			obj.SetName(fmt.Sprintf("wrong-%d", mutations))
			leaf.set(obj.Object["spec"], otherType(leaf.value))
			mutations++
			err := env.Client.Create(ctx, obj)
			if err == nil {
				// A field that takes either type (int-or-string, free-form): nothing to name.
				g.Expect(env.Client.Delete(ctx, obj)).To(Succeed())
				continue
			}
			rejected++
			g.Expect(err.Error()).NotTo(ContainSubstring("cannot unmarshal"), "%s %s", tc.name, leaf.path)
			// Errors worded from the Go decoder give the path without list indices.
			g.Expect(err.Error()).To(Or(ContainSubstring(leaf.path), ContainSubstring(listIndex.ReplaceAllString(leaf.path, ""))),
				"%s: the error names the field", tc.name)
		}
	}
	t.Logf("%d wrong-type mutations of %d upstream-shaped objects: %d rejected naming the field, %d accepted (fields of either type)",
		mutations, len(upstreamCases), rejected, mutations-rejected)
	g.Expect(rejected).To(BeNumerically(">", mutations/2))
}

// listIndex matches the list indices of a field path.
var listIndex = regexp.MustCompile(`\[[0-9]+\]`)

// specLeaf is a value in an object, with the field path the API server would print and a setter.
type specLeaf struct {
	path  string
	value any
	set   func(root any, v any)
}

// specLeaves lists the values below v (maps followed key by key, lists element by element) at path, leaves first
// by path; a map or list itself is a leaf too, so that its type is replaced as a whole.
func specLeaves(v any, path string) []specLeaf {
	var out []specLeaf
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			child := path + "." + k
			out = append(out, specLeaf{path: child, value: t[k], set: setAt(k)})
			out = append(out, nested(specLeaves(t[k], child), k)...)
		}
	case []any:
		for i, e := range t {
			child := fmt.Sprintf("%s[%d]", path, i)
			out = append(out, nested(specLeaves(e, child), i)...)
		}
	}
	return out
}

// setAt returns a setter of key in the map a leaf's setter receives.
func setAt(key string) func(root any, v any) {
	return func(m any, v any) { m.(map[string]any)[key] = v }
}

// nested turns setters relative to a child (key of a map or index of a list) into setters relative to its parent.
func nested(leaves []specLeaf, at any) []specLeaf {
	for i := range leaves {
		inner := leaves[i].set
		leaves[i].set = func(root any, v any) {
			switch k := at.(type) {
			case string:
				inner(root.(map[string]any)[k], v)
			case int:
				inner(root.([]any)[k], v)
			}
		}
	}
	return leaves
}

// otherType returns a value of another JSON type than v.
func otherType(v any) any {
	switch v.(type) {
	case string:
		return []any{"x"}
	case []any:
		return "x"
	case map[string]any:
		return "x"
	default: // numbers, booleans
		return "x"
	}
}
