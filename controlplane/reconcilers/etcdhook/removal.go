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

package etcdhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
	"github.com/k3s-io/cluster-api-k3s/pkg/workload"
)

// removeEtcdMember asks K3s to remove the Machine's etcd member and drops the hook once K3s reports it removed (or
// the Node is gone). Past the deadline it removes the member through the etcd API of another member if it can,
// and drops the hook in any case, so that a broken Node or an unreachable cluster never blocks the deletion.
func (r *Reconciler) removeEtcdMember(ctx context.Context, m *clusterv1.Machine, t *removalTarget, waitStart time.Time) (ctrl.Result, error) {
	nodeName := m.Status.NodeRef.Name
	log := ctrl.LoggerFrom(ctx).WithValues("machine", m.Name, "node", nodeName)
	ctx = ctrl.LoggerInto(ctx, log)
	clusterKey := client.ObjectKeyFromObject(t.cluster)
	deadline := waitStart.Add(r.removalTimeout())
	now := r.clock()

	w, err := r.openWorkload(ctx, clusterKey)
	if err == nil {
		r.watchNodes(ctx, clusterKey)
		var removed bool
		removed, err = w.EtcdMemberRemoved(ctx, nodeName)
		if err == nil && removed {
			log.Info("K3s removed the etcd member")
			r.event(m, corev1.EventTypeNormal, eventEtcdMemberRemoved, "K3s removed the etcd member of Node %s", nodeName)
			return r.dropHook(ctx, m)
		}
		if err == nil && now.Before(deadline) {
			if err = r.requestRemoval(ctx, w, m, t); err == nil {
				return ctrl.Result{RequeueAfter: min(removalPollInterval, deadline.Sub(now))}, nil
			}
		}
	}
	if err != nil && !workload.IsRemoteConnectionError(err) {
		return ctrl.Result{}, err
	}
	if now.Before(deadline) {
		log.V(2).Info("Workload cluster unreachable, waiting to remove the etcd member", "reason", err.Error(), "deadline", deadline)
		return ctrl.Result{RequeueAfter: min(unreachablePollInterval, deadline.Sub(now))}, nil
	}

	why := fmt.Sprintf("K3s did not remove it within %s", r.removalTimeout())
	if err != nil {
		why = fmt.Sprintf("the workload cluster was unreachable for %s (%v)", r.removalTimeout(), err)
	}
	if !etcdProxyEnabled(t.kcp) {
		why += "; the etcd API is not used because serverConfig.disableComponents contains etcd-proxy"
	} else {
		through, removeErr := r.removeThroughEtcdAPI(ctx, clusterKey, nodeName, t)
		if removeErr == nil {
			log.Info("Removed the etcd member through the etcd API", "reason", why, "through", through)
			r.event(m, corev1.EventTypeNormal, eventEtcdMemberRemoved,
				"Removed the etcd member of Node %s through the etcd member on Node %s, because %s", nodeName, through, why)
			return r.dropHook(ctx, m)
		}
		why += "; removing it through the etcd API failed: " + removeErr.Error()
	}
	log.Info("Dropping the etcd pre-terminate hook without removing the etcd member", "reason", why)
	r.event(m, corev1.EventTypeWarning, eventEtcdMemberNotRemoved,
		"Dropped the etcd pre-terminate hook without removing the etcd member of Node %s: %s. The KThreesControlPlane's "+
			"EtcdClusterHealthy condition reports the member left behind until it is removed", nodeName, why)
	return r.dropHook(ctx, m)
}

// requestRemoval moves etcd leadership away from the member (best effort, when the etcd proxy is usable) and asks
// K3s to remove it, once per Machine.
func (r *Reconciler) requestRemoval(ctx context.Context, w workload.Cluster, m *clusterv1.Machine, t *removalTarget) error {
	if _, done := r.requested.Load(m.UID); done {
		return nil
	}
	log := ctrl.LoggerFrom(ctx)
	nodeName := m.Status.NodeRef.Name
	if etcdProxyEnabled(t.kcp) {
		// Removing the leader also works, at the cost of an election; so a failure here does not stop the removal.
		if err := r.moveLeadershipAway(ctx, client.ObjectKeyFromObject(t.cluster), nodeName, t); err != nil {
			log.Info("Could not move etcd leadership away before removing the member; etcd elects a new leader", "reason", err.Error())
		}
	}
	if err := w.RequestEtcdMemberRemoval(ctx, nodeName); err != nil {
		return fmt.Errorf("failed to ask K3s to remove the etcd member of Node %s: %w", nodeName, err)
	}
	r.requested.Store(m.UID, struct{}{})
	log.Info("Asked K3s to remove the etcd member")
	return nil
}

