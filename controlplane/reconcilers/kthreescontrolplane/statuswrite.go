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
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"
	capicontroller "sigs.k8s.io/cluster-api/util/controller"
	ctrl "sigs.k8s.io/controller-runtime"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/objpatch"
)

// aggregateStatusDelay is how long a change of the control plane's status that only follows the Machines through
// their provisioning (see aggregateOnlyChange) may wait to be written. A provisioning Machine changes its Ready
// condition every second or so; the control plane writes the latest state at most this late, or at once together
// with any other change. It is CAPI's ClusterCache connection retry: a new cluster's next real change (initialized,
// healthy) usually comes when its first failed workload connection is retried, and the progress goes with it.
const aggregateStatusDelay = 30 * time.Second

// aggregateWrites tracks, by control plane, since when a change of its Machine aggregates waits to be written. An
// entry goes with the next write, at the latest the one that removes the finalizer, or when the control plane is
// found paused or gone.
type aggregateWrites struct {
	mu      sync.Mutex
	pending map[types.NamespacedName]time.Time
}

// deferAggregateOnly decides whether the final patch of the control plane waits: it does when everything that
// changed since before is an aggregate of the Machines' readiness, or is the first status of a control plane
// waiting for its Cluster (waitingForCluster; the infrastructure usually follows within a second, and the status
// then goes in one write with what that brings), and the first such change is younger than aggregateStatusDelay.
// It then returns how long to wait; the reconcile requeues for that long, so the change is written even when
// nothing else happens.
func (r *Reconciler) deferAggregateOnly(before, after *controlplanev1.KThreesControlPlane, waitingForCluster bool, now time.Time) (time.Duration, bool) {
	w := r.aggregateWriteState()
	w.mu.Lock()
	defer w.mu.Unlock()
	key := types.NamespacedName{Namespace: after.Namespace, Name: after.Name}
	if !aggregateOnlyChange(before, after) && !firstStatusWhileWaiting(before, after, waitingForCluster) {
		delete(w.pending, key)
		return 0, false
	}
	since, ok := w.pending[key]
	if !ok {
		since = now
		w.pending[key] = now
	}
	if wait := aggregateStatusDelay - now.Sub(since); wait > 0 {
		return wait, true
	}
	delete(w.pending, key)
	return 0, false
}

// forgetDeferredWrite drops the deferred write of the control plane key, which is paused or gone: the write will
// not happen, and a later one starts a wait of its own.
func (r *Reconciler) forgetDeferredWrite(key types.NamespacedName) {
	w := r.aggregateWriteState()
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.pending, key)
}

// aggregateWritesInitMu guards the lazy creation of Reconciler.aggregateWrites; reconciles run concurrently.
var aggregateWritesInitMu sync.Mutex

func (r *Reconciler) aggregateWriteState() *aggregateWrites {
	aggregateWritesInitMu.Lock()
	defer aggregateWritesInitMu.Unlock()
	if r.aggregateWrites == nil {
		r.aggregateWrites = &aggregateWrites{pending: map[types.NamespacedName]time.Time{}}
	}
	return r.aggregateWrites
}

// aggregateOnlyChange reports whether after differs from before, and only in the conditions that aggregate the
// Machines' Ready conditions: MachinesReady and, of the v1beta1 conditions, MachinesReady and the Ready summary.
// MachinesReady and the v1beta1 Ready summary turning True or stopping being True are written at once (a Machine
// becoming ready or unready also changes the replica counters).
func aggregateOnlyChange(before, after *controlplanev1.KThreesControlPlane) bool {
	if equality.Semantic.DeepEqual(before, after) {
		return false
	}
	if readinessChanged(conditionStatus(before, controlplanev1.KThreesControlPlaneMachinesReadyCondition), conditionStatus(after, controlplanev1.KThreesControlPlaneMachinesReadyCondition)) ||
		readinessChanged(v1beta1ConditionStatus(before, controlplanev1.DeprecatedV1Beta1ReadyCondition), v1beta1ConditionStatus(after, controlplanev1.DeprecatedV1Beta1ReadyCondition)) {
		return false
	}
	v1beta1Aggregates := []clusterv1.ConditionType{controlplanev1.DeprecatedV1Beta1MachinesReadyCondition, controlplanev1.DeprecatedV1Beta1ReadyCondition}
	b, a := before.DeepCopy(), after.DeepCopy()
	// The final patch sets the observed generation: a new generation is a change of its own.
	a.Status.ObservedGeneration = a.Generation
	for _, obj := range []*controlplanev1.KThreesControlPlane{b, a} {
		conditions.Delete(obj, controlplanev1.KThreesControlPlaneMachinesReadyCondition)
		for _, t := range v1beta1Aggregates {
			v1beta1conditions.Delete(obj, t)
		}
	}
	return equality.Semantic.DeepEqual(b, a)
}

