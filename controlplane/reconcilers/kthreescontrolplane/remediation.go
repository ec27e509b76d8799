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
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/collections"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"
	ctrl "sigs.k8s.io/controller-runtime"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// Reasons of the Machines' OwnerRemediated condition, the ones KCP uses, so that users and tools see the same
// reasons for both control planes.
const (
	// machineRemediationDeferredReason: the remediation waits for a transient state to pass.
	machineRemediationDeferredReason = "RemediationDeferred"
	// machineCannotBeRemediatedReason: the remediation is not possible until something changes.
	machineCannotBeRemediatedReason = "CannotBeRemediated"
	// machineRemediationMachineDeletingReason: the Machine is being deleted to be replaced.
	machineRemediationMachineDeletingReason = "MachineDeleting"
	// machineRemediationInternalErrorReason: the remediation failed.
	machineRemediationInternalErrorReason = clusterv1.InternalErrorReason
)

// remediationRecord is the JSON of the remediation-in-progress annotation on the control plane and of the
// remediation-for annotation on the replacement Machine; the field names are upstream's.
type remediationRecord struct {
	// Machine is the name of the remediated Machine.
	Machine string `json:"machine"`
	// Timestamp is when the remediation started, in UTC.
	Timestamp metav1.Time `json:"timestamp"`
	// RetryCount counts the remediations of replacements that failed again within minHealthyPeriodSeconds.
	RetryCount int `json:"retryCount"`
}

// parseRemediationRecord reads a remediation annotation value.
func parseRemediationRecord(value string) (*remediationRecord, error) {
	record := &remediationRecord{}
	if err := json.Unmarshal([]byte(value), record); err != nil {
		return nil, fmt.Errorf("failed to read remediation data %q: %w", value, err)
	}
	return record, nil
}

// marshal writes the record as an annotation value.
func (rr remediationRecord) marshal() (string, error) {
	b, err := json.Marshal(rr)
	if err != nil {
		return "", fmt.Errorf("failed to write remediation data: %w", err)
	}
	return string(b), nil
}

// reconcileUnhealthyMachines remediates a control-plane Machine that a MachineHealthCheck marked unhealthy by
// deleting it; scaling up creates its replacement, which inherits the remediation record. One remediation runs at
// a time, retries are limited by spec.remediation, and once the cluster is initialized a Machine is only deleted
// when the rest of the control plane keeps etcd quorum and a healthy K3s server.
//
// stop is true when it deleted a Machine or waits for a transient state (deletions, provisioning, etcd health)
// that scaling would wait for too. When remediation is not possible for now (retry limits, a single Machine,
// another remediation waiting for its replacement) scaling goes on: it may be what repairs the control plane.
func (r *Reconciler) reconcileUnhealthyMachines(ctx context.Context, cp *controlPlane) (stop bool, err error) {
	log := ctrl.LoggerFrom(ctx)

	cleanUpOwnerRemediated(cp)
	r.dropStaleRemediationInProgress(ctx, cp)

	unhealthy := cp.Machines.Filter(collections.IsUnhealthyAndOwnerRemediated)
	if unhealthy.Len() == 0 {
		return false, nil
	}
	if m := cp.machineUpgradingInPlace(); m != nil {
		// A node restarting into its new version looks unhealthy for a while; replacing a Machine now would take a
		// second node down. The upgrade reports itself stalled if the node does not come back.
		log.Info("Not remediating while a Machine is upgraded in place", "upgrading", machineRef(m), "unhealthy", unhealthy.Names())
		return true, nil
	}
	target := machineToRemediate(unhealthy)
	log = log.WithValues("Machine", klog.KObj(target), "initialized", cp.Initialized())
	ctx = ctrl.LoggerInto(ctx, log)

	if !target.DeletionTimestamp.IsZero() {
		// The remediation is under way; the Machine's deletion reconciles the control plane.
		return true, nil
	}
	if value, ok := cp.KCP.Annotations[controlplanev1.RemediationInProgressAnnotation]; ok {
		previous := "another Machine"
		if record, err := parseRemediationRecord(value); err == nil {
			previous = "Machine " + record.Machine
		}
		r.deferRemediation(ctx, cp, target, machineRemediationDeferredReason, false,
			fmt.Sprintf("Waiting for the replacement of %s to be created before remediating another Machine", previous))
		return false, nil
	}

	record, ok := r.checkRemediationRetryLimits(ctx, cp, target)
	if !ok {
		return false, nil
	}

	if !cp.Initialized() {
		// Before initialization there is no cluster to protect: the first Machine is replaced as is.
		if oldest := cp.Machines.Oldest(); oldest.Name != target.Name {
			r.deferRemediation(ctx, cp, target, machineRemediationDeferredReason, false,
				fmt.Sprintf("Waiting for the control plane to be initialized; only the first Machine %s can be remediated before", oldest.Name))
			return false, nil
		}
		if err := r.deleteMachine(ctx, cp, target); err != nil {
			r.remediationFailed(cp, target, err)
			return true, err
		}
	} else {
		if stop, blocked := r.remediationBlocked(ctx, cp, target); blocked {
			return stop, nil
		}
		if err := r.removeMachine(ctx, cp, target); err != nil {
			r.remediationFailed(cp, target, err)
			return true, err
		}
	}

	log.Info("Deleting an unhealthy control-plane Machine to replace it (remediation)", "retryCount", record.RetryCount)
	conditions.Set(target, metav1.Condition{
		Type:    clusterv1.MachineOwnerRemediatedCondition,
		Status:  metav1.ConditionFalse,
		Reason:  machineRemediationMachineDeletingReason,
		Message: "Machine is deleting",
	})
	v1beta1conditions.MarkFalse(target, clusterv1.MachineOwnerRemediatedV1Beta1Condition,
		controlplanev1.DeprecatedV1Beta1RemediationInProgressReason, clusterv1.ConditionSeverityWarning, "")
	r.Recorder.Eventf(cp.KCP, corev1.EventTypeNormal, "MachineRemediationStarted",
		"Deleting unhealthy control-plane Machine %s to replace it (retry %d)", target.Name, record.RetryCount)

	value, err := record.marshal()
	if err != nil {
		return true, err
	}
	// createMachine copies it to the replacement's remediation-for annotation; the final patch persists it.
	if cp.KCP.Annotations == nil {
		cp.KCP.Annotations = map[string]string{}
	}
	cp.KCP.Annotations[controlplanev1.RemediationInProgressAnnotation] = value
	return true, nil
}

