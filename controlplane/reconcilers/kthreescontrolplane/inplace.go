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

	corev1 "k8s.io/api/core/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/collections"
	"sigs.k8s.io/cluster-api/util/conditions"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sversion"
)

// In-place upgrades (spec.rollout.strategy.type InPlace, or the in-place-upgrade annotation) change the K3s version
// of the control-plane Machines one at a time without replacing them. The state of the one Machine being upgraded
// lives on it (the target and start annotations, CAPI's update-in-progress annotation), on its Node (the cordon
// annotation) and in the workload cluster (the upgrade Pod), so a restart of the provider picks the upgrade up where
// it was. The workload-side steps are in pkg/k3supgrade and inplace_node.go.

const (
	// inPlacePollInterval paces the checks of a node while it is upgraded: neither the upgrade Pod nor the drain is
	// watched.
	inPlacePollInterval = 5 * time.Second
	// inPlaceStalledPollInterval paces the checks of a stalled upgrade, which waits for someone to fix the node.
	inPlaceStalledPollInterval = 30 * time.Second
)

// inPlaceProgress is what the status says about the in-place upgrade of this reconcile.
type inPlaceProgress struct {
	machine string
	target  string
	// step says, for people, what the upgrade waits for.
	step string
	// stalled is set when the node did not come back within the timeout, or the upgrade Pod failed.
	stalled bool
	// renewal is set when the upgrade renews the node's certificates at the same version.
	renewal bool
}

// inPlaceEnabled reports whether version changes are rolled out in place.
func inPlaceEnabled(kcp *controlplanev1.KThreesControlPlane) bool {
	return kcp.Spec.Rollout.Strategy.Type == controlplanev1.InPlaceStrategyType ||
		kcp.Annotations[controlplanev1.InPlaceUpgradeAnnotation] == "true"
}

// machineUpgradingInPlace is the Machine whose in-place upgrade started and did not finish, if any.
func (cp *controlPlane) machineUpgradingInPlace() *clusterv1.Machine {
	for _, m := range cp.Machines.SortedByCreationTimestamp() {
		if _, ok := m.Annotations[controlplanev1.InPlaceUpgradeTargetAnnotation]; ok && m.DeletionTimestamp.IsZero() {
			return m
		}
	}
	return nil
}

// inPlaceChange is what brings a Machine up to date in place.
type inPlaceChange int

const (
	// noInPlaceChange: the Machine is up to date, or needs more than a restart of K3s can bring.
	noInPlaceChange inPlaceChange = iota
	// inPlaceVersionUpgrade: only its version differs (its certificates may be due too: K3s renews certificates in
	// its own renewal window as it restarts, and a renewal follows if they are still due).
	inPlaceVersionUpgrade
	// inPlaceCertificatesRenewal: only its certificates are due, as this controller observed them.
	inPlaceCertificatesRenewal
	// inPlaceCertificatesUnconfirmable: only its certificates are due, but a renewal in place could not be told
	// done (see renewalConfirmable); the Machine is neither renewed nor replaced, and the status says why.
	inPlaceCertificatesUnconfirmable
)

// inPlaceChangeFor tells which in-place change brings the Machine up to date.
func inPlaceChangeFor(cp *controlPlane, m *clusterv1.Machine) inPlaceChange {
	if !m.DeletionTimestamp.IsZero() {
		return noInPlaceChange
	}
	result := machineUpToDate(cp, m)
	switch {
	case !result.inPlaceOnly:
		return noInPlaceChange
	case result.versionOutdated:
		return inPlaceVersionUpgrade
	case renewalConfirmable(cp, m) == "":
		return inPlaceCertificatesRenewal
	default:
		return inPlaceCertificatesUnconfirmable
	}
}

// outdatedForRollout are the Machines a rollout replaces: with in-place changes on, not those an in-place change
// brings up to date (or would, when it cannot be confirmed), which must never be replaced for it.
func outdatedForRollout(cp *controlPlane) collections.Machines {
	outdated := cp.MachinesNeedingRollout()
	if !inPlaceEnabled(cp.KCP) {
		return outdated
	}
	return outdated.Filter(func(m *clusterv1.Machine) bool { return inPlaceChangeFor(cp, m) == noInPlaceChange })
}