// moveLeadershipAway moves etcd leadership from the member on the Node to another Machine's member, if it leads.
func (r *Reconciler) moveLeadershipAway(ctx context.Context, cluster client.ObjectKey, nodeName string, t *removalTarget) error {
	others := t.otherNodeNames()
	if len(others) == 0 {
		return errors.New("no other Machine has a Node")
	}
	generator, err := r.openEtcd(ctx, cluster)
	if err != nil {
		return err
	}
	c, err := generator.ForLeader(ctx, append([]string{nodeName}, others...))
	if err != nil {
		return err
	}
	defer closeClient(ctx, c)
	if c.NodeName() != nodeName {
		return nil
	}
	members, err := c.Members(ctx)
	if err != nil {
		return err
	}
	for _, other := range others {
		candidate := etcd.FindMemberByNodeName(members, other)
		if candidate == nil || candidate.IsLearner || len(candidate.Alarms) > 0 {
			continue
		}
		if err := c.MoveLeader(ctx, candidate.ID); err != nil {
			return fmt.Errorf("failed to move etcd leadership to the member on Node %s: %w", other, err)
		}
		ctrl.LoggerFrom(ctx).Info("Moved etcd leadership", "to", other)
		return nil
	}
	return fmt.Errorf("no member on Nodes %v can take over etcd leadership", others)
}

// removeThroughEtcdAPI removes the member on the Node through the first other member that answers, and returns
// that member's Node. A member already gone is not an error.
func (r *Reconciler) removeThroughEtcdAPI(ctx context.Context, cluster client.ObjectKey, nodeName string, t *removalTarget) (string, error) {
	others := t.otherNodeNames()
	if len(others) == 0 {
		return "", errors.New("no other Machine has a Node")
	}
	generator, err := r.openEtcd(ctx, cluster)
	if err != nil {
		return "", err
	}
	c, err := generator.ForFirstAvailableNode(ctx, others)
	if err != nil {
		return "", err
	}
	defer closeClient(ctx, c)
	members, err := c.Members(ctx)
	if err != nil {
		return "", err
	}
	member := etcd.FindMemberByNodeName(members, nodeName)
	if member == nil {
		return c.NodeName(), nil
	}
	if err := c.RemoveMember(ctx, member.ID); err != nil {
		return "", err
	}
	return c.NodeName(), nil
}

// closeClient closes an etcd client, logging failures.
func closeClient(ctx context.Context, c etcd.Client) {
	if err := c.Close(); err != nil {
		ctrl.LoggerFrom(ctx).V(4).Info("Failed to close an etcd client", "reason", err.Error())
	}
}

// dropHook removes the hook from the Machine with a merge patch touching only that annotation, so CAPI goes on
// with the deletion.
func (r *Reconciler) dropHook(ctx context.Context, m *clusterv1.Machine) (ctrl.Result, error) {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{controlplanev1.EtcdRemovalHookAnnotation: nil}}})
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("failed to build the patch dropping the etcd pre-terminate hook: %w", err)
	}
	if err := r.Client.Patch(ctx, m, client.RawPatch(types.MergePatchType, patch)); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("failed to drop the etcd pre-terminate hook of Machine %s: %w", m.Name, err)
	}
	r.requested.Delete(m.UID)
	ctrl.LoggerFrom(ctx).Info("Dropped the etcd pre-terminate hook", "machine", m.Name)
	return ctrl.Result{}, nil
}

// event records an event on the Machine when there is a recorder.
func (r *Reconciler) event(m *clusterv1.Machine, eventType, reason, messageFormat string, args ...any) {
	if r.Recorder != nil {
		r.Recorder.Eventf(m, eventType, reason, messageFormat, args...)
	}
}
