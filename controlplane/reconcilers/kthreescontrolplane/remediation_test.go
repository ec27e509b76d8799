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
	"errors"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"go.uber.org/mock/gomock"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
)

// remediationTestRecord reads the remediation-in-progress annotation of the control plane; nil when absent.
func remediationTestRecord(g Gomega, kcp *controlplanev1.KThreesControlPlane) *remediationRecord {
	value, ok := kcp.Annotations[controlplanev1.RemediationInProgressAnnotation]
	if !ok {
		return nil
	}
	record := &remediationRecord{}
	g.Expect(json.Unmarshal([]byte(value), record)).To(Succeed())
	record.Timestamp = metav1.NewTime(record.Timestamp.UTC()) // comparable with scaleTestNow
	return record
}

// remediationTestFor is a remediation-for annotation value for a remediation that happened ago.
func remediationTestFor(machine string, ago time.Duration, retryCount int) scaleTestMachineOption {
	value := fmt.Sprintf(`{"machine":%q,"timestamp":%q,"retryCount":%d}`, machine, scaleTestNow.Add(-ago).Format(time.RFC3339), retryCount)
	return scaleTestAnnotation(controlplanev1.RemediationForAnnotation, value)
}

// remediationTestExpectOwnerRemediated checks both flavours of the OwnerRemediated condition of m.
func remediationTestExpectOwnerRemediated(g Gomega, m *clusterv1.Machine, reason, v1beta1Reason, messagePart string) {
	c := conditions.Get(m, clusterv1.MachineOwnerRemediatedCondition)
	g.Expect(c).ToNot(BeNil())
	g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(c.Reason).To(Equal(reason))
	g.Expect(c.Message).To(ContainSubstring(messagePart))
	g.Expect(v1beta1conditions.GetReason(m, clusterv1.MachineOwnerRemediatedV1Beta1Condition)).To(Equal(v1beta1Reason))
}

func TestRemediationNothingToRemediateCleansUp(t *testing.T) {
	g := NewWithT(t)
	recovered := scaleTestMachine("recovered", 2*time.Hour,
		scaleTestCondition(clusterv1.MachineHealthCheckSucceededCondition, metav1.ConditionTrue),
		scaleTestCondition(clusterv1.MachineOwnerRemediatedCondition, metav1.ConditionFalse))
	v1beta1conditions.MarkTrue(recovered, clusterv1.MachineHealthCheckSucceededV1Beta1Condition)
	v1beta1conditions.MarkFalse(recovered, clusterv1.MachineOwnerRemediatedV1Beta1Condition, clusterv1.WaitingForRemediationV1Beta1Reason, clusterv1.ConditionSeverityWarning, "")
	healthy := scaleTestMachine("healthy", time.Hour)
	env := scaleTestNewEnv(t, scaleTestKCP(3), scaleTestCluster(), []*clusterv1.Machine{recovered, healthy})

	stop, err := env.r.reconcileUnhealthyMachines(context.Background(), env.cp)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(stop).To(BeFalse())
	g.Expect(conditions.Has(recovered, clusterv1.MachineOwnerRemediatedCondition)).To(BeFalse())
	g.Expect(v1beta1conditions.Has(recovered, clusterv1.MachineOwnerRemediatedV1Beta1Condition)).To(BeFalse())
	g.Expect(env.deleted(g)).To(BeEmpty())
}

