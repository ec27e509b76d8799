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

// Package kthreescontrolplane holds the KThreesControlPlane reconciler: it creates, scales, rolls out, remediates
// and deletes the control-plane Machines of a K3s cluster, owns the cluster's certificates, join token and
// kubeconfig, and reports the control plane's status under the CAPI v1beta2 contract. The flow starts at Reconcile
// (controller.go) and reads top-down through reconcile.go; each phase lives in a file named after it.
package kthreescontrolplane
