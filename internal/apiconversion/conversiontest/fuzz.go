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

package conversiontest

import (
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The fuzzer funcs below normalise values whose round trip is lossy by design (each documented in
// docs/api-v1beta3.md): they are shared by the conversion fuzz tests of all spoke packages.

// NormalizeStringPointer makes a fuzzed *string that points at "" nil, because "" and unset are the same value in
// the hub.
func NormalizeStringPointer(in **string) {
	if *in != nil && **in == "" {
		*in = nil
	}
}

// NormalizeTimePointer makes a fuzzed *metav1.Time that points at the zero time nil, because the hub has no
// separate "set to zero" state.
func NormalizeTimePointer(in **metav1.Time) {
	if *in != nil && (*in).IsZero() {
		*in = nil
	}
}

// NilIfZero sets *in to nil when it points at a zero value.
func NilIfZero[T any](in **T) {
	if *in != nil && reflect.ValueOf(**in).IsZero() {
		*in = nil
	}
}
