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
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// Problem is one incompatibility between our CRDs and upstream's.
type Problem struct {
	Kind    string
	Version string
	// Path is the schema path (reference notation) or a CRD field such as "spec.names.plural"; empty for the CRD
	// as a whole.
	Path    string
	Message string
}

// String formats the problem as "<Kind> <version> <path>: <message>".
func (p Problem) String() string {
	parts := []string{p.Kind}
	if p.Version != "" {
		parts = append(parts, p.Version)
	}
	if p.Path != "" {
		parts = append(parts, p.Path)
	}
	return strings.Join(parts, " ") + ": " + p.Message
}

// harmlessKeywords are schema keywords that never make a schema reject an object it accepted before. enum,
// default, required, x-kubernetes-list-type and x-kubernetes-map-type are listed too; they are judged separately.
var harmlessKeywords = map[string]bool{
	"description": true, "type": true, "format": true, "properties": true, "items": true,
	"additionalProperties": true, "required": true, "enum": true, "default": true, "nullable": true,
	"title": true, "example": true, "externalDocs": true, "x-kubernetes-preserve-unknown-fields": true,
	"x-kubernetes-embedded-resource": true, "x-kubernetes-int-or-string": true, "x-kubernetes-map-type": true,
	"x-kubernetes-list-type": true,
}

type versionKey struct{ group, kind, version string }

type pathKey struct {
	versionKey
	path string
}

// checker holds the indexed reference while Check runs.
type checker struct {
	ref         *Reference
	problems    []Problem
	fields      map[pathKey]Field
	validations map[pathKey]map[string]string
	versions    map[versionKey]bool
}

// Check compares our CRDs with the upstream reference and the kind expectations and returns every problem found,
// sorted. An empty result means our CRDs are compatible.
func Check(ref *Reference, kinds []KindExpectation, crds []*CRD) []Problem {
	c := &checker{
		ref:         ref,
		fields:      map[pathKey]Field{},
		validations: map[pathKey]map[string]string{},
		versions:    map[versionKey]bool{},
	}
	for _, f := range ref.Fields {
		k := pathKey{versionKey{f.Group, f.Kind, f.Version}, f.Path}
		c.fields[k] = f
		c.versions[k.versionKey] = true
	}
	for _, v := range ref.Validations {
		k := pathKey{versionKey{v.Group, v.Kind, v.Version}, v.Path}
		if c.validations[k] == nil {
			c.validations[k] = map[string]string{}
		}
		c.validations[k][v.Keyword] = v.Value
	}

	byKind := map[string]*CRD{}
	for _, crd := range crds {
		gk := crd.Typed.Spec.Group + "/" + crd.Typed.Spec.Names.Kind
		if prev, ok := byKind[gk]; ok {
			c.report(crd.Typed.Spec.Names.Kind, "", "", "defined twice, in %s and %s", prev.Source, crd.Source)
		}
		byKind[gk] = crd
	}

	for _, want := range kinds {
		crd := byKind[want.Group+"/"+want.Kind]
		if crd == nil {
			c.report(want.Kind, "", "", "no CRD for %s/%s", want.Group, want.Kind)
			continue
		}
		c.checkCRDMeta(want, crd)
		refVersions := c.referenceVersions(want)
		if !slices.Equal(refVersions, sorted(want.Legacy)) {
			c.report(want.Kind, "", "", "the reference describes versions %v, the expectations list %v", refVersions, want.Legacy)
		}
		for _, version := range want.Legacy {
			c.checkVersion(want, crd, version)
		}
	}
	for _, f := range ref.Fields {
		if byKind[f.Group+"/"+f.Kind] == nil && !hasKind(kinds, f.Group, f.Kind) {
			c.report(f.Kind, f.Version, "", "the reference describes %s/%s, which the expectations do not list", f.Group, f.Kind)
			break
		}
	}

	sort.SliceStable(c.problems, func(i, j int) bool { return c.problems[i].String() < c.problems[j].String() })
	return slices.CompactFunc(c.problems, func(a, b Problem) bool { return a == b })
}

func hasKind(kinds []KindExpectation, group, kind string) bool {
	return slices.ContainsFunc(kinds, func(k KindExpectation) bool { return k.Group == group && k.Kind == kind })
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

func (c *checker) report(kind, version, path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Kind: kind, Version: version, Path: path, Message: fmt.Sprintf(format, args...)})
}

// referenceVersions returns the sorted versions the fields reference describes for a kind.
func (c *checker) referenceVersions(want KindExpectation) []string {
	var out []string
	for k := range c.versions {
		if k.group == want.Group && k.kind == want.Kind {
			out = append(out, k.version)
		}
	}
	sort.Strings(out)
	return out
}

