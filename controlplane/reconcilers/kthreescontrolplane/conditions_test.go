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
	"slices"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcdproxy"
)

// condTestKCP is an initialized control plane with its certificates.
func condTestKCP(replicas int32) *controlplanev1.KThreesControlPlane {
	kcp := statusTestKCP(replicas)
	kcp.Status.Initialization.ControlPlaneInitialized = ptr.To(true)
	conditions.Set(kcp, metav1.Condition{
		Type: controlplanev1.KThreesControlPlaneCertificatesAvailableCondition, Status: metav1.ConditionTrue,
		Reason: controlplanev1.KThreesControlPlaneCertificatesAvailableReason,
	})
	return kcp
}

func condTestMembers(names ...string) []*etcd.Member {
	var members []*etcd.Member
	for i, n := range names {
		members = append(members, &etcd.Member{ID: uint64(i + 1), Name: n + "-0123abcd", NodeName: n})
	}
	return members
}

// condTestExpect checks one condition of kcp.
func condTestExpect(g Gomega, kcp *controlplanev1.KThreesControlPlane, conditionType string, status metav1.ConditionStatus, reason string, messageMatcher types.GomegaMatcher) {
	c := conditions.Get(kcp, conditionType)
	g.Expect(c).ToNot(BeNil(), "condition %s", conditionType)
	g.Expect(c.Status).To(Equal(status), "condition %s: %s", conditionType, c.Message)
	g.Expect(c.Reason).To(Equal(reason), "condition %s", conditionType)
	g.Expect(c.Message).To(messageMatcher, "condition %s", conditionType)
}

func condTestAgentUnhealthy() statusTestMachineOption {
	return statusTestWithCondition(controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, metav1.ConditionFalse,
		controlplanev1.KThreesControlPlaneMachineAgentNotHealthyReason, "Node is not ready")
}

func condTestEtcdUnhealthy() statusTestMachineOption {
	return statusTestWithCondition(controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition, metav1.ConditionFalse,
		controlplanev1.KThreesControlPlaneMachineEtcdMemberNotHealthyReason, "Member is not healthy")
}

func TestConditionsInitialized(t *testing.T) {
	g := NewWithT(t)
	kcp := statusTestKCP(1)
	cp := statusTestControlPlane(kcp, nil, nil)
	setConditions(cp)
	condTestExpect(g, kcp, controlplanev1.KThreesControlPlaneInitializedCondition, metav1.ConditionFalse, controlplanev1.KThreesControlPlaneNotInitializedReason, Not(BeEmpty()))

	kcp.Status.Initialization.ControlPlaneInitialized = ptr.To(true)
	setConditions(cp)
	condTestExpect(g, kcp, controlplanev1.KThreesControlPlaneInitializedCondition, metav1.ConditionTrue, controlplanev1.KThreesControlPlaneInitializedReason, BeEmpty())
}

