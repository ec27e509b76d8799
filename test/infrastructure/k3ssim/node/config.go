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

package node

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

// parseK3sConfig parses a K3s config file the way K3s reads it: YAML 1.1 (yes/on are booleans), a mapping of flag
// names to values, or nothing at all.
func parseK3sConfig(p string, content []byte) (map[string]any, error) {
	var j []byte
	err := guard(func() error {
		var err error
		j, err = sigsyaml.YAMLToJSON(content)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: invalid YAML: %w", p, err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%s: invalid YAML: %w", p, err)
	}
	switch t := normalize(v).(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return t, nil
	default:
		return nil, fmt.Errorf("%s: is a %s, not a mapping of K3s flags to values", p, kindOf(t))
	}
}

// normalize turns JSON numbers into int64 (float64 when not integral) throughout v; an integer too large for int64
// stays a string of its digits, so that K3s's string form of it is kept exactly.
func normalize(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		if !strings.ContainsAny(t.String(), ".eE") {
			return t.String()
		}
		if f, err := t.Float64(); err == nil {
			return f
		}
		return t.String()
	case map[string]any:
		for k, child := range t {
			t[k] = normalize(child)
		}
		return t
	case []any:
		for i := range t {
			t[i] = normalize(t[i])
		}
		return t
	default:
		return v
	}
}

// kindOf names the YAML kind of a parsed value, for error messages.
func kindOf(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case map[string]any:
		return "mapping"
	default:
		return "scalar"
	}
}

// dropInPaths returns the K3s config drop-ins among files, in the order K3s reads them: the files directly in
// config.yaml.d whose name ends in .yaml or .yml (any case), by name.
func dropInPaths(files map[string]File) []string {
	dir := k3sconfig.ConfigPath + ".d"
	var out []string
	for p := range files {
		if path.Dir(p) != dir {
			continue
		}
		name := strings.ToLower(path.Base(p))
		if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// mergeK3sConfigs merges config files in order: a key replaces the value of earlier files, and a key ending in "+"
// appends to it (both made lists). Within a file, replacing keys are applied before appending ones.
func mergeK3sConfigs(layers []map[string]any) map[string]any {
	out := map[string]any{}
	for _, layer := range layers {
		keys := make([]string, 0, len(layer))
		for k := range layer {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			ai, aj := strings.HasSuffix(keys[i], "+"), strings.HasSuffix(keys[j], "+")
			if ai != aj {
				return !ai
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys {
			v := layer[k]
			base, appending := strings.CutSuffix(k, "+")
			if old, ok := out[base]; ok && appending {
				out[base] = append(toList(old), toList(v)...)
				continue
			}
			out[base] = v
		}
	}
	return out
}

// toList returns v as a list: itself when it is one, a one-element list of its string form otherwise (none when
// that is blank).
func toList(v any) []any {
	switch t := v.(type) {
	case []any:
		return append([]any(nil), t...)
	case string:
		return []any{t}
	default:
		s := strings.TrimSpace(flagString(v))
		if s == "" {
			return nil
		}
		return []any{s}
	}
}

// flagString returns the value K3s gives a single-valued flag: the string form of v, the last element of a list
// (each element is passed as a flag, and the last one wins).
func flagString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case []any:
		if len(t) == 0 {
			return ""
		}
		return flagString(t[len(t)-1])
	default:
		return fmt.Sprint(t)
	}
}

// flagStrings returns the values K3s gives a multi-valued flag: each element of a list, or the value itself.
func flagStrings(v any) []string {
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			out = append(out, flagString(e))
		}
		return out
	default:
		return []string{flagString(t)}
	}
}

// flagBool returns the value K3s gives a boolean flag; anything that is not a boolean is false.
func flagBool(v any) bool {
	b, err := strconv.ParseBool(flagString(v))
	return err == nil && b
}
