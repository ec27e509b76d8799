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

	. "github.com/onsi/gomega"
	"go.uber.org/mock/gomock"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/tools/record"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
	etcdmock "github.com/k3s-io/cluster-api-k3s/pkg/etcd/mock"
)

// etcdTestHealth is what a health inspection saw: the Nodes, the members and the Nodes of healthy members.
func etcdTestHealth(nodes []string, members []*etcd.Member, healthy ...string) *workloadHealth {
	h := &workloadHealth{nodes: map[string]*corev1.Node{}, etcdMembers: members, etcdHealthyNodes: sets.New(healthy...)}
	for _, n := range nodes {
		node := healthNode(n, corev1.ConditionTrue)
		h.nodes[n] = &node
	}
	return h
}

func TestEtcdReconcileMembers(t *testing.T) {
	m1, m2, m3 := healthMember(1, "n1"), healthMember(2, "n2"), healthMember(3, "n3")
	ghost := healthMember(9, "old")
	unstarted := &etcd.Member{ID: 8}
	twoMachines := func() []*clusterv1.Machine {
		return []*clusterv1.Machine{healthMachine("m1", "n1", 0), healthMachine("m2", "n2", 1)}
	}

	tests := []struct {
		name          string
		machines      []*clusterv1.Machine
		health        *workloadHealth
		proxyDisabled bool
		notInit       bool
		// removeThrough are the Nodes the removal client may be opened on; nil means no removal is expected.
		removeThrough []string
		wantRemoved   []uint64
		removeErr     error
		wantErr       string
	}{
		{
			name:     "ghost member removed through a healthy member",
			machines: twoMachines(), health: etcdTestHealth([]string{"n1", "n2"}, []*etcd.Member{m1, m2, ghost}, "n1", "n2"),
			removeThrough: []string{"n1", "n2"}, wantRemoved: []uint64{9},
		},
		{
			name:          "several ghosts removed through one client",
			machines:      append(twoMachines(), healthMachine("m3", "n3", 2)),
			health:        etcdTestHealth([]string{"n1", "n2", "n3"}, []*etcd.Member{m1, m2, m3, ghost, healthMember(10, "older")}, "n1", "n2", "n3"),
			removeThrough: []string{"n1", "n2", "n3"}, wantRemoved: []uint64{9, 10},
		},
		{
			name:     "not removed when it would break quorum",
			machines: twoMachines(), health: etcdTestHealth([]string{"n1", "n2"}, []*etcd.Member{m1, m2, ghost}, "n1"),
		},
		{
			name:     "member whose Node still exists is kept",
			machines: twoMachines(), health: etcdTestHealth([]string{"n1", "n2", "old"}, []*etcd.Member{m1, m2, ghost}, "n1", "n2"),
		},
		{
			name:     "member that has not started is kept",
			machines: twoMachines(), health: etcdTestHealth([]string{"n1", "n2"}, []*etcd.Member{m1, m2, unstarted}, "n1", "n2"),
		},
		{
			name:     "nothing while a Machine has no Node: its member may be the one without a Node",
			machines: append(twoMachines(), healthMachine("m3", "", 2)),
			health:   etcdTestHealth([]string{"n1", "n2"}, []*etcd.Member{m1, m2, ghost}, "n1", "n2"),
		},
		{
			name:     "nothing while a Machine is being deleted",
			machines: append(twoMachines(), healthDeleting(healthMachine("m3", "n3", 2))),
			health:   etcdTestHealth([]string{"n1", "n2", "n3"}, []*etcd.Member{m1, m2, m3, ghost}, "n1", "n2", "n3"),
		},
		{
			name:     "nothing when not initialized",
			machines: twoMachines(), notInit: true,
			health: etcdTestHealth([]string{"n1", "n2"}, []*etcd.Member{m1, m2, ghost}, "n1", "n2"),
		},
		{
			name:     "nothing when etcd is not inspected",
			machines: twoMachines(), proxyDisabled: true,
			health: etcdTestHealth([]string{"n1", "n2"}, []*etcd.Member{m1, m2, ghost}, "n1", "n2"),
		},
		{
			name:     "nothing when the workload cluster was unreachable",
			machines: twoMachines(),
			health:   &workloadHealth{connErr: errors.New("down"), etcdMembers: []*etcd.Member{m1, m2, ghost}, etcdHealthyNodes: sets.New("n1", "n2")},
		},
		{
			name: "nothing when health was not inspected", machines: twoMachines(),
		},
		{
			name:     "removal error is returned",
			machines: twoMachines(), health: etcdTestHealth([]string{"n1", "n2"}, []*etcd.Member{m1, m2, ghost}, "n1", "n2"),
			removeThrough: []string{"n1", "n2"}, wantRemoved: []uint64{9}, removeErr: errors.New("etcdserver: unhealthy cluster"),
			wantErr: "failed to remove etcd member old-0123abcd (ID 9) through the member on Node n1: etcdserver: unhealthy cluster",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			mockCtrl := gomock.NewController(t)
			cp := healthControlPlane(tt.proxyDisabled, tt.machines...)
			if tt.notInit {
				cp.KCP.Status.Initialization.ControlPlaneInitialized = nil
			}
			cp.health = tt.health
			generator := etcdmock.NewMockClientGenerator(mockCtrl)
			cp.openEtcd = func(context.Context) (etcd.ClientGenerator, error) { return generator, nil }
			if tt.removeThrough != nil {
				c := etcdmock.NewMockClient(mockCtrl)
				generator.EXPECT().ForFirstAvailableNode(gomock.Any(), tt.removeThrough).Return(c, nil).Times(1)
				c.EXPECT().NodeName().Return(tt.removeThrough[0]).AnyTimes()
				var calls []any
				for _, id := range tt.wantRemoved {
					calls = append(calls, c.EXPECT().RemoveMember(gomock.Any(), id).Return(tt.removeErr).Times(1))
				}
				gomock.InOrder(calls...)
				c.EXPECT().Close().Return(nil).Times(1)
			}
			recorder := record.NewFakeRecorder(10)
			r := &Reconciler{Recorder: recorder}

			err := r.reconcileEtcdMembers(context.Background(), cp)

			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(tt.wantErr))
				g.Expect(recorder.Events).To(BeEmpty())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(recorder.Events).To(HaveLen(len(tt.wantRemoved)))
			for range tt.wantRemoved {
				g.Expect(<-recorder.Events).To(HavePrefix("Normal RemovedEtcdMember Removed etcd member"))
			}
		})
	}
}