func TestConditionsAvailable(t *testing.T) {
	healthy3 := func() []*clusterv1.Machine {
		return []*clusterv1.Machine{
			statusTestMachine("m1", statusTestHealthy()), statusTestMachine("m2", statusTestHealthy()), statusTestMachine("m3", statusTestHealthy()),
		}
	}
	tests := []struct {
		name        string
		mutateKCP   func(*controlplanev1.KThreesControlPlane)
		machines    []*clusterv1.Machine
		health      *workloadHealth
		wantStatus  metav1.ConditionStatus
		wantReason  string
		wantMessage types.GomegaMatcher
	}{
		{
			name:        "all healthy: True with an empty message",
			machines:    healthy3(),
			health:      &workloadHealth{etcdMembers: condTestMembers("m1", "m2", "m3")},
			wantStatus:  metav1.ConditionTrue,
			wantReason:  controlplanev1.KThreesControlPlaneAvailableReason,
			wantMessage: BeEmpty(),
		},
		{
			name:        "all healthy without an etcd member listing in this reconcile: True with an empty message",
			machines:    healthy3(),
			wantStatus:  metav1.ConditionTrue,
			wantReason:  controlplanev1.KThreesControlPlaneAvailableReason,
			wantMessage: BeEmpty(),
		},
		{
			name: "one etcd member unhealthy out of three: True, degradation named",
			machines: []*clusterv1.Machine{
				statusTestMachine("m1", statusTestHealthy()), statusTestMachine("m2", statusTestHealthy()), statusTestMachine("m3", statusTestHealthy(), condTestEtcdUnhealthy()),
			},
			health:      &workloadHealth{etcdMembers: condTestMembers("m1", "m2", "m3")},
			wantStatus:  metav1.ConditionTrue,
			wantReason:  controlplanev1.KThreesControlPlaneAvailableReason,
			wantMessage: Equal("* 2 of 3 etcd members are healthy, at least 2 required for etcd quorum"),
		},
		{
			name: "etcd quorum lost: False",
			machines: []*clusterv1.Machine{
				statusTestMachine("m1", statusTestHealthy()), statusTestMachine("m2", statusTestHealthy(), condTestEtcdUnhealthy()), statusTestMachine("m3", statusTestHealthy(), condTestEtcdUnhealthy()),
			},
			health:      &workloadHealth{etcdMembers: condTestMembers("m1", "m2", "m3")},
			wantStatus:  metav1.ConditionFalse,
			wantReason:  controlplanev1.KThreesControlPlaneNotAvailableReason,
			wantMessage: Equal("* 1 of 3 etcd members are healthy, at least 2 required for etcd quorum"),
		},
		{
			name:     "a member without a Machine counts against quorum",
			machines: []*clusterv1.Machine{statusTestMachine("m1", statusTestHealthy())},
			health: &workloadHealth{etcdMembers: append(condTestMembers("m1", "ghost"),
				&etcd.Member{ID: 9, Name: "", IsLearner: true})},
			wantStatus:  metav1.ConditionFalse,
			wantReason:  controlplanev1.KThreesControlPlaneNotAvailableReason,
			wantMessage: Equal("* 1 of 2 etcd members are healthy, at least 2 required for etcd quorum"),
		},
		{
			name: "etcd not inspected (etcd proxy disabled): etcd health is not required",
			mutateKCP: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.KThreesConfigSpec.ServerConfig.DisableComponents = []string{etcdproxy.Name}
			},
			machines: []*clusterv1.Machine{
				statusTestMachine("m1", statusTestHealthy(), condTestEtcdUnhealthy()), statusTestMachine("m2", statusTestHealthy(), condTestEtcdUnhealthy()),
			},
			wantStatus:  metav1.ConditionTrue,
			wantReason:  controlplanev1.KThreesControlPlaneAvailableReason,
			wantMessage: BeEmpty(),
		},
		{
			name: "no healthy K3s server: False",
			machines: []*clusterv1.Machine{
				statusTestMachine("m1", statusTestHealthy(), condTestAgentUnhealthy()),
			},
			health:      &workloadHealth{etcdMembers: condTestMembers("m1")},
			wantStatus:  metav1.ConditionFalse,
			wantReason:  controlplanev1.KThreesControlPlaneNotAvailableReason,
			wantMessage: Equal("* There are no Machines with a healthy K3s server, at least 1 required"),
		},
		{
			name: "one of three K3s servers unhealthy: True, degradation named",
			machines: []*clusterv1.Machine{
				statusTestMachine("m1", statusTestHealthy()), statusTestMachine("m2", statusTestHealthy()), statusTestMachine("m3", statusTestHealthy(), condTestAgentUnhealthy()),
			},
			health:      &workloadHealth{etcdMembers: condTestMembers("m1", "m2", "m3")},
			wantStatus:  metav1.ConditionTrue,
			wantReason:  controlplanev1.KThreesControlPlaneAvailableReason,
			wantMessage: Equal("* 2 of 3 Machines have a healthy K3s server"),
		},
		{
			name: "a provisioning Machine does not degrade availability",
			machines: append(healthy3(), statusTestMachine("m4", statusTestWithCondition(controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition,
				metav1.ConditionFalse, controlplanev1.KThreesControlPlaneMachineAgentProvisioningReason, ""))),
			health:      &workloadHealth{etcdMembers: condTestMembers("m1", "m2", "m3")},
			wantStatus:  metav1.ConditionTrue,
			wantReason:  controlplanev1.KThreesControlPlaneAvailableReason,
			wantMessage: BeEmpty(),
		},
		{
			name:        "not initialized: False",
			mutateKCP:   func(kcp *controlplanev1.KThreesControlPlane) { kcp.Status.Initialization.ControlPlaneInitialized = nil },
			machines:    healthy3(),
			wantStatus:  metav1.ConditionFalse,
			wantReason:  controlplanev1.KThreesControlPlaneNotAvailableReason,
			wantMessage: Equal("* Control plane is not initialized yet"),
		},
		{
			name: "certificates missing: False",
			mutateKCP: func(kcp *controlplanev1.KThreesControlPlane) {
				conditions.Set(kcp, metav1.Condition{Type: controlplanev1.KThreesControlPlaneCertificatesAvailableCondition, Status: metav1.ConditionFalse,
					Reason: controlplanev1.KThreesControlPlaneCertificatesNotAvailableReason})
			},
			machines:    healthy3(),
			wantStatus:  metav1.ConditionFalse,
			wantReason:  controlplanev1.KThreesControlPlaneNotAvailableReason,
			wantMessage: Equal("* Control plane certificates are not available"),
		},
		{
			name: "deleting: False",
			mutateKCP: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.DeletionTimestamp = ptr.To(metav1.NewTime(statusTestNow))
			},
			machines:    healthy3(),
			wantStatus:  metav1.ConditionFalse,
			wantReason:  controlplanev1.KThreesControlPlaneNotAvailableReason,
			wantMessage: Equal("* Control plane is being deleted"),
		},
		{
			name:       "nothing yet: False, every missing piece listed",
			mutateKCP:  func(kcp *controlplanev1.KThreesControlPlane) { kcp.Status = controlplanev1.KThreesControlPlaneStatus{} },
			wantStatus: metav1.ConditionFalse,
			wantReason: controlplanev1.KThreesControlPlaneNotAvailableReason,
			wantMessage: Equal("* Control plane is not initialized yet\n" +
				"* Control plane certificates are not available\n" +
				"* There are no Machines with a healthy K3s server, at least 1 required\n" +
				"* There are no healthy etcd members, at least 1 required for etcd quorum"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := condTestKCP(int32(max(len(tt.machines), 1)))
			if tt.mutateKCP != nil {
				tt.mutateKCP(kcp)
			}
			cp := statusTestControlPlane(kcp, tt.machines, nil)
			cp.health = tt.health
			setConditions(cp)
			condTestExpect(g, kcp, controlplanev1.KThreesControlPlaneAvailableCondition, tt.wantStatus, tt.wantReason, tt.wantMessage)
		})
	}
}

