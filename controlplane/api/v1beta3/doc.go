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

// Package v1beta3 contains the v1beta3 API of the controlplane.cluster.x-k8s.io group: the storage and conversion
// hub version, implementing the CAPI v1beta2 control-plane contract with KubeadmControlPlane v1beta2 shapes where
// the semantics match. Older served versions keep their CAPI v1beta1-style status under status.deprecated.v1beta1.
//
// +kubebuilder:object:generate=true
// +groupName=controlplane.cluster.x-k8s.io
package v1beta3
