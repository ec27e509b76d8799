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
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
)

func TestPreflightChecks(t *testing.T) {
	agent := controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition
	etcdMember := controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition
	tests := []struct {
		name         string
		machines     []*clusterv1.Machine
		health       *workloadHealth
		noHealth     bool
		exclude      string
		wantOK       bool
		wantRequeue  bool
		wantMessages []string
		wantEvent    bool
	}{
		{name: "no Machines: ok", wantOK: true},
		{
			name:     "all healthy: ok",
			machines: []*clusterv1.Machine{scaleTestMachine("m1", 2*time.Hour), scaleTestMachine("m2", time.Hour)},
			wantOK:   true,
		},
		{
			name:         "a Machine being deleted: wait without requeue, its deletion is watched",
			machines:     []*clusterv1.Machine{scaleTestMachine("m1", 2*time.Hour), scaleTestMachine("m2", time.Hour, scaleTestDeleting())},
			wantMessages: []string{"Waiting for the deletion of Machine m2"},
		},
		{
			name:         "K3s server not healthy: wait without requeue, Node changes are watched",
			machines:     []*clusterv1.Machine{scaleTestMachine("m1", time.Hour, scaleTestCondition(agent, metav1.ConditionFalse))},
			wantMessages: []string{"Machine m1: K3s server is not healthy"},
			wantEvent:    true,
		},
		{
			name:         "K3s server health missing (still provisioning)",
			machines:     []*clusterv1.Machine{scaleTestMachine("m1", time.Hour, scaleTestWithoutNode(), scaleTestNoCondition(agent))},
			wantMessages: []string{"Machine m1: K3s server health is not reported yet"},
			wantEvent:    true,
		},
		{
			name:         "etcd member False: requeue, etcd is not watched",
			machines:     []*clusterv1.Machine{scaleTestMachine("m1", time.Hour, scaleTestCondition(etcdMember, metav1.ConditionFalse))},
			wantRequeue:  true,
			wantMessages: []string{"Machine m1: etcd member is not healthy"},
			wantEvent:    true,
		},
		{
			name:         "etcd member Unknown: requeue",
			machines:     []*clusterv1.Machine{scaleTestMachine("m1", time.Hour, scaleTestCondition(etcdMember, metav1.ConditionUnknown))},
			wantRequeue:  true,
			wantMessages: []string{"Machine m1: etcd member health is unknown"},
			wantEvent:    true,
		},
		{
			name:         "etcd member health missing: requeue",
			machines:     []*clusterv1.Machine{scaleTestMachine("m1", time.Hour, scaleTestNoCondition(etcdMember))},
			wantRequeue:  true,
			wantMessages: []string{"Machine m1: etcd member health is not reported yet"},
			wantEvent:    true,
		},
		{
			name: "every problem of every Machine is reported",
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 2*time.Hour, scaleTestCondition(agent, metav1.ConditionUnknown)),
				scaleTestMachine("m2", time.Hour, scaleTestCondition(agent, metav1.ConditionFalse), scaleTestCondition(etcdMember, metav1.ConditionFalse)),
			},
			wantRequeue: true,
			wantMessages: []string{
				"Machine m1: K3s server health is unknown",
				"Machine m2: K3s server is not healthy",
				"Machine m2: etcd member is not healthy",
			},
			wantEvent: true,
		},
		{
			name: "the excluded Machine (about to be removed) may be unhealthy",
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 2*time.Hour, scaleTestCondition(agent, metav1.ConditionFalse), scaleTestCondition(etcdMember, metav1.ConditionFalse)),
				scaleTestMachine("m2", time.Hour),
			},
			exclude: "m1",
			wantOK:  true,
		},
		{
			name:         "workload cluster not reachable: wait, the ClusterCache reconnect is watched",
			machines:     []*clusterv1.Machine{scaleTestMachine("m1", time.Hour)},
			health:       &workloadHealth{connErr: errors.New("connection refused")},
			wantMessages: []string{"The workload cluster is not reachable, the health of the K3s servers is unknown"},
		},
		{
			name:         "workload health not observed: wait",
			machines:     []*clusterv1.Machine{scaleTestMachine("m1", time.Hour)},
			noHealth:     true,
			wantMessages: []string{"The workload cluster is not reachable, the health of the K3s servers is unknown"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			env := scaleTestNewEnv(t, scaleTestKCP(3), scaleTestCluster(), tt.machines)
			if tt.health != nil {
				env.cp.health = tt.health
			}
			if tt.noHealth {
				env.cp.health = nil
			}
			var excluded []*clusterv1.Machine
			if tt.exclude != "" {
				excluded = append(excluded, env.cp.Machines[tt.exclude])
			}

			ok, res := env.r.preflightChecks(context.Background(), env.cp, excluded...)
			g.Expect(ok).To(Equal(tt.wantOK))
			if tt.wantRequeue {
				g.Expect(res.RequeueAfter).To(Equal(preflightRequeueAfter))
			} else {
				g.Expect(res.IsZero()).To(BeTrue())
			}
			g.Expect(env.cp.preflightMessages).To(HaveLen(len(tt.wantMessages)))
			for i, want := range tt.wantMessages {
				g.Expect(env.cp.preflightMessages[i]).To(HavePrefix(want))
			}
			events := env.events()
			if tt.wantEvent {
				g.Expect(events).To(ConsistOf(And(ContainSubstring("Warning ControlPlaneUnhealthy"), ContainSubstring(tt.wantMessages[0]))))
			} else {
				g.Expect(events).To(BeEmpty())
			}
		})
	}
}