func TestConditionsMachinesReadyAndUpToDate(t *testing.T) {
	tests := []struct {
		name                                  string
		machines                              []*clusterv1.Machine
		wantReady, wantUpToDate               metav1.ConditionStatus
		wantReadyReason, wantUpToDateReason   string
		wantReadyMessage, wantUpToDateMessage types.GomegaMatcher
	}{
		{
			name:                "no Machines",
			wantReady:           metav1.ConditionTrue,
			wantReadyReason:     controlplanev1.KThreesControlPlaneMachinesReadyNoReplicasReason,
			wantReadyMessage:    BeEmpty(),
			wantUpToDate:        metav1.ConditionTrue,
			wantUpToDateReason:  controlplanev1.KThreesControlPlaneMachinesUpToDateNoReplicasReason,
			wantUpToDateMessage: BeEmpty(),
		},
		{
			name:                "all ready and up to date: empty messages",
			machines:            []*clusterv1.Machine{statusTestMachine("m1", statusTestHealthy()), statusTestMachine("m2", statusTestHealthy())},
			wantReady:           metav1.ConditionTrue,
			wantReadyReason:     controlplanev1.KThreesControlPlaneMachinesReadyReason,
			wantReadyMessage:    BeEmpty(),
			wantUpToDate:        metav1.ConditionTrue,
			wantUpToDateReason:  controlplanev1.KThreesControlPlaneMachinesUpToDateReason,
			wantUpToDateMessage: BeEmpty(),
		},
		{
			name: "one not ready, one not up to date",
			machines: []*clusterv1.Machine{
				statusTestMachine("m1", statusTestHealthy(), statusTestWithCondition(clusterv1.MachineReadyCondition, metav1.ConditionFalse, clusterv1.NotReadyReason, "* NodeHealthy: Node not ready")),
				statusTestMachine("m2", statusTestHealthy(), statusTestWithCondition(clusterv1.MachineUpToDateCondition, metav1.ConditionFalse, clusterv1.MachineNotUpToDateReason, "* Version v1.33.1+k3s1, v1.34.5+k3s1 required")),
			},
			wantReady:           metav1.ConditionFalse,
			wantReadyReason:     controlplanev1.KThreesControlPlaneMachinesNotReadyReason,
			wantReadyMessage:    ContainSubstring("m1"),
			wantUpToDate:        metav1.ConditionFalse,
			wantUpToDateReason:  controlplanev1.KThreesControlPlaneMachinesNotUpToDateReason,
			wantUpToDateMessage: ContainSubstring("m2"),
		},
		{
			name: "a just created Machine without UpToDate does not make MachinesUpToDate unknown",
			machines: []*clusterv1.Machine{
				statusTestMachine("m1", statusTestHealthy()),
				statusTestMachine("m2", func(m *clusterv1.Machine) { m.CreationTimestamp = metav1.NewTime(statusTestNow.Add(-time.Second)) }),
			},
			wantReady:           metav1.ConditionUnknown,
			wantReadyReason:     controlplanev1.KThreesControlPlaneMachinesReadyUnknownReason,
			wantReadyMessage:    ContainSubstring("m2"),
			wantUpToDate:        metav1.ConditionTrue,
			wantUpToDateReason:  controlplanev1.KThreesControlPlaneMachinesUpToDateReason,
			wantUpToDateMessage: BeEmpty(),
		},
		{
			name: "an older Machine without UpToDate makes MachinesUpToDate unknown",
			machines: []*clusterv1.Machine{
				statusTestMachine("m1", statusTestHealthy()),
				statusTestMachine("m2", statusTestWithCondition(clusterv1.MachineReadyCondition, metav1.ConditionTrue, clusterv1.ReadyReason, "")),
			},
			wantReady:           metav1.ConditionTrue,
			wantReadyReason:     controlplanev1.KThreesControlPlaneMachinesReadyReason,
			wantReadyMessage:    BeEmpty(),
			wantUpToDate:        metav1.ConditionUnknown,
			wantUpToDateReason:  machinesUpToDateUnknownReason,
			wantUpToDateMessage: ContainSubstring("m2"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := condTestKCP(2)
			cp := statusTestControlPlane(kcp, tt.machines, nil)
			setConditions(cp)
			condTestExpect(g, kcp, controlplanev1.KThreesControlPlaneMachinesReadyCondition, tt.wantReady, tt.wantReadyReason, tt.wantReadyMessage)
			condTestExpect(g, kcp, controlplanev1.KThreesControlPlaneMachinesUpToDateCondition, tt.wantUpToDate, tt.wantUpToDateReason, tt.wantUpToDateMessage)
		})
	}
}

