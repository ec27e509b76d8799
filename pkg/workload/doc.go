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

// Package workload reads and annotates what the KThreesControlPlane controller needs from a workload
// cluster: its control-plane Nodes and their readiness, whether the K3s server has initialized
// (kube-system/k3s-serving exists), and the Node-annotation API K3s offers for removing etcd members.
//
// The package never builds its own connection: callers obtain a client.Client for the workload cluster
// (from CAPI's ClusterCache) and wrap it with New. Errors that come from failing to reach the workload
// API server (anything that is not an API status error) are marked as RemoteConnectionError, so that the
// caller can report a condition and requeue rather than fail the reconcile.
//
// Control-plane Nodes are those carrying node-role.kubernetes.io/control-plane or
// node-role.kubernetes.io/master with any value: K3s sets both (value "true") up to v1.33 and only
// control-plane from v1.34 on, and kubeadm-style clusters use the empty value.
//
// The mock sub-package holds go.uber.org/mock mocks of Cluster, regenerated with
// `go generate ./pkg/workload/...` (see the go:generate line in interfaces.go).
package workload
