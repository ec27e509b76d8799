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
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/collections"
	"sigs.k8s.io/cluster-api/util/conditions"
	ctrl "sigs.k8s.io/controller-runtime"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// preflightChecks tells whether the control plane is stable enough to add or remove a Machine: no Machine is being
// deleted, the workload cluster was reachable, and every Machine but the excluded ones (the one about to be
// removed) has a healthy K3s server and etcd member. Together with "one Machine per reconcile" this makes scaling
// and rollouts wait for the previous step to settle.
//
// When it fails, the reasons are appended to cp.preflightMessages and res is what the caller returns: a requeue
// only when it waits on etcd health, which no watch reports; Machine deletions and Node changes trigger reconciles.
func (r *Reconciler) preflightChecks(ctx context.Context, cp *controlPlane, excluded ...*clusterv1.Machine) (ok bool, res ctrl.Result) {
	if cp.Machines.Len() == 0 {
		return true, ctrl.Result{}
	}

	if deleting := cp.DeletingMachines(); deleting.Len() > 0 {
		r.preflightFailed(ctx, cp, []string{fmt.Sprintf("Waiting for the deletion of Machine %s", joinSortedNames(deleting))}, false)
		return false, ctrl.Result{}
	}

	if cp.health == nil || cp.health.connErr != nil {
		r.preflightFailed(ctx, cp, []string{"The workload cluster is not reachable, the health of the K3s servers is unknown"}, false)
		return false, ctrl.Result{}
	}

	var messages []string
	waitOnEtcd := false
	for _, m := range cp.Machines.SortedByCreationTimestamp() {
		if slices.ContainsFunc(excluded, func(e *clusterv1.Machine) bool { return e != nil && e.Name == m.Name }) {
			continue
		}
		if msg := machineHealthProblem(m, controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, "K3s server"); msg != "" {
			messages = append(messages, msg)
		}
		if msg := machineHealthProblem(m, controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition, "etcd member"); msg != "" {
			messages = append(messages, msg)
			waitOnEtcd = true
		}
	}
	if len(messages) == 0 {
		return true, ctrl.Result{}
	}
	r.preflightFailed(ctx, cp, messages, true)
	if waitOnEtcd {
		return false, ctrl.Result{RequeueAfter: preflightRequeueAfter}
	}
	return false, ctrl.Result{}
}

// preflightFailed records why scaling waits: in the scope for the status conditions, in the log and, for health
// problems, as a ControlPlaneUnhealthy event.
func (r *Reconciler) preflightFailed(ctx context.Context, cp *controlPlane, messages []string, unhealthy bool) {
	cp.preflightMessages = append(cp.preflightMessages, messages...)
	ctrl.LoggerFrom(ctx).Info("Waiting for the control plane to pass preflight checks", "failures", strings.Join(messages, "; "))
	if unhealthy {
		r.Recorder.Eventf(cp.KCP, corev1.EventTypeWarning, "ControlPlaneUnhealthy",
			"Waiting for the control plane to pass preflight checks: %s", strings.Join(messages, "; "))
	}
}

// machineHealthProblem describes, for people, why a health condition of m is not True, or returns "" when it is.
func machineHealthProblem(m *clusterv1.Machine, conditionType, subject string) string {
	c := conditions.Get(m, conditionType)
	switch {
	case c == nil:
		return fmt.Sprintf("Machine %s: %s health is not reported yet", m.Name, subject)
	case c.Status == metav1.ConditionTrue:
		return ""
	case c.Status == metav1.ConditionFalse:
		return withConditionMessage(fmt.Sprintf("Machine %s: %s is not healthy", m.Name, subject), c.Message)
	default:
		return withConditionMessage(fmt.Sprintf("Machine %s: %s health is unknown", m.Name, subject), c.Message)
	}
}

// withConditionMessage appends a condition's message to a description, when there is one.
func withConditionMessage(description, message string) string {
	if message == "" {
		return description
	}
	return description + " (" + message + ")"
}

