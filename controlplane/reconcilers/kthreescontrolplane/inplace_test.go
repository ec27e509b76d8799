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
	"errors"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/collections"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// inPlaceScope is a control plane of healthy Machines at version, with the KThreesControlPlane asking for desired.
func inPlaceScope(desired string, versions ...string) *controlPlane {
	kcp := machinesTestKCP()
	kcp.Spec.Version = desired
	kcp.Spec.Replicas = ptr.To(int32(len(versions)))
	kcp.Spec.Rollout.Strategy.Type = controlplanev1.InPlaceStrategyType
	cp := &controlPlane{KCP: kcp, Cluster: machinesTestCluster(), Machines: collections.New(), upToDate: map[string]upToDateResult{},
		health: &workloadHealth{nodes: map[string]*corev1.Node{}, etcdHealthyNodes: sets.New[string]()}}
	for i, v := range versions {
		m := &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{
			Namespace: machinesTestNamespace, Name: "m" + string(rune('0'+i)),
			CreationTimestamp: metav1.NewTime(time.Unix(int64(i), 0)),
		}}
		m.Spec.Version = v
		for _, c := range []string{controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition} {
			conditions.Set(m, metav1.Condition{Type: c, Status: metav1.ConditionTrue, Reason: "Healthy"})
		}
		cp.Machines.Insert(m)
	}
	return cp
}

func TestInPlaceEnabled(t *testing.T) {
	g := NewWithT(t)
	kcp := machinesTestKCP()
	g.Expect(inPlaceEnabled(kcp)).To(BeFalse())
	kcp.Annotations = map[string]string{controlplanev1.InPlaceUpgradeAnnotation: "true"}
	g.Expect(inPlaceEnabled(kcp)).To(BeTrue(), "the v1beta2 path")
	kcp.Annotations = nil
	kcp.Spec.Rollout.Strategy.Type = controlplanev1.InPlaceStrategyType
	g.Expect(inPlaceEnabled(kcp)).To(BeTrue())
}

