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

	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	ctrl "sigs.k8s.io/controller-runtime"
)

// reconcileNormal decides which phase the config is in. Bootstrap data is generated once: a config whose secret
// exists is left alone, as CAPI expects of bootstrap providers.
func (r *Reconciler) reconcileNormal(ctx context.Context, s *scope) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	switch {
	case !ptr.Deref(s.cluster.Status.Initialization.InfrastructureProvisioned, false):
		// The Cluster watch reconciles this config when the infrastructure is provisioned.
		log.V(4).Info("Waiting for the cluster infrastructure to be provisioned")
		markWaitingForInfrastructure(s.config)
		return ctrl.Result{}, nil

	case s.owner.DataSecretName() != nil && (!ptr.Deref(s.config.Status.Initialization.DataSecretCreated, false) || s.config.Status.DataSecretName == ""):
		// The owner already has bootstrap data, e.g. after clusterctl move or a restore: adopt its name.
		markDataSecretCreated(s.config, *s.owner.DataSecretName())
		return ctrl.Result{}, nil

	case ptr.Deref(s.config.Status.Initialization.DataSecretCreated, false):
		markDataSecretCreated(s.config, s.config.Status.DataSecretName)
		return ctrl.Result{}, nil
	}

	if s.config.Spec.Version == "" {
		// Persisted by the patch, as upstream does, so the install line and readers see the version used.
		s.config.Spec.Version = s.owner.KubernetesVersion()
	}

	if !controlPlaneInitialized(s.cluster) {
		return r.handleClusterNotInitialized(ctx, s)
	}

	// The control plane is up: the init lock is no longer needed (upstream releases it on every join).
	if !r.InitLock.Unlock(ctx, s.cluster) {
		return ctrl.Result{}, fmt.Errorf("failed to release the init lock of Cluster %s", s.cluster.Name)
	}
	if s.owner.IsControlPlaneMachine() {
		return r.joinControlPlane(ctx, s)
	}
	return r.joinWorker(ctx, s)
}

// controlPlaneInitialized reads the CAPI v1beta2 contract field or the condition CAPI sets with it.
func controlPlaneInitialized(cluster *clusterv1.Cluster) bool {
	return ptr.Deref(cluster.Status.Initialization.ControlPlaneInitialized, false) ||
		conditions.IsTrue(cluster, clusterv1.ClusterControlPlaneInitializedCondition)
}
