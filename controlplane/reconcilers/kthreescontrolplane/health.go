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
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
	"github.com/k3s-io/cluster-api-k3s/pkg/workload"
)

// workloadHealth is what reconcileWorkloadHealth observed in the workload cluster.
type workloadHealth struct {
	// connErr is set when the control-plane Nodes of the workload cluster could not be read (unreachable, see
	// workload.IsRemoteConnectionError, or an API error); nothing else was inspected then.
	connErr error
	// nodes are the control-plane Nodes by name.
	nodes map[string]*corev1.Node
	// nodeByProviderID are the names of the control-plane Nodes by spec.providerID, for Machines whose nodeRef
	// CAPI has not set yet (see controlPlane.nodeNameOf).
	nodeByProviderID map[string]string
	// etcdMembers are the etcd members, as most reachable members report them; nil when etcd was not inspected
	// or no member could be reached.
	etcdMembers []*etcd.Member
	// etcdHealthyNodes are the Nodes whose etcd member was found healthy in this reconcile.
	etcdHealthyNodes sets.Set[string]
	// certificatesExpiry is, by Node, when the serving certificate its etcd member presented in this reconcile
	// expires: K3s issues and renews it with the node's other leaf certificates.
	certificatesExpiry map[string]time.Time
}

const (
	// etcdNotInspectedMessage explains the EtcdClusterHealthy condition of clusters without the etcd proxy.
	etcdNotInspectedMessage = "etcd is not inspected because serverConfig.disableComponents contains etcd-proxy; " +
		"etcd members of deleted Machines are still removed through their Node's etcd.k3s.cattle.io/remove annotation"
	// probeFailuresBeforeConnectionDown is how many failed probes, without any success since the controller
	// started, are needed before a connection counts as down; fewer means it is being established.
	probeFailuresBeforeConnectionDown = 5
	// machineEtcdMemberDeletingReason surfaces, on EtcdMemberHealthy, a Machine being deleted (like AgentHealthy's).
	machineEtcdMemberDeletingReason = "Deleting"
)

// healthResult is the health of one aspect (K3s server or etcd member) of a Machine, in both condition flavours.
type healthResult struct {
	status  metav1.ConditionStatus
	reason  string
	message string
	// v1beta1Reason and v1beta1Severity are upstream's reason and severity (severity only for False).
	v1beta1Reason   string
	v1beta1Severity clusterv1.ConditionSeverity
	// provisioning marks Machines whose Node does not exist yet; their Unknown does not make the control plane's
	// health Unknown, since every scale up goes through it.
	provisioning bool
}

// reconcileWorkloadHealth inspects the K3s servers (through their Nodes) and the etcd members of the workload
// cluster, sets the AgentHealthy and EtcdMemberHealthy conditions of the Machines (patched by patchMachines) and the
// ControlPlaneComponentsHealthy and EtcdClusterHealthy conditions of the control plane, and records what it saw in
// cp.health. Problems reaching the workload cluster become conditions, never errors, so an unreachable cluster does
// not cause a storm of failing reconciles; the ClusterCache source reconciles again when the connection changes.
func (r *Reconciler) reconcileWorkloadHealth(ctx context.Context, cp *controlPlane) {
	health := &workloadHealth{etcdHealthyNodes: sets.New[string](), certificatesExpiry: map[string]time.Time{}}
	cp.health = health

	nodes, err := readControlPlaneNodes(ctx, cp)
	if err != nil {
		health.connErr = err
		r.setWorkloadUnreachable(ctx, cp, err)
		return
	}
	health.nodes = nodes
	health.nodeByProviderID = nodesByProviderID(nodes)

	agents, problems := assessAgents(cp, nodes)
	for _, m := range cp.Machines {
		setAgentHealthy(m, agents[m.Name])
	}
	setControlPlaneComponentsHealthy(cp, agents, problems)

	if !cp.EtcdInspected() {
		setEtcdNotInspected(cp, agents)
		return
	}
	r.inspectEtcd(ctx, cp, health)
}

// readControlPlaneNodes lists the workload cluster's control-plane Nodes by name.
func readControlPlaneNodes(ctx context.Context, cp *controlPlane) (map[string]*corev1.Node, error) {
	w, err := cp.Workload(ctx)
	if err != nil {
		return nil, err
	}
	list, err := w.ControlPlaneNodes(ctx)
	if err != nil {
		return nil, err
	}
	nodes := make(map[string]*corev1.Node, len(list.Items))
	for i := range list.Items {
		nodes[list.Items[i].Name] = &list.Items[i]
	}
	return nodes, nil
}

