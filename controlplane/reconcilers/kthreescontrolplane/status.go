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
	"strconv"
	"strings"
	"unicode"

	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/collections"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/cluster-api/util/version"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/workload"
)

// updateStatus computes the status fields from what this reconcile saw. It also runs during deletion, then
// without contacting the workload cluster.
func (r *Reconciler) updateStatus(ctx context.Context, cp *controlPlane) error {
	kcp := cp.KCP

	// The scale subresource needs the selector in string form.
	kcp.Status.Selector = collections.ControlPlaneSelectorForCluster(cp.Cluster.Name).String()

	setReplicaCounters(cp)
	setVersions(cp)
	setLastRemediation(ctx, cp)

	var err error
	if kcp.DeletionTimestamp.IsZero() {
		err = setControlPlaneInitialized(ctx, cp)
	}
	setDeprecatedV1Beta1Status(cp)
	return err
}

// setReplicaCounters sets the contract's counters from the Machines' conditions; zero counts are written too.
func setReplicaCounters(cp *controlPlane) {
	var ready, available, upToDate int32
	for _, m := range cp.Machines {
		if conditions.IsTrue(m, clusterv1.MachineReadyCondition) {
			ready++
		}
		if conditions.IsTrue(m, clusterv1.MachineAvailableCondition) {
			available++
		}
		if conditions.IsTrue(m, clusterv1.MachineUpToDateCondition) {
			upToDate++
		}
	}
	cp.KCP.Status.Replicas = ptr.To(int32(len(cp.Machines)))
	cp.KCP.Status.ReadyReplicas = ptr.To(ready)
	cp.KCP.Status.AvailableReplicas = ptr.To(available)
	cp.KCP.Status.UpToDateReplicas = ptr.To(upToDate)
}

// setVersions reports the Machines' versions with their counts, oldest first, and the oldest one in the deprecated
// status.version. Without versioned Machines status.version keeps its last value, like KCP's.
func setVersions(cp *controlPlane) {
	counts := map[string]int32{}
	for _, m := range cp.Machines {
		if m.Spec.Version != "" {
			counts[m.Spec.Version]++
		}
	}
	if len(counts) == 0 {
		cp.KCP.Status.Versions = nil
		return
	}
	versions := make([]clusterv1.StatusVersion, 0, len(counts))
	for v, n := range counts {
		versions = append(versions, clusterv1.StatusVersion{Version: v, Replicas: n})
	}
	slices.SortFunc(versions, func(a, b clusterv1.StatusVersion) int { return compareK3sVersions(a.Version, b.Version) })
	cp.KCP.Status.Versions = versions
	cp.KCP.Status.Version = versions[0].Version
}

// compareK3sVersions orders K3s versions, including their build metadata: v1.33.1+k3s2 is newer than v1.33.1+k3s1.
// CAPI's build-tag comparison cannot order "k3s1" and "k3s2" (it reports them as different), so those are compared
// by their trailing numbers. Unparsable versions sort last; ties are broken by the string so the order is stable.
func compareK3sVersions(a, b string) int {
	va, errA := version.ParseTolerantImageTag(a)
	vb, errB := version.ParseTolerantImageTag(b)
	switch {
	case errA != nil && errB != nil:
		return strings.Compare(a, b)
	case errA != nil:
		return 1
	case errB != nil:
		return -1
	}
	c := version.Compare(va, vb, version.WithBuildTags())
	if c == 2 {
		c = compareBuildMetadata(va.Build, vb.Build)
	}
	if c == 0 {
		return strings.Compare(a, b)
	}
	return c
}

// compareBuildMetadata compares build identifiers such as "k3s1" and "k3s10" as a name followed by a number.
func compareBuildMetadata(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		nameA, numA, okA := splitTrailingNumber(a[i])
		nameB, numB, okB := splitTrailingNumber(b[i])
		if okA && okB && nameA == nameB {
			if c := compareVersionNumbers(numA, numB); c != 0 {
				return c
			}
			continue
		}
		if c := strings.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return compareVersionNumbers(uint64(len(a)), uint64(len(b)))
}

// splitTrailingNumber splits "k3s12" into "k3s" and 12; ok is false when s does not end with a digit.
func splitTrailingNumber(s string) (name string, num uint64, ok bool) {
	i := strings.LastIndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) }) + 1
	if i == len(s) {
		return s, 0, false
	}
	n, err := strconv.ParseUint(s[i:], 10, 64)
	if err != nil {
		return s, 0, false
	}
	return s[:i], n, true
}