func TestPreflightEtcdQuorumWithout(t *testing.T) {
	etcdMember := controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition
	tests := []struct {
		name        string
		machines    []*clusterv1.Machine
		members     []*etcd.Member
		remove      string
		wantHealthy int
		wantTotal   int
		wantOK      bool
	}{
		{
			name:        "3 healthy Machines, one removed: 2 of 2",
			machines:    []*clusterv1.Machine{scaleTestMachine("m1", 3*time.Hour), scaleTestMachine("m2", 2*time.Hour), scaleTestMachine("m3", time.Hour)},
			remove:      "m1",
			wantHealthy: 2, wantTotal: 2, wantOK: true,
		},
		{
			name: "3 Machines, another one unhealthy: 1 of 2 is no quorum",
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 3*time.Hour), scaleTestMachine("m2", 2*time.Hour, scaleTestCondition(etcdMember, metav1.ConditionFalse)), scaleTestMachine("m3", time.Hour),
			},
			remove:      "m1",
			wantHealthy: 1, wantTotal: 2, wantOK: false,
		},
		{
			name:        "the only Machine: nothing left",
			machines:    []*clusterv1.Machine{scaleTestMachine("m1", time.Hour)},
			remove:      "m1",
			wantHealthy: 0, wantTotal: 0, wantOK: false,
		},
		{
			name: "5 Machines, another one unhealthy: 3 of 4 keeps quorum",
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 5*time.Hour), scaleTestMachine("m2", 4*time.Hour, scaleTestCondition(etcdMember, metav1.ConditionUnknown)),
				scaleTestMachine("m3", 3*time.Hour), scaleTestMachine("m4", 2*time.Hour), scaleTestMachine("m5", time.Hour),
			},
			remove:      "m1",
			wantHealthy: 3, wantTotal: 4, wantOK: true,
		},
		{
			name:     "members without Machine and learners count as unhealthy",
			machines: []*clusterv1.Machine{scaleTestMachine("m1", 3*time.Hour), scaleTestMachine("m2", 2*time.Hour), scaleTestMachine("m3", time.Hour)},
			members: []*etcd.Member{
				scaleTestMember(1, "m1-node"), scaleTestMember(2, "m2-node"), scaleTestMember(3, "m3-node"),
				scaleTestMember(4, "ghost-node"), {ID: 5, Name: "m9-node-1234abcd", NodeName: "m9-node", IsLearner: true},
			},
			remove:      "m1",
			wantHealthy: 2, wantTotal: 4, wantOK: false,
		},
		{
			name:        "a Machine without a Node has no member",
			machines:    []*clusterv1.Machine{scaleTestMachine("m1", 3*time.Hour), scaleTestMachine("m2", 2*time.Hour), scaleTestMachine("m3", time.Hour, scaleTestWithoutNode())},
			remove:      "m1",
			wantHealthy: 1, wantTotal: 1, wantOK: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			env := scaleTestNewEnv(t, scaleTestKCP(3), scaleTestCluster(), tt.machines)
			env.cp.health.etcdMembers = tt.members
			ok, healthy, total := etcdKeepsQuorumWithout(env.cp, env.cp.Machines[tt.remove])
			g.Expect([]int{healthy, total}).To(Equal([]int{tt.wantHealthy, tt.wantTotal}))
			g.Expect(ok).To(Equal(tt.wantOK))
		})
	}
}