func TestConditionsRollingOut(t *testing.T) {
	tests := []struct {
		name        string
		outdated    map[string][]string
		preflight   []string
		wantStatus  metav1.ConditionStatus
		wantReason  string
		wantMessage types.GomegaMatcher
	}{
		{
			name:        "nothing to roll out",
			wantStatus:  metav1.ConditionFalse,
			wantReason:  controlplanev1.KThreesControlPlaneNotRollingOutReason,
			wantMessage: BeEmpty(),
		},
		{
			name: "reasons listed once, version first, with what the rollout waits for",
			outdated: map[string][]string{
				"m1": {"KThreesConfig spec changed", "Version v1.33.1+k3s1, v1.34.5+k3s1 required"},
				"m2": {"Version v1.33.1+k3s1, v1.34.5+k3s1 required"},
			},
			preflight:  []string{"Machine m3 etcd member is not healthy"},
			wantStatus: metav1.ConditionTrue,
			wantReason: controlplanev1.KThreesControlPlaneRollingOutReason,
			wantMessage: Equal("Rolling out 2 not up-to-date replicas\n" +
				"* Version v1.33.1+k3s1, v1.34.5+k3s1 required\n" +
				"* KThreesConfig spec changed\n" +
				"* Rollout is blocked because:\n" +
				"  * Machine m3 etcd member is not healthy"),
		},
		{
			name:        "one replica",
			outdated:    map[string][]string{"m1": {"Rollout after 2026-01-01T00:00:00Z"}},
			wantStatus:  metav1.ConditionTrue,
			wantReason:  controlplanev1.KThreesControlPlaneRollingOutReason,
			wantMessage: Equal("Rolling out 1 not up-to-date replica\n* Rollout after 2026-01-01T00:00:00Z"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := condTestKCP(3)
			machines := []*clusterv1.Machine{
				statusTestMachine("m1", statusTestHealthy()), statusTestMachine("m2", statusTestHealthy()), statusTestMachine("m3", statusTestHealthy()),
			}
			cp := statusTestControlPlane(kcp, machines, tt.outdated)
			cp.preflightMessages = tt.preflight
			setConditions(cp)
			condTestExpect(g, kcp, controlplanev1.KThreesControlPlaneRollingOutCondition, tt.wantStatus, tt.wantReason, tt.wantMessage)
		})
	}
}

