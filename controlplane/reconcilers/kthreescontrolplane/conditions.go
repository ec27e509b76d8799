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
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/collections"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"
	clog "sigs.k8s.io/cluster-api/util/log"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// Reasons the API package does not define.
const (
	// machinesUpToDateUnknownReason surfaces Machines whose UpToDate condition is unknown.
	machinesUpToDateUnknownReason = clusterv1.UpToDateUnknownReason
	// conditionInternalErrorReason surfaces a failure computing a condition; the controller logs say more.
	conditionInternalErrorReason = clusterv1.InternalErrorReason
	// deletingInProgressReason surfaces a deletion whose progress has not been reported yet.
	deletingInProgressReason = clusterv1.DeletingReason
)

// staleDeletionAfter is how long a Machine may take to delete before the ScalingDown condition mentions it.
const staleDeletionAfter = 15 * time.Minute

// ownedConditions and ownedV1Beta1Conditions are the conditions this controller sets on KThreesControlPlanes. It is
// their only writer, which lets the final patch send the status in one request (see objpatch).
var (
	ownedConditions = []string{
		controlplanev1.KThreesControlPlaneAvailableCondition,
		controlplanev1.KThreesControlPlaneInitializedCondition,
		controlplanev1.KThreesControlPlaneCertificatesAvailableCondition,
		controlplanev1.KThreesControlPlaneTokenAvailableCondition,
		controlplanev1.KThreesControlPlaneControlPlaneComponentsHealthyCondition,
		controlplanev1.KThreesControlPlaneEtcdClusterHealthyCondition,
		controlplanev1.KThreesControlPlaneMachinesReadyCondition,
		controlplanev1.KThreesControlPlaneMachinesUpToDateCondition,
		controlplanev1.KThreesControlPlaneRollingOutCondition,
		controlplanev1.KThreesControlPlaneScalingUpCondition,
		controlplanev1.KThreesControlPlaneScalingDownCondition,
		controlplanev1.KThreesControlPlaneRemediatingCondition,
		controlplanev1.KThreesControlPlaneDeletingCondition,
		controlplanev1.KThreesControlPlanePausedCondition,
	}
	ownedV1Beta1Conditions = []clusterv1.ConditionType{
		controlplanev1.DeprecatedV1Beta1ReadyCondition,
		controlplanev1.DeprecatedV1Beta1AvailableCondition,
		controlplanev1.DeprecatedV1Beta1CertificatesAvailableCondition,
		controlplanev1.DeprecatedV1Beta1TokenAvailableCondition,
		controlplanev1.DeprecatedV1Beta1MachinesReadyCondition,
		controlplanev1.DeprecatedV1Beta1MachinesSpecUpToDateCondition,
		controlplanev1.DeprecatedV1Beta1ResizedCondition,
		controlplanev1.DeprecatedV1Beta1ControlPlaneComponentsHealthyCondition,
		controlplanev1.DeprecatedV1Beta1EtcdClusterHealthyCondition,
	}
	// v1beta1SummaryConditions are the conditions upstream summarizes into the v1beta1 Ready condition.
	v1beta1SummaryConditions = []clusterv1.ConditionType{
		controlplanev1.DeprecatedV1Beta1MachinesSpecUpToDateCondition,
		controlplanev1.DeprecatedV1Beta1ResizedCondition,
		controlplanev1.DeprecatedV1Beta1MachinesReadyCondition,
		controlplanev1.DeprecatedV1Beta1AvailableCondition,
		controlplanev1.DeprecatedV1Beta1CertificatesAvailableCondition,
		controlplanev1.DeprecatedV1Beta1TokenAvailableCondition,
	}
)

// setConditions sets the summary conditions of the control plane from the Machines' conditions and what this
// reconcile observed. Health, certificate, token and Paused conditions are set by the phases that observe them.
func setConditions(cp *controlPlane) {
	setInitializedCondition(cp)
	setAvailableCondition(cp)
	setMachinesReadyCondition(cp)
	setMachinesUpToDateCondition(cp)
	setRollingOutCondition(cp)
	setScalingUpCondition(cp)
	setScalingDownCondition(cp)
	setRemediatingCondition(cp)
	setDeletingCondition(cp)

	setV1Beta1Conditions(cp)
}

