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

// Package compat checks that the CRDs generated from this repository's API types stay schema-compatible with the
// CRDs of upstream cluster-api-k3s for every version upstream serves (v1beta1 and v1beta2).
//
// # Reference data
//
// The facts about upstream's CRDs are three tab-separated files (see LoadReference):
//
//   - upstream-crd-fields.tsv: one row per openAPI v3 schema property of every upstream version, with its type,
//     format, enum, default and whether its parent object requires it;
//   - upstream-crd-validations.tsv: every other schema keyword upstream declares (maxLength, minLength,
//     x-kubernetes-map-type, ...);
//   - upstream-printer-columns.tsv: the additionalPrinterColumns of each version (subresources, names and served
//     versions are described in its header comments and encoded in UpstreamKinds).
//
// The test prefers the copies in <repo>/../shared/reference when they exist and then requires the vendored copies
// in testdata/ to be byte-identical to them, so the two cannot drift.
//
// # Rules
//
// Check compares our CRDs with the reference. For every upstream property, our schema of the same version must
// have the property, with the same type and format, an enum that accepts every upstream value, the same default,
// and must not require it unless upstream does. Our old-version schemas must not add defaults, newly required
// properties or restrictive keywords (pattern, length, range, item and property limits, CEL rules, set/map list
// types, new enums) that upstream does not declare, and the keywords upstream declares must keep their values.
// Printer columns, subresources, names, scope, CRD labels and served/storage versions are checked too.
package compat