// nodesByProviderID indexes Nodes that have a provider ID.
func nodesByProviderID(nodes map[string]*corev1.Node) map[string]string {
	byID := make(map[string]string, len(nodes))
	for name, n := range nodes {
		if n.Spec.ProviderID != "" {
			byID[n.Spec.ProviderID] = name
		}
	}
	return byID
}

// setWorkloadUnreachable sets the conditions when the workload cluster could not be read. Within the grace period
// after the last successful probe the last known conditions are kept, so that a short outage does not flip them;
// after it they turn Unknown.
func (r *Reconciler) setWorkloadUnreachable(ctx context.Context, cp *controlPlane, err error) {
	log := ctrl.LoggerFrom(ctx)
	setLocalMachineHealth(cp)

	if !workload.IsRemoteConnectionError(err) {
		log.Error(err, "Failed to inspect the workload cluster's control-plane Nodes")
		setHealthUnknown(cp, replaceAll, clusterv1.InspectionFailedReason, "Failed to list the workload cluster's control-plane Nodes: "+err.Error())
		return
	}
	if !cp.Initialized() {
		log.V(4).Info("Workload cluster not reachable yet; the control plane is not initialized", "reason", err.Error())
		// Nothing was inspected yet, so the conditions are Unknown already (e.g. waiting for the Node): they stay
		// as they are rather than changing their reason for the moment until the first inspection.
		setHealthUnknown(cp, replaceKnown, clusterv1.InspectionFailedReason, "Waiting for the control plane to be initialized")
		return
	}

	var state clusterCacheProbeState
	if r.ClusterCache != nil {
		s := r.ClusterCache.GetHealthCheckingState(ctx, client.ObjectKeyFromObject(cp.Cluster))
		state = clusterCacheProbeState{known: true, lastSuccess: s.LastProbeSuccessTime, failures: s.ConsecutiveFailures}
	}
	message := lastProbeMessage(state.lastSuccess)
	switch {
	case state.known && state.lastSuccess.IsZero() && state.failures < probeFailuresBeforeConnectionDown:
		// The ClusterCache is still connecting, e.g. right after the controller started.
		log.V(4).Info("Connection to the workload cluster not established yet", "reason", err.Error())
		setHealthUnknown(cp, keepLastKnown, clusterv1.ConnectionDownReason, "Connection to the workload cluster not established yet")
	case state.known && !state.lastSuccess.IsZero() && cp.reconcileTime.Sub(state.lastSuccess) <= r.remoteConditionsGracePeriod():
		log.V(4).Info("Workload cluster unreachable, keeping the last known health conditions during the grace period",
			"lastProbeSuccessTime", state.lastSuccess, "reason", err.Error())
		setHealthUnknown(cp, keepLastKnown, clusterv1.ConnectionDownReason, message)
	default:
		log.Info("Workload cluster unreachable, health conditions are Unknown", "lastProbeSuccessTime", state.lastSuccess, "reason", err.Error())
		setHealthUnknown(cp, replaceAll, clusterv1.ConnectionDownReason, message)
	}
}

// clusterCacheProbeState is the part of the ClusterCache's health-checking state the conditions depend on.
type clusterCacheProbeState struct {
	known       bool
	lastSuccess time.Time
	failures    int
}

// lastProbeMessage tells when the workload cluster was last reached.
func lastProbeMessage(lastSuccess time.Time) string {
	if lastSuccess.IsZero() {
		return "Cannot reach the workload cluster; no connection probe has succeeded yet"
	}
	return "Cannot reach the workload cluster; the last successful connection probe was at " + lastSuccess.UTC().Format(time.RFC3339)
}

// setLocalMachineHealth sets the health of Machines that is known without the workload cluster: deleting Machines
// and Machines whose Node does not exist yet.
func setLocalMachineHealth(cp *controlPlane) {
	for _, m := range cp.Machines {
		result, ok := localMachineHealth(m, cp.nodeNameOf(m))
		if !ok {
			continue
		}
		setAgentHealthy(m, result)
		if cp.EtcdInspected() {
			setEtcdMemberHealthy(m, etcdResultFromLocal(result))
		} else {
			setEtcdMemberHealthy(m, etcdNotInspectedResult(result))
		}
	}
}