// reconcileInPlaceUpgrade moves the in-place upgrade on by one step. handled is true when an in-place upgrade owns
// this reconcile's Machine changes: one is under way, or one can start. Scaling and rollouts of other changes wait
// for it; a Machine that differs in more than its version and certificates is replaced as with RollingUpdate once
// no Machine is left to upgrade in place.
func (r *Reconciler) reconcileInPlaceUpgrade(ctx context.Context, cp *controlPlane) (res ctrl.Result, handled bool, err error) {
	if m := cp.machineUpgradingInPlace(); m != nil {
		res, err := r.continueInPlaceUpgrade(ctx, cp, m)
		return res, true, err
	}
	if !inPlaceEnabled(cp.KCP) {
		return ctrl.Result{}, false, nil
	}
	if current := int32(cp.Machines.Filter(collections.Not(collections.HasDeletionTimestamp)).Len()); current != cp.DesiredReplicas() || cp.DeletingMachines().Len() > 0 {
		// Scaling, and the replacement of remediated Machines, go first: an in-place change needs every Machine.
		return ctrl.Result{}, false, nil
	}
	for _, m := range cp.Machines.SortedByCreationTimestamp() {
		switch inPlaceChangeFor(cp, m) {
		case inPlaceVersionUpgrade:
			res, err := r.startInPlaceUpgrade(ctx, cp, m)
			return res, true, err
		case inPlaceCertificatesRenewal:
			res, err := r.startInPlaceCertificatesRenewal(ctx, cp, m)
			return res, true, err
		case inPlaceCertificatesUnconfirmable:
			cp.preflightMessages = append(cp.preflightMessages, fmt.Sprintf("Machine %s: its certificates are not renewed in place: %s", m.Name, renewalConfirmable(cp, m)))
		}
	}
	return ctrl.Result{}, false, nil
}

// startInPlaceUpgrade marks the Machine as upgrading once the control plane is steady and healthy and the version
// change is a supported upgrade; otherwise it says why it waits.
func (r *Reconciler) startInPlaceUpgrade(ctx context.Context, cp *controlPlane, m *clusterv1.Machine) (ctrl.Result, error) {
	target := cp.KCP.Spec.Version
	if err := k3sversion.ValidateUpgradeString(m.Spec.Version, target); err != nil {
		msg := fmt.Sprintf("Machine %s cannot be upgraded in place from %s to %s: %v", m.Name, m.Spec.Version, target, err)
		cp.preflightMessages = append(cp.preflightMessages, msg)
		r.Recorder.Event(cp.KCP, corev1.EventTypeWarning, "InPlaceUpgradeRefused", msg)
		return ctrl.Result{}, nil
	}
	if problems := inPlacePreflight(cp); len(problems) > 0 {
		cp.preflightMessages = append(cp.preflightMessages, problems...)
		// Health has no watch of its own (etcd); Machine and Node events come earlier when they change.
		return ctrl.Result{RequeueAfter: inPlaceStalledPollInterval}, nil
	}

	patch := client.MergeFrom(m.DeepCopy())
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[controlplanev1.InPlaceUpgradeTargetAnnotation] = target
	m.Annotations[controlplanev1.InPlaceUpgradeStartedAnnotation] = r.clock().UTC().Format(time.RFC3339)
	// CAPI's in-place contract: core shows the Machine as Updating and leaves it alone meanwhile.
	m.Annotations[clusterv1.UpdateInProgressAnnotation] = ""
	if err := r.Client.Patch(ctx, m, patch); err != nil {
		return ctrl.Result{}, fmt.Errorf("failed to mark Machine %s for its in-place upgrade: %w", m.Name, err)
	}
	ctrl.LoggerFrom(ctx).Info("Starting the in-place upgrade of a control-plane Machine", "Machine", machineRef(m), "from", m.Spec.Version, "to", target)
	r.Recorder.Eventf(cp.KCP, corev1.EventTypeNormal, "InPlaceUpgradeStarted", "Upgrading Machine %s in place from %s to %s", m.Name, m.Spec.Version, target)
	cp.inPlace = &inPlaceProgress{machine: m.Name, target: target, step: "cordoning its Node"}
	return ctrl.Result{RequeueAfter: time.Second}, nil
}

// inPlacePreflight lists why no upgrade may start now: every Machine must be there, not deleting, with a Ready
// agent and, where etcd is inspected, a healthy etcd member, so that the node taken down keeps quorum.
func inPlacePreflight(cp *controlPlane) []string {
	var problems []string
	if cp.health == nil || cp.health.connErr != nil {
		return []string{"the workload cluster cannot be inspected"}
	}
	if n := cp.DeletingMachines().Len(); n > 0 {
		problems = append(problems, fmt.Sprintf("%d control-plane Machine(s) are being deleted", n))
	}
	if current, desired := int32(cp.Machines.Filter(collections.Not(collections.HasDeletionTimestamp)).Len()), cp.DesiredReplicas(); current != desired {
		problems = append(problems, fmt.Sprintf("%d control-plane Machines, %d desired", current, desired))
	}
	for _, m := range cp.Machines.SortedByCreationTimestamp() {
		if !conditions.IsTrue(m, controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition) {
			problems = append(problems, fmt.Sprintf("Machine %s: its K3s agent is not healthy", m.Name))
		}
		if cp.EtcdInspected() && !conditions.IsTrue(m, controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition) {
			problems = append(problems, fmt.Sprintf("Machine %s: its etcd member is not healthy", m.Name))
		}
	}
	return problems
}