func setInitializedCondition(cp *controlPlane) {
	if cp.Initialized() {
		conditions.Set(cp.KCP, metav1.Condition{
			Type:   controlplanev1.KThreesControlPlaneInitializedCondition,
			Status: metav1.ConditionTrue,
			Reason: controlplanev1.KThreesControlPlaneInitializedReason,
		})
		return
	}
	conditions.Set(cp.KCP, metav1.Condition{
		Type:    controlplanev1.KThreesControlPlaneInitializedCondition,
		Status:  metav1.ConditionFalse,
		Reason:  controlplanev1.KThreesControlPlaneNotInitializedReason,
		Message: "Waiting for the first K3s server to accept requests",
	})
}

// setAvailableCondition is True when the control plane is not deleting, is initialized, has its certificates, has
// at least one healthy K3s server and, when etcd is inspected, a quorum of healthy etcd members. When True, the
// message names partial failures; it is empty when everything is healthy.
func setAvailableCondition(cp *controlPlane) {
	kcp := cp.KCP
	var missing []string
	if !kcp.DeletionTimestamp.IsZero() {
		missing = append(missing, "* Control plane is being deleted")
	}
	if !cp.Initialized() {
		missing = append(missing, "* Control plane is not initialized yet")
	}
	if !conditions.IsTrue(kcp, controlplanev1.KThreesControlPlaneCertificatesAvailableCondition) {
		missing = append(missing, "* Control plane certificates are not available")
	}

	healthyServers, expectedServers := 0, 0
	for _, m := range cp.Machines {
		if conditions.IsTrue(m, controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition) {
			healthyServers++
		}
		// Machines still provisioning or being deleted are not expected to be healthy.
		if cp.nodeNameOf(m) != "" && m.DeletionTimestamp.IsZero() {
			expectedServers++
		}
	}
	if healthyServers == 0 {
		missing = append(missing, "* There are no Machines with a healthy K3s server, at least 1 required")
	}

	var etcd etcdAvailability
	if cp.EtcdInspected() {
		etcd = etcdAvailabilityOf(cp)
		if etcd.healthy < etcd.quorum {
			missing = append(missing, "* "+etcd.String())
		}
	}

	if len(missing) > 0 {
		conditions.Set(kcp, metav1.Condition{
			Type:    controlplanev1.KThreesControlPlaneAvailableCondition,
			Status:  metav1.ConditionFalse,
			Reason:  controlplanev1.KThreesControlPlaneNotAvailableReason,
			Message: strings.Join(missing, "\n"),
		})
		return
	}

	var degraded []string
	if cp.EtcdInspected() && etcd.healthy < etcd.members {
		degraded = append(degraded, "* "+etcd.String())
	}
	if healthyServers < expectedServers {
		degraded = append(degraded, fmt.Sprintf("* %d of %d Machines have a healthy K3s server", healthyServers, expectedServers))
	}
	conditions.Set(kcp, metav1.Condition{
		Type:    controlplanev1.KThreesControlPlaneAvailableCondition,
		Status:  metav1.ConditionTrue,
		Reason:  controlplanev1.KThreesControlPlaneAvailableReason,
		Message: strings.Join(degraded, "\n"),
	})
}

// etcdAvailability counts voting etcd members and the healthy ones among them.
type etcdAvailability struct {
	members, healthy, quorum int
}

func (q etcdAvailability) String() string {
	if q.healthy == 0 {
		return fmt.Sprintf("There are no healthy etcd members, at least %d required for etcd quorum", q.quorum)
	}
	return fmt.Sprintf("%d of %d etcd members are healthy, at least %d required for etcd quorum", q.healthy, q.members, q.quorum)
}