func TestEtcdForwardLeadership(t *testing.T) {
	leaderOn := func(nodeName string, members ...*etcd.Member) []*etcd.Member {
		var out []*etcd.Member
		for _, m := range members {
			c := *m
			c.IsLeader = c.NodeName == nodeName
			out = append(out, &c)
		}
		return out
	}
	m1, m2, m3 := healthMember(1, "n1"), healthMember(2, "n2"), healthMember(3, "n3")
	learner3 := *m3
	learner3.IsLearner = true

	tests := []struct {
		name          string
		machine       *clusterv1.Machine
		candidate     *clusterv1.Machine
		proxyDisabled bool
		// leaderNode is the Node ForLeader connects to; empty means no connection is expected.
		leaderNode   string
		leaderErr    error
		members      []*etcd.Member
		wantMoveTo   uint64
		moveErr      error
		generatorErr error
		wantErr      string
	}{
		{
			name:    "leadership moved when the Machine leads",
			machine: healthMachine("m1", "n1", 0), candidate: healthMachine("m3", "n3", 2),
			leaderNode: "n1", members: leaderOn("n1", m1, m2, m3), wantMoveTo: 3,
		},
		{
			name:    "nothing when another member leads",
			machine: healthMachine("m1", "n1", 0), candidate: healthMachine("m3", "n3", 2),
			leaderNode: "n2",
		},
		{
			name:    "nothing when etcd is not inspected",
			machine: healthMachine("m1", "n1", 0), candidate: healthMachine("m3", "n3", 2), proxyDisabled: true,
		},
		{
			name:    "nothing when the Machine has no Node",
			machine: healthMachine("m1", "", 0), candidate: healthMachine("m3", "n3", 2),
		},
		{
			name:    "error when the candidate has no Node",
			machine: healthMachine("m1", "n1", 0), candidate: healthMachine("m3", "", 2),
			wantErr: "the candidate Machine has no Node",
		},
		{
			name:    "error when the candidate has no member",
			machine: healthMachine("m1", "n1", 0), candidate: healthMachine("m3", "n3", 2),
			leaderNode: "n1", members: leaderOn("n1", m1, m2), wantErr: "Node n3 has no etcd member",
		},
		{
			name:    "error when the candidate is a learner",
			machine: healthMachine("m1", "n1", 0), candidate: healthMachine("m3", "n3", 2),
			leaderNode: "n1", members: leaderOn("n1", m1, m2, &learner3), wantErr: "learner",
		},
		{
			name:    "leader connection error is wrapped",
			machine: healthMachine("m1", "n1", 0), candidate: healthMachine("m3", "n3", 2),
			leaderNode: "n1", leaderErr: errors.New("no leader"),
			wantErr: "failed to connect to the etcd leader to move leadership away from Machine m1: no leader",
		},
		{
			name:    "move error is wrapped",
			machine: healthMachine("m1", "n1", 0), candidate: healthMachine("m3", "n3", 2),
			leaderNode: "n1", members: leaderOn("n1", m1, m2, m3), wantMoveTo: 3, moveErr: errors.New("not leader"),
			wantErr: "failed to move etcd leadership from Machine m1 to Machine m3: not leader",
		},
		{
			name:    "etcd unreachable",
			machine: healthMachine("m1", "n1", 0), candidate: healthMachine("m3", "n3", 2), generatorErr: errors.New("no CA"),
			wantErr: "failed to reach etcd to move leadership away from Machine m1: no CA",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			mockCtrl := gomock.NewController(t)
			machines := []*clusterv1.Machine{tt.machine, tt.candidate, healthMachine("m2", "n2", 1)}
			cp := healthControlPlane(tt.proxyDisabled, machines...)
			generator := etcdmock.NewMockClientGenerator(mockCtrl)
			cp.openEtcd = func(context.Context) (etcd.ClientGenerator, error) {
				if tt.generatorErr != nil {
					return nil, tt.generatorErr
				}
				return generator, nil
			}
			var nodeNames []string
			for _, m := range cp.Machines.SortedByCreationTimestamp() {
				if m.Status.NodeRef.IsDefined() {
					nodeNames = append(nodeNames, m.Status.NodeRef.Name)
				}
			}
			if tt.leaderNode != "" {
				if tt.leaderErr != nil {
					generator.EXPECT().ForLeader(gomock.Any(), nodeNames).Return(nil, tt.leaderErr).Times(1)
				} else {
					c := etcdmock.NewMockClient(mockCtrl)
					generator.EXPECT().ForLeader(gomock.Any(), nodeNames).Return(c, nil).Times(1)
					c.EXPECT().NodeName().Return(tt.leaderNode).AnyTimes()
					if tt.members != nil {
						c.EXPECT().Members(gomock.Any()).Return(tt.members, nil).Times(1)
					}
					if tt.wantMoveTo != 0 {
						c.EXPECT().MoveLeader(gomock.Any(), tt.wantMoveTo).Return(tt.moveErr).Times(1)
					}
					c.EXPECT().Close().Return(nil).Times(1)
				}
			}

			err := (&Reconciler{}).forwardEtcdLeadership(context.Background(), cp, tt.machine, tt.candidate)

			if tt.wantErr != "" {
				g.Expect(err).To(HaveOccurred())
				g.Expect(err.Error()).To(ContainSubstring(tt.wantErr))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
		})
	}
}