func TestRemediationBeforeInitialization(t *testing.T) {
	tests := []struct {
		name        string
		machines    []*clusterv1.Machine
		wantDeleted []string
		wantStop    bool
	}{
		{
			name:        "the first Machine is deleted without checks",
			machines:    []*clusterv1.Machine{scaleTestMachine("m1", time.Hour, scaleTestMHCFailed(), scaleTestWithoutNode())},
			wantDeleted: []string{"m1"},
			wantStop:    true,
		},
		{
			name: "another Machine than the first is not remediated before initialization",
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 2*time.Hour, scaleTestWithoutNode()),
				scaleTestMachine("m2", time.Hour, scaleTestMHCFailed(), scaleTestWithoutNode()),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := scaleTestKCP(3)
			kcp.Status.Initialization.ControlPlaneInitialized = ptr.To(false)
			env := scaleTestNewEnv(t, kcp, scaleTestCluster(), tt.machines)
			env.cp.health = nil // nothing to inspect before initialization

			stop, err := env.r.reconcileUnhealthyMachines(context.Background(), env.cp)
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(stop).To(Equal(tt.wantStop))
			g.Expect(env.deleted(g)).To(ConsistOf(tt.wantDeleted))
			record := remediationTestRecord(g, kcp)
			if len(tt.wantDeleted) == 0 {
				g.Expect(record).To(BeNil())
				remediationTestExpectOwnerRemediated(g, env.cp.Machines["m2"], machineRemediationDeferredReason,
					controlplanev1.DeprecatedV1Beta1WaitingForRemediationReason, "initialized")
				return
			}
			g.Expect(record).To(Equal(&remediationRecord{Machine: "m1", Timestamp: metav1.NewTime(scaleTestNow), RetryCount: 0}))
			target := env.cp.Machines["m1"]
			remediationTestExpectOwnerRemediated(g, target, machineRemediationMachineDeletingReason,
				controlplanev1.DeprecatedV1Beta1RemediationInProgressReason, "deleting")
			g.Expect(env.events()).To(ContainElement(ContainSubstring("MachineRemediationStarted")))
			// No etcd cluster to protect yet: no removal hook.
			current := &clusterv1.Machine{}
			g.Expect(env.c.Get(context.Background(), client.ObjectKeyFromObject(target), current)).To(Succeed())
			g.Expect(current.Annotations).ToNot(HaveKey(controlplanev1.EtcdRemovalHookAnnotation))
		})
	}
}

func TestRemediationMovesLeadershipAndDeletes(t *testing.T) {
	g := NewWithT(t)
	mockCtrl := gomock.NewController(t)
	machines := []*clusterv1.Machine{
		scaleTestMachine("m1", 3*time.Hour),
		scaleTestMachine("m2", 2*time.Hour, scaleTestMHCFailed()),
		scaleTestMachine("m3", time.Hour),
	}
	env := scaleTestNewEnv(t, scaleTestKCP(3), scaleTestCluster(), machines)
	members := []*etcd.Member{scaleTestMember(1, "m1-node"), scaleTestMember(2, "m2-node"), scaleTestMember(3, "m3-node")}
	env.cp.health.etcdMembers = members
	leader := scaleTestEtcd(mockCtrl, env.cp, "m2-node", members)
	leader.EXPECT().MoveLeader(gomock.Any(), uint64(3)).DoAndReturn(func(ctx context.Context, _ uint64) error {
		current := &clusterv1.Machine{}
		g.Expect(env.c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "m2"}, current)).To(Succeed())
		g.Expect(current.DeletionTimestamp.IsZero()).To(BeTrue(), "leadership must move before the Machine is deleted")
		return nil
	})

	stop, err := env.r.reconcileUnhealthyMachines(context.Background(), env.cp)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(stop).To(BeTrue())
	g.Expect(env.deleted(g)).To(ConsistOf("m2"))
	current := &clusterv1.Machine{}
	g.Expect(env.c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: "m2"}, current)).To(Succeed())
	g.Expect(current.Annotations).To(HaveKeyWithValue(controlplanev1.EtcdRemovalHookAnnotation, controlplanev1.EtcdRemovalHookValue))
	g.Expect(remediationTestRecord(g, env.cp.KCP)).To(Equal(&remediationRecord{Machine: "m2", Timestamp: metav1.NewTime(scaleTestNow)}))
	remediationTestExpectOwnerRemediated(g, env.cp.Machines["m2"], machineRemediationMachineDeletingReason,
		controlplanev1.DeprecatedV1Beta1RemediationInProgressReason, "deleting")
}