// etcdAvailabilityOf counts the voting etcd members and those whose Machine reports EtcdMemberHealthy True. When this
// reconcile did not list the members, every Machine with a Node stands for one member (K3s runs one per server).
// Learners and members that have not started (no name yet) do not vote and are not counted.
func etcdAvailabilityOf(cp *controlPlane) etcdAvailability {
	q := etcdAvailability{}
	if cp.health != nil && cp.health.etcdMembers != nil {
		machineByNode := map[string]*clusterv1.Machine{}
		for _, m := range cp.Machines {
			if nodeName := cp.nodeNameOf(m); nodeName != "" {
				machineByNode[nodeName] = m
			}
		}
		for _, member := range cp.health.etcdMembers {
			if member == nil || member.IsLearner || member.Name == "" {
				continue
			}
			q.members++
			if m := machineByNode[member.NodeName]; m != nil && conditions.IsTrue(m, controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition) {
				q.healthy++
			}
		}
	} else {
		for _, m := range cp.Machines {
			if cp.nodeNameOf(m) == "" {
				continue
			}
			q.members++
			if conditions.IsTrue(m, controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition) {
				q.healthy++
			}
		}
	}
	q.quorum = q.members/2 + 1
	return q
}

func setMachinesReadyCondition(cp *controlPlane) {
	if len(cp.Machines) == 0 {
		conditions.Set(cp.KCP, metav1.Condition{
			Type:   controlplanev1.KThreesControlPlaneMachinesReadyCondition,
			Status: metav1.ConditionTrue,
			Reason: controlplanev1.KThreesControlPlaneMachinesReadyNoReplicasReason,
		})
		return
	}
	setMachinesAggregateCondition(cp.KCP, cp.Machines, clusterv1.MachineReadyCondition,
		controlplanev1.KThreesControlPlaneMachinesReadyCondition,
		controlplanev1.KThreesControlPlaneMachinesNotReadyReason,
		controlplanev1.KThreesControlPlaneMachinesReadyUnknownReason,
		controlplanev1.KThreesControlPlaneMachinesReadyReason)
}

func setMachinesUpToDateCondition(cp *controlPlane) {
	// A Machine created moments ago may not have its UpToDate condition yet; counting it as unknown would make
	// the condition flicker on every scale up.
	machines := cp.Machines.Filter(func(m *clusterv1.Machine) bool {
		return conditions.Has(m, clusterv1.MachineUpToDateCondition) || cp.reconcileTime.Sub(m.CreationTimestamp.Time) > 10*time.Second
	})
	if len(machines) == 0 {
		conditions.Set(cp.KCP, metav1.Condition{
			Type:   controlplanev1.KThreesControlPlaneMachinesUpToDateCondition,
			Status: metav1.ConditionTrue,
			Reason: controlplanev1.KThreesControlPlaneMachinesUpToDateNoReplicasReason,
		})
		return
	}
	setMachinesAggregateCondition(cp.KCP, machines, clusterv1.MachineUpToDateCondition,
		controlplanev1.KThreesControlPlaneMachinesUpToDateCondition,
		controlplanev1.KThreesControlPlaneMachinesNotUpToDateReason,
		machinesUpToDateUnknownReason,
		controlplanev1.KThreesControlPlaneMachinesUpToDateReason)
}

// setMachinesAggregateCondition sets targetType on kcp to the aggregate of the Machines' sourceType conditions.
func setMachinesAggregateCondition(kcp *controlplanev1.KThreesControlPlane, machines collections.Machines, sourceType, targetType, issueReason, unknownReason, okReason string) {
	aggregate, err := conditions.NewAggregateCondition(machines.UnsortedList(), sourceType,
		conditions.TargetConditionType(targetType),
		conditions.CustomMergeStrategy{
			MergeStrategy: conditions.DefaultMergeStrategy(
				conditions.ComputeReasonFunc(conditions.GetDefaultComputeMergeReasonFunc(issueReason, unknownReason, okReason)),
			),
		},
	)
	if err != nil {
		conditions.Set(kcp, metav1.Condition{
			Type:    targetType,
			Status:  metav1.ConditionUnknown,
			Reason:  conditionInternalErrorReason,
			Message: fmt.Sprintf("Failed to aggregate the %s condition of the Machines: %v", sourceType, err),
		})
		return
	}
	conditions.Set(kcp, *aggregate)
}

