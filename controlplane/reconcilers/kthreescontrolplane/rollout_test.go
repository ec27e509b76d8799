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
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

func TestRolloutMaxSurge(t *testing.T) {
	tests := []struct {
		name     string
		maxSurge *intstr.IntOrString
		want     int32
	}{
		{name: "unset defaults to 1", want: 1},
		{name: "0", maxSurge: ptr.To(intstr.FromInt32(0)), want: 0},
		{name: "1", maxSurge: ptr.To(intstr.FromInt32(1)), want: 1},
		{name: "a string the webhook would refuse is the default", maxSurge: ptr.To(intstr.FromString("0")), want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := scaleTestKCP(3)
			kcp.Spec.Rollout.Strategy.RollingUpdate.MaxSurge = tt.maxSurge
			g.Expect(rolloutMaxSurge(kcp)).To(Equal(tt.want))
		})
	}
}

// rolloutTestRun replaces `replicas` outdated Machines through reconcileReplicas and returns what each reconcile
// did: "create", "delete <name>", "wait" (nothing, while a deletion is pending or a preflight check or guard holds
// it) or "done" (nothing left to do). Created Machines are
// healthy and up to date at once; a deleted Machine is seen deleting by the next reconcile and gone after it.
func rolloutTestRun(t *testing.T, maxSurge int32, replicas int) []string {
	t.Helper()
	g := NewWithT(t)
	var machines []*clusterv1.Machine
	outdated := map[string]bool{}
	for i := range replicas {
		name := fmt.Sprintf("old-%d", i)
		machines = append(machines, scaleTestMachine(name, time.Duration(10-i)*time.Hour))
		outdated[name] = true
	}

	var trace []string
	for step := 0; step < 20; step++ {
		var outdatedNames []string
		for _, m := range machines {
			if outdated[m.Name] {
				outdatedNames = append(outdatedNames, m.Name)
			}
		}
		kcp := scaleTestKCP(int32(replicas))
		kcp.Spec.Rollout.Strategy.RollingUpdate.MaxSurge = ptr.To(intstr.FromInt32(maxSurge))
		env := scaleTestNewEnv(t, kcp, scaleTestCluster(), machines, outdatedNames...)

		_, err := env.r.reconcileReplicas(context.Background(), env.cp)
		g.Expect(err).ToNot(HaveOccurred())

		// Deletions that were pending complete now.
		var next []*clusterv1.Machine
		for _, m := range machines {
			if m.DeletionTimestamp.IsZero() {
				next = append(next, m)
			}
		}
		deletionWasPending := len(next) < len(machines)
		machines = next

		deleted := env.deleted(g)
		var newlyDeleted []string
		for _, name := range deleted {
			for _, m := range machines {
				if m.Name == name {
					newlyDeleted = append(newlyDeleted, name)
					m.DeletionTimestamp = ptr.To(metav1.NewTime(scaleTestNow))
				}
			}
		}
		switch {
		case len(env.created) > 0 && len(newlyDeleted) > 0:
			t.Fatalf("step %d created and deleted a Machine in one reconcile", step)
		case len(env.created) > 1 || len(newlyDeleted) > 1:
			t.Fatalf("step %d changed more than one Machine", step)
		case len(env.created) == 1:
			trace = append(trace, "create")
			machines = append(machines, scaleTestMachine(fmt.Sprintf("new-%d", step), time.Duration(-step)*time.Minute))
		case len(newlyDeleted) == 1:
			trace = append(trace, "delete "+newlyDeleted[0])
		case len(env.cp.preflightMessages) > 0 || deletionWasPending:
			trace = append(trace, "wait")
		default:
			trace = append(trace, "done")
			return trace
		}
	}
	t.Fatalf("the rollout did not finish: %s", strings.Join(trace, ", "))
	return nil
}

func TestRolloutSequences(t *testing.T) {
	tests := []struct {
		name     string
		maxSurge int32
		replicas int
		want     []string
	}{
		{
			name: "maxSurge 1 adds a Machine before removing an outdated one", maxSurge: 1, replicas: 3,
			want: []string{
				"create", "delete old-0", "wait",
				"create", "delete old-1", "wait",
				"create", "delete old-2", "wait",
				"done",
			},
		},
		{
			name: "maxSurge 0 removes an outdated Machine before adding one", maxSurge: 0, replicas: 3,
			want: []string{
				"delete old-0", "wait", "create",
				"delete old-1", "wait", "create",
				"delete old-2", "wait", "create",
				"done",
			},
		},
		{
			name: "maxSurge 0 with two Machines keeps the remaining member's quorum", maxSurge: 0, replicas: 2,
			want: []string{
				"delete old-0", "wait", "create",
				"delete old-1", "wait", "create",
				"done",
			},
		},
		{
			name: "maxSurge 1 replaces a single Machine", maxSurge: 1, replicas: 1,
			want: []string{"create", "delete old-0", "wait", "done"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(rolloutTestRun(t, tt.maxSurge, tt.replicas)).To(Equal(tt.want))
		})
	}
}

func TestRolloutMaxSurgeZeroSingleMachineBlocks(t *testing.T) {
	g := NewWithT(t)
	kcp := scaleTestKCP(1)
	kcp.Spec.Rollout.Strategy.RollingUpdate.MaxSurge = ptr.To(intstr.FromInt32(0))
	env := scaleTestNewEnv(t, kcp, scaleTestCluster(), []*clusterv1.Machine{scaleTestMachine("old-0", time.Hour)}, "old-0")

	res, err := env.r.reconcileReplicas(context.Background(), env.cp)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(res.IsZero()).To(BeTrue(), "a change of the spec unblocks it, no requeue")
	g.Expect(env.created).To(BeEmpty())
	g.Expect(env.deleted(g)).To(BeEmpty())
	g.Expect(env.cp.preflightMessages).To(ConsistOf(
		"maxSurge 0 cannot replace the only control-plane Machine without losing etcd; set rollout.strategy.rollingUpdate.maxSurge to 1"))
	g.Expect(env.events()).To(ConsistOf(ContainSubstring("RolloutBlocked")))
}

func TestRolloutMaxSurgeZeroWaitsForDeletionFirst(t *testing.T) {
	g := NewWithT(t)
	kcp := scaleTestKCP(1)
	kcp.Spec.Rollout.Strategy.RollingUpdate.MaxSurge = ptr.To(intstr.FromInt32(0))
	machines := []*clusterv1.Machine{
		scaleTestMachine("old-0", 2*time.Hour),
		scaleTestMachine("going", time.Hour, scaleTestDeleting()),
	}
	env := scaleTestNewEnv(t, kcp, scaleTestCluster(), machines, "old-0")

	_, err := env.r.reconcileReplicas(context.Background(), env.cp)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(env.deleted(g)).To(ConsistOf("going"))
	g.Expect(env.cp.preflightMessages).To(ConsistOf("Waiting for the deletion of Machine going"))
}
