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
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/k3s-io/cluster-api-k3s/pkg/certs"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
	"github.com/k3s-io/cluster-api-k3s/pkg/token"
)

// handleClusterNotInitialized generates the init server config for the first control-plane Machine that takes the
// init lock. Workers and the other control-plane Machines wait for ControlPlaneInitialized.
func (r *Reconciler) handleClusterNotInitialized(ctx context.Context, s *scope) (_ ctrl.Result, reterr error) {
	log := ctrl.LoggerFrom(ctx)
	if !s.owner.IsControlPlaneMachine() {
		// The Cluster watch reconciles this config when the control plane is initialized.
		log.V(4).Info("Waiting for the control plane to be initialized before joining a worker")
		markWaitingForControlPlane(s.config, "Waiting for Cluster status.initialization.controlPlaneInitialized before joining the worker")
		return ctrl.Result{}, nil
	}

	if !r.acquireInitLock(ctx, s) {
		// The lock holder initialises the cluster; the Cluster watch reconciles this config when it is done, and
		// the Machine watch when the holder goes away (its stale lock is then released).
		log.Info("Waiting for another control-plane Machine to initialize the cluster")
		markWaitingForControlPlane(s.config, "Waiting for the first control-plane Machine to initialize the cluster")
		return ctrl.Result{}, nil
	}
	defer func() {
		if reterr != nil && !r.InitLock.Unlock(ctx, s.cluster) {
			reterr = fmt.Errorf("%w (and failed to release the init lock)", reterr)
		}
	}()

	certificates := certs.NewClusterCertificates(r.CertificateKeyAlgorithm)
	if err := certificates.LookupOrGenerate(ctx, r.Client, clusterKey(s.cluster), *metav1.NewControllerRef(s.config, s.config.GroupVersionKind())); err != nil {
		markCertificatesNotAvailable(s.config, err)
		return ctrl.Result{}, fmt.Errorf("failed to look up or generate the cluster certificates: %w", err)
	}
	if err := certificates.EnsureAllExist(); err != nil {
		markCertificatesNotAvailable(s.config, err)
		return ctrl.Result{}, fmt.Errorf("cluster certificates are incomplete: %w", err)
	}
	markCertificatesAvailable(s.config)

	// Created here when no control plane provider did, so a KThreesConfig works on its own; never regenerated.
	joinToken, err := token.Ensure(ctx, r.Client, clusterKey(s.cluster), clusterOwnerRef(s.cluster))
	if err != nil {
		markDataSecretNotAvailable(s.config, "TokenNotAvailable", fmt.Sprintf("Failed to get or create Secret %s: %v", token.SecretName(s.cluster.Name), err))
		return ctrl.Result{}, err
	}
	return r.storeNodeData(ctx, s, k3sconfig.RoleInitServer, joinToken, certs.Files(certificates))
}

// acquireInitLock takes the init lock for the owner Machine. The lock releases a stale lock (held by a Machine that
// no longer exists) but reports it as not acquired, and nothing would trigger another reconcile, so a second attempt
// follows at once.
func (r *Reconciler) acquireInitLock(ctx context.Context, s *scope) bool {
	if r.InitLock.Lock(ctx, s.cluster, s.owner.machine) {
		return true
	}
	return r.InitLock.Lock(ctx, s.cluster, s.owner.machine)
}
