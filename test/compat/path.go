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
	"fmt"
	"strings"
)

// stepKind says how a path step descends into a schema node.
type stepKind int

const (
	stepProperty stepKind = iota // .name: properties[name]
	stepItems                    // []: items
	stepValues                   // {}: additionalProperties
)

// step is one step of a reference path.
type step struct {
	kind stepKind
	name string
}

// parsePath splits a reference path such as ".spec.files[].contentFrom.secret.key" or
// ".spec.machineTemplate.metadata.labels{}" into steps.
func parsePath(path string) ([]step, error) {
	if path == "" || path[0] != '.' {
		return nil, fmt.Errorf("path %q does not start with '.'", path)
	}
	var steps []step
	rest := path
	for rest != "" {
		switch {
		case strings.HasPrefix(rest, "[]"):
			steps = append(steps, step{kind: stepItems})
			rest = rest[2:]
		case strings.HasPrefix(rest, "{}"):
			steps = append(steps, step{kind: stepValues})
			rest = rest[2:]
		case rest[0] == '.':
			end := strings.IndexAny(rest[1:], ".[{")
			name := rest[1:]
			if end >= 0 {
				name = rest[1 : end+1]
			}
			if name == "" {
				return nil, fmt.Errorf("path %q has an empty property name", path)
			}
			steps = append(steps, step{kind: stepProperty, name: name})
			rest = rest[1+len(name):]
		default:
			return nil, fmt.Errorf("path %q: unexpected %q", path, rest)
		}
	}
	return steps, nil
}

// child returns the schema node one step below node, or nil.
func child(node map[string]any, s step) map[string]any {
	if node == nil {
		return nil
	}
	switch s.kind {
	case stepProperty:
		props, _ := node["properties"].(map[string]any)
		c, _ := props[s.name].(map[string]any)
		return c
	case stepItems:
		c, _ := node["items"].(map[string]any)
		return c
	case stepValues:
		c, _ := node["additionalProperties"].(map[string]any)
		return c
	}
	return nil
}

// lookup returns the schema node at path and its parent (nil for root properties' parent = root itself), or nil
// when the path does not exist.
func lookup(root map[string]any, path string) (node, parent map[string]any, last step, err error) {
	steps, err := parsePath(path)
	if err != nil {
		return nil, nil, step{}, err
	}
	node = root
	for _, s := range steps {
		parent = node
		node = child(node, s)
		if node == nil {
			return nil, parent, s, nil
		}
		last = s
	}
	return node, parent, last, nil
}

// stringList returns the strings of a JSON array value.
func stringList(v any) []string {
	items, _ := v.([]any)
	out := make([]string, 0, len(items))
	for _, item := range items {
		out = append(out, fmt.Sprint(item))
	}
	return out
}