// localMachineHealth returns the K3s-server health of a deleting or provisioning Machine; nodeName is its Node's
// name, "" when it has none yet.
func localMachineHealth(m *clusterv1.Machine, nodeName string) (healthResult, bool) {
	switch {
	case !m.DeletionTimestamp.IsZero():
		return healthResult{
			status: metav1.ConditionFalse, reason: controlplanev1.KThreesControlPlaneMachineAgentDeletingReason, message: "Machine is deleting",
			v1beta1Reason: controlplanev1.DeprecatedV1Beta1DeletingReason, v1beta1Severity: clusterv1.ConditionSeverityInfo,
		}, true
	case nodeName == "":
		return healthResult{
			status: metav1.ConditionUnknown, reason: controlplanev1.KThreesControlPlaneMachineAgentProvisioningReason, message: "Waiting for the Machine's Node",
			v1beta1Reason: controlplanev1.DeprecatedV1Beta1PodProvisioningReason, v1beta1Severity: clusterv1.ConditionSeverityInfo,
			provisioning: true,
		}, true
	}
	return healthResult{}, false
}

// etcdResultFromLocal turns the K3s-server health of a deleting or provisioning Machine into its etcd-member health.
func etcdResultFromLocal(agent healthResult) healthResult {
	if agent.provisioning {
		return healthResult{
			status: metav1.ConditionUnknown, reason: controlplanev1.KThreesControlPlaneMachineEtcdMemberInspectionFailedReason, message: agent.message,
			v1beta1Reason: controlplanev1.DeprecatedV1Beta1EtcdMemberInspectionFailedReason, provisioning: true,
		}
	}
	return healthResult{
		status: metav1.ConditionFalse, reason: machineEtcdMemberDeletingReason, message: agent.message,
		v1beta1Reason: controlplanev1.DeprecatedV1Beta1DeletingReason, v1beta1Severity: clusterv1.ConditionSeverityInfo,
	}
}

// assessAgents judges each Machine's K3s server from its Node, and returns problems of the control plane as a
// whole (control-plane Nodes without a Machine).
func assessAgents(cp *controlPlane, nodes map[string]*corev1.Node) (map[string]healthResult, []string) {
	results := make(map[string]healthResult, len(cp.Machines))
	machineNodes := sets.New[string]()
	anyProvisioning := false
	for _, m := range cp.Machines {
		nodeName := cp.nodeNameOf(m)
		if nodeName != "" {
			machineNodes.Insert(nodeName)
		}
		if result, ok := localMachineHealth(m, nodeName); ok {
			anyProvisioning = anyProvisioning || result.provisioning
			results[m.Name] = result
			continue
		}
		results[m.Name] = assessNode(nodeName, nodes[nodeName])
	}

	var problems []string
	if !anyProvisioning {
		// A new server registers its Node before CAPI sets the Machine's nodeRef; only complain when no Machine waits.
		for _, name := range sortedNodeNames(nodes) {
			if !machineNodes.Has(name) {
				problems = append(problems, fmt.Sprintf("Control plane Node %s has no corresponding Machine", name))
			}
		}
	}
	return results, problems
}

// assessNode judges a K3s server from its Node.
func assessNode(nodeName string, node *corev1.Node) healthResult {
	if node == nil {
		return healthResult{
			status: metav1.ConditionFalse, reason: controlplanev1.KThreesControlPlaneMachineAgentNotHealthyReason,
			message:       fmt.Sprintf("Node %s not found", nodeName),
			v1beta1Reason: controlplanev1.DeprecatedV1Beta1PodMissingReason, v1beta1Severity: clusterv1.ConditionSeverityError,
		}
	}
	if hasUnreachableTaint(node) {
		return healthResult{
			status: metav1.ConditionUnknown, reason: controlplanev1.KThreesControlPlaneMachineAgentHealthUnknownReason,
			message: "Node is unreachable", v1beta1Reason: controlplanev1.DeprecatedV1Beta1PodInspectionFailedReason,
		}
	}
	ready := nodeReadyCondition(node)
	switch {
	case ready != nil && ready.Status == corev1.ConditionTrue:
		return healthResult{status: metav1.ConditionTrue, reason: controlplanev1.KThreesControlPlaneMachineAgentHealthyReason}
	case ready != nil && ready.Status == corev1.ConditionUnknown:
		return healthResult{
			status: metav1.ConditionUnknown, reason: controlplanev1.KThreesControlPlaneMachineAgentHealthUnknownReason,
			message:       healthMessageWithDetail(fmt.Sprintf("Node %s readiness is unknown", nodeName), ready.Message),
			v1beta1Reason: controlplanev1.DeprecatedV1Beta1PodInspectionFailedReason,
		}
	case ready == nil:
		return healthResult{
			status: metav1.ConditionFalse, reason: controlplanev1.KThreesControlPlaneMachineAgentNotHealthyReason,
			message:       fmt.Sprintf("Node %s does not report readiness yet", nodeName),
			v1beta1Reason: controlplanev1.DeprecatedV1Beta1PodFailedReason, v1beta1Severity: clusterv1.ConditionSeverityWarning,
		}
	default:
		return healthResult{
			status: metav1.ConditionFalse, reason: controlplanev1.KThreesControlPlaneMachineAgentNotHealthyReason,
			message:       healthMessageWithDetail(fmt.Sprintf("Node %s is not Ready", nodeName), ready.Message),
			v1beta1Reason: controlplanev1.DeprecatedV1Beta1PodFailedReason, v1beta1Severity: clusterv1.ConditionSeverityError,
		}
	}
}

