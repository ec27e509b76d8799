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

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/cluster-api/util/collections"
	ctrl "sigs.k8s.io/controller-runtime"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// maxSurgeZeroSingleMachineMessage explains why a maxSurge 0 rollout of a single control-plane Machine waits.
const maxSurgeZeroSingleMachineMessage = "maxSurge 0 cannot replace the only control-plane Machine without losing etcd; " +
	"set rollout.strategy.rollingUpdate.maxSurge to 1"

// rolloutControlPlane replaces outdated Machines one step per reconcile. With maxSurge 1 a new Machine joins
// before an outdated one is removed (N → N+1 → N); with maxSurge 0, for hosts without spare capacity, an outdated
// Machine is removed first and then replaced (N → N-1 → N), which needs the remaining Machines to keep etcd
// quorum: a single Machine is never replaced that way.
func (r *Reconciler) rolloutControlPlane(ctx context.Context, cp *controlPlane, outdated collections.Machines) (ctrl.Result, error) {
	maxSurge := rolloutMaxSurge(cp.KCP)
	current, desired := int32(cp.Machines.Len()), cp.DesiredReplicas()
	if current < desired+maxSurge {
		return r.scaleUp(ctx, cp)
	}

	if maxSurge == 0 && cp.DeletingMachines().Len() == 0 &&
		cp.Machines.Filter(collections.Not(collections.HasDeletionTimestamp)).Len() <= 1 {
		// Waits for the user to change maxSurge or replicas; both reconcile the control plane.
		cp.preflightMessages = append(cp.preflightMessages, maxSurgeZeroSingleMachineMessage)
		r.Recorder.Event(cp.KCP, corev1.EventTypeWarning, "RolloutBlocked", maxSurgeZeroSingleMachineMessage)
		ctrl.LoggerFrom(ctx).Info("Rollout blocked: " + maxSurgeZeroSingleMachineMessage)
		return ctrl.Result{}, nil
	}
	return r.scaleDown(ctx, cp, outdated)
}

// rolloutMaxSurge is spec.rollout.strategy.rollingUpdate.maxSurge: 0 or 1, 1 when unset. The webhook admits only
// the integers 0 and 1; anything else is treated as the default.
func rolloutMaxSurge(kcp *controlplanev1.KThreesControlPlane) int32 {
	s := kcp.Spec.Rollout.Strategy.RollingUpdate.MaxSurge
	if s != nil && s.Type == intstr.Int && s.IntVal == 0 {
		return 0
	}
	return 1
}