func TestRemediationAfterInitializationGuards(t *testing.T) {
	etcdMember := controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition
	inProgress := `{"machine":"m0","timestamp":"` + scaleTestNow.Add(-time.Minute).Format(time.RFC3339) + `","retryCount":0}`
	tests := []struct {
		name        string
		machines    []*clusterv1.Machine
		members     []*etcd.Member
		kcpInFlight bool
		unreachable bool
		wantStop    bool
		wantDeleted []string
		wantTarget  string
		wantReason  string
		wantMessage string
		wantEvent   bool
	}{
		{
			name: "quorum guard: 3 members, another one unhealthy",
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 3*time.Hour, scaleTestMHCFailed()),
				scaleTestMachine("m2", 2*time.Hour, scaleTestCondition(etcdMember, metav1.ConditionFalse)),
				scaleTestMachine("m3", time.Hour),
			},
			members:     []*etcd.Member{scaleTestMember(1, "m1-node"), scaleTestMember(2, "m2-node"), scaleTestMember(3, "m3-node")},
			wantStop:    true,
			wantTarget:  "m1",
			wantReason:  machineCannotBeRemediatedReason,
			wantMessage: "1 healthy etcd members out of 2",
			wantEvent:   true,
		},
		{
			name: "quorum guard without a member list uses the Machines' etcd health",
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 3*time.Hour, scaleTestMHCFailed()),
				scaleTestMachine("m2", 2*time.Hour, scaleTestCondition(etcdMember, metav1.ConditionUnknown)),
				scaleTestMachine("m3", time.Hour),
			},
			wantStop:    true,
			wantTarget:  "m1",
			wantReason:  machineCannotBeRemediatedReason,
			wantMessage: "no quorum",
			wantEvent:   true,
		},
		{
			name: "one remediation at a time: the previous one waits for its replacement",
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 3*time.Hour, scaleTestMHCFailed()),
				scaleTestMachine("m2", 2*time.Hour),
			},
			kcpInFlight: true,
			wantStop:    false,
			wantTarget:  "m1",
			wantReason:  machineRemediationDeferredReason,
			wantMessage: "replacement of Machine m0",
		},
		{
			name: "a Machine being deleted: wait",
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 3*time.Hour, scaleTestMHCFailed()),
				scaleTestMachine("m2", 2*time.Hour),
				scaleTestMachine("m3", time.Hour, scaleTestDeleting()),
			},
			wantStop:    true,
			wantTarget:  "m1",
			wantReason:  machineRemediationDeferredReason,
			wantMessage: "deletion of Machine m3",
			wantEvent:   true,
		},
		{
			name: "a Machine still provisioning: wait",
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 3*time.Hour, scaleTestMHCFailed()),
				scaleTestMachine("m2", 2*time.Hour),
				scaleTestMachine("m3", time.Hour, scaleTestWithoutNode()),
			},
			wantStop:    true,
			wantTarget:  "m1",
			wantReason:  machineRemediationDeferredReason,
			wantMessage: "Machine m3 to finish provisioning",
			wantEvent:   true,
		},
		{
			name:        "the only Machine is not remediated; scaling goes on",
			machines:    []*clusterv1.Machine{scaleTestMachine("m1", time.Hour, scaleTestMHCFailed())},
			wantStop:    false,
			wantTarget:  "m1",
			wantReason:  machineCannotBeRemediatedReason,
			wantMessage: "only control-plane Machine",
		},
		{
			name: "workload cluster not reachable: etcd health unknown, wait",
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 3*time.Hour, scaleTestMHCFailed()),
				scaleTestMachine("m2", 2*time.Hour),
				scaleTestMachine("m3", time.Hour),
			},
			unreachable: true,
			wantStop:    true,
			wantTarget:  "m1",
			wantReason:  machineRemediationDeferredReason,
			wantMessage: "not reachable",
			wantEvent:   true,
		},
		{
			name: "the target already being deleted: the remediation is under way",
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 3*time.Hour, scaleTestMHCFailed(), scaleTestDeleting()),
				scaleTestMachine("m2", 2*time.Hour),
				scaleTestMachine("m3", time.Hour),
			},
			wantStop: true,
		},
		{
			name: "the unhealthy Machine without a Node goes first, even if newer",
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 3*time.Hour, scaleTestMHCFailed()),
				scaleTestMachine("m2", 2*time.Hour),
				scaleTestMachine("m3", 90*time.Minute),
				scaleTestMachine("m4", time.Hour, scaleTestMHCFailed(), scaleTestWithoutNode()),
			},
			wantStop:    true,
			wantDeleted: []string{"m4"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			env := scaleTestNewEnv(t, scaleTestKCP(3), scaleTestCluster(), tt.machines)
			env.cp.health.etcdMembers = tt.members
			if tt.unreachable {
				env.cp.health = &workloadHealth{connErr: errors.New("connection refused")}
			}
			if tt.kcpInFlight {
				env.cp.KCP.Annotations = map[string]string{controlplanev1.RemediationInProgressAnnotation: inProgress}
			}

			stop, err := env.r.reconcileUnhealthyMachines(context.Background(), env.cp)
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(stop).To(Equal(tt.wantStop))

			var alreadyDeleting []string
			for _, m := range tt.machines {
				if !m.DeletionTimestamp.IsZero() {
					alreadyDeleting = append(alreadyDeleting, m.Name)
				}
			}
			g.Expect(env.deleted(g)).To(ConsistOf(append(alreadyDeleting, tt.wantDeleted...)))
			if tt.wantTarget != "" {
				remediationTestExpectOwnerRemediated(g, env.cp.Machines[tt.wantTarget], tt.wantReason,
					controlplanev1.DeprecatedV1Beta1WaitingForRemediationReason, tt.wantMessage)
				if !tt.kcpInFlight {
					g.Expect(remediationTestRecord(g, env.cp.KCP)).To(BeNil())
				}
			}
			events := env.events()
			if tt.wantEvent {
				g.Expect(events).To(ContainElement(And(ContainSubstring("RemediationBlocked"), ContainSubstring(tt.wantMessage))))
			} else if len(tt.wantDeleted) == 0 {
				g.Expect(events).To(BeEmpty())
			}
		})
	}
}

