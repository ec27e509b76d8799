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

package kthreesconfig

import (
	"context"
	"errors"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
	"github.com/k3s-io/cluster-api-k3s/pkg/token"
)

// joinControlPlane generates the join server config of an additional control-plane Machine.
func (r *Reconciler) joinControlPlane(ctx context.Context, s *scope) (ctrl.Result, error) {
	markCertificatesAvailable(s.config) // a joining server fetches the CAs from the cluster with the token
	return r.join(ctx, s, k3sconfig.RoleJoinServer)
}

// joinWorker generates the agent config of a worker Machine or MachinePool.
func (r *Reconciler) joinWorker(ctx context.Context, s *scope) (ctrl.Result, error) {
	markCertificatesAvailable(s.config) // agents need no cluster CA material of ours
	return r.join(ctx, s, k3sconfig.RoleAgent)
}

func (r *Reconciler) join(ctx context.Context, s *scope, role k3sconfig.Role) (ctrl.Result, error) {
	if !s.cluster.Spec.ControlPlaneEndpoint.IsValid() {
		// The Cluster watch reconciles this config when the endpoint is set.
		markWaitingForControlPlane(s.config, "Waiting for Cluster spec.controlPlaneEndpoint to be set")
		return ctrl.Result{}, nil
	}
	joinToken, err := token.Lookup(ctx, r.APIReader, clusterKey(s.cluster))
	if err != nil {
		msg := fmt.Sprintf("Failed to read the join token from Secret %s: %v", token.SecretName(s.cluster.Name), err)
		markDataSecretNotAvailable(s.config, "TokenNotAvailable", msg)
		if errors.Is(err, token.ErrNotFound) {
			// The Secret watch reconciles this config when the token appears.
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	return r.storeNodeData(ctx, s, role, joinToken, nil)
}
