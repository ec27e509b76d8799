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

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// reconcileEtcdMembers removes etcd members that belong to no Machine. PLACEHOLDER.
func (r *Reconciler) reconcileEtcdMembers(ctx context.Context, cp *controlPlane) error {
	return nil
}

// forwardEtcdLeadership moves etcd leadership from machine's member to candidate's when machine's member leads.
// PLACEHOLDER.
func (r *Reconciler) forwardEtcdLeadership(ctx context.Context, cp *controlPlane, machine, candidate *clusterv1.Machine) error {
	return nil
}
