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

// Package v1beta2 contains the v1beta2 API of the controlplane.cluster.x-k8s.io group as served by the upstream K3s
// providers (CAPI v1beta1 contract). It is kept field-for-field compatible with upstream so that existing objects,
// templates and Go consumers keep working; the storage and hub version is v1beta3.
//
// Deprecated: use v1beta3, which implements the CAPI v1beta2 contract.
//
// +k8s:conversion-gen=github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3
// +kubebuilder:object:generate=true
// +groupName=controlplane.cluster.x-k8s.io
package v1beta2