func TestInPlaceChangeFor(t *testing.T) {
	g := NewWithT(t)
	cp := inPlaceScope("v1.34.6+k3s1", "v1.34.5+k3s1", "v1.34.6+k3s1")
	cp.reconcileTime = time.Now()
	g.Expect(inPlaceChangeFor(cp, cp.Machines["m0"])).To(Equal(inPlaceVersionUpgrade))
	g.Expect(inPlaceChangeFor(cp, cp.Machines["m1"])).To(Equal(noInPlaceChange), "up to date")

	// Certificates due, as the etcd members present them: renewed in place when that is all; the version goes first
	// when both are due.
	cp.KCP.Spec.Rollout.Before.CertificatesExpiryDays = 30
	cp.health.certificatesExpiry = map[string]time.Time{}
	for _, name := range []string{"m0", "m1"} {
		cp.Machines[name].Status.NodeRef = clusterv1.MachineNodeReference{Name: "node-" + name}
		cp.health.certificatesExpiry["node-"+name] = cp.reconcileTime.Add(10 * 24 * time.Hour)
	}
	g.Expect(inPlaceChangeFor(cp, cp.Machines["m1"])).To(Equal(inPlaceCertificatesRenewal))
	g.Expect(inPlaceChangeFor(cp, cp.Machines["m0"])).To(Equal(inPlaceVersionUpgrade))

	// Due only by a date set on the Machine: a renewal could never be told done, so none starts, and no rollout
	// replaces the Machine for it.
	cp.health.certificatesExpiry["node-m1"] = cp.reconcileTime.Add(300 * 24 * time.Hour)
	cp.Machines["m1"].Annotations = map[string]string{clusterv1.MachineCertificatesExpiryDateAnnotation: cp.reconcileTime.Add(24 * time.Hour).UTC().Format(time.RFC3339)}
	g.Expect(inPlaceChangeFor(cp, cp.Machines["m1"])).To(Equal(inPlaceCertificatesUnconfirmable))
	g.Expect(renewalConfirmable(cp, cp.Machines["m1"])).To(ContainSubstring("not the one its etcd member presents"))
	g.Expect(outdatedForRollout(cp).Names()).To(BeEmpty(), "in-place changes are never rolled out")
	cp.Machines["m1"].Annotations = nil
	cp.health.certificatesExpiry["node-m1"] = cp.reconcileTime.Add(10 * 24 * time.Hour)

	// A window as long as K3s's validity, or no etcd inspection, cannot be confirmed either.
	cp.KCP.Spec.Rollout.Before.CertificatesExpiryDays = 365
	g.Expect(renewalConfirmable(cp, cp.Machines["m1"])).To(ContainSubstring("must be less than the 365 days"))
	cp.KCP.Spec.Rollout.Before.CertificatesExpiryDays = 30
	cp.KCP.Spec.KThreesConfigSpec.ServerConfig.DisableComponents = []string{"etcd-proxy"}
	g.Expect(inPlaceChangeFor(cp, cp.Machines["m1"])).To(Equal(inPlaceCertificatesUnconfirmable))
	cp.KCP.Spec.KThreesConfigSpec.ServerConfig.DisableComponents = nil

	// A Machine that also needs something a restart cannot bring is replaced, not upgraded in place.
	cp.KCP.Spec.Rollout.After = metav1.NewTime(time.Now().Add(-time.Minute))
	cp.Machines["m0"].CreationTimestamp = metav1.NewTime(time.Now().Add(-time.Hour))
	g.Expect(inPlaceChangeFor(cp, cp.Machines["m0"])).To(Equal(noInPlaceChange))
	cp.Machines["m1"].CreationTimestamp = metav1.NewTime(time.Now().Add(-time.Hour))
	g.Expect(inPlaceChangeFor(cp, cp.Machines["m1"])).To(Equal(noInPlaceChange))
	g.Expect(outdatedForRollout(cp).Names()).To(ConsistOf("m0", "m1"))

	now := metav1.Now()
	cp.Machines["m1"].DeletionTimestamp = &now
	g.Expect(inPlaceChangeFor(cp, cp.Machines["m1"])).To(Equal(noInPlaceChange), "deleting")
}

// With a Machine missing (remediated) or being deleted, no in-place change starts: scaling goes first, and the
// Machines an in-place change would bring up to date are not replaced meanwhile.
func TestReconcileInPlaceUpgradeLetsScalingGoFirst(t *testing.T) {
	g := NewWithT(t)
	cp := inPlaceScope("v1.34.6+k3s1", "v1.34.5+k3s1", "v1.34.5+k3s1")
	cp.KCP.Spec.Replicas = ptr.To(int32(3))
	r := &Reconciler{Recorder: record.NewFakeRecorder(10)}
	_, handled, err := r.reconcileInPlaceUpgrade(t.Context(), cp)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(handled).To(BeFalse())
	g.Expect(outdatedForRollout(cp).Names()).To(BeEmpty())
}

func TestInPlacePreflight(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(cp *controlPlane)
		want   []string
	}{
		{name: "steady and healthy", mutate: func(*controlPlane) {}},
		{name: "workload unreachable", mutate: func(cp *controlPlane) { cp.health.connErr = errors.New("down") }, want: []string{"the workload cluster cannot be inspected"}},
		{name: "agent not healthy", mutate: func(cp *controlPlane) {
			conditions.Set(cp.Machines["m1"], metav1.Condition{Type: controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, Status: metav1.ConditionFalse, Reason: "NotHealthy"})
		}, want: []string{"Machine m1: its K3s agent is not healthy"}},
		{name: "etcd member not healthy", mutate: func(cp *controlPlane) {
			conditions.Set(cp.Machines["m2"], metav1.Condition{Type: controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition, Status: metav1.ConditionUnknown, Reason: "HealthUnknown"})
		}, want: []string{"Machine m2: its etcd member is not healthy"}},
		{name: "scaling", mutate: func(cp *controlPlane) { cp.KCP.Spec.Replicas = ptr.To(int32(5)) }, want: []string{"3 control-plane Machines, 5 desired"}},
		{name: "a Machine deleting", mutate: func(cp *controlPlane) {
			cp.Machines["m2"].DeletionTimestamp = ptr.To(metav1.Now())
		}, want: []string{"1 control-plane Machine(s) are being deleted", "2 control-plane Machines, 3 desired"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cp := inPlaceScope("v1.34.6+k3s1", "v1.34.5+k3s1", "v1.34.5+k3s1", "v1.34.5+k3s1")
			tc.mutate(cp)
			NewWithT(t).Expect(inPlacePreflight(cp)).To(Equal(tc.want))
		})
	}
}

