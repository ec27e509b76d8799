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
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"
	capicontroller "sigs.k8s.io/cluster-api/util/controller"
	"sigs.k8s.io/cluster-api/util/patch"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/conditionspatch"
)

// ownedMachineConditions are the Machine conditions this controller sets; CAPI's Machine controller owns the rest.
var (
	ownedMachineConditions = []string{
		clusterv1.MachineUpToDateCondition,
		controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition,
		controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition,
		clusterv1.MachineOwnerRemediatedCondition,
	}
	ownedMachineV1Beta1Conditions = []clusterv1.ConditionType{
		controlplanev1.DeprecatedV1Beta1MachineAgentHealthyCondition,
		controlplanev1.DeprecatedV1Beta1MachineEtcdMemberHealthyCondition,
		clusterv1.MachineOwnerRemediatedV1Beta1Condition,
	}
)

// liveGetClient reads single objects from the API server and does everything else through the cached client.
// CAPI's patch helper reads the Machine again before it merges our conditions into it and patches with an optimistic
// lock; from the cache that copy is often older than the Machine controller's last status write, and the patch ends
// in a 409 and a retry. A live read costs one GET per Machine whose conditions changed, which is rare.
type liveGetClient struct {
	client.Client
	live client.Reader
}

func (c liveGetClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	return c.live.Get(ctx, key, obj, opts...)
}

// machineConditionsClient is the client of the Machines' patch helpers.
func (r *Reconciler) machineConditionsClient() client.Client {
	if r.APIReader == nil {
		return r.Client
	}
	return liveGetClient{Client: r.Client, live: r.APIReader}
}

// patchMachines writes the conditions that phases set on the control plane's Machines, with one patch per
// Machine whose conditions changed in status, reason or message. A change of observedGeneration alone (the Machine
// controller bumps the generation while provisioning) waits for the next real change: aggregations ignore it.
// Machines created by this reconcile are left to the next one, which adds their health conditions: their Machine
// controller is still adding its finalizer, so a patch now would mostly conflict; so are Machines that CAPI's
// Machine controller is about to write (machineBehindItsNode). wait is when to look again at a Machine held back
// that way, 0 when the Machine controller's write is awaited. Machines deleted meanwhile are skipped.
func (r *Reconciler) patchMachines(ctx context.Context, cp *controlPlane) (wait time.Duration, err error) {
	var errs []error
	for _, m := range cp.Machines {
		before, ok := cp.machinesBefore[m.Name]
		if !ok || cp.createdMachines[m.Name] {
			continue
		}
		if !ownedMachineConditionsChanged(before, m) {
			continue
		}
		if behind, retry := machineBehindItsNode(cp, before); behind {
			if retry > 0 && (wait == 0 || retry < wait) {
				wait = retry
			}
			continue
		}
		if err := r.patchMachineConditions(ctx, cp.KCP, before, m); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("failed to patch Machine %s: %w", m.Name, err))
		}
	}
	return wait, kerrors.NewAggregate(errs)
}

// machineCatchUpWindow is how long after its Node's readiness changed a Machine's conditions wait for CAPI's
// Machine controller to show the change on the Machine. That controller reacts to the same Node event within its
// own one-second rate limit; when it has not written by then it is not about to, and holding the conditions longer
// would hold back what follows from them (the Machine's Ready through its readiness gates, the control plane's
// status), as a fleet benchmark run showed with a 15 s window.
const machineCatchUpWindow = 2 * time.Second

// machineBehindItsNode reports whether CAPI's Machine controller has yet to write what the control plane already
// knows of the Machine m, as read: its first status (it had not reconciled the new Machine yet), the nodeRef of a
// Node found by provider ID, or a change of the Node's readiness not yet in the Machine's NodeReady condition. That
// controller is about to write the Machine; a condition write of ours landing while its reconcile runs makes its
// optimistically locked patch conflict, so the conditions follow on the reconcile its write causes (which
// machineCaughtUpHandler lets run at once). A readiness change is awaited for machineCatchUpWindow at most: retry
// is when that ends.
func machineBehindItsNode(cp *controlPlane, m *clusterv1.Machine) (behind bool, retry time.Duration) {
	if len(m.Status.Conditions) == 0 {
		return true, 0
	}
	name := cp.nodeNameOf(m)
	if name == "" {
		return false, 0
	}
	if !m.Status.NodeRef.IsDefined() {
		return true, 0
	}
	if cp.health == nil || cp.health.nodes[name] == nil {
		return false, 0
	}
	ready := nodeReadyCondition(cp.health.nodes[name])
	if ready == nil {
		return false, 0
	}
	if c := conditions.Get(m, clusterv1.MachineNodeReadyCondition); c != nil && string(c.Status) == string(ready.Status) {
		return false, 0
	}
	age := cp.reconcileTime.Sub(ready.LastTransitionTime.Time)
	if age < 0 || age >= machineCatchUpWindow {
		return false, 0
	}
	return true, machineCatchUpWindow - age
}

