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
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"
	ctrl "sigs.k8s.io/controller-runtime"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
)

// setEtcdNotInspected sets the etcd conditions of a cluster without the etcd proxy: a Machine's member is assumed
// as healthy as its K3s server, and the etcd cluster's health is not known.
func setEtcdNotInspected(cp *controlPlane, agents map[string]healthResult) {
	for _, m := range cp.Machines {
		setEtcdMemberHealthy(m, etcdNotInspectedResult(agents[m.Name]))
	}
	setEtcdClusterNotInspected(cp)
}

// etcdNotInspectedResult mirrors a Machine's K3s-server health as its etcd-member health.
func etcdNotInspectedResult(agent healthResult) healthResult {
	result := healthResult{
		status: agent.status, reason: controlplanev1.KThreesControlPlaneMachineEtcdMemberNotInspectedReason, message: agent.message,
		v1beta1Reason: controlplanev1.DeprecatedV1Beta1EtcdMemberInspectionFailedReason, provisioning: agent.provisioning,
	}
	if agent.status == metav1.ConditionFalse {
		result.v1beta1Reason, result.v1beta1Severity = controlplanev1.DeprecatedV1Beta1EtcdMemberUnhealthyReason, agent.v1beta1Severity
		if agent.v1beta1Reason == controlplanev1.DeprecatedV1Beta1DeletingReason {
			result.v1beta1Reason = controlplanev1.DeprecatedV1Beta1DeletingReason
		}
	}
	return result
}

// setEtcdClusterNotInspected sets the control plane's EtcdClusterHealthy conditions when etcd is not inspected.
func setEtcdClusterNotInspected(cp *controlPlane) {
	conditions.Set(cp.KCP, metav1.Condition{
		Type:    controlplanev1.KThreesControlPlaneEtcdClusterHealthyCondition,
		Status:  metav1.ConditionUnknown,
		Reason:  controlplanev1.KThreesControlPlaneEtcdClusterNotInspectedReason,
		Message: etcdNotInspectedMessage,
	})
	v1beta1conditions.MarkUnknown(cp.KCP, controlplanev1.DeprecatedV1Beta1EtcdClusterHealthyCondition,
		controlplanev1.DeprecatedV1Beta1EtcdClusterUnknownReason, "%s", etcdNotInspectedMessage)
}

// etcdView is what the etcd member on one Node reports.
type etcdView struct {
	nodeName string
	members  []*etcd.Member
	// connectErr is set when no connection to the member could be opened; listErr when it did not answer.
	connectErr error
	listErr    error
	// certificatesExpiry is when the member's serving certificate expires; zero if not connected.
	certificatesExpiry time.Time
}

// key identifies the member set and etcd cluster the view reports, to compare views.
func (v *etcdView) key() string {
	ids := make([]string, 0, len(v.members))
	var clusterID uint64
	for _, m := range v.members {
		ids = append(ids, fmt.Sprintf("%x", m.ID))
		clusterID = m.ClusterID
	}
	sort.Strings(ids)
	return fmt.Sprintf("%x/%s", clusterID, strings.Join(ids, ","))
}

// inspectEtcd reads, through one connection per reachable Node, the etcd member list (with alarms) each member
// reports, and judges each Machine's member against the view most members share.
func (r *Reconciler) inspectEtcd(ctx context.Context, cp *controlPlane, health *workloadHealth) {
	log := ctrl.LoggerFrom(ctx)
	results := make(map[string]healthResult, len(cp.Machines))
	// pending are Machines whose member cannot be reached through their own Node, by Machine name; judged from the
	// other members' view.
	pending := map[string]healthResult{}
	var toInspect []*clusterv1.Machine
	for _, m := range cp.Machines.SortedByCreationTimestamp() {
		nodeName := cp.nodeNameOf(m)
		if agent, ok := localMachineHealth(m, nodeName); ok {
			results[m.Name] = etcdResultFromLocal(agent)
			continue
		}
		node := health.nodes[nodeName]
		switch {
		case node == nil:
			pending[m.Name] = etcdUnknown(fmt.Sprintf("Node %s not found; its etcd member cannot be inspected", nodeName))
		case hasUnreachableTaint(node):
			pending[m.Name] = etcdUnknown(fmt.Sprintf("Node %s is unreachable; its etcd member cannot be inspected", nodeName))
		default:
			toInspect = append(toInspect, m)
		}
	}

	var views []*etcdView
	if len(toInspect) > 0 {
		generator, err := cp.EtcdClients(ctx)
		if err != nil {
			log.Error(err, "Failed to reach the etcd members of the workload cluster")
			for _, m := range toInspect {
				results[m.Name] = etcdUnknown("Failed to reach etcd: " + err.Error())
			}
		} else {
			for _, m := range toInspect {
				views = append(views, readEtcdView(ctx, generator, cp.nodeNameOf(m)))
			}
		}
	}

	consensus := consensusView(views)
	if consensus != nil {
		health.etcdMembers = consensus.members
	}
	for _, v := range views {
		if !v.certificatesExpiry.IsZero() {
			health.certificatesExpiry[v.nodeName] = v.certificatesExpiry
		}
	}
	for i, m := range toInspect {
		if i < len(views) {
			results[m.Name] = judgeEtcdMember(views[i], consensus)
			if results[m.Name].status == metav1.ConditionTrue {
				health.etcdHealthyNodes.Insert(cp.nodeNameOf(m))
			}
		}
	}
	for name, result := range pending {
		m := cp.Machines[name]
		if nodeName := cp.nodeNameOf(m); consensus != nil && etcd.FindMemberByNodeName(consensus.members, nodeName) == nil {
			result = etcdNotHealthy(fmt.Sprintf("etcd member missing: etcd reports members %s, none on Node %s",
				etcdMemberNames(consensus.members), nodeName))
		}
		results[name] = result
	}

	for _, m := range cp.Machines {
		setEtcdMemberHealthy(m, results[m.Name])
	}
	setEtcdClusterHealthy(cp, results, etcdClusterProblems(cp, consensus))
}