func TestRemediationRetryLimits(t *testing.T) {
	tests := []struct {
		name           string
		remediation    controlplanev1.KThreesControlPlaneRemediationSpec
		targetOption   scaleTestMachineOption
		wantRemediated bool
		wantRetryCount int
		wantReason     string
		wantMessage    string
		wantRequeue    time.Duration
	}{
		{
			name:           "a first failure is remediated",
			targetOption:   func(*clusterv1.Machine) {},
			wantRemediated: true,
		},
		{
			name:           "a replacement failing within the default minHealthyPeriod (1h) is a retry",
			targetOption:   remediationTestFor("m0", 10*time.Minute, 0),
			wantRemediated: true, wantRetryCount: 1,
		},
		{
			name:           "a replacement failing after the default minHealthyPeriod is a new failure",
			remediation:    controlplanev1.KThreesControlPlaneRemediationSpec{MaxRetry: ptr.To(int32(3))},
			targetOption:   remediationTestFor("m0", 2*time.Hour, 5),
			wantRemediated: true, wantRetryCount: 0,
		},
		{
			name:           "a custom minHealthyPeriodSeconds ends the retry sequence earlier",
			remediation:    controlplanev1.KThreesControlPlaneRemediationSpec{MaxRetry: ptr.To(int32(3)), MinHealthyPeriodSeconds: ptr.To(int32(600))},
			targetOption:   remediationTestFor("m0", 20*time.Minute, 3),
			wantRemediated: true, wantRetryCount: 0,
		},
		{
			name:         "retryPeriodSeconds not elapsed: wait",
			remediation:  controlplanev1.KThreesControlPlaneRemediationSpec{RetryPeriodSeconds: ptr.To(int32(1800))},
			targetOption: remediationTestFor("m0", 10*time.Minute, 0),
			wantReason:   machineRemediationDeferredReason,
			wantMessage:  "retryPeriodSeconds",
			// The retry period is not watched: a reconcile is asked for when it ends.
			wantRequeue: 20 * time.Minute,
		},
		{
			name:           "retryPeriodSeconds elapsed, below maxRetry: retry",
			remediation:    controlplanev1.KThreesControlPlaneRemediationSpec{RetryPeriodSeconds: ptr.To(int32(1800)), MaxRetry: ptr.To(int32(3))},
			targetOption:   remediationTestFor("m0", 40*time.Minute, 1),
			wantRemediated: true, wantRetryCount: 2,
		},
		{
			name:         "maxRetry reached: no more remediation",
			remediation:  controlplanev1.KThreesControlPlaneRemediationSpec{RetryPeriodSeconds: ptr.To(int32(1800)), MaxRetry: ptr.To(int32(3))},
			targetOption: remediationTestFor("m0", 40*time.Minute, 3),
			wantReason:   machineCannotBeRemediatedReason,
			wantMessage:  "maxRetry",
		},
		{
			name:         "maxRetry 0: a failing replacement is not remediated again",
			remediation:  controlplanev1.KThreesControlPlaneRemediationSpec{MaxRetry: ptr.To(int32(0))},
			targetOption: remediationTestFor("m0", 10*time.Minute, 0),
			wantReason:   machineCannotBeRemediatedReason,
			wantMessage:  "maxRetry",
		},
		{
			name:           "an unreadable remediation-for annotation counts as a first failure",
			remediation:    controlplanev1.KThreesControlPlaneRemediationSpec{MaxRetry: ptr.To(int32(0))},
			targetOption:   scaleTestAnnotation(controlplanev1.RemediationForAnnotation, "{not json"),
			wantRemediated: true, wantRetryCount: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := scaleTestKCP(3)
			kcp.Spec.Remediation = tt.remediation
			machines := []*clusterv1.Machine{
				scaleTestMachine("m1", 3*time.Hour, scaleTestMHCFailed(), tt.targetOption),
				scaleTestMachine("m2", 2*time.Hour),
				scaleTestMachine("m3", time.Hour),
			}
			env := scaleTestNewEnv(t, kcp, scaleTestCluster(), machines)

			stop, err := env.r.reconcileUnhealthyMachines(context.Background(), env.cp)
			g.Expect(err).ToNot(HaveOccurred())
			if !tt.wantRemediated {
				// Retry limits do not hold scaling back: a new spec may be what fixes the Machines.
				g.Expect(stop).To(BeFalse())
				g.Expect(env.deleted(g)).To(BeEmpty())
				g.Expect(remediationTestRecord(g, kcp)).To(BeNil())
				remediationTestExpectOwnerRemediated(g, env.cp.Machines["m1"], tt.wantReason,
					controlplanev1.DeprecatedV1Beta1WaitingForRemediationReason, tt.wantMessage)
				g.Expect(env.cp.requeueAfter).To(Equal(tt.wantRequeue))
				return
			}
			g.Expect(stop).To(BeTrue())
			g.Expect(env.deleted(g)).To(ConsistOf("m1"))
			g.Expect(remediationTestRecord(g, kcp)).To(Equal(&remediationRecord{
				Machine: "m1", Timestamp: metav1.NewTime(scaleTestNow), RetryCount: tt.wantRetryCount,
			}))
		})
	}
}