// checkCRDMeta checks labels, names, scope and the served and storage versions.
func (c *checker) checkCRDMeta(want KindExpectation, crd *CRD) {
	kind := want.Kind
	labels := crd.Typed.Labels
	for _, key := range sortedKeys(ExpectedLabels) {
		got, ok := labels[key]
		switch {
		case !ok:
			c.report(kind, "", "metadata.labels", "missing label %s=%q", key, ExpectedLabels[key])
		case got != ExpectedLabels[key]:
			c.report(kind, "", "metadata.labels", "label %s is %q, want %q", key, got, ExpectedLabels[key])
		}
	}
	names := crd.Typed.Spec.Names
	if names.Plural != want.Plural {
		c.report(kind, "", "spec.names.plural", "ours %q, upstream %q", names.Plural, want.Plural)
	}
	if names.ListKind != want.ListKind {
		c.report(kind, "", "spec.names.listKind", "ours %q, upstream %q", names.ListKind, want.ListKind)
	}
	if wantName := want.Plural + "." + want.Group; crd.Typed.Name != wantName {
		c.report(kind, "", "metadata.name", "ours %q, want %q", crd.Typed.Name, wantName)
	}
	if crd.Typed.Spec.Scope != apiextensionsv1.NamespaceScoped {
		c.report(kind, "", "spec.scope", "ours %q, upstream %q", crd.Typed.Spec.Scope, apiextensionsv1.NamespaceScoped)
	}
	var served, storage []string
	for _, v := range crd.Typed.Spec.Versions {
		if v.Served {
			served = append(served, v.Name)
		}
		if v.Storage {
			storage = append(storage, v.Name)
		}
	}
	sort.Strings(served)
	if !slices.Equal(served, sorted(want.Served)) {
		c.report(kind, "", "spec.versions", "served versions are %v, want exactly %v", served, sorted(want.Served))
	}
	if !slices.Equal(storage, []string{want.Storage}) {
		c.report(kind, "", "spec.versions", "storage versions are %v, want [%s]", storage, want.Storage)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkVersion checks one legacy version of a kind: schema, printer columns and subresources.
func (c *checker) checkVersion(want KindExpectation, crd *CRD, version string) {
	kind := want.Kind
	v := crd.version(version)
	if v == nil {
		c.report(kind, version, "", "version missing from our CRD")
		return
	}
	if !v.Served {
		c.report(kind, version, "", "version is not served")
	}
	root := crd.Schemas[version]
	if root == nil {
		c.report(kind, version, "", "version has no openAPIV3Schema")
		return
	}
	vk := versionKey{want.Group, kind, version}
	for _, f := range c.ref.Fields {
		if f.Group == want.Group && f.Kind == kind && f.Version == version {
			c.checkField(root, f)
		}
	}
	for _, val := range c.ref.Validations {
		if val.Group == want.Group && val.Kind == kind && val.Version == version {
			c.checkValidation(root, val)
		}
	}
	c.walk(vk, root, "")
	c.checkPrinterColumns(kind, v)
	c.checkSubresources(want, v)
}

// checkField checks one upstream property against our schema.
func (c *checker) checkField(root map[string]any, f Field) {
	node, parent, last, err := lookup(root, f.Path)
	if err != nil {
		c.report(f.Kind, f.Version, f.Path, "invalid reference path: %v", err)
		return
	}
	if node == nil {
		c.report(f.Kind, f.Version, f.Path, "missing from our schema (upstream type %q)", f.Type)
		return
	}
	if got := stringValue(node["type"]); got != f.Type {
		if got == "" && node["x-kubernetes-int-or-string"] == true {
			got = "int-or-string"
		}
		c.report(f.Kind, f.Version, f.Path, "type: ours %q, upstream %q", got, f.Type)
	}
	if got := stringValue(node["format"]); got != f.Format {
		c.report(f.Kind, f.Version, f.Path, "format: ours %q, upstream %q", got, f.Format)
	}
	if enum, ok := node["enum"]; ok || len(f.Enum) > 0 {
		ours := stringList(enum)
		switch {
		case !ok:
			// No enum accepts everything; upstream's enum is not a guarantee users rely on being enforced.
		case len(f.Enum) == 0:
			c.report(f.Kind, f.Version, f.Path, "adds enum %v, upstream has none", ours)
		default:
			var lost []string
			for _, e := range f.Enum {
				if !slices.Contains(ours, e) {
					lost = append(lost, e)
				}
			}
			if len(lost) > 0 {
				c.report(f.Kind, f.Version, f.Path, "enum: ours %v does not accept upstream values %v", ours, lost)
			}
		}
	}
	ourDefault, hasDefault := node["default"]
	switch {
	case !hasDefault && f.Default != "":
		c.report(f.Kind, f.Version, f.Path, "default: ours none, upstream %s", f.Default)
	case hasDefault && f.Default == "":
		c.report(f.Kind, f.Version, f.Path, "default: ours %s, upstream none", compactJSON(ourDefault))
	case hasDefault && !jsonEqual(ourDefault, f.Default):
		c.report(f.Kind, f.Version, f.Path, "default: ours %s, upstream %s", compactJSON(ourDefault), f.Default)
	}
	if f.Required == "yes" && last.kind == stepProperty && !slices.Contains(stringList(parent["required"]), last.name) {
		c.report(f.Kind, f.Version, f.Path, "required: ours no, upstream yes")
	}
	// Properties we require although upstream does not are reported by walk, which also catches new required
	// properties upstream does not have.
}

// checkValidation checks that an upstream keyword is present in our schema with the same value.
func (c *checker) checkValidation(root map[string]any, v Validation) {
	node, _, _, err := lookup(root, v.Path)
	if err != nil {
		c.report(v.Kind, v.Version, v.Path, "invalid reference path: %v", err)
		return
	}
	if node == nil {
		return // reported by checkField
	}
	got, ok := node[v.Keyword]
	switch {
	case !ok:
		c.report(v.Kind, v.Version, v.Path, "%s: ours none, upstream %s", v.Keyword, v.Value)
	case !jsonEqual(got, v.Value):
		c.report(v.Kind, v.Version, v.Path, "%s: ours %s, upstream %s", v.Keyword, compactJSON(got), v.Value)
	}
}

// walk visits every node of our schema and reports defaults, restrictive keywords and required properties that
// upstream does not declare.
func (c *checker) walk(vk versionKey, node map[string]any, path string) {
	nodePath := path
	if nodePath == "" {
		nodePath = "."
	}
	known := c.known(vk, path)
	upstreamKeywords := c.validations[pathKey{vk, path}]
	for _, kw := range sortedKeys(node) {
		val := node[kw]
		if _, listed := upstreamKeywords[kw]; listed {
			continue // value compared by checkValidation
		}
		switch kw {
		case "default":
			if !known {
				c.report(vk.kind, vk.version, nodePath, "adds default %s on a property upstream does not have", compactJSON(val))
			}
		case "enum":
			if !known {
				c.report(vk.kind, vk.version, nodePath, "adds enum %v on a property upstream does not have", stringList(val))
			}
		case "x-kubernetes-list-type":
			if s := stringValue(val); s != "atomic" {
				c.report(vk.kind, vk.version, nodePath, "adds restrictive keyword x-kubernetes-list-type=%q (upstream: none)", s)
			}
		case "required":
			if path != "" && !known {
				continue // a new object; requiring its properties does not affect upstream objects
			}
			for _, name := range stringList(val) {
				childPath := path + "." + name
				cf, ok := c.fields[pathKey{vk, childPath}]
				switch {
				case !ok:
					c.report(vk.kind, vk.version, childPath, "newly required: upstream has no such property")
				case cf.Required != "yes":
					c.report(vk.kind, vk.version, childPath, "required: ours yes, upstream %s", cf.Required)
				}
			}
		default:
			if !harmlessKeywords[kw] {
				c.report(vk.kind, vk.version, nodePath, "adds restrictive keyword %s=%s (upstream: none)", kw, compactJSON(val))
			}
		}
	}
	if props, ok := node["properties"].(map[string]any); ok {
		for _, name := range sortedKeys(props) {
			if p, ok := props[name].(map[string]any); ok {
				c.walk(vk, p, path+"."+name)
			}
		}
	}
	if items, ok := node["items"].(map[string]any); ok {
		c.walk(vk, items, path+"[]")
	}
	if values, ok := node["additionalProperties"].(map[string]any); ok {
		c.walk(vk, values, path+"{}")
	}
}

// known reports whether upstream has the property at path (the root always exists).
func (c *checker) known(vk versionKey, path string) bool {
	_, ok := c.fields[pathKey{vk, path}]
	return ok
}

// checkPrinterColumns requires our printer columns to equal upstream's, in order.
func (c *checker) checkPrinterColumns(kind string, v *apiextensionsv1.CustomResourceDefinitionVersion) {
	var want []PrinterColumn
	for _, pc := range c.ref.PrinterColumns {
		if pc.Kind == kind && pc.Version == v.Name {
			want = append(want, pc)
		}
	}
	got := v.AdditionalPrinterColumns
	for i := range max(len(want), len(got)) {
		switch {
		case i >= len(got):
			c.report(kind, v.Name, "additionalPrinterColumns", "column %d %q (%s %s) missing", i, want[i].Name, want[i].Type, want[i].JSONPath)
		case i >= len(want):
			c.report(kind, v.Name, "additionalPrinterColumns", "extra column %d %q (%s %s)", i, got[i].Name, got[i].Type, got[i].JSONPath)
		case got[i].Name != want[i].Name || got[i].Type != want[i].Type || got[i].JSONPath != want[i].JSONPath:
			c.report(kind, v.Name, "additionalPrinterColumns", "column %d: ours %q (%s %s), upstream %q (%s %s)",
				i, got[i].Name, got[i].Type, got[i].JSONPath, want[i].Name, want[i].Type, want[i].JSONPath)
		}
		if i < len(got) && got[i].Priority != 0 {
			c.report(kind, v.Name, "additionalPrinterColumns", "column %d %q has priority %d, upstream 0", i, got[i].Name, got[i].Priority)
		}
	}
}

// checkSubresources requires the status and scale subresources to match upstream's.
func (c *checker) checkSubresources(want KindExpectation, v *apiextensionsv1.CustomResourceDefinitionVersion) {
	sub := v.Subresources
	if sub == nil {
		sub = &apiextensionsv1.CustomResourceSubresources{}
	}
	wantStatus := slices.Contains(want.StatusSubresource, v.Name)
	if hasStatus := sub.Status != nil; hasStatus != wantStatus {
		c.report(want.Kind, v.Name, "subresources.status", "ours present=%t, upstream present=%t", hasStatus, wantStatus)
	}
	wantScale, wantHasScale := want.Scale[v.Name]
	switch {
	case sub.Scale == nil && wantHasScale:
		c.report(want.Kind, v.Name, "subresources.scale", "missing, upstream %+v", wantScale)
	case sub.Scale != nil && !wantHasScale:
		c.report(want.Kind, v.Name, "subresources.scale", "present, upstream has none")
	case sub.Scale != nil:
		got := ScalePaths{SpecReplicasPath: sub.Scale.SpecReplicasPath, StatusReplicasPath: sub.Scale.StatusReplicasPath}
		if sub.Scale.LabelSelectorPath != nil {
			got.LabelSelectorPath = *sub.Scale.LabelSelectorPath
		}
		if got != wantScale {
			c.report(want.Kind, v.Name, "subresources.scale", "ours %+v, upstream %+v", got, wantScale)
		}
	}
}

// AddedProperties lists the properties our legacy-version schemas have that upstream does not (allowed, but worth
// knowing), as "<Kind> <version> <path>".
func AddedProperties(ref *Reference, kinds []KindExpectation, crds []*CRD) []string {
	known := map[pathKey]bool{}
	for _, f := range ref.Fields {
		known[pathKey{versionKey{f.Group, f.Kind, f.Version}, f.Path}] = true
	}
	var out []string
	for _, want := range kinds {
		for _, crd := range crds {
			if crd.Typed.Spec.Group != want.Group || crd.Typed.Spec.Names.Kind != want.Kind {
				continue
			}
			for _, version := range want.Legacy {
				vk := versionKey{want.Group, want.Kind, version}
				var visit func(node map[string]any, path string)
				visit = func(node map[string]any, path string) {
					if path != "" && !known[pathKey{vk, path}] {
						out = append(out, fmt.Sprintf("%s %s %s", want.Kind, version, path))
						return
					}
					if props, ok := node["properties"].(map[string]any); ok {
						for _, name := range sortedKeys(props) {
							if p, ok := props[name].(map[string]any); ok {
								visit(p, path+"."+name)
							}
						}
					}
					if items, ok := node["items"].(map[string]any); ok {
						visit(items, path+"[]")
					}
					if values, ok := node["additionalProperties"].(map[string]any); ok {
						visit(values, path+"{}")
					}
				}
				if root := crd.Schemas[version]; root != nil {
					visit(root, "")
				}
			}
		}
	}
	return out
}

func stringValue(v any) string {
	s, _ := v.(string)
	return s
}

// compactJSON renders a decoded JSON value.
func compactJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(data)
}

// jsonEqual compares a decoded JSON value with a JSON document.
func jsonEqual(got any, want string) bool {
	var a, b any
	if err := json.Unmarshal([]byte(compactJSON(got)), &a); err != nil {
		return false
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}