// cleanUpOwnerRemediated removes the OwnerRemediated conditions of Machines that became healthy again before
// they were remediated, so that they no longer show a pending remediation. patchMachines writes the change.
func cleanUpOwnerRemediated(cp *controlPlane) {
	for _, m := range cp.Machines {
		if !m.DeletionTimestamp.IsZero() {
			continue
		}
		if conditions.IsTrue(m, clusterv1.MachineHealthCheckSucceededCondition) && conditions.IsFalse(m, clusterv1.MachineOwnerRemediatedCondition) {
			conditions.Delete(m, clusterv1.MachineOwnerRemediatedCondition)
		}
		if v1beta1conditions.IsTrue(m, clusterv1.MachineHealthCheckSucceededV1Beta1Condition) && v1beta1conditions.IsFalse(m, clusterv1.MachineOwnerRemediatedV1Beta1Condition) {
			v1beta1conditions.Delete(m, clusterv1.MachineOwnerRemediatedV1Beta1Condition)
		}
	}
}

// dropStaleRemediationInProgress removes the remediation-in-progress annotation when its replacement Machine
// already exists (the controller stopped between creating it and patching the control plane) or when it cannot
// be read; otherwise it would block remediations forever.
func (r *Reconciler) dropStaleRemediationInProgress(ctx context.Context, cp *controlPlane) {
	value, ok := cp.KCP.Annotations[controlplanev1.RemediationInProgressAnnotation]
	if !ok {
		return
	}
	record, err := parseRemediationRecord(value)
	if err != nil {
		ctrl.LoggerFrom(ctx).Info("Removing an unreadable remediation-in-progress annotation", "error", err.Error())
		r.Recorder.Eventf(cp.KCP, corev1.EventTypeWarning, "RemediationBlocked",
			"Removed the unreadable annotation %s: %v", controlplanev1.RemediationInProgressAnnotation, err)
		delete(cp.KCP.Annotations, controlplanev1.RemediationInProgressAnnotation)
		return
	}
	for _, m := range cp.Machines {
		if m.CreationTimestamp.After(record.Timestamp.Time) {
			delete(cp.KCP.Annotations, controlplanev1.RemediationInProgressAnnotation)
			return
		}
	}
}

// machineToRemediate picks the oldest unhealthy Machine without a Node (its provisioning failed, it serves
// nothing), else the oldest unhealthy Machine.
func machineToRemediate(unhealthy collections.Machines) *clusterv1.Machine {
	if withoutNode := unhealthy.Filter(collections.Not(collections.HasNode())); withoutNode.Len() > 0 {
		return withoutNode.Oldest()
	}
	return unhealthy.Oldest()
}