func compareVersionNumbers(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// setControlPlaneInitialized sets status.initialization.controlPlaneInitialized once the first K3s server created
// kube-system/k3s-serving; it is never reset. An unreachable workload cluster is not an error here: the health
// conditions report it and the ClusterCache triggers a reconcile once it connects.
func setControlPlaneInitialized(ctx context.Context, cp *controlPlane) error {
	if cp.Initialized() || len(cp.Machines) == 0 {
		return nil
	}
	// A lone first server that is being deleted or remediated must not mark the control plane initialized: its
	// replacement would then try to join a cluster that is going away instead of creating one.
	if len(cp.Machines) == 1 {
		m := cp.Machines.UnsortedList()[0]
		if !m.DeletionTimestamp.IsZero() || collections.IsUnhealthyAndOwnerRemediated(m) {
			return nil
		}
	}

	wl, err := cp.Workload(ctx)
	if err == nil {
		var initialized bool
		initialized, err = wl.IsInitialized(ctx)
		if err == nil {
			if initialized {
				cp.KCP.Status.Initialization.ControlPlaneInitialized = ptr.To(true)
			}
			return nil
		}
	}
	if workload.IsRemoteConnectionError(err) {
		ctrl.LoggerFrom(ctx).V(4).Info("Cannot tell whether the control plane is initialized: the workload cluster is unreachable", "reason", err.Error())
		return nil
	}
	return fmt.Errorf("failed to check whether the control plane is initialized: %w", err)
}

// setLastRemediation reports the remediation in progress (the control plane's remediation-in-progress annotation,
// between deleting a Machine and creating its replacement) or else the newest one recorded on the Machines, like
// upstream's; without one the field is kept. Annotations that cannot be read are skipped: they are user-editable
// and must not break the status.
func setLastRemediation(ctx context.Context, cp *controlPlane) {
	newest := readRemediationRecord(ctx, cp.KCP, controlplanev1.RemediationInProgressAnnotation)
	if newest == nil {
		for _, m := range cp.Machines {
			record := readRemediationRecord(ctx, m, controlplanev1.RemediationForAnnotation)
			if record != nil && (newest == nil || newest.Timestamp.Before(&record.Timestamp)) {
				newest = record
			}
		}
	}
	if newest == nil {
		return
	}
	cp.KCP.Status.LastRemediation = controlplanev1.LastRemediationStatus{
		Machine:    newest.Machine,
		Time:       newest.Timestamp,
		RetryCount: ptr.To(int32(newest.RetryCount)),
	}
}

// readRemediationRecord reads the remediation JSON in annotation of obj; nil when absent or unreadable.
func readRemediationRecord(ctx context.Context, obj client.Object, annotation string) *remediationRecord {
	value, ok := obj.GetAnnotations()[annotation]
	if !ok {
		return nil
	}
	record, err := parseRemediationRecord(value)
	if err != nil || record.Machine == "" {
		ctrl.LoggerFrom(ctx).Info("Ignoring an unreadable remediation annotation", "object", klog.KObj(obj), "annotation", annotation)
		return nil
	}
	return record
}

// setDeprecatedV1Beta1Status sets the status that the v1beta1 and v1beta2 API versions expose, with upstream's
// meaning: updatedReplicas are up-to-date Machines, readyReplicas are Ready control-plane Nodes, and ready turns
// true with the first Ready Node and stays true. failureReason and failureMessage are left alone.
func setDeprecatedV1Beta1Status(cp *controlPlane) {
	kcp := cp.KCP
	if kcp.Status.Deprecated == nil {
		kcp.Status.Deprecated = &controlplanev1.KThreesControlPlaneDeprecatedStatus{}
	}
	if kcp.Status.Deprecated.V1Beta1 == nil {
		kcp.Status.Deprecated.V1Beta1 = &controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus{}
	}
	old := kcp.Status.Deprecated.V1Beta1

	old.UpdatedReplicas = int32(len(cp.UpToDateMachines()))
	switch {
	case !kcp.DeletionTimestamp.IsZero():
		// Upstream reports no ready replicas while deleting; the workload cluster is not contacted.
		old.ReadyReplicas = 0
	case cp.health != nil && cp.health.connErr == nil && cp.health.nodes != nil:
		var readyNodes int32
		for _, node := range cp.health.nodes {
			if workload.IsNodeReady(node) {
				readyNodes++
			}
		}
		old.ReadyReplicas = readyNodes
		if readyNodes > 0 {
			old.Ready = true
		}
	}
	old.UnavailableReplicas = max(int32(len(cp.Machines))-old.ReadyReplicas, 0)
}
