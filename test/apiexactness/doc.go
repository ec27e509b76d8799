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

// Package apiexactness checks that the Go API of our old API versions stays source-compatible with upstream
// cluster-api-k3s, so Go consumers (other providers, tools, their unit tests) compile unchanged after the swap.
// The CRD schemas are checked by test/compat; this package checks what only Go code sees: type and field
// shapes (pointer or value, element types), json tags, constant values, functions and methods.
//
// # Reference data
//
// upstream-go-api.tsv lists upstream's exported API of bootstrap/api/v1beta1, bootstrap/api/v1beta2,
// controlplane/api/v1beta1 and controlplane/api/v1beta2, one item per row, in a notation described by its header
// line. The test prefers the copy in <repo>/../shared/reference when it exists and then requires the vendored copy
// in testdata/ to be byte-identical to it.
//
// # Rules
//
// TestGoAPIMatchesUpstream loads the types of our four packages (golang.org/x/tools/go/packages, from the
// compiler's export data, as the reference was made), renders every exported item in the same notation, mapping our import paths to upstream's
// qualifiers (ourQualifiers: CAPI v1.14 moved its v1beta1 API to sigs.k8s.io/cluster-api/api/core/v1beta1), and
// requires every upstream item to exist with the same shape. Parameter names are ignored: they are not part of
// the API. Extra items of ours are fine. Differences are allowed only through allowList, each with its reason (the
// same list is in docs/migration.md, "Go API differences from upstream"); an entry that no longer matches a
// difference fails the test, so the list stays short and true. TestV1beta2DefaultMatchesWebhooks checks that the
// Default methods kept for upstream's API set what our webhooks store.
package apiexactness