// readEtcdView connects to the etcd member on the Node and lists the members; the client is closed before
// returning.
func readEtcdView(ctx context.Context, generator etcd.ClientGenerator, nodeName string) *etcdView {
	log := ctrl.LoggerFrom(ctx)
	view := &etcdView{nodeName: nodeName}
	c, err := generator.ForNode(ctx, nodeName)
	if err != nil {
		log.V(2).Info("Failed to connect to an etcd member", "node", nodeName, "reason", err.Error())
		view.connectErr = err
		return view
	}
	defer func() {
		if err := c.Close(); err != nil {
			log.V(4).Info("Failed to close an etcd client", "node", nodeName, "reason", err.Error())
		}
	}()
	view.certificatesExpiry = c.ServerCertificateExpiry()
	view.members, view.listErr = c.Members(ctx)
	if view.listErr != nil {
		log.V(2).Info("Failed to list the etcd members", "node", nodeName, "reason", view.listErr.Error())
	}
	return view
}

// consensusView returns the view most members that answered share; ties go to the view seen first. nil when no
// member answered.
func consensusView(views []*etcdView) *etcdView {
	counts := map[string]int{}
	var best *etcdView
	for _, v := range views {
		if v.connectErr != nil || v.listErr != nil {
			continue
		}
		k := v.key()
		counts[k]++
		if best == nil || counts[k] > counts[best.key()] {
			best = v
		}
	}
	return best
}

// judgeEtcdMember judges the member on the view's Node: reachable, listing the members the others list, itself a
// voting member of that list, and without alarms.
func judgeEtcdMember(view, consensus *etcdView) healthResult {
	switch {
	case view.connectErr != nil:
		return etcdUnknown("Failed to connect to the etcd member: " + view.connectErr.Error())
	case view.listErr != nil:
		return etcdNotHealthy("The etcd member did not list the members: " + view.listErr.Error())
	}
	if consensus != nil && view.key() != consensus.key() {
		return etcdNotHealthy(fmt.Sprintf("The etcd member reports members %s, while other members report %s",
			etcdMemberNames(view.members), etcdMemberNames(consensus.members)))
	}
	own := etcd.FindMemberByNodeName(view.members, view.nodeName)
	switch {
	case own == nil:
		return etcdNotHealthy(fmt.Sprintf("etcd member missing: etcd reports members %s, none on Node %s", etcdMemberNames(view.members), view.nodeName))
	case own.IsLearner:
		return etcdNotHealthy("The etcd member is a learner waiting to be promoted")
	}
	var alarms []string
	for _, a := range own.Alarms {
		if a != etcd.AlarmNone {
			alarms = append(alarms, a.String())
		}
	}
	if len(alarms) > 0 {
		return etcdNotHealthy("The etcd member has alarms: " + strings.Join(alarms, ", "))
	}
	return healthResult{status: metav1.ConditionTrue, reason: controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyReason}
}

// etcdClusterProblems returns problems of the etcd cluster as a whole: members no Machine accounts for. A new
// server's member exists before CAPI sets its Machine's nodeRef, so none are reported while a Machine waits.
func etcdClusterProblems(cp *controlPlane, consensus *etcdView) []string {
	if consensus == nil {
		return nil
	}
	machineNodes := sets.New[string]()
	for _, m := range cp.Machines {
		nodeName := cp.nodeNameOf(m)
		if nodeName == "" {
			return nil
		}
		machineNodes.Insert(nodeName)
	}
	var problems []string
	for _, member := range consensus.members {
		switch {
		case member.NodeName == "":
			problems = append(problems, fmt.Sprintf("etcd member %x has not started", member.ID))
		case !machineNodes.Has(member.NodeName):
			problems = append(problems, fmt.Sprintf("etcd member %s has no corresponding Machine", member.Name))
		}
	}
	sort.Strings(problems)
	return problems
}

// etcdUnknown is an etcd-member health that could not be determined.
func etcdUnknown(message string) healthResult {
	return healthResult{
		status: metav1.ConditionUnknown, reason: controlplanev1.KThreesControlPlaneMachineEtcdMemberInspectionFailedReason, message: message,
		v1beta1Reason: controlplanev1.DeprecatedV1Beta1EtcdMemberInspectionFailedReason,
	}
}

// etcdNotHealthy is an unhealthy etcd member.
func etcdNotHealthy(message string) healthResult {
	return healthResult{
		status: metav1.ConditionFalse, reason: controlplanev1.KThreesControlPlaneMachineEtcdMemberNotHealthyReason, message: message,
		v1beta1Reason: controlplanev1.DeprecatedV1Beta1EtcdMemberUnhealthyReason, v1beta1Severity: clusterv1.ConditionSeverityError,
	}
}

// etcdMemberNames lists members by name (by ID for members that have not started), sorted.
func etcdMemberNames(members []*etcd.Member) string {
	names := make([]string, 0, len(members))
	for _, m := range members {
		if m.Name == "" {
			names = append(names, fmt.Sprintf("%x", m.ID))
			continue
		}
		names = append(names, m.Name)
	}
	sort.Strings(names)
	return "[" + strings.Join(names, ", ") + "]"
}
