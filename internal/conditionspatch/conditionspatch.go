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

// Package conditionspatch writes a controller's own conditions into an object's status with a JSON patch that needs
// no optimistic lock, so that it does not conflict with the controller owning the object's other conditions.
package conditionspatch

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// Operation is one operation of an RFC 6902 JSON patch.
type Operation struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// nullValue makes a test operation compare with null, which kube-apiserver's JSON patch library treats as absent.
type nullValue struct{}

func (nullValue) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// Machine returns a JSON patch that writes the conditions of the types owned and ownedV1Beta1, as set on desired,
// into the Machine observed: each changed condition is replaced at its index after a test that the index still
// holds that condition type, new ones are appended, removed ones are removed the same way; a list the Machine does
// not have yet is added after a test that it is still absent. It touches nothing else, and it needs no
// resourceVersion: CAPI's Machine controller writes the Machine in bursts while a node starts, and a patch under an
// optimistic lock that lands between two of its writes ends in a 409, although the two controllers own different
// conditions. The test operations keep the patch from writing at a wrong index, or over a list, that changed
// meanwhile; the API server then refuses the patch as a whole (422), and the caller falls back to CAPI's patch
// helper. The v1beta2 list is a map keyed by type, so the API server also refuses a duplicate there.
// A nil patch means nothing to write.
func Machine(observed, desired *clusterv1.Machine, owned []string, ownedV1Beta1 []clusterv1.ConditionType) ([]byte, error) {
	// The v1beta2 list is under status, which CAPI's Machine controller writes first; without it the patch is
	// refused and the caller falls back.
	v1beta2Present := 1
	if len(observed.Status.Conditions) > 0 {
		v1beta2Present = 2
	}
	ops := conditionListOps([]string{"status", "conditions"}, v1beta2Present,
		conditionsByType(observed.Status.Conditions), conditionsByType(desired.Status.Conditions), owned)

	var observedV1Beta1, desiredV1Beta1 clusterv1.Conditions
	v1beta1Present := 1
	if d := observed.Status.Deprecated; d != nil {
		v1beta1Present = 2
		if d.V1Beta1 != nil {
			v1beta1Present = 3
			observedV1Beta1 = d.V1Beta1.Conditions
			if len(observedV1Beta1) > 0 {
				v1beta1Present = 4
			}
		}
	}
	if d := desired.Status.Deprecated; d != nil && d.V1Beta1 != nil {
		desiredV1Beta1 = d.V1Beta1.Conditions
	}
	ownedV1Beta1Names := make([]string, 0, len(ownedV1Beta1))
	for _, t := range ownedV1Beta1 {
		ownedV1Beta1Names = append(ownedV1Beta1Names, string(t))
	}
	ops = append(ops, conditionListOps([]string{"status", "deprecated", "v1beta1", "conditions"}, v1beta1Present,
		v1beta1ConditionsByType(observedV1Beta1), v1beta1ConditionsByType(desiredV1Beta1), ownedV1Beta1Names)...)
	if len(ops) == 0 {
		return nil, nil
	}
	patch, err := json.Marshal(ops)
	if err != nil {
		return nil, fmt.Errorf("failed to encode the Machine conditions patch: %w", err)
	}
	return patch, nil
}

// indexedCondition is a condition of either flavour with its index in its list.
type indexedCondition struct {
	index int
	value any
}

// conditionListOps returns the operations that turn the owned types of one condition list from observed into
// desired. segments is the list's path; present is how many of its leading segments the observed object has (all
// of them when the list has entries). Removals go last and from the highest index down, so that earlier indexes
// stay valid.
func conditionListOps(segments []string, present int, observed, desired map[string]indexedCondition, owned []string) []Operation {
	path := "/" + strings.Join(segments, "/")
	if present < len(segments) {
		var list []any
		for _, t := range owned {
			if d, ok := desired[t]; ok {
				list = append(list, d.value)
			}
		}
		if len(list) == 0 {
			return nil
		}
		missing := "/" + strings.Join(segments[:present+1], "/")
		var value any = list
		for i := len(segments) - 1; i > present; i-- {
			value = map[string]any{segments[i]: value}
		}
		return []Operation{{Op: "test", Path: missing, Value: nullValue{}}, {Op: "add", Path: missing, Value: value}}
	}

	type removal struct {
		index         int
		conditionType string
	}
	var ops []Operation
	var removals []removal
	for _, t := range owned {
		o, had := observed[t]
		d, wants := desired[t]
		switch {
		case had && wants:
			if equality.Semantic.DeepEqual(o.value, d.value) {
				continue
			}
			at := fmt.Sprintf("%s/%d", path, o.index)
			ops = append(ops,
				Operation{Op: "test", Path: at + "/type", Value: t},
				Operation{Op: "replace", Path: at, Value: d.value})
		case wants:
			ops = append(ops, Operation{Op: "add", Path: path + "/-", Value: d.value})
		case had:
			removals = append(removals, removal{index: o.index, conditionType: t})
		}
	}
	// Removals run last, from the highest index down: a removal shifts only the entries above it, and every other
	// operation (replacements at observed indexes, appends at the end) has run by then.
	slices.SortFunc(removals, func(a, b removal) int { return b.index - a.index })
	for _, r := range removals {
		at := fmt.Sprintf("%s/%d", path, r.index)
		ops = append(ops,
			Operation{Op: "test", Path: at + "/type", Value: r.conditionType},
			Operation{Op: "remove", Path: at})
	}
	return ops
}

// conditionsByType indexes a v1beta2 condition list.
func conditionsByType(list []metav1.Condition) map[string]indexedCondition {
	out := make(map[string]indexedCondition, len(list))
	for i := range list {
		out[list[i].Type] = indexedCondition{index: i, value: list[i]}
	}
	return out
}

// v1beta1ConditionsByType indexes a v1beta1 condition list.
func v1beta1ConditionsByType(list clusterv1.Conditions) map[string]indexedCondition {
	out := make(map[string]indexedCondition, len(list))
	for i := range list {
		out[string(list[i].Type)] = indexedCondition{index: i, value: list[i]}
	}
	return out
}