// checkRemediationRetryLimits decides whether target may be remediated under spec.remediation and returns the
// record of this remediation. A target that replaces a Machine remediated less than minHealthyPeriodSeconds ago
// is a retry: it waits retryPeriodSeconds after the previous remediation and stops after maxRetry retries.
func (r *Reconciler) checkRemediationRetryLimits(ctx context.Context, cp *controlPlane, target *clusterv1.Machine) (remediationRecord, bool) {
	now := cp.reconcileTime.UTC()
	next := remediationRecord{Machine: target.Name, Timestamp: metav1.NewTime(now)}

	value, ok := target.Annotations[controlplanev1.RemediationForAnnotation]
	if !ok {
		return next, true
	}
	last, err := parseRemediationRecord(value)
	if err != nil {
		ctrl.LoggerFrom(ctx).Info("Ignoring an unreadable remediation-for annotation: remediating as a first attempt", "error", err.Error())
		return next, true
	}

	spec := cp.KCP.Spec.Remediation
	minHealthyPeriod := time.Duration(ptr.Deref(spec.MinHealthyPeriodSeconds, controlplanev1.DefaultMinHealthyPeriodSeconds)) * time.Second
	retryPeriod := time.Duration(ptr.Deref(spec.RetryPeriodSeconds, 0)) * time.Second
	if last.Timestamp.IsZero() || !now.Before(last.Timestamp.Add(minHealthyPeriod)) {
		// The replacement stayed healthy long enough: this is a new failure, not a retry.
		return next, true
	}

	next.RetryCount = last.RetryCount
	if retryAt := last.Timestamp.Add(retryPeriod); now.Before(retryAt) {
		cp.requeueIn(retryAt.Sub(now))
		r.deferRemediation(ctx, cp, target, machineRemediationDeferredReason, false,
			fmt.Sprintf("The remediation of Machine %s failed again within %s (retryPeriodSeconds); retrying after %s",
				last.Machine, retryPeriod, retryAt.UTC().Format(time.RFC3339)))
		return next, false
	}
	if spec.MaxRetry != nil && next.RetryCount >= int(*spec.MaxRetry) {
		r.deferRemediation(ctx, cp, target, machineCannotBeRemediatedReason, false,
			fmt.Sprintf("The remediation was retried %d times, the limit set by maxRetry", next.RetryCount))
		return next, false
	}
	next.RetryCount++
	return next, true
}

// remediationBlocked applies the safety rules of an initialized cluster before target is deleted. blocked tells
// whether the remediation must not happen now; stop whether scaling must wait too.
func (r *Reconciler) remediationBlocked(ctx context.Context, cp *controlPlane, target *clusterv1.Machine) (stop, blocked bool) {
	if cp.Machines.Len() <= 1 {
		r.deferRemediation(ctx, cp, target, machineCannotBeRemediatedReason, false,
			"The only control-plane Machine cannot be remediated: deleting it would lose the cluster; add replicas to make remediation possible")
		return false, true
	}
	if provisioning := cp.Machines.Filter(collections.Not(collections.IsUnhealthy), collections.Not(collections.HasNode())); provisioning.Len() > 0 {
		r.deferRemediation(ctx, cp, target, machineRemediationDeferredReason, true,
			fmt.Sprintf("Waiting for Machine %s to finish provisioning before remediating", joinSortedNames(provisioning)))
		return true, true
	}
	if deleting := cp.DeletingMachines(); deleting.Len() > 0 {
		r.deferRemediation(ctx, cp, target, machineRemediationDeferredReason, true,
			fmt.Sprintf("Waiting for the deletion of Machine %s to complete before remediating", joinSortedNames(deleting)))
		return true, true
	}
	if cp.health == nil || cp.health.connErr != nil {
		r.deferRemediation(ctx, cp, target, machineRemediationDeferredReason, true,
			"Cannot check etcd health before remediating: the workload cluster is not reachable")
		return true, true
	}
	if msg := removalSafetyProblem(cp, target); msg != "" {
		// etcd health is not watched.
		cp.requeueIn(preflightRequeueAfter)
		r.deferRemediation(ctx, cp, target, machineCannotBeRemediatedReason, true, msg)
		return true, true
	}
	return false, false
}

// deferRemediation records on target why it is not remediated now, and with event also as a RemediationBlocked
// event.
func (r *Reconciler) deferRemediation(ctx context.Context, cp *controlPlane, target *clusterv1.Machine, reason string, event bool, message string) {
	ctrl.LoggerFrom(ctx).Info("A control-plane Machine needs remediation, but: " + message)
	conditions.Set(target, metav1.Condition{
		Type:    clusterv1.MachineOwnerRemediatedCondition,
		Status:  metav1.ConditionFalse,
		Reason:  reason,
		Message: message,
	})
	v1beta1conditions.MarkFalse(target, clusterv1.MachineOwnerRemediatedV1Beta1Condition,
		controlplanev1.DeprecatedV1Beta1WaitingForRemediationReason, clusterv1.ConditionSeverityWarning, "%s", message)
	if event {
		r.Recorder.Eventf(cp.KCP, corev1.EventTypeWarning, "RemediationBlocked", "Cannot remediate Machine %s: %s", target.Name, message)
	}
}

// remediationFailed records on target that deleting it failed.
func (r *Reconciler) remediationFailed(cp *controlPlane, target *clusterv1.Machine, err error) {
	conditions.Set(target, metav1.Condition{
		Type:    clusterv1.MachineOwnerRemediatedCondition,
		Status:  metav1.ConditionFalse,
		Reason:  machineRemediationInternalErrorReason,
		Message: "Please check controller logs for errors",
	})
	v1beta1conditions.MarkFalse(target, clusterv1.MachineOwnerRemediatedV1Beta1Condition,
		controlplanev1.DeprecatedV1Beta1RemediationFailedReason, clusterv1.ConditionSeverityError, "%s", err.Error())
	r.Recorder.Eventf(cp.KCP, corev1.EventTypeWarning, "RemediationBlocked", "Failed to remediate Machine %s: %v", target.Name, err)
}