func TestStartInPlaceUpgrade(t *testing.T) {
	for _, tc := range []struct {
		name       string
		from, to   string
		wantEvent  string
		wantMarked bool
	}{
		{name: "patch upgrade starts", from: "v1.34.5+k3s1", to: "v1.34.6+k3s1", wantEvent: "InPlaceUpgradeStarted", wantMarked: true},
		{name: "minor upgrade starts", from: "v1.33.9+k3s1", to: "v1.34.6+k3s1", wantEvent: "InPlaceUpgradeStarted", wantMarked: true},
		{name: "minor skip refused", from: "v1.32.9+k3s1", to: "v1.34.6+k3s1", wantEvent: "InPlaceUpgradeRefused"},
		{name: "downgrade refused", from: "v1.34.6+k3s1", to: "v1.34.5+k3s1", wantEvent: "InPlaceUpgradeRefused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			cp := inPlaceScope(tc.to, tc.from)
			m := cp.Machines["m0"]
			recorder := record.NewFakeRecorder(10)
			now := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
			r := &Reconciler{Client: fake.NewClientBuilder().WithScheme(machinesTestScheme()).WithObjects(m.DeepCopy()).Build(),
				Recorder: recorder, now: func() time.Time { return now }}
			res, handled, err := r.reconcileInPlaceUpgrade(t.Context(), cp)
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(handled).To(BeTrue())
			g.Expect(<-recorder.Events).To(ContainSubstring(tc.wantEvent))
			if !tc.wantMarked {
				g.Expect(m.Annotations).ToNot(HaveKey(controlplanev1.InPlaceUpgradeTargetAnnotation))
				g.Expect(strings.Join(cp.preflightMessages, "")).To(ContainSubstring("cannot be upgraded in place"))
				return
			}
			g.Expect(res.RequeueAfter).To(BeNumerically(">", 0))
			g.Expect(m.Annotations).To(HaveKeyWithValue(controlplanev1.InPlaceUpgradeTargetAnnotation, tc.to))
			g.Expect(m.Annotations).To(HaveKeyWithValue(controlplanev1.InPlaceUpgradeStartedAnnotation, "2026-12-07T05:00:00Z"))
			g.Expect(m.Annotations).To(HaveKey(clusterv1.UpdateInProgressAnnotation))
			g.Expect(cp.machineUpgradingInPlace()).To(Equal(m))
		})
	}
}

