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

// Package apiconversion holds the pieces shared by the hand-written parts of the v1beta1/v1beta2 ↔ v1beta3
// conversions: the cluster.x-k8s.io/conversion-data annotation that keeps conversions lossless, and converters for
// the field shapes that changed between versions (durations ↔ seconds, bool ↔ *bool, object references).
//
// The annotation is used in both directions: a spoke object carries the JSON of the hub it was converted from, so
// hub-only fields survive a round trip through the spoke; a hub object carries the JSON of the spoke-only fields it
// could not represent, so those survive a round trip through the hub.
package apiconversion