// joinSortedNames lists the names of machines, sorted, for messages.
func joinSortedNames(machines collections.Machines) string {
	names := machines.Names()
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// machineHealthy reports whether both the K3s server and the etcd member of m are healthy.
func machineHealthy(m *clusterv1.Machine) bool {
	return conditions.IsTrue(m, controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition) &&
		conditions.IsTrue(m, controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition)
}

// etcdQuorumWithout projects the etcd cluster once the member of removing is gone and reports how many of the
// remaining members are healthy, out of how many. A member counts as healthy only when it is a started voting
// member whose Machine is not being deleted and reports EtcdMemberHealthy True; members without a Machine count
// as unhealthy. Without a member list (etcd not inspected) the Machines with a Node stand for the members.
func etcdQuorumWithout(cp *controlPlane, removing *clusterv1.Machine) (healthy, total int) {
	removedNode := ""
	if removing != nil && removing.Status.NodeRef.IsDefined() {
		removedNode = removing.Status.NodeRef.Name
	}
	machineOfNode := map[string]*clusterv1.Machine{}
	for _, m := range cp.Machines {
		if m.Status.NodeRef.IsDefined() {
			machineOfNode[m.Status.NodeRef.Name] = m
		}
	}
	memberHealthy := func(m *clusterv1.Machine) bool {
		return m != nil && m.DeletionTimestamp.IsZero() &&
			conditions.IsTrue(m, controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition)
	}

	if cp.health != nil && cp.health.etcdMembers != nil {
		for _, member := range cp.health.etcdMembers {
			if member == nil || (removedNode != "" && member.NodeName == removedNode) {
				continue
			}
			total++
			if member.Name != "" && !member.IsLearner && memberHealthy(machineOfNode[member.NodeName]) {
				healthy++
			}
		}
		return healthy, total
	}

	for node, m := range machineOfNode {
		if node == removedNode {
			continue
		}
		total++
		if memberHealthy(m) {
			healthy++
		}
	}
	return healthy, total
}

// etcdKeepsQuorumWithout reports whether a majority of the etcd members left once removing is gone is healthy.
func etcdKeepsQuorumWithout(cp *controlPlane, removing *clusterv1.Machine) (ok bool, healthy, total int) {
	healthy, total = etcdQuorumWithout(cp, removing)
	return total > 0 && healthy >= total/2+1, healthy, total
}

// healthyServerRemainsWithout reports whether a K3s server other than removing's, on a Machine not being deleted,
// is healthy, so that the cluster keeps serving and new servers can join.
func healthyServerRemainsWithout(cp *controlPlane, removing *clusterv1.Machine) bool {
	for _, m := range cp.Machines {
		if (removing != nil && m.Name == removing.Name) || !m.DeletionTimestamp.IsZero() {
			continue
		}
		if conditions.IsTrue(m, controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition) {
			return true
		}
	}
	return false
}

// replacementMayJoin tells whether the replacement of a remediated Machine may be created although preflight
// checks fail. With several failed Machines the control plane cannot become fully healthy before it gets the
// replacement, and no other remediation starts before it exists, so waiting would never end. The join still needs
// no Machine being deleted, a reachable workload cluster, a healthy K3s server, and etcd keeping quorum even if the
// new member never becomes healthy.
func replacementMayJoin(cp *controlPlane) bool {
	if _, ok := cp.KCP.Annotations[controlplanev1.RemediationInProgressAnnotation]; !ok {
		return false
	}
	if cp.DeletingMachines().Len() > 0 || cp.health == nil || cp.health.connErr != nil || !healthyServerRemainsWithout(cp, nil) {
		return false
	}
	healthy, total := etcdQuorumWithout(cp, nil)
	switch total {
	case 0:
		return false
	case 1:
		// A second member is needed to tolerate any failure at all; the one there must be healthy.
		return healthy == 1
	default:
		return healthy >= (total+1)/2+1
	}
}
