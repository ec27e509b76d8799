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

package apiexactness

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"testing"

	. "github.com/onsi/gomega"
)

// Tests of the checker itself, so a pass of TestGoAPIMatchesUpstream means something.

func TestRenderPackage(t *testing.T) {
	const src = `package p
import ("context"; "time")
type Encoding string
const Base64 Encoding = "base64"
const Reason = "Waiting"
const Period = time.Hour
type Meta struct{ Name string }
type Spec struct {
	Meta ` + "`json:\",inline\"`" + `
	Replicas *int32 ` + "`json:\"replicas,omitempty\"`" + `
	Items []Meta ` + "`json:\"items\"`" + `
	hidden bool
}
func (s *Spec) Default(_ context.Context, obj any) error { return nil }
func (s Spec) Copy() Spec { return s }
func (s *Spec) private() {}
var Scheme = func(s *Spec) error { return nil }
func Convert(in *Spec, out *Meta, s context.Context) error { return nil }
`
	g := NewWithT(t)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	g.Expect(err).NotTo(HaveOccurred())
	pkg, err := (&types.Config{Importer: importer.Default()}).Check("example.com/p", fset, []*ast.File{f}, nil)
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(renderPackage("p", pkg)).To(ConsistOf(
		item{"p", "const", "Base64", `Encoding = "base64"`, ""},
		item{"p", "const", "Reason", `untyped string = "Waiting"`, ""},
		item{"p", "const", "Period", "time.Duration = 3600000000000", ""},
		item{"p", "type", "Encoding", "string", ""},
		item{"p", "type", "Meta", "struct", ""},
		item{"p", "field", "Meta.Name", "string", ""},
		item{"p", "type", "Spec", "struct", ""},
		item{"p", "field", "Spec.Meta", "(embedded) Meta", ",inline"},
		item{"p", "field", "Spec.Replicas", "*int32", "replicas,omitempty"},
		item{"p", "field", "Spec.Items", "[]Meta", "items"},
		item{"p", "method", "(*Spec).Default", "func(_ context.Context, obj any) error", ""},
		item{"p", "method", "Spec.Copy", "func() Spec", ""},
		item{"p", "var", "Scheme", "func(s *Spec) error", ""},
		item{"p", "func", "Convert", "func(in *Spec, out *Meta, s context.Context) error", ""},
	))
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, kind, goType, want string
	}{
		{"parameter names dropped", "func", "func(in *File, out *x.File, s apiconversion.Scope) error", "func(*File, *x.File, apiconversion.Scope) error"},
		{"grouped and blank names", "method", "func(_ context.Context, a, b runtime.Object) (admission.Warnings, error)",
			"func(context.Context, runtime.Object, runtime.Object) (admission.Warnings, error)"},
		{"named results", "var", "func() (w admission.Warnings, err error)", "func() (admission.Warnings, error)"},
		{"embedded field kept", "field", "(embedded) metav1.TypeMeta", "(embedded) metav1.TypeMeta"},
		{"const untouched", "const", "untyped string = \"a, b\"", "untyped string = \"a, b\""},
		{"pointer stays a pointer", "field", "*KThreesControlPlaneMachineTemplate", "*KThreesControlPlaneMachineTemplate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			NewWithT(t).Expect(normalize(tt.kind, tt.goType)).To(Equal(tt.want))
		})
	}
}

func TestCompareAndAllowList(t *testing.T) {
	up := []item{
		{"a", "field", "T.Ptr", "T2", "t2,omitempty"},
		{"a", "field", "T.Tag", "string", "tag"},
		{"a", "const", "C", `untyped string = "x"`, ""},
		{"a", "method", "(*T).Hub", "func()", ""},
		{"a", "func", "F", "func(in *T) error", ""},
	}
	ours := []item{
		{"a", "field", "T.Ptr", "*T2", "t2,omitempty"},
		{"a", "field", "T.Tag", "string", "tag,omitempty"},
		{"a", "const", "C", `untyped string = "y"`, ""},
		{"a", "func", "F", "func(obj *T) error", ""},
		{"a", "func", "Extra", "func()", ""},
	}
	tests := []struct {
		name          string
		list          []allowed
		wantUnallowed []string
		wantStale     []string
	}{
		{
			name:          "every difference reported, parameter names and extra items ignored",
			wantUnallowed: []string{"a const C", "a field T.Ptr", "a field T.Tag", "a method (*T).Hub"},
		},
		{
			name:          "allowed by pattern",
			list:          []allowed{{Pattern: "a method (*).Hub"}, {Pattern: "a field T.*"}},
			wantUnallowed: []string{"a const C"},
		},
		{
			name:          "stale entry reported",
			list:          []allowed{{Pattern: "a const C"}, {Pattern: "a func F"}, {Pattern: "a method (T).Hub"}},
			wantUnallowed: []string{"a field T.Ptr", "a field T.Tag", "a method (*T).Hub"},
			wantStale:     []string{"a func F", "a method (T).Hub"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			unallowed, stale := applyAllowList(compare(up, ours), tt.list)
			var keys, patterns []string
			for _, d := range unallowed {
				keys = append(keys, d.Upstream.key())
			}
			for _, a := range stale {
				patterns = append(patterns, a.Pattern)
			}
			g.Expect(keys).To(Equal(tt.wantUnallowed))
			g.Expect(patterns).To(Equal(tt.wantStale))
		})
	}
}

func TestDifferenceString(t *testing.T) {
	g := NewWithT(t)
	d := difference{
		Upstream: item{"p", "field", "T.F", "T2", "f,omitempty"},
		Ours:     &item{"p", "field", "T.F", "*T2", "f,omitempty"},
	}
	g.Expect(d.String()).To(Equal("p field T.F\n    upstream: T2  `json:\"f,omitempty\"`\n    ours:     *T2  `json:\"f,omitempty\"`"))
	g.Expect(difference{Upstream: item{"p", "const", "C", `untyped string = "x"`, ""}}.String()).To(
		Equal("p const C\n    upstream: untyped string = \"x\"\n    ours:     (missing)"))
}