func TestConditionsScaling(t *testing.T) {
	tests := []struct {
		name             string
		replicas         int32
		machines         []*clusterv1.Machine
		notInitialized   bool
		mutateCluster    func(*clusterv1.Cluster)
		preflight        []string
		deleting         bool
		wantUp, wantDown metav1.ConditionStatus
		wantUpMessage    types.GomegaMatcher
		wantDownMessage  types.GomegaMatcher
	}{
		{
			name:     "at the desired replicas",
			replicas: 1, machines: []*clusterv1.Machine{statusTestMachine("m1")},
			wantUp: metav1.ConditionFalse, wantUpMessage: BeEmpty(),
			wantDown: metav1.ConditionFalse, wantDownMessage: BeEmpty(),
		},
		{
			name:     "scaling up",
			replicas: 3, machines: []*clusterv1.Machine{statusTestMachine("m1")},
			wantUp: metav1.ConditionTrue, wantUpMessage: Equal("Scaling up from 1 to 3 replicas"),
			wantDown: metav1.ConditionFalse, wantDownMessage: BeEmpty(),
		},
		{
			name:     "scaling up blocked by preflight checks",
			replicas: 3, machines: []*clusterv1.Machine{statusTestMachine("m1"), statusTestMachine("m2")},
			preflight: []string{"Machine m1 etcd member is not healthy"},
			wantUp:    metav1.ConditionTrue, wantUpMessage: Equal("Scaling up from 2 to 3 replicas is blocked because:\n* Machine m1 etcd member is not healthy"),
			wantDown: metav1.ConditionFalse, wantDownMessage: BeEmpty(),
		},
		{
			name:     "scaling up waits for the first server",
			replicas: 3, machines: []*clusterv1.Machine{statusTestMachine("m1")}, notInitialized: true,
			wantUp: metav1.ConditionTrue, wantUpMessage: Equal("Scaling up from 1 to 3 replicas is blocked because:\n* Waiting for the control plane to be initialized"),
			wantDown: metav1.ConditionFalse, wantDownMessage: BeEmpty(),
		},
		{
			name:     "creating the first server does not wait for initialization",
			replicas: 1, notInitialized: true,
			wantUp: metav1.ConditionTrue, wantUpMessage: Equal("Scaling up from 0 to 1 replicas"),
			wantDown: metav1.ConditionFalse, wantDownMessage: BeEmpty(),
		},
		{
			name:          "scaling up waits for the infrastructure",
			replicas:      1,
			mutateCluster: func(c *clusterv1.Cluster) { c.Status.Initialization.InfrastructureProvisioned = nil },
			wantUp:        metav1.ConditionTrue, wantUpMessage: Equal("Scaling up from 0 to 1 replicas is blocked because:\n* Waiting for the cluster infrastructure to be provisioned"),
			wantDown: metav1.ConditionFalse, wantDownMessage: BeEmpty(),
		},
		{
			name:      "scaling down, with a Machine stuck in deletion",
			replicas:  1,
			machines:  []*clusterv1.Machine{statusTestMachine("m1"), statusTestMachine("m2"), statusTestMachine("m3", statusTestDeleting(20*time.Minute))},
			preflight: []string{"Machine m1 etcd member is not healthy"},
			wantUp:    metav1.ConditionFalse, wantUpMessage: BeEmpty(),
			wantDown: metav1.ConditionTrue, wantDownMessage: Equal("Scaling down from 3 to 1 replicas is blocked because:\n" +
				"* Machine m1 etcd member is not healthy\n" +
				"* Machine m3 is in deletion since more than 15m0s"),
		},
		{
			name:     "deleting: scaling down to zero",
			replicas: 3, deleting: true,
			machines: []*clusterv1.Machine{statusTestMachine("m1"), statusTestMachine("m2", statusTestDeleting(time.Minute))},
			wantUp:   metav1.ConditionFalse, wantUpMessage: BeEmpty(),
			wantDown: metav1.ConditionTrue, wantDownMessage: Equal("Scaling down from 2 to 0 replicas"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := condTestKCP(tt.replicas)
			if tt.notInitialized {
				kcp.Status.Initialization.ControlPlaneInitialized = nil
			}
			if tt.deleting {
				kcp.DeletionTimestamp = ptr.To(metav1.NewTime(statusTestNow))
			}
			cp := statusTestControlPlane(kcp, tt.machines, nil)
			if tt.mutateCluster != nil {
				tt.mutateCluster(cp.Cluster)
			}
			cp.preflightMessages = tt.preflight
			setConditions(cp)
			upReason, downReason := controlplanev1.KThreesControlPlaneNotScalingUpReason, controlplanev1.KThreesControlPlaneNotScalingDownReason
			if tt.wantUp == metav1.ConditionTrue {
				upReason = controlplanev1.KThreesControlPlaneScalingUpReason
			}
			if tt.wantDown == metav1.ConditionTrue {
				downReason = controlplanev1.KThreesControlPlaneScalingDownReason
			}
			condTestExpect(g, kcp, controlplanev1.KThreesControlPlaneScalingUpCondition, tt.wantUp, upReason, tt.wantUpMessage)
			condTestExpect(g, kcp, controlplanev1.KThreesControlPlaneScalingDownCondition, tt.wantDown, downReason, tt.wantDownMessage)
		})
	}
}

