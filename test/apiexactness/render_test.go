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
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// modulePath is our module path; the reference's package column is relative to it (upstream's is the same).
const modulePath = "github.com/k3s-io/cluster-api-k3s"

// apiPackages are the packages the reference covers.
var apiPackages = []string{
	"bootstrap/api/v1beta1", "bootstrap/api/v1beta2", "controlplane/api/v1beta1", "controlplane/api/v1beta2",
}

// ourQualifiers maps the import paths our API packages use to the reference's qualifiers. The only path that
// differs from upstream's is CAPI's v1beta1 API: upstream (CAPI v1.10) imports sigs.k8s.io/cluster-api/api/v1beta1,
// CAPI v1.14 serves the same types from sigs.k8s.io/cluster-api/api/core/v1beta1. Paths not listed render in full,
// so a type from any other package shows up as a difference.
var ourQualifiers = map[string]string{
	"sigs.k8s.io/cluster-api/api/core/v1beta1":             "apiv1beta1",
	"k8s.io/apimachinery/pkg/apis/meta/v1":                 "metav1",
	"k8s.io/api/core/v1":                                   "corev1",
	"k8s.io/apimachinery/pkg/conversion":                   "apiconversion",
	"k8s.io/apimachinery/pkg/runtime":                      "runtime",
	"k8s.io/apimachinery/pkg/runtime/schema":               "schema",
	"sigs.k8s.io/controller-runtime":                       "ctrl",
	"sigs.k8s.io/controller-runtime/pkg/conversion":        "conversion",
	"sigs.k8s.io/controller-runtime/pkg/scheme":            "scheme",
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission": "admission",
	modulePath + "/bootstrap/api/v1beta1":                  "bootstrapv1beta1",
	modulePath + "/bootstrap/api/v1beta2":                  "bootstrapv1beta2",
	modulePath + "/controlplane/api/v1beta2":               "controlplanev1beta2",
	modulePath + "/pkg/errors":                             "pkgerrors",
	"context":                                              "context",
	"time":                                                 "time",
}

// embeddedPrefix starts the go_type of an embedded field.
const embeddedPrefix = "(embedded) "

// item is one row of the reference: an exported const, var, func, type, struct field or method.
type item struct {
	Package string
	Kind    string
	Name    string
	GoType  string
	JSON    string
}

// key identifies the item across both sides.
func (i item) key() string { return i.Package + " " + i.Kind + " " + i.Name }

// shape is what must match: the go_type without parameter names, and the json tag.
func (i item) shape() string { return normalize(i.Kind, i.GoType) + "\t" + i.JSON }

// readReference reads the items of a reference file, skipping its header line.
func readReference(file string) ([]item, error) {
	data, err := os.ReadFile(file) //nolint:gosec // test data path built by the caller
	if err != nil {
		return nil, err
	}
	var items []item
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), "\r")
		if text == "" || strings.HasPrefix(text, "#") || strings.HasPrefix(text, "package\t") {
			continue
		}
		c := strings.Split(text, "\t")
		if len(c) != 5 {
			return nil, fmt.Errorf("%s:%d: got %d columns, want 5", file, line, len(c))
		}
		items = append(items, item{Package: c[0], Kind: c[1], Name: c[2], GoType: c[3], JSON: c[4]})
	}
	return items, sc.Err()
}

// loadOurs loads the types of our API packages from export data, as the reference was made, and renders their items.
func loadOurs(dir string) ([]item, error) {
	patterns := make([]string, 0, len(apiPackages))
	for _, p := range apiPackages {
		patterns = append(patterns, modulePath+"/"+p)
	}
	mode := packages.NeedName | packages.NeedFiles | packages.NeedTypes
	pkgs, err := packages.Load(&packages.Config{Mode: mode, Dir: dir}, patterns...)
	if err != nil {
		return nil, err
	}
	// go test caches results by the files the test itself opens, and go list's reads are not among them.
	seen := []string{filepath.Join(dir, "go.mod")}
	var items []item
	for _, p := range pkgs {
		if len(p.Errors) > 0 {
			return nil, fmt.Errorf("%s: %w", p.PkgPath, p.Errors[0])
		}
		seen = append(seen, p.GoFiles...)
		items = append(items, renderPackage(strings.TrimPrefix(p.PkgPath, modulePath+"/"), p.Types)...)
	}
	for _, f := range seen {
		if _, err := os.ReadFile(f); err != nil { //nolint:gosec // files of our own module
			return nil, err
		}
	}
	return items, nil
}

// renderPackage renders every exported item of p in the reference's notation.
func renderPackage(rel string, p *types.Package) []item {
	qualify := func(other *types.Package) string {
		if other == p {
			return ""
		}
		if q, ok := ourQualifiers[other.Path()]; ok {
			return q
		}
		return other.Path()
	}
	str := func(t types.Type) string { return types.TypeString(t, qualify) }
	var items []item
	for _, name := range p.Scope().Names() {
		switch o := p.Scope().Lookup(name).(type) {
		case *types.Const:
			if o.Exported() {
				items = append(items, item{rel, "const", name, str(o.Type()) + " = " + o.Val().ExactString(), ""})
			}
		case *types.Var:
			if o.Exported() {
				items = append(items, item{rel, "var", name, str(o.Type()), ""})
			}
		case *types.Func:
			if o.Exported() {
				items = append(items, item{rel, "func", name, str(o.Type()), ""})
			}
		case *types.TypeName:
			if o.Exported() {
				items = append(items, renderType(rel, o, str)...)
			}
		}
	}
	return items
}