func TestRemediationStaleInProgressAnnotation(t *testing.T) {
	tests := []struct {
		name        string
		annotation  string
		wantDropped bool
		wantEvent   bool
	}{
		{
			name:        "its replacement exists: dropped",
			annotation:  `{"machine":"m0","timestamp":"` + scaleTestNow.Add(-2*time.Hour).Format(time.RFC3339) + `","retryCount":0}`,
			wantDropped: true,
		},
		{
			name:       "no Machine newer than the remediation: kept",
			annotation: `{"machine":"m0","timestamp":"` + scaleTestNow.Add(-time.Minute).Format(time.RFC3339) + `","retryCount":0}`,
		},
		{
			name:        "unreadable: dropped with an event",
			annotation:  "garbage",
			wantDropped: true,
			wantEvent:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := scaleTestKCP(3)
			kcp.Annotations = map[string]string{controlplanev1.RemediationInProgressAnnotation: tt.annotation}
			env := scaleTestNewEnv(t, kcp, scaleTestCluster(), []*clusterv1.Machine{
				scaleTestMachine("m1", 3*time.Hour), scaleTestMachine("m2", time.Hour),
			})

			stop, err := env.r.reconcileUnhealthyMachines(context.Background(), env.cp)
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(stop).To(BeFalse())
			if tt.wantDropped {
				g.Expect(kcp.Annotations).ToNot(HaveKey(controlplanev1.RemediationInProgressAnnotation))
			} else {
				g.Expect(kcp.Annotations).To(HaveKeyWithValue(controlplanev1.RemediationInProgressAnnotation, tt.annotation))
			}
			if tt.wantEvent {
				g.Expect(env.events()).To(ConsistOf(ContainSubstring("RemediationBlocked")))
			} else {
				g.Expect(env.events()).To(BeEmpty())
			}
		})
	}
}

func TestRemediationFailedLeadershipMove(t *testing.T) {
	g := NewWithT(t)
	mockCtrl := gomock.NewController(t)
	machines := []*clusterv1.Machine{
		scaleTestMachine("m1", 3*time.Hour, scaleTestMHCFailed()),
		scaleTestMachine("m2", 2*time.Hour),
		scaleTestMachine("m3", time.Hour),
	}
	env := scaleTestNewEnv(t, scaleTestKCP(3), scaleTestCluster(), machines)
	members := []*etcd.Member{scaleTestMember(1, "m1-node"), scaleTestMember(2, "m2-node"), scaleTestMember(3, "m3-node")}
	leader := scaleTestEtcd(mockCtrl, env.cp, "m1-node", members)
	leader.EXPECT().MoveLeader(gomock.Any(), uint64(3)).Return(errors.New("etcdserver: request timed out"))

	stop, err := env.r.reconcileUnhealthyMachines(context.Background(), env.cp)
	g.Expect(err).To(MatchError(ContainSubstring("etcd leadership")))
	g.Expect(stop).To(BeTrue())
	g.Expect(env.deleted(g)).To(BeEmpty())
	g.Expect(remediationTestRecord(g, env.cp.KCP)).To(BeNil())
	remediationTestExpectOwnerRemediated(g, env.cp.Machines["m1"], machineRemediationInternalErrorReason,
		controlplanev1.DeprecatedV1Beta1RemediationFailedReason, "logs")
}
