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

	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
)

// reconcile runs the phases of a control plane that is not being deleted, in order. A phase that has to wait
// returns; the watch on what it waits for triggers the next reconcile.
func (r *Reconciler) reconcile(ctx context.Context, cp *controlPlane) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)

	if !ptr.Deref(cp.Cluster.Status.Initialization.InfrastructureProvisioned, false) {
		log.V(4).Info("Waiting for the cluster infrastructure to be provisioned")
		cp.waitingForCluster = true
		return ctrl.Result{}, nil
	}
	if err := r.reconcileInfrastructureTemplateOwnership(ctx, cp); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.reconcileCertificates(ctx, cp); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.reconcileToken(ctx, cp); err != nil {
		return ctrl.Result{}, err
	}
	if !cp.Cluster.Spec.ControlPlaneEndpoint.IsValid() {
		log.V(4).Info("Waiting for the Cluster's control-plane endpoint")
		cp.waitingForCluster = true
		return ctrl.Result{}, nil
	}
	if err := r.reconcileKubeconfig(ctx, cp); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.watchWorkloadNodes(ctx, cp); err != nil {
		return ctrl.Result{}, err
	}

	if adopted, err := r.adoptMachines(ctx, cp); err != nil || adopted {
		// Adoption changes which Machines are owned; the next reconcile starts from the new state.
		return ctrl.Result{}, err
	}
	if cp.hasMachinesOfOtherOwners() {
		log.Info("Refusing to operate: the cluster has control-plane Machines this control plane does not own and cannot adopt", "machines", cp.foreignMachines.Names())
		return ctrl.Result{}, nil
	}

	if err := r.syncMachines(ctx, cp); err != nil {
		return ctrl.Result{}, err
	}
	r.reconcileWorkloadHealth(ctx, cp)
	if err := r.reconcileEtcdMembers(ctx, cp); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.reconcileCertificatesExpiry(ctx, cp); err != nil {
		return ctrl.Result{}, err
	}

	if stop, err := r.reconcileUnhealthyMachines(ctx, cp); err != nil || stop {
		// A remediation acted or has to wait; scaling waits for it.
		return cp.withRequeue(ctrl.Result{}), err
	}
	res, err := r.reconcileReplicas(ctx, cp)
	return cp.withRequeue(res), err
}
