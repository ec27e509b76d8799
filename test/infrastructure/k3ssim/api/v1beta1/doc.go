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

// Package v1beta1 contains the API of the K3s simulator, a test-only Cluster API infrastructure provider
// (group infrastructure.cluster.x-k8s.io) implementing the CAPI v1beta2 infrastructure contract: K3sSimCluster
// reserves a loopback endpoint for a simulated workload API server, K3sSimMachine reads its Machine's bootstrap
// data and simulates the K3s node it would start (Node, etcd member, API server).
//
// +kubebuilder:object:generate=true
// +groupName=infrastructure.cluster.x-k8s.io
package v1beta1