func TestConditionsRemediating(t *testing.T) {
	unhealthy := statusTestWithCondition(clusterv1.MachineHealthCheckSucceededCondition, metav1.ConditionFalse, clusterv1.MachineHealthCheckNodeDeletedReason, "Node deleted")
	tests := []struct {
		name        string
		machines    []*clusterv1.Machine
		wantStatus  metav1.ConditionStatus
		wantReason  string
		wantMessage types.GomegaMatcher
	}{
		{
			name:        "nothing to remediate",
			machines:    []*clusterv1.Machine{statusTestMachine("m1", statusTestHealthy())},
			wantStatus:  metav1.ConditionFalse,
			wantReason:  controlplanev1.KThreesControlPlaneNotRemediatingReason,
			wantMessage: BeEmpty(),
		},
		{
			name: "a Machine waiting for remediation",
			machines: []*clusterv1.Machine{statusTestMachine("m1", statusTestHealthy()), statusTestMachine("m2", unhealthy,
				statusTestWithCondition(clusterv1.MachineOwnerRemediatedCondition, metav1.ConditionFalse, clusterv1.MachineOwnerRemediatedWaitingForRemediationReason, "Waiting for remediation"))},
			wantStatus:  metav1.ConditionTrue,
			wantReason:  controlplanev1.KThreesControlPlaneRemediatingReason,
			wantMessage: And(ContainSubstring("m2"), ContainSubstring("Waiting for remediation")),
		},
		{
			name:        "an unhealthy Machine not flagged for this controller",
			machines:    []*clusterv1.Machine{statusTestMachine("m1", statusTestHealthy()), statusTestMachine("m2", unhealthy)},
			wantStatus:  metav1.ConditionFalse,
			wantReason:  controlplanev1.KThreesControlPlaneNotRemediatingReason,
			wantMessage: Equal("Machine m2 is not healthy (not to be remediated by KThreesControlPlane)"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := condTestKCP(2)
			cp := statusTestControlPlane(kcp, tt.machines, nil)
			setConditions(cp)
			condTestExpect(g, kcp, controlplanev1.KThreesControlPlaneRemediatingCondition, tt.wantStatus, tt.wantReason, tt.wantMessage)
		})
	}
}

func TestConditionsDeleting(t *testing.T) {
	t.Run("not deleting", func(t *testing.T) {
		g := NewWithT(t)
		kcp := condTestKCP(1)
		setConditions(statusTestControlPlane(kcp, nil, nil))
		condTestExpect(g, kcp, controlplanev1.KThreesControlPlaneDeletingCondition, metav1.ConditionFalse, controlplanev1.KThreesControlPlaneNotDeletingReason, BeEmpty())
	})
	t.Run("deleting: the progress reported by reconcileDelete is kept", func(t *testing.T) {
		g := NewWithT(t)
		kcp := condTestKCP(1)
		kcp.DeletionTimestamp = ptr.To(metav1.NewTime(statusTestNow))
		markDeleting(kcp, controlplanev1.KThreesControlPlaneDeletingWaitingForMachineDeletionReason, "Deleting 1 Machine: m1")
		setConditions(statusTestControlPlane(kcp, []*clusterv1.Machine{statusTestMachine("m1")}, nil))
		condTestExpect(g, kcp, controlplanev1.KThreesControlPlaneDeletingCondition, metav1.ConditionTrue,
			controlplanev1.KThreesControlPlaneDeletingWaitingForMachineDeletionReason, Equal("Deleting 1 Machine: m1"))
	})
	t.Run("deleting without reported progress", func(t *testing.T) {
		g := NewWithT(t)
		kcp := condTestKCP(1)
		setConditions(statusTestControlPlane(kcp, nil, nil))
		kcp.DeletionTimestamp = ptr.To(metav1.NewTime(statusTestNow))
		setConditions(statusTestControlPlane(kcp, nil, nil))
		condTestExpect(g, kcp, controlplanev1.KThreesControlPlaneDeletingCondition, metav1.ConditionTrue, clusterv1.DeletingReason, BeEmpty())
	})
}