// firstStatusWhileWaiting reports whether after is the first status of a control plane that waits for its Cluster:
// nothing was written yet and the reconcile stopped before anything was created.
func firstStatusWhileWaiting(before, after *controlplanev1.KThreesControlPlane, waitingForCluster bool) bool {
	return waitingForCluster && after.DeletionTimestamp.IsZero() && before.Status.ObservedGeneration == 0 &&
		len(before.Status.Conditions) == 0 && !equality.Semantic.DeepEqual(before.Status, after.Status)
}

// readinessChanged reports whether a condition's status changed to or from True.
func readinessChanged(before, after string) bool {
	return before != after && (before == string(metav1.ConditionTrue) || after == string(metav1.ConditionTrue))
}

// conditionStatus and v1beta1ConditionStatus are the status of a condition, "" when it is missing.
func conditionStatus(obj conditions.Getter, t string) string {
	if c := conditions.Get(obj, t); c != nil {
		return string(c.Status)
	}
	return ""
}

func v1beta1ConditionStatus(obj v1beta1conditions.Getter, t clusterv1.ConditionType) string {
	if c := v1beta1conditions.Get(obj, t); c != nil {
		return string(c.Status)
	}
	return ""
}

// patchControlPlane writes the control plane at the end of a reconcile, unless only its Machine aggregates
// changed recently (see deferAggregateOnly): then it returns how long the write waits. After a write, the next
// reconcile waits until the cache shows it, so that it does not compute the status again from an older one.
func (r *Reconciler) patchControlPlane(ctx context.Context, helper *objpatch.Helper, before *controlplanev1.KThreesControlPlane, cp *controlPlane) (time.Duration, error) {
	kcp := cp.KCP
	if wait, ok := r.deferAggregateOnly(before, kcp, cp.waitingForCluster, r.clock()); ok {
		ctrl.LoggerFrom(ctx).V(4).Info("Deferring a status change that only follows the Machines' provisioning", "requeueAfter", wait)
		return wait, nil
	}
	if err := patchKThreesControlPlane(ctx, helper, kcp); err != nil {
		return 0, err
	}
	r.waitForCache(helper, kcp)
	return 0, nil
}

// patchPausedCondition writes the Paused condition set at the start of a reconcile that cannot go on, so that an
// unpaused control plane does not keep Paused=True while the reconcile fails before its final patch.
func (r *Reconciler) patchPausedCondition(ctx context.Context, helper *objpatch.Helper, kcp *controlplanev1.KThreesControlPlane) error {
	if err := helper.Patch(ctx, kcp); err != nil {
		return fmt.Errorf("failed to patch the Paused condition of KThreesControlPlane: %w", err)
	}
	r.waitForCache(helper, kcp)
	return nil
}

// waitForCache makes the next reconcile of kcp wait until the cache shows what helper wrote, if anything, so that
// it does not compute the status again from an older copy (whose locked patch would conflict).
func (r *Reconciler) waitForCache(helper *objpatch.Helper, kcp *controlplanev1.KThreesControlPlane) {
	if rv := helper.WrittenResourceVersion(); rv != "" && r.controller != nil {
		r.controller.DeferNextReconcileUntilCacheUpToDate(kcp, capicontroller.StructuredObject(controlplanev1.GroupVersion, "KThreesControlPlane"), rv)
	}
}
