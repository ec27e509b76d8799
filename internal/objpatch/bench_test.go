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

package objpatch

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
)

// BenchmarkMergePatchUnchanged measures what every reconcile that changes nothing pays to find that out, on a
// Machine with the conditions of a running control-plane Machine (CPU per reconcile, the fleet's common case).
func BenchmarkMergePatchUnchanged(b *testing.B) {
	m := runningMachine()
	before, err := runtime.DefaultUnstructuredConverter.ToUnstructured(m)
	if err != nil {
		b.Fatal(err)
	}
	after, err := runtime.DefaultUnstructuredConverter.ToUnstructured(m.DeepCopy())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if patch, err := mergePatch(statusOnly(before), statusOnly(after)); err != nil || patch != nil {
			b.Fatalf("patch %s, err %v", patch, err)
		}
		if patch, err := mergePatch(withoutStatus(before), withoutStatus(after)); err != nil || patch != nil {
			b.Fatalf("patch %s, err %v", patch, err)
		}
	}
}

// BenchmarkHelperUnchanged measures a reconcile's snapshot and patch of an object it did not change: a typed copy and
// a typed comparison, no conversion to the map form.
func BenchmarkHelperUnchanged(b *testing.B) {
	m := runningMachine()
	b.ReportAllocs()
	for b.Loop() {
		h, err := NewHelper(m, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := h.Patch(b.Context(), m); err != nil {
			b.Fatal(err)
		}
	}
}

// runningMachine is a Machine with the labels, annotations and conditions of a running control-plane Machine.
func runningMachine() *clusterv1.Machine {
	m := &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: "m", Namespace: "ns", Labels: map[string]string{}, Annotations: map[string]string{}}}
	for i := range 12 {
		m.Labels[fmt.Sprintf("label-%d", i)] = "value"
		m.Annotations[fmt.Sprintf("annotation-%d", i)] = "value"
		conditions.Set(m, metav1.Condition{Type: fmt.Sprintf("Condition%d", i), Status: metav1.ConditionTrue, Reason: "Ready", Message: "all good"})
	}
	return m
}