// setRollingOutCondition is True while Machines must be replaced; the message says why and what the rollout
// waits for.
func setRollingOutCondition(cp *controlPlane) {
	outdated := cp.MachinesNeedingRollout()
	if len(outdated) == 0 {
		conditions.Set(cp.KCP, metav1.Condition{
			Type:   controlplanev1.KThreesControlPlaneRollingOutCondition,
			Status: metav1.ConditionFalse,
			Reason: controlplanev1.KThreesControlPlaneNotRollingOutReason,
		})
		return
	}

	var reasons []string
	for _, m := range outdated {
		for _, reason := range cp.upToDate[m.Name].Reasons {
			if !slices.Contains(reasons, reason) {
				reasons = append(reasons, reason)
			}
		}
	}
	// A version change is what people look for first.
	slices.SortFunc(reasons, func(a, b string) int {
		aVersion, bVersion := strings.HasPrefix(a, "Version"), strings.HasPrefix(b, "Version")
		if aVersion != bVersion {
			if aVersion {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})

	lines := []string{fmt.Sprintf("Rolling out %d not up-to-date %s", len(outdated), conditionsPlural(len(outdated), "replica", "replicas"))}
	conditionReason := controlplanev1.KThreesControlPlaneRollingOutReason
	if p := cp.inPlace; p != nil {
		line := fmt.Sprintf("* Upgrading Machine %s in place to %s: %s", p.machine, p.target, p.step)
		if p.renewal {
			line = fmt.Sprintf("* Renewing the certificates of Machine %s in place: %s", p.machine, p.step)
		}
		lines = append(lines, line)
		if p.stalled {
			conditionReason = controlplanev1.KThreesControlPlaneInPlaceUpgradeStalledReason
		}
	}
	for _, reason := range reasons {
		lines = append(lines, "* "+reason)
	}
	if len(cp.preflightMessages) > 0 {
		lines = append(lines, "* Rollout is blocked because:")
		for _, msg := range cp.preflightMessages {
			lines = append(lines, "  * "+msg)
		}
	}
	conditions.Set(cp.KCP, metav1.Condition{
		Type:    controlplanev1.KThreesControlPlaneRollingOutCondition,
		Status:  metav1.ConditionTrue,
		Reason:  conditionReason,
		Message: strings.Join(lines, "\n"),
	})
}

// desiredReplicasForConditions is spec.replicas, or 0 while the control plane is being deleted.
func desiredReplicasForConditions(cp *controlPlane) int32 {
	if !cp.KCP.DeletionTimestamp.IsZero() {
		return 0
	}
	return cp.DesiredReplicas()
}

func setScalingUpCondition(cp *controlPlane) {
	current, desired := int32(len(cp.Machines)), desiredReplicasForConditions(cp)
	if current >= desired {
		conditions.Set(cp.KCP, metav1.Condition{
			Type:   controlplanev1.KThreesControlPlaneScalingUpCondition,
			Status: metav1.ConditionFalse,
			Reason: controlplanev1.KThreesControlPlaneNotScalingUpReason,
		})
		return
	}

	var blockers []string
	switch {
	case !ptr.Deref(cp.Cluster.Status.Initialization.InfrastructureProvisioned, false):
		blockers = append(blockers, "* Waiting for the cluster infrastructure to be provisioned")
	case !cp.Cluster.Spec.ControlPlaneEndpoint.IsValid():
		blockers = append(blockers, "* Waiting for the Cluster's control plane endpoint")
	case current > 0 && !cp.Initialized():
		blockers = append(blockers, "* Waiting for the control plane to be initialized")
	}
	for _, msg := range cp.preflightMessages {
		blockers = append(blockers, "* "+msg)
	}
	message := fmt.Sprintf("Scaling up from %d to %d replicas", current, desired)
	if len(blockers) > 0 {
		message += " is blocked because:\n" + strings.Join(blockers, "\n")
	}
	conditions.Set(cp.KCP, metav1.Condition{
		Type:    controlplanev1.KThreesControlPlaneScalingUpCondition,
		Status:  metav1.ConditionTrue,
		Reason:  controlplanev1.KThreesControlPlaneScalingUpReason,
		Message: message,
	})
}

func setScalingDownCondition(cp *controlPlane) {
	current, desired := int32(len(cp.Machines)), desiredReplicasForConditions(cp)
	if current <= desired {
		conditions.Set(cp.KCP, metav1.Condition{
			Type:   controlplanev1.KThreesControlPlaneScalingDownCondition,
			Status: metav1.ConditionFalse,
			Reason: controlplanev1.KThreesControlPlaneNotScalingDownReason,
		})
		return
	}

	var blockers []string
	if cp.KCP.DeletionTimestamp.IsZero() {
		// While deleting, all Machines go at once and preflight checks do not apply.
		for _, msg := range cp.preflightMessages {
			blockers = append(blockers, "* "+msg)
		}
	}
	if stale := staleDeletingMachines(cp); len(stale) > 0 {
		blockers = append(blockers, fmt.Sprintf("* %s %s %s in deletion since more than %s",
			conditionsPlural(len(stale), "Machine", "Machines"), clog.ListToString(stale, func(s string) string { return s }, 3),
			conditionsPlural(len(stale), "is", "are"), staleDeletionAfter))
	}
	message := fmt.Sprintf("Scaling down from %d to %d replicas", current, desired)
	if len(blockers) > 0 {
		message += " is blocked because:\n" + strings.Join(blockers, "\n")
	}
	conditions.Set(cp.KCP, metav1.Condition{
		Type:    controlplanev1.KThreesControlPlaneScalingDownCondition,
		Status:  metav1.ConditionTrue,
		Reason:  controlplanev1.KThreesControlPlaneScalingDownReason,
		Message: message,
	})
}

// staleDeletingMachines names, sorted, the Machines that have been deleting for longer than staleDeletionAfter.
func staleDeletingMachines(cp *controlPlane) []string {
	var names []string
	for _, m := range cp.DeletingMachines() {
		if cp.reconcileTime.Sub(m.DeletionTimestamp.Time) > staleDeletionAfter {
			names = append(names, m.Name)
		}
	}
	slices.Sort(names)
	return names
}

// setRemediatingCondition is True while Machines are waiting for or undergoing remediation by this controller.
func setRemediatingCondition(cp *controlPlane) {
	toRemediate := cp.Machines.Filter(func(m *clusterv1.Machine) bool {
		return conditions.IsFalse(m, clusterv1.MachineOwnerRemediatedCondition)
	})
	if len(toRemediate) == 0 {
		// Unhealthy Machines without an OwnerRemediated condition are left to whoever flagged them.
		var message string
		if unhealthy := cp.Machines.Filter(collections.IsUnhealthy).Names(); len(unhealthy) > 0 {
			slices.Sort(unhealthy)
			message = fmt.Sprintf("%s %s %s not healthy (not to be remediated by KThreesControlPlane)",
				conditionsPlural(len(unhealthy), "Machine", "Machines"), clog.ListToString(unhealthy, func(s string) string { return s }, 3),
				conditionsPlural(len(unhealthy), "is", "are"))
		}
		conditions.Set(cp.KCP, metav1.Condition{
			Type:    controlplanev1.KThreesControlPlaneRemediatingCondition,
			Status:  metav1.ConditionFalse,
			Reason:  controlplanev1.KThreesControlPlaneNotRemediatingReason,
			Message: message,
		})
		return
	}

	aggregate, err := conditions.NewAggregateCondition(toRemediate.UnsortedList(), clusterv1.MachineOwnerRemediatedCondition,
		conditions.TargetConditionType(controlplanev1.KThreesControlPlaneRemediatingCondition))
	message := ""
	if err != nil {
		message = fmt.Sprintf("Failed to aggregate the %s condition of the Machines: %v", clusterv1.MachineOwnerRemediatedCondition, err)
	} else {
		message = aggregate.Message
	}
	conditions.Set(cp.KCP, metav1.Condition{
		Type:    controlplanev1.KThreesControlPlaneRemediatingCondition,
		Status:  metav1.ConditionTrue,
		Reason:  controlplanev1.KThreesControlPlaneRemediatingReason,
		Message: message,
	})
}

// setDeletingCondition reports NotDeleting, or keeps the deletion progress that reconcileDelete reported.
func setDeletingCondition(cp *controlPlane) {
	if cp.KCP.DeletionTimestamp.IsZero() {
		conditions.Set(cp.KCP, metav1.Condition{
			Type:   controlplanev1.KThreesControlPlaneDeletingCondition,
			Status: metav1.ConditionFalse,
			Reason: controlplanev1.KThreesControlPlaneNotDeletingReason,
		})
		return
	}
	if conditions.IsTrue(cp.KCP, controlplanev1.KThreesControlPlaneDeletingCondition) {
		return
	}
	conditions.Set(cp.KCP, metav1.Condition{
		Type:   controlplanev1.KThreesControlPlaneDeletingCondition,
		Status: metav1.ConditionTrue,
		Reason: deletingInProgressReason,
	})
}

// setV1Beta1Conditions sets upstream's conditions for the v1beta1 and v1beta2 API versions, with upstream's
// semantics, and their Ready summary.
func setV1Beta1Conditions(cp *controlPlane) {
	kcp := cp.KCP
	deleting := !kcp.DeletionTimestamp.IsZero()

	// Available turns true with the first Ready K3s server Node, like upstream's.
	switch {
	case kcp.Status.Deprecated != nil && kcp.Status.Deprecated.V1Beta1 != nil && kcp.Status.Deprecated.V1Beta1.Ready:
		v1beta1conditions.MarkTrue(kcp, controlplanev1.DeprecatedV1Beta1AvailableCondition)
	case !v1beta1conditions.IsTrue(kcp, controlplanev1.DeprecatedV1Beta1AvailableCondition):
		v1beta1conditions.MarkFalse(kcp, controlplanev1.DeprecatedV1Beta1AvailableCondition,
			controlplanev1.DeprecatedV1Beta1WaitingForKthreesServerReason, clusterv1.ConditionSeverityInfo, "")
	}

	// MachinesReady aggregates the Machines' v1beta1 Ready conditions with the Machine names, without the step
	// counter (upstream's).
	if len(cp.Machines) > 0 {
		getters := make([]v1beta1conditions.Getter, 0, len(cp.Machines))
		for _, m := range cp.Machines {
			getters = append(getters, m)
		}
		v1beta1conditions.SetAggregate(kcp, controlplanev1.DeprecatedV1Beta1MachinesReadyCondition, getters,
			v1beta1conditions.AddSourceRef(), v1beta1conditions.WithStepCounterIf(false))
	}

	// While deleting, reconcileDelete reports Resized and the rollout does not matter anymore.
	if !deleting {
		outdated := len(cp.MachinesNeedingRollout())
		switch {
		case outdated > 0:
			v1beta1conditions.MarkFalse(kcp, controlplanev1.DeprecatedV1Beta1MachinesSpecUpToDateCondition,
				controlplanev1.DeprecatedV1Beta1RollingUpdateInProgressReason, clusterv1.ConditionSeverityWarning,
				"Rolling %d replicas with outdated spec (%d replicas up to date)", outdated, len(cp.Machines)-outdated)
		case v1beta1conditions.Has(kcp, controlplanev1.DeprecatedV1Beta1MachinesSpecUpToDateCondition):
			// Only a rollout that was reported is reported complete.
			v1beta1conditions.MarkTrue(kcp, controlplanev1.DeprecatedV1Beta1MachinesSpecUpToDateCondition)
		}

		current, desired := int32(len(cp.Machines)), cp.DesiredReplicas()
		switch {
		case current < desired:
			v1beta1conditions.MarkFalse(kcp, controlplanev1.DeprecatedV1Beta1ResizedCondition,
				controlplanev1.DeprecatedV1Beta1ScalingUpReason, clusterv1.ConditionSeverityWarning,
				"Scaling up control plane to %d replicas (actual %d)", desired, current)
		case current > desired:
			v1beta1conditions.MarkFalse(kcp, controlplanev1.DeprecatedV1Beta1ResizedCondition,
				controlplanev1.DeprecatedV1Beta1ScalingDownReason, clusterv1.ConditionSeverityWarning,
				"Scaling down control plane to %d replicas (actual %d)", desired, current)
		case len(cp.Machines.Filter(collections.IsReady())) == len(cp.Machines):
			// Resizing is done once the Machines are provisioned, not when the last one is created.
			v1beta1conditions.MarkTrue(kcp, controlplanev1.DeprecatedV1Beta1ResizedCondition)
		}
	}

	v1beta1conditions.SetSummary(kcp, v1beta1conditions.WithConditions(v1beta1SummaryConditions...))
}

func conditionsPlural(n int, singular, plural string) string {
	if n == 1 {
		return singular
	}
	return plural
}