// patchMachineConditions writes the owned conditions of m, read as before, with a JSON patch of just those
// conditions (conditionspatch.Machine), which cannot conflict with CAPI's Machine controller. Where the API server
// refuses it because the condition lists changed shape since the read, the patch is built once more on a live read;
// when that is refused too, CAPI's patch helper writes the conditions under an optimistic lock on a live read.
func (r *Reconciler) patchMachineConditions(ctx context.Context, kcp *controlplanev1.KThreesControlPlane, before, m *clusterv1.Machine) error {
	refused, err := r.jsonPatchMachineConditions(ctx, kcp, before, m)
	if !refused || err != nil {
		return err
	}
	if r.APIReader != nil {
		live := &clusterv1.Machine{}
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(m), live); err != nil {
			return err
		}
		if refused, err = r.jsonPatchMachineConditions(ctx, kcp, live, m); !refused || err != nil {
			return err
		}
	}
	ctrl.LoggerFrom(ctx).V(4).Info("The Machine's condition lists keep changing; patching them under a lock", "Machine", machineRef(m))
	helper, err := patch.NewHelper(before, r.machineConditionsClient())
	if err != nil {
		return fmt.Errorf("failed to create a patch helper: %w", err)
	}
	return helper.Patch(ctx, m,
		patch.WithOwnedConditions{Conditions: ownedMachineConditions},
		patch.WithOwnedV1Beta1Conditions{Conditions: ownedMachineV1Beta1Conditions},
	)
}

// jsonPatchMachineConditions sends the JSON patch from base's owned conditions to m's; refused is true when the API
// server refused it as invalid (the lists changed shape since base was read).
func (r *Reconciler) jsonPatchMachineConditions(ctx context.Context, kcp *controlplanev1.KThreesControlPlane, base, m *clusterv1.Machine) (refused bool, err error) {
	data, err := conditionspatch.Machine(base, m, ownedMachineConditions, ownedMachineV1Beta1Conditions)
	if err != nil || data == nil {
		return false, err
	}
	written := m.DeepCopy()
	err = r.Client.Status().Patch(ctx, written, client.RawPatch(types.JSONPatchType, data))
	switch {
	case err == nil:
		// A stale cache must not make the next reconcile append a condition a second time.
		if r.controller != nil {
			r.controller.DeferNextReconcileUntilCacheUpToDate(kcp, capicontroller.StructuredObject(clusterv1.GroupVersion, "Machine"), written.ResourceVersion)
		}
		m.ResourceVersion = written.ResourceVersion
		return false, nil
	case apierrors.IsInvalid(err):
		return true, nil
	default:
		return false, err
	}
}

// ownedMachineConditionsChanged reports whether a condition this controller owns differs between before and after
// in anything but observedGeneration and lastTransitionTime.
func ownedMachineConditionsChanged(before, after *clusterv1.Machine) bool {
	for _, t := range ownedMachineConditions {
		b, a := conditions.Get(before, t), conditions.Get(after, t)
		if (b == nil) != (a == nil) || (b != nil && !conditions.HasSameStateExceptObservedGeneration(b, a)) {
			return true
		}
	}
	for _, t := range ownedMachineV1Beta1Conditions {
		b, a := v1beta1conditions.Get(before, t), v1beta1conditions.Get(after, t)
		if (b == nil) != (a == nil) {
			return true
		}
		if b != nil && (b.Status != a.Status || b.Reason != a.Reason || b.Severity != a.Severity || b.Message != a.Message) {
			return true
		}
	}
	return false
}
