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

package apiconversion

import (
	"encoding/json"
	"fmt"
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DataAnnotation is the annotation that keeps the data a conversion could not represent in the target version.
// It is the annotation CAPI and upstream use, so objects converted by upstream keep restoring correctly.
const DataAnnotation = "cluster.x-k8s.io/conversion-data"

// MarshalData stores src (without its metadata) as JSON in dst's conversion-data annotation. dst's annotation map
// is replaced by a copy, so a map shared with another object is never modified.
func MarshalData(src any, dst metav1.Object) error {
	raw, err := json.Marshal(src)
	if err != nil {
		return fmt.Errorf("failed to marshal conversion data: %w", err)
	}
	fields := map[string]json.RawMessage{}
	if err := json.Unmarshal(raw, &fields); err != nil {
		return fmt.Errorf("failed to marshal conversion data: %w", err)
	}
	delete(fields, "metadata")
	data, err := json.Marshal(fields)
	if err != nil {
		return fmt.Errorf("failed to marshal conversion data: %w", err)
	}
	annotations := maps.Clone(dst.GetAnnotations())
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[DataAnnotation] = string(data)
	dst.SetAnnotations(annotations)
	return nil
}

// UnmarshalData decodes the conversion-data annotation of from into to and reports whether it was present.
// It does not modify from.
func UnmarshalData(from metav1.Object, to any) (bool, error) {
	data, ok := from.GetAnnotations()[DataAnnotation]
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal([]byte(data), to); err != nil {
		return false, fmt.Errorf("failed to unmarshal annotation %s: %w", DataAnnotation, err)
	}
	return true, nil
}

// RemoveData drops the conversion-data annotation from obj, replacing the annotation map by a copy so that a map
// shared with another object is never modified.
func RemoveData(obj metav1.Object) {
	annotations := obj.GetAnnotations()
	if _, ok := annotations[DataAnnotation]; !ok {
		return
	}
	annotations = maps.Clone(annotations)
	delete(annotations, DataAnnotation)
	obj.SetAnnotations(annotations)
}
