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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// machineCaughtUpHandler lets the control plane reconcile at once, ahead of CAPI's per-object rate limit, when CAPI's
// Machine controller writes one of the things the control plane's Machine conditions wait for (machineBehindItsNode):
// a Machine's first status, its nodeRef, a new status of its NodeReady condition. The conditions then go right after
// that controller's write; in the next rate-limit slot, a second later, they met its own next reconcile (it
// reconciles again on its own writes) and made its locked patch conflict. Each of these happens once per Machine or
// per start of its Node, so this cannot become a storm. The Owns watch enqueues all other Machine events as before.
func (r *Reconciler) machineCaughtUpHandler() handler.EventHandler {
	return handler.Funcs{
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			oldMachine, okOld := e.ObjectOld.(*clusterv1.Machine)
			newMachine, okNew := e.ObjectNew.(*clusterv1.Machine)
			if !okOld || !okNew || !machineControllerCaughtUp(oldMachine, newMachine) {
				return
			}
			owner := metav1.GetControllerOf(newMachine)
			if owner == nil || owner.Kind != "KThreesControlPlane" {
				return
			}
			if gv, err := schema.ParseGroupVersion(owner.APIVersion); err != nil || gv.Group != controlplanev1.GroupVersion.Group {
				return
			}
			req := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: newMachine.Namespace, Name: owner.Name}}
			r.liftRateLimit(req)
			q.Add(req)
		},
	}
}

// machineControllerCaughtUp reports whether an update of a Machine wrote its first status, its nodeRef or a new
// status of its NodeReady condition.
func machineControllerCaughtUp(oldMachine, newMachine *clusterv1.Machine) bool {
	return (len(oldMachine.Status.Conditions) == 0 && len(newMachine.Status.Conditions) > 0) ||
		(!oldMachine.Status.NodeRef.IsDefined() && newMachine.Status.NodeRef.IsDefined()) ||
		machineNodeReadyStatus(oldMachine) != machineNodeReadyStatus(newMachine)
}

// machineNodeReadyStatus is the status of the Machine's NodeReady condition, "" when it has none.
func machineNodeReadyStatus(m *clusterv1.Machine) metav1.ConditionStatus {
	if c := conditions.Get(m, clusterv1.MachineNodeReadyCondition); c != nil {
		return c.Status
	}
	return ""
}