// renderType renders a named type with its exported fields and declared methods.
func renderType(rel string, tn *types.TypeName, str func(types.Type) string) []item {
	name := tn.Name()
	if tn.IsAlias() {
		return []item{{rel, "type", name, "= " + str(types.Unalias(tn.Type())), ""}}
	}
	shape := str(tn.Type().Underlying())
	var items []item
	if s, ok := tn.Type().Underlying().(*types.Struct); ok {
		shape = "struct"
		for i := range s.NumFields() {
			f := s.Field(i)
			if !f.Exported() {
				continue
			}
			goType := str(f.Type())
			if f.Embedded() {
				goType = embeddedPrefix + goType
			}
			json := reflect.StructTag(s.Tag(i)).Get("json")
			items = append(items, item{rel, "field", name + "." + f.Name(), goType, json})
		}
	}
	items = append(items, item{rel, "type", name, shape, ""})
	named, ok := tn.Type().(*types.Named)
	if !ok {
		return items
	}
	for i := range named.NumMethods() {
		m := named.Method(i)
		if !m.Exported() {
			continue
		}
		sig := m.Type().(*types.Signature)
		recv := name
		if _, ptr := sig.Recv().Type().(*types.Pointer); ptr {
			recv = "(*" + name + ")"
		}
		items = append(items, item{rel, "method", recv + "." + m.Name(), str(sig), ""})
	}
	return items
}

// normalize drops parameter and result names from the function types in a go_type: callers do not see them.
func normalize(kind, goType string) string {
	if kind == "const" || kind == "type" {
		return goType
	}
	rest, embedded := strings.CutPrefix(goType, embeddedPrefix)
	prefix := ""
	if embedded {
		prefix = embeddedPrefix
	}
	fset := token.NewFileSet()
	expr, err := parser.ParseExprFrom(fset, "", rest, 0)
	if err != nil {
		return goType
	}
	ast.Inspect(expr, func(n ast.Node) bool {
		if ft, ok := n.(*ast.FuncType); ok {
			unname(ft.Params)
			unname(ft.Results)
		}
		return true
	})
	var b bytes.Buffer
	if err := format.Node(&b, fset, expr); err != nil {
		return goType
	}
	return prefix + b.String()
}

// unname replaces every named field of a parameter list by one unnamed field per name.
func unname(fl *ast.FieldList) {
	if fl == nil {
		return
	}
	var out []*ast.Field
	for _, f := range fl.List {
		for range max(len(f.Names), 1) {
			out = append(out, &ast.Field{Type: f.Type})
		}
	}
	fl.List = out
}

// difference is an upstream item that ours lacks (Ours nil) or has with another shape.
type difference struct {
	Upstream item
	Ours     *item
}

func (d difference) String() string {
	render := func(i item) string {
		if i.JSON == "" {
			return i.GoType
		}
		return fmt.Sprintf("%s  `json:%q`", i.GoType, i.JSON)
	}
	ours := "(missing)"
	if d.Ours != nil {
		ours = render(*d.Ours)
	}
	return fmt.Sprintf("%s\n    upstream: %s\n    ours:     %s", d.Upstream.key(), render(d.Upstream), ours)
}

// compare returns the upstream items ours lacks or has with another shape, sorted by key.
func compare(upstream, ours []item) []difference {
	byKey := make(map[string]item, len(ours))
	for _, o := range ours {
		byKey[o.key()] = o
	}
	var diffs []difference
	for _, u := range upstream {
		o, ok := byKey[u.key()]
		switch {
		case !ok:
			diffs = append(diffs, difference{Upstream: u})
		case o.shape() != u.shape():
			diffs = append(diffs, difference{Upstream: u, Ours: &o})
		}
	}
	sort.Slice(diffs, func(i, j int) bool { return diffs[i].Upstream.key() < diffs[j].Upstream.key() })
	return diffs
}

// allowed is a deliberate difference from upstream.
type allowed struct {
	// Pattern matches the key "package kind name" of the differences it allows: '*' matches any run of characters,
	// everything else is literal, so keys with "(*T)" read as they print.
	Pattern string
	Reason  string
}

func (a allowed) matches(key string) bool {
	expr := "^" + strings.ReplaceAll(regexp.QuoteMeta(a.Pattern), `\*`, ".*") + "$"
	return regexp.MustCompile(expr).MatchString(key)
}

// applyAllowList splits diffs into those no entry allows, and returns the entries that allow none of them.
func applyAllowList(diffs []difference, list []allowed) (unallowed []difference, stale []allowed) {
	used := make([]bool, len(list))
	for _, d := range diffs {
		ok := false
		for i, a := range list {
			if a.matches(d.Upstream.key()) {
				used[i], ok = true, true
			}
		}
		if !ok {
			unallowed = append(unallowed, d)
		}
	}
	for i, a := range list {
		if !used[i] {
			stale = append(stale, a)
		}
	}
	return unallowed, stale
}
