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

	kerrors "k8s.io/apimachinery/pkg/util/errors"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"
	"sigs.k8s.io/cluster-api/util/patch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
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
// controller is still adding its finalizer, so a patch now would mostly conflict; so are Machines whose Node was
// found before their nodeRef. Machines deleted meanwhile are skipped.
func (r *Reconciler) patchMachines(ctx context.Context, cp *controlPlane) error {
	var errs []error
	for _, m := range cp.Machines {
		helper, ok := cp.machinePatchHelpers[m.Name]
		if !ok || cp.createdMachines[m.Name] {
			continue
		}
		if !m.Status.NodeRef.IsDefined() && cp.nodeNameOf(m) != "" {
			// The control plane found the Machine's Node before CAPI's Machine controller set the nodeRef, which
			// it is about to write: the conditions follow on the reconcile that write causes rather than race it.
			continue
		}
		if before, ok := cp.machinesBefore[m.Name]; ok && !ownedMachineConditionsChanged(before, m) {
			continue
		}
		err := helper.Patch(ctx, m,
			patch.WithOwnedConditions{Conditions: ownedMachineConditions},
			patch.WithOwnedV1Beta1Conditions{Conditions: ownedMachineV1Beta1Conditions},
		)
		if err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("failed to patch Machine %s: %w", m.Name, err))
		}
	}
	return kerrors.NewAggregate(errs)
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
