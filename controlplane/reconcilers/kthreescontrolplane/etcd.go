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
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
)

// etcdMemberRemovedEvent is the reason of the event recorded when a member without Machine or Node is removed.
const etcdMemberRemovedEvent = "RemovedEtcdMember"

// reconcileEtcdMembers removes etcd members that belong to no Machine and whose Node no longer exists: members
// left behind when a server went away without its member being removed (e.g. its pre-terminate hook timed out).
// It works from what reconcileWorkloadHealth saw in this reconcile and acts only when the picture is complete and
// stable: etcd inspected and initialized, every Machine has a Node and none is being deleted. A member is removed
// only while the members healthy in this reconcile keep quorum, through a healthy member.
func (r *Reconciler) reconcileEtcdMembers(ctx context.Context, cp *controlPlane) error {
	log := ctrl.LoggerFrom(ctx)
	health := cp.health
	if !cp.EtcdInspected() || !cp.Initialized() || health == nil || health.connErr != nil || len(health.etcdMembers) == 0 || len(cp.Machines) == 0 {
		return nil
	}
	machineNodes := sets.New[string]()
	for _, m := range cp.Machines {
		// A Machine without a Node may be a new server whose member already exists; a deleting Machine's member is
		// being removed by its pre-terminate hook.
		if !m.DeletionTimestamp.IsZero() || !m.Status.NodeRef.IsDefined() {
			return nil
		}
		machineNodes.Insert(m.Status.NodeRef.Name)
	}

	ghosts := ghostEtcdMembers(health.etcdMembers, machineNodes, health.nodes)
	if len(ghosts) == 0 {
		return nil
	}

	healthyNodes := sets.List(health.etcdHealthyNodes)
	total := len(health.etcdMembers)
	var c etcd.Client
	defer func() {
		if c != nil {
			if err := c.Close(); err != nil {
				log.V(4).Info("Failed to close an etcd client", "reason", err.Error())
			}
		}
	}()
	for _, ghost := range ghosts {
		// The removal needs the agreement of a majority of the current members, and must leave at least one.
		if total-1 < 1 || len(healthyNodes) < total/2+1 {
			log.Info("Not removing an etcd member without Machine or Node: it would break quorum",
				"member", ghost.Name, "members", total, "healthyMembers", len(healthyNodes))
			return nil
		}
		if c == nil {
			generator, err := cp.EtcdClients(ctx)
			if err != nil {
				return fmt.Errorf("failed to reach etcd to remove member %s: %w", ghost.Name, err)
			}
			if c, err = generator.ForFirstAvailableNode(ctx, healthyNodes); err != nil {
				return fmt.Errorf("failed to connect to a healthy etcd member to remove member %s: %w", ghost.Name, err)
			}
		}
		if err := c.RemoveMember(ctx, ghost.ID); err != nil {
			return fmt.Errorf("failed to remove etcd member %s (ID %x) through the member on Node %s: %w", ghost.Name, ghost.ID, c.NodeName(), err)
		}
		total--
		log.Info("Removed an etcd member without Machine or Node", "member", ghost.Name, "memberID", fmt.Sprintf("%x", ghost.ID))
		if r.Recorder != nil {
			r.Recorder.Eventf(cp.KCP, corev1.EventTypeNormal, etcdMemberRemovedEvent,
				"Removed etcd member %s: its Node %s no longer exists and no Machine uses it", ghost.Name, ghost.NodeName)
		}
	}
	return nil
}

// ghostEtcdMembers returns, by name, the started members whose Node belongs to no Machine and no longer exists.
func ghostEtcdMembers(members []*etcd.Member, machineNodes sets.Set[string], nodes map[string]*corev1.Node) []*etcd.Member {
	var ghosts []*etcd.Member
	for _, member := range members {
		if member.NodeName == "" || machineNodes.Has(member.NodeName) {
			continue
		}
		if _, exists := nodes[member.NodeName]; exists {
			continue
		}
		ghosts = append(ghosts, member)
	}
	sort.Slice(ghosts, func(i, j int) bool { return ghosts[i].Name < ghosts[j].Name })
	return ghosts
}

// forwardEtcdLeadership moves etcd leadership from machine's member to candidate's when machine's member leads, so
// that removing machine does not cost an election. It does nothing when etcd is not inspected or machine has no
// Node (it cannot run a member then).
func (r *Reconciler) forwardEtcdLeadership(ctx context.Context, cp *controlPlane, machine, candidate *clusterv1.Machine) error {
	if !cp.EtcdInspected() || machine == nil || !machine.Status.NodeRef.IsDefined() {
		return nil
	}
	if candidate == nil || !candidate.Status.NodeRef.IsDefined() {
		return fmt.Errorf("cannot move etcd leadership away from Machine %s: the candidate Machine has no Node", machine.Name)
	}
	log := ctrl.LoggerFrom(ctx).WithValues("machine", machine.Name, "candidate", candidate.Name)

	var nodeNames []string
	for _, m := range cp.Machines.SortedByCreationTimestamp() {
		if m.Status.NodeRef.IsDefined() {
			nodeNames = append(nodeNames, m.Status.NodeRef.Name)
		}
	}
	generator, err := cp.EtcdClients(ctx)
	if err != nil {
		return fmt.Errorf("failed to reach etcd to move leadership away from Machine %s: %w", machine.Name, err)
	}
	c, err := generator.ForLeader(ctx, nodeNames)
	if err != nil {
		return fmt.Errorf("failed to connect to the etcd leader to move leadership away from Machine %s: %w", machine.Name, err)
	}
	defer func() {
		if err := c.Close(); err != nil {
			log.V(4).Info("Failed to close an etcd client", "reason", err.Error())
		}
	}()
	if c.NodeName() != machine.Status.NodeRef.Name {
		log.V(4).Info("etcd leadership is elsewhere, nothing to move", "leaderNode", c.NodeName())
		return nil
	}

	members, err := c.Members(ctx)
	if err != nil {
		return fmt.Errorf("failed to list the etcd members to move leadership away from Machine %s: %w", machine.Name, err)
	}
	target := etcd.FindMemberByNodeName(members, candidate.Status.NodeRef.Name)
	switch {
	case target == nil:
		return fmt.Errorf("cannot move etcd leadership to Machine %s: Node %s has no etcd member", candidate.Name, candidate.Status.NodeRef.Name)
	case target.IsLearner:
		return fmt.Errorf("cannot move etcd leadership to Machine %s: its etcd member is a learner", candidate.Name)
	}
	if err := c.MoveLeader(ctx, target.ID); err != nil {
		return fmt.Errorf("failed to move etcd leadership from Machine %s to Machine %s: %w", machine.Name, candidate.Name, err)
	}
	log.Info("Moved etcd leadership", "from", machine.Status.NodeRef.Name, "to", candidate.Status.NodeRef.Name)
	return nil
}
