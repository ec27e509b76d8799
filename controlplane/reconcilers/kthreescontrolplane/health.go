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

package kthreescontrolplane

import (
	"context"

	corev1 "k8s.io/api/core/v1"

	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
)

// workloadHealth is what reconcileWorkloadHealth observed in the workload cluster.
type workloadHealth struct {
	// connErr is set when the workload cluster could not be reached.
	connErr error
	// nodes are the control-plane Nodes by name.
	nodes map[string]*corev1.Node
	// etcdMembers are the etcd members; nil when etcd was not inspected.
	etcdMembers []*etcd.Member
}

// reconcileWorkloadHealth inspects the K3s servers and etcd members. PLACEHOLDER.
func (r *Reconciler) reconcileWorkloadHealth(ctx context.Context, cp *controlPlane) {
}
