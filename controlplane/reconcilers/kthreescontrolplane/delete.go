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
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/klog/v2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/feature"
	"sigs.k8s.io/cluster-api/util/collections"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"
	clog "sigs.k8s.io/cluster-api/util/log"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// Deletion waits until the Cluster's MachinePools are gone (listed from the cache), as KCP does.
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=machinepools,verbs=get;list;watch

// deleteListLimit is how many names a Deleting condition message lists.
const deleteListLimit = 5

// reconcileDelete deletes the control plane's Machines once the workers are gone, then releases the finalizer.
// The etcd pre-terminate hooks are left in place: the hook controller skips the member removal while the control
// plane is deleting, so every Machine is drained and deleted as usual.
func (r *Reconciler) reconcileDelete(ctx context.Context, cp *controlPlane) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	kcp := cp.KCP

	allMachines, err := collections.GetFilteredMachinesForCluster(ctx, r.Client, cp.Cluster)
	if err != nil {
		markDeleting(kcp, conditionInternalErrorReason, "Please check controller logs for errors")
		return ctrl.Result{}, fmt.Errorf("failed to list the Machines of the cluster: %w", err)
	}
	owned := allMachines.Filter(collections.OwnedMachines(kcp, controlplanev1.GroupVersion.WithKind("KThreesControlPlane").GroupKind()))

	if len(owned) == 0 {
		markDeleting(kcp, controlplanev1.KThreesControlPlaneDeletingDeletionCompletedReason, "Deletion completed")
		// The deferred patch writes the removal; the finalizer string is upstream's, so their control planes go too.
		controllerutil.RemoveFinalizer(kcp, controlplanev1.KThreesControlPlaneFinalizer)
		if r.EtcdConnector != nil {
			r.EtcdConnector.Forget(client.ObjectKeyFromObject(cp.Cluster))
		}
		log.Info("Control plane Machines are gone, removing the finalizer")
		return ctrl.Result{}, nil
	}

	var pools []clusterv1.MachinePool
	if feature.Gates.Enabled(feature.MachinePool) {
		list := &clusterv1.MachinePoolList{}
		if err := r.Client.List(ctx, list, client.InNamespace(cp.Cluster.Namespace),
			client.MatchingLabels{clusterv1.ClusterNameLabel: cp.Cluster.Name}); err != nil {
			markDeleting(kcp, conditionInternalErrorReason, "Please check controller logs for errors")
			return ctrl.Result{}, fmt.Errorf("failed to list the MachinePools of the cluster: %w", err)
		}
		pools = list.Items
	}

	// Workers go first so their drains can still reach the API server. Control-plane Machines this control plane
	// does not own are waited for too: nothing else would delete them and their K3s servers would lose quorum.
	others := allMachines.Difference(owned)
	if len(others) > 0 || len(pools) > 0 {
		message := blockingObjectsMessage(others, pools)
		markDeleting(kcp, controlplanev1.KThreesControlPlaneDeletingWaitingForWorkersDeletionReason, message)
		v1beta1conditions.MarkFalse(kcp, controlplanev1.DeprecatedV1Beta1ResizedCondition, controlplanev1.DeprecatedV1Beta1DeletingReason,
			clusterv1.ConditionSeverityInfo, "Waiting for worker nodes to be deleted first")
		log.Info("Waiting for worker Machines and MachinePools to be deleted first", "machines", len(others), "machinePools", len(pools))
		// Worker deletions are not watched.
		return ctrl.Result{RequeueAfter: deleteRequeueAfter}, nil
	}

	var errs []error
	for _, m := range owned.Filter(collections.Not(collections.HasDeletionTimestamp)) {
		if err := r.Client.Delete(ctx, m); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("failed to delete Machine %s: %w", m.Name, err))
			continue
		}
		log.Info("Deleting Machine (control plane is being deleted)", "Machine", klog.KObj(m))
	}
	v1beta1conditions.MarkFalse(kcp, controlplanev1.DeprecatedV1Beta1ResizedCondition, controlplanev1.DeprecatedV1Beta1DeletingReason,
		clusterv1.ConditionSeverityInfo, "")
	if len(errs) > 0 {
		err := kerrors.NewAggregate(errs)
		if r.Recorder != nil {
			r.Recorder.Eventf(kcp, corev1.EventTypeWarning, "FailedDelete",
				"Failed to delete control plane Machines of cluster %s: %v", klog.KObj(cp.Cluster), err)
		}
		markDeleting(kcp, conditionInternalErrorReason, "Please check controller logs for errors")
		return ctrl.Result{}, err
	}

	names := owned.Names()
	slices.Sort(names)
	markDeleting(kcp, controlplanev1.KThreesControlPlaneDeletingWaitingForMachineDeletionReason,
		fmt.Sprintf("Deleting %d %s: %s", len(names), conditionsPlural(len(names), "Machine", "Machines"),
			clog.ListToString(names, func(s string) string { return s }, deleteListLimit)))
	// Machine deletions trigger reconciles through the Owns watch; the requeue paces a stuck deletion.
	return ctrl.Result{RequeueAfter: deleteRequeueAfter}, nil
}

// blockingObjectsMessage lists, for people, the Machines and MachinePools the deletion waits for.
func blockingObjectsMessage(machines collections.Machines, pools []clusterv1.MachinePool) string {
	var workers, controlPlane, poolNames []string
	for _, m := range machines {
		if _, ok := m.Labels[clusterv1.MachineControlPlaneLabel]; ok {
			controlPlane = append(controlPlane, m.Name)
		} else {
			workers = append(workers, m.Name)
		}
	}
	for _, p := range pools {
		poolNames = append(poolNames, p.Name)
	}
	lines := []string{"KThreesControlPlane deletion is waiting for these objects to be deleted:"}
	add := func(names []string, singular, plural string) {
		if len(names) == 0 {
			return
		}
		slices.Sort(names)
		lines = append(lines, fmt.Sprintf("* %d %s: %s", len(names), conditionsPlural(len(names), singular, plural),
			clog.ListToString(names, func(s string) string { return s }, deleteListLimit)))
	}
	add(poolNames, "MachinePool", "MachinePools")
	add(workers, "worker Machine", "worker Machines")
	add(controlPlane, "control plane Machine not owned by this control plane", "control plane Machines not owned by this control plane")
	return strings.Join(lines, "\n")
}

// markDeleting reports the progress of the deletion in the Deleting condition.
func markDeleting(kcp *controlplanev1.KThreesControlPlane, reason, message string) {
	conditions.Set(kcp, metav1.Condition{
		Type:    controlplanev1.KThreesControlPlaneDeletingCondition,
		Status:  metav1.ConditionTrue,
		Reason:  reason,
		Message: message,
	})
}