// hasUnreachableTaint reports whether the node controller marked the Node unreachable (its kubelet stopped
// reporting).
func hasUnreachableTaint(node *corev1.Node) bool {
	return slices.ContainsFunc(node.Spec.Taints, func(t corev1.Taint) bool {
		return t.Key == corev1.TaintNodeUnreachable && t.Effect == corev1.TaintEffectNoExecute
	})
}

// nodeReadyCondition returns the Node's Ready condition, nil if it has none.
func nodeReadyCondition(node *corev1.Node) *corev1.NodeCondition {
	for i := range node.Status.Conditions {
		if node.Status.Conditions[i].Type == corev1.NodeReady {
			return &node.Status.Conditions[i]
		}
	}
	return nil
}

// healthMessageWithDetail appends a detail to a message when there is one.
func healthMessageWithDetail(message, detail string) string {
	if detail == "" {
		return message
	}
	return message + ": " + detail
}

// setAgentHealthy sets the Machine's AgentHealthy conditions.
func setAgentHealthy(m *clusterv1.Machine, result healthResult) {
	setMachineHealth(m, controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, controlplanev1.DeprecatedV1Beta1MachineAgentHealthyCondition, result)
}

// setEtcdMemberHealthy sets the Machine's EtcdMemberHealthy conditions.
func setEtcdMemberHealthy(m *clusterv1.Machine, result healthResult) {
	setMachineHealth(m, controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition, controlplanev1.DeprecatedV1Beta1MachineEtcdMemberHealthyCondition, result)
}

// setMachineHealth sets a health condition of a Machine in both flavours.
func setMachineHealth(m *clusterv1.Machine, conditionType string, v1beta1Type clusterv1.ConditionType, result healthResult) {
	conditions.Set(m, metav1.Condition{Type: conditionType, Status: result.status, Reason: result.reason, Message: result.message})
	switch result.status {
	case metav1.ConditionTrue:
		v1beta1conditions.MarkTrue(m, v1beta1Type)
	case metav1.ConditionFalse:
		v1beta1conditions.MarkFalse(m, v1beta1Type, result.v1beta1Reason, result.v1beta1Severity, "%s", result.message)
	default:
		v1beta1conditions.MarkUnknown(m, v1beta1Type, result.v1beta1Reason, "%s", result.message)
	}
}

// aggregatedHealth is the health of the control plane as a whole, from its Machines' health and its own problems.
type aggregatedHealth struct {
	status  metav1.ConditionStatus
	message string
}

// aggregateHealth summarizes the Machines' results: any False or control-plane problem gives False, else any
// Unknown gives Unknown, else True. The message lists, per Machine, what is wrong, so that people can act on it.
// Machines still provisioning do not count, unless no other Machine exists.
func aggregateHealth(cp *controlPlane, results map[string]healthResult, problems []string) aggregatedHealth {
	var falseLines, unknownLines, waitingLines []string
	judged := 0
	names := cp.Machines.Names()
	sort.Strings(names)
	for _, name := range names {
		result, ok := results[name]
		if !ok {
			continue
		}
		line := fmt.Sprintf("* Machine %s: %s", name, result.message)
		switch {
		case result.provisioning:
			waitingLines = append(waitingLines, line)
			continue
		case result.status == metav1.ConditionFalse:
			falseLines = append(falseLines, line)
		case result.status == metav1.ConditionUnknown:
			unknownLines = append(unknownLines, line)
		}
		judged++
	}
	for _, p := range problems {
		falseLines = append(falseLines, "* "+p)
	}

	switch {
	case len(falseLines) > 0:
		return aggregatedHealth{status: metav1.ConditionFalse, message: strings.Join(append(falseLines, unknownLines...), "\n")}
	case len(unknownLines) > 0:
		return aggregatedHealth{status: metav1.ConditionUnknown, message: strings.Join(unknownLines, "\n")}
	case len(cp.Machines) == 0:
		return aggregatedHealth{status: metav1.ConditionUnknown, message: "No control plane Machines"}
	case judged == 0:
		return aggregatedHealth{status: metav1.ConditionUnknown, message: strings.Join(waitingLines, "\n")}
	default:
		return aggregatedHealth{status: metav1.ConditionTrue}
	}
}

