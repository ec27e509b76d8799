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

package simplane

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// templates are the cluster templates of the simulator: cluster-template.yaml (the default flavor) and
// cluster-template-<flavor>.yaml.
//
//go:embed templates/*.yaml
var templates embed.FS

// ClusterTemplate renders a flavor ("" for the default) of the simulator's cluster templates.
func ClusterTemplate(flavor string, vars map[string]string) ([]byte, error) {
	name := "templates/cluster-template.yaml"
	if flavor != "" {
		name = "templates/cluster-template-" + flavor + ".yaml"
	}
	data, err := templates.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("no cluster template flavor %q: %w", flavor, err)
	}
	return RenderTemplate(name, data, vars)
}

// variable matches ${NAME} and ${NAME:=default}, as in clusterctl templates.
var variable = regexp.MustCompile(`\$\{([A-Z0-9_]+)(:=([^}]*))?\}`)

// RenderTemplate substitutes the variables of a clusterctl-style template from vars, then the environment, then
// the template's defaults; a variable without any value is an error, as in clusterctl. name is for errors.
func RenderTemplate(name string, data []byte, vars map[string]string) ([]byte, error) {
	var missing []string
	out := variable.ReplaceAllFunc(data, func(m []byte) []byte {
		parts := variable.FindSubmatch(m)
		key := string(parts[1])
		if v, ok := vars[key]; ok {
			return []byte(v)
		}
		if v, ok := os.LookupEnv(key); ok {
			return []byte(v)
		}
		if len(parts[2]) > 0 {
			return parts[3]
		}
		missing = append(missing, key)
		return m
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("template %s: variables without value: %v", name, missing)
	}
	return out, nil
}

// DecodeObjects decodes a rendered multi-document template into unstructured objects, skipping empty documents.
func DecodeObjects(data []byte) ([]client.Object, error) {
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []client.Object
	for {
		u := &unstructured.Unstructured{}
		if err := decoder.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, fmt.Errorf("failed to decode the cluster template: %w", err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}