// Waiting past the node timeout reports the upgrade stalled, with an event; before it, it only waits.
func TestInPlaceWaitStallsAfterTheTimeout(t *testing.T) {
	g := NewWithT(t)
	cp := inPlaceScope("v1.34.6+k3s1", "v1.34.5+k3s1")
	cp.KCP.Spec.Rollout.Strategy.InPlace.NodeTimeoutSeconds = ptr.To(int32(120))
	m := cp.Machines["m0"]
	started := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	m.Annotations = map[string]string{controlplanev1.InPlaceUpgradeStartedAnnotation: started.Format(time.RFC3339)}
	now := started.Add(time.Minute)
	recorder := record.NewFakeRecorder(10)
	r := &Reconciler{Recorder: recorder, now: func() time.Time { return now }}

	progress := &inPlaceProgress{machine: m.Name, target: "v1.34.6+k3s1"}
	res, err := r.inPlaceWait(t.Context(), cp, m, progress, "Node m0 is not Ready")
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(progress.stalled).To(BeFalse())
	g.Expect(res.RequeueAfter).To(Equal(inPlacePollInterval))
	g.Expect(recorder.Events).To(BeEmpty())

	now = started.Add(3 * time.Minute)
	res, err = r.inPlaceWait(t.Context(), cp, m, progress, "Node m0 is not Ready")
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(progress.stalled).To(BeTrue())
	g.Expect(res.RequeueAfter).To(Equal(inPlaceStalledPollInterval))
	g.Expect(<-recorder.Events).To(And(ContainSubstring("InPlaceUpgradeStalled"), ContainSubstring("m0"), ContainSubstring("Node m0 is not Ready")))

	cp.inPlace = progress
	cp.upToDate["m0"] = machineUpToDate(cp, m)
	setRollingOutCondition(cp)
	rollingOut := conditions.Get(cp.KCP, controlplanev1.KThreesControlPlaneRollingOutCondition)
	g.Expect(rollingOut.Reason).To(Equal(controlplanev1.KThreesControlPlaneInPlaceUpgradeStalledReason))
	g.Expect(rollingOut.Message).To(ContainSubstring("Upgrading Machine m0 in place to v1.34.6+k3s1"))
}

// A Machine whose certificates are due, as its etcd member presents them, is marked for an in-place renewal at its
// own version; with a window as long as K3s's certificate validity it is not, and the status says why.
func TestStartInPlaceCertificatesRenewal(t *testing.T) {
	for _, tc := range []struct {
		name       string
		days       int32
		wantMarked bool
	}{
		{name: "due", days: 30, wantMarked: true},
		{name: "window as long as the validity", days: 365},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			now := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
			cp := inPlaceScope("v1.34.5+k3s1", "v1.34.5+k3s1")
			cp.KCP.Spec.Rollout.Strategy.Type = controlplanev1.InPlaceStrategyType
			cp.KCP.Spec.Rollout.Before.CertificatesExpiryDays = tc.days
			cp.reconcileTime = now
			m := cp.Machines["m0"]
			m.Status.NodeRef = clusterv1.MachineNodeReference{Name: "node-0"}
			cp.health.certificatesExpiry = map[string]time.Time{"node-0": time.Date(2026, 12, 17, 5, 0, 0, 0, time.UTC)}
			recorder := record.NewFakeRecorder(10)
			r := &Reconciler{Client: fake.NewClientBuilder().WithScheme(machinesTestScheme()).WithObjects(m.DeepCopy()).Build(),
				Recorder: recorder, now: func() time.Time { return now }}

			_, handled, err := r.reconcileInPlaceUpgrade(t.Context(), cp)
			g.Expect(err).ToNot(HaveOccurred())
			if !tc.wantMarked {
				g.Expect(handled).To(BeFalse(), "other work is not blocked")
				g.Expect(recorder.Events).To(BeEmpty())
				g.Expect(m.Annotations).ToNot(HaveKey(controlplanev1.InPlaceUpgradeTargetAnnotation))
				g.Expect(strings.Join(cp.preflightMessages, "")).To(ContainSubstring("must be less than the 365 days"))
				return
			}
			g.Expect(handled).To(BeTrue())
			g.Expect(<-recorder.Events).To(ContainSubstring("CertificatesRenewalStarted"))
			g.Expect(m.Annotations).To(HaveKeyWithValue(controlplanev1.InPlaceUpgradeTargetAnnotation, "v1.34.5+k3s1"))
			g.Expect(m.Annotations).To(HaveKeyWithValue(controlplanev1.InPlaceCertificatesRenewalAnnotation, "2026-12-17T05:00:00Z"))
			g.Expect(m.Annotations).To(HaveKey(clusterv1.UpdateInProgressAnnotation))
			g.Expect(cp.inPlace.renewal).To(BeTrue())
		})
	}
}