// healthConditionNames name a control-plane health condition and its reasons, in both condition flavours.
type healthConditionNames struct {
	conditionType, healthy, notHealthy, unknown string
	v1beta1Type                                 clusterv1.ConditionType
	v1beta1NotHealthy, v1beta1Unknown           string
}

var (
	controlPlaneComponentsHealth = healthConditionNames{
		conditionType:     controlplanev1.KThreesControlPlaneControlPlaneComponentsHealthyCondition,
		healthy:           controlplanev1.KThreesControlPlaneControlPlaneComponentsHealthyReason,
		notHealthy:        controlplanev1.KThreesControlPlaneControlPlaneComponentsNotHealthyReason,
		unknown:           controlplanev1.KThreesControlPlaneControlPlaneComponentsHealthUnknownReason,
		v1beta1Type:       controlplanev1.DeprecatedV1Beta1ControlPlaneComponentsHealthyCondition,
		v1beta1NotHealthy: controlplanev1.DeprecatedV1Beta1ControlPlaneComponentsUnhealthyReason,
		v1beta1Unknown:    controlplanev1.DeprecatedV1Beta1ControlPlaneComponentsUnknownReason,
	}
	etcdClusterHealth = healthConditionNames{
		conditionType:     controlplanev1.KThreesControlPlaneEtcdClusterHealthyCondition,
		healthy:           controlplanev1.KThreesControlPlaneEtcdClusterHealthyReason,
		notHealthy:        controlplanev1.KThreesControlPlaneEtcdClusterNotHealthyReason,
		unknown:           controlplanev1.KThreesControlPlaneEtcdClusterHealthUnknownReason,
		v1beta1Type:       controlplanev1.DeprecatedV1Beta1EtcdClusterHealthyCondition,
		v1beta1NotHealthy: controlplanev1.DeprecatedV1Beta1EtcdClusterUnhealthyReason,
		v1beta1Unknown:    controlplanev1.DeprecatedV1Beta1EtcdClusterUnknownReason,
	}
)

// setControlPlaneComponentsHealthy sets the control plane's ControlPlaneComponentsHealthy conditions.
func setControlPlaneComponentsHealthy(cp *controlPlane, results map[string]healthResult, problems []string) {
	setAggregatedHealth(cp, controlPlaneComponentsHealth, results, problems)
}

// setEtcdClusterHealthy sets the control plane's EtcdClusterHealthy conditions from the members' health.
func setEtcdClusterHealthy(cp *controlPlane, results map[string]healthResult, problems []string) {
	setAggregatedHealth(cp, etcdClusterHealth, results, problems)
}

// setAggregatedHealth sets a health condition of the control plane, in both flavours, from its Machines' results
// and its own problems.
func setAggregatedHealth(cp *controlPlane, names healthConditionNames, results map[string]healthResult, problems []string) {
	agg := aggregateHealth(cp, results, problems)
	condition := metav1.Condition{Type: names.conditionType, Status: agg.status, Message: agg.message}
	switch agg.status {
	case metav1.ConditionTrue:
		condition.Reason = names.healthy
		v1beta1conditions.MarkTrue(cp.KCP, names.v1beta1Type)
	case metav1.ConditionFalse:
		condition.Reason = names.notHealthy
		v1beta1conditions.MarkFalse(cp.KCP, names.v1beta1Type, names.v1beta1NotHealthy, clusterv1.ConditionSeverityError, "%s", agg.message)
	default:
		condition.Reason = names.unknown
		v1beta1conditions.MarkUnknown(cp.KCP, names.v1beta1Type, names.v1beta1Unknown, "%s", agg.message)
	}
	conditions.Set(cp.KCP, condition)
}

// sortedNodeNames returns the names of the Nodes in order.
func sortedNodeNames(nodes map[string]*corev1.Node) []string {
	names := make([]string, 0, len(nodes))
	for name := range nodes {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