func TestConditionsV1Beta1(t *testing.T) {
	t.Run("waiting for a K3s server, then available once a Node is Ready and it stays so", func(t *testing.T) {
		g := NewWithT(t)
		kcp := condTestKCP(1)
		cp := statusTestControlPlane(kcp, []*clusterv1.Machine{statusTestMachine("m1", statusTestHealthy())}, nil)
		setDeprecatedV1Beta1Status(cp)
		setConditions(cp)
		g.Expect(v1beta1conditions.IsFalse(kcp, controlplanev1.DeprecatedV1Beta1AvailableCondition)).To(BeTrue())
		g.Expect(v1beta1conditions.GetReason(kcp, controlplanev1.DeprecatedV1Beta1AvailableCondition)).To(Equal(controlplanev1.DeprecatedV1Beta1WaitingForKthreesServerReason))

		cp.health = &workloadHealth{nodes: map[string]*corev1.Node{"m1": statusTestReadyNode("m1", true)}}
		setDeprecatedV1Beta1Status(cp)
		setConditions(cp)
		g.Expect(v1beta1conditions.IsTrue(kcp, controlplanev1.DeprecatedV1Beta1AvailableCondition)).To(BeTrue())

		cp.health = &workloadHealth{nodes: map[string]*corev1.Node{"m1": statusTestReadyNode("m1", false)}}
		setDeprecatedV1Beta1Status(cp)
		setConditions(cp)
		g.Expect(v1beta1conditions.IsTrue(kcp, controlplanev1.DeprecatedV1Beta1AvailableCondition)).To(BeTrue())
	})

	tests := []struct {
		name         string
		replicas     int32
		machines     []*clusterv1.Machine
		outdated     map[string][]string
		specUpToDate bool // MachinesSpecUpToDate reported before
		wantResized  *clusterv1.Condition
		wantSpec     *clusterv1.Condition
		wantReady    corev1.ConditionStatus
	}{
		{
			name:        "resized and up to date: Ready True",
			replicas:    1,
			machines:    []*clusterv1.Machine{statusTestMachine("m1", statusTestHealthy())},
			wantResized: &clusterv1.Condition{Status: "True"},
			wantReady:   "True",
		},
		{
			name:     "scaling up",
			replicas: 3,
			machines: []*clusterv1.Machine{statusTestMachine("m1", statusTestHealthy())},
			wantResized: &clusterv1.Condition{Status: "False", Reason: controlplanev1.DeprecatedV1Beta1ScalingUpReason,
				Severity: clusterv1.ConditionSeverityWarning, Message: "Scaling up control plane to 3 replicas (actual 1)"},
			wantReady: "False",
		},
		{
			name:     "scaling down",
			replicas: 1,
			machines: []*clusterv1.Machine{statusTestMachine("m1", statusTestHealthy()), statusTestMachine("m2", statusTestHealthy())},
			wantResized: &clusterv1.Condition{Status: "False", Reason: controlplanev1.DeprecatedV1Beta1ScalingDownReason,
				Severity: clusterv1.ConditionSeverityWarning, Message: "Scaling down control plane to 1 replicas (actual 2)"},
			wantReady: "False",
		},
		{
			name:      "at the desired replicas with a Machine not ready: Resized not reported yet",
			replicas:  1,
			machines:  []*clusterv1.Machine{statusTestMachine("m1")},
			wantReady: "True",
		},
		{
			name:        "rolling update",
			replicas:    2,
			machines:    []*clusterv1.Machine{statusTestMachine("m1", statusTestHealthy()), statusTestMachine("m2", statusTestHealthy())},
			outdated:    map[string][]string{"m1": {"Version v1.33.1+k3s1, v1.34.5+k3s1 required"}},
			wantResized: &clusterv1.Condition{Status: "True"},
			wantSpec: &clusterv1.Condition{Status: "False", Reason: controlplanev1.DeprecatedV1Beta1RollingUpdateInProgressReason,
				Severity: clusterv1.ConditionSeverityWarning, Message: "Rolling 1 replicas with outdated spec (1 replicas up to date)"},
			wantReady: "False",
		},
		{
			name:         "rollout done: MachinesSpecUpToDate True",
			replicas:     1,
			machines:     []*clusterv1.Machine{statusTestMachine("m1", statusTestHealthy())},
			specUpToDate: true,
			wantResized:  &clusterv1.Condition{Status: "True"},
			wantSpec:     &clusterv1.Condition{Status: "True"},
			wantReady:    "True",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := condTestKCP(tt.replicas)
			v1beta1conditions.MarkTrue(kcp, controlplanev1.DeprecatedV1Beta1CertificatesAvailableCondition)
			v1beta1conditions.MarkTrue(kcp, controlplanev1.DeprecatedV1Beta1TokenAvailableCondition)
			v1beta1conditions.MarkTrue(kcp, controlplanev1.DeprecatedV1Beta1AvailableCondition)
			if tt.specUpToDate {
				v1beta1conditions.MarkFalse(kcp, controlplanev1.DeprecatedV1Beta1MachinesSpecUpToDateCondition,
					controlplanev1.DeprecatedV1Beta1RollingUpdateInProgressReason, clusterv1.ConditionSeverityWarning, "")
			}
			for _, m := range tt.machines {
				v1beta1conditions.MarkTrue(m, clusterv1.ReadyV1Beta1Condition)
			}
			cp := statusTestControlPlane(kcp, tt.machines, tt.outdated)
			setConditions(cp)

			condTestExpectV1Beta1(g, kcp, controlplanev1.DeprecatedV1Beta1ResizedCondition, tt.wantResized)
			condTestExpectV1Beta1(g, kcp, controlplanev1.DeprecatedV1Beta1MachinesSpecUpToDateCondition, tt.wantSpec)
			g.Expect(v1beta1conditions.IsTrue(kcp, controlplanev1.DeprecatedV1Beta1MachinesReadyCondition)).To(BeTrue())
			ready := v1beta1conditions.Get(kcp, controlplanev1.DeprecatedV1Beta1ReadyCondition)
			g.Expect(ready).ToNot(BeNil())
			g.Expect(ready.Status).To(Equal(tt.wantReady), "Ready: %s %s", ready.Reason, ready.Message)
		})
	}

	t.Run("deleting: Resized from reconcileDelete is kept, MachinesReady aggregates without a step counter", func(t *testing.T) {
		g := NewWithT(t)
		kcp := condTestKCP(3)
		kcp.DeletionTimestamp = ptr.To(metav1.NewTime(statusTestNow))
		v1beta1conditions.MarkFalse(kcp, controlplanev1.DeprecatedV1Beta1ResizedCondition, controlplanev1.DeprecatedV1Beta1DeletingReason, clusterv1.ConditionSeverityInfo, "")
		m1, m2 := statusTestMachine("m1"), statusTestMachine("m2")
		v1beta1conditions.MarkTrue(m1, clusterv1.ReadyV1Beta1Condition)
		v1beta1conditions.MarkFalse(m2, clusterv1.ReadyV1Beta1Condition, "Deleting", clusterv1.ConditionSeverityInfo, "")
		setConditions(statusTestControlPlane(kcp, []*clusterv1.Machine{m1, m2}, nil))
		g.Expect(v1beta1conditions.GetReason(kcp, controlplanev1.DeprecatedV1Beta1ResizedCondition)).To(Equal(controlplanev1.DeprecatedV1Beta1DeletingReason))
		g.Expect(v1beta1conditions.GetReason(kcp, controlplanev1.DeprecatedV1Beta1MachinesReadyCondition)).To(Equal("Deleting @ Machine/m2"))
		g.Expect(v1beta1conditions.GetMessage(kcp, controlplanev1.DeprecatedV1Beta1MachinesReadyCondition)).ToNot(ContainSubstring("of 2"))
	})
}

// condTestExpectV1Beta1 checks a v1beta1 condition; want nil means the condition is absent.
func condTestExpectV1Beta1(g Gomega, kcp *controlplanev1.KThreesControlPlane, t clusterv1.ConditionType, want *clusterv1.Condition) {
	got := v1beta1conditions.Get(kcp, t)
	if want == nil {
		g.Expect(got).To(BeNil(), "condition %s", t)
		return
	}
	g.Expect(got).ToNot(BeNil(), "condition %s", t)
	g.Expect(got.Status).To(Equal(want.Status), "condition %s", t)
	g.Expect(got.Reason).To(Equal(want.Reason), "condition %s", t)
	g.Expect(got.Severity).To(Equal(want.Severity), "condition %s", t)
	g.Expect(got.Message).To(Equal(want.Message), "condition %s", t)
}

// TestConditionsOwned checks that every condition the controller sets on a KThreesControlPlane is owned by its
// patch, so concurrent writers cannot make ours flap.
func TestConditionsOwned(t *testing.T) {
	g := NewWithT(t)
	kcp := condTestKCP(3)
	kcp.DeletionTimestamp = ptr.To(metav1.NewTime(statusTestNow))
	setCertificatesCondition(kcp, nil)
	setTokenCondition(kcp, nil)
	markDeleting(kcp, controlplanev1.KThreesControlPlaneDeletingWaitingForMachineDeletionReason, "")
	v1beta1conditions.MarkFalse(kcp, controlplanev1.DeprecatedV1Beta1ResizedCondition, controlplanev1.DeprecatedV1Beta1DeletingReason, clusterv1.ConditionSeverityInfo, "")
	m := statusTestMachine("m1", statusTestHealthy())
	v1beta1conditions.MarkTrue(m, clusterv1.ReadyV1Beta1Condition)
	cp := statusTestControlPlane(kcp, []*clusterv1.Machine{m}, map[string][]string{"m1": {"Version"}})
	setConditions(cp)
	kcp.DeletionTimestamp = nil
	setConditions(cp)

	for _, c := range kcp.Status.Conditions {
		g.Expect(ownedConditions).To(ContainElement(c.Type))
	}
	for _, c := range kcp.GetV1Beta1Conditions() {
		g.Expect(slices.Contains(ownedV1Beta1Conditions, c.Type)).To(BeTrue(), "v1beta1 condition %s is not owned", c.Type)
	}
	g.Expect(ownedConditions).To(ContainElements(
		controlplanev1.KThreesControlPlanePausedCondition,
		controlplanev1.KThreesControlPlaneControlPlaneComponentsHealthyCondition,
		controlplanev1.KThreesControlPlaneEtcdClusterHealthyCondition))
	g.Expect(ownedV1Beta1Conditions).To(ContainElements(
		controlplanev1.DeprecatedV1Beta1ControlPlaneComponentsHealthyCondition,
		controlplanev1.DeprecatedV1Beta1EtcdClusterHealthyCondition))
}
