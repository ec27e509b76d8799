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

package controllers

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	k3setcd "github.com/k3s-io/cluster-api-k3s/pkg/etcd"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
	infrav1 "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/api/v1beta1"
)

// etcdGenerator returns the control plane's etcd client generator for the cluster: pods listed and
// port-forwards opened through the workload API server, TLS verified against <cluster>-etcd.
// Short timeouts keep the tests of unreachable members fast.
func (tc *testCluster) etcdGenerator(t *testing.T) k3setcd.ClientGenerator {
	t.Helper()
	return tc.etcdGeneratorWith(t, k3setcd.Config{DialTimeout: 2 * time.Second, CallTimeout: 2 * time.Second})
}

func (tc *testCluster) etcdGeneratorWith(t *testing.T, cfg k3setcd.Config) k3setcd.ClientGenerator {
	t.Helper()
	g := NewWithT(t)
	ca, err := k3setcd.ReadCA(t.Context(), env.Client, tc.key())
	g.Expect(err).ToNot(HaveOccurred())
	connector := k3setcd.NewConnector(cfg)
	gen, err := connector.ForCluster(tc.key(), tc.workloadConfig(t), tc.workloadClient(t), ca)
	g.Expect(err).ToNot(HaveOccurred())
	return gen
}

// members lists the members through the node's member.
func members(t *testing.T, gen k3setcd.ClientGenerator, nodeName string) []*k3setcd.Member {
	t.Helper()
	g := NewWithT(t)
	c, err := gen.ForNode(t.Context(), nodeName)
	g.Expect(err).ToNot(HaveOccurred())
	defer func() { _ = c.Close() }()
	ms, err := c.Members(t.Context())
	g.Expect(err).ToNot(HaveOccurred())
	return ms
}

func memberNodes(ms []*k3setcd.Member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.NodeName)
	}
	return out
}

func leaderNode(ms []*k3setcd.Member) string {
	for _, m := range ms {
		if m.IsLeader {
			return m.NodeName
		}
	}
	return ""
}

func TestEtcd_ThroughPkgEtcdWithTLSVerified(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	tc := newTestCluster(t)
	_, s0 := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer})
	s0 = waitBooted(t, s0)
	gen := tc.etcdGeneratorWith(t, k3setcd.Config{}) // the control plane's defaults

	c, err := gen.ForNode(ctx, "server-0")
	g.Expect(err).ToNot(HaveOccurred())
	ms, err := c.Members(ctx)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(ms).To(HaveLen(1))
	g.Expect(ms[0].Name).To(Equal(s0.Status.EtcdMemberName))
	g.Expect(ms[0].NodeName).To(Equal("server-0"))
	g.Expect(ms[0].IsLeader).To(BeTrue())
	g.Expect(ms[0].Alarms).To(BeEmpty())
	g.Expect(c.LeaderID()).To(Equal(ms[0].ID))
	g.Expect(c.Close()).To(Succeed())

	_, s1 := tc.newMachine(t, "server-1", machineOptions{role: k3sconfig.RoleJoinServer})
	s1 = waitBooted(t, s1)
	ms = members(t, gen, "server-1")
	g.Expect(memberNodes(ms)).To(ConsistOf("server-0", "server-1"))
	g.Expect(leaderNode(ms)).To(Equal("server-0"))
	joiner := k3setcd.FindMemberByNodeName(ms, "server-1")
	g.Expect(joiner.Name).To(Equal(s1.Status.EtcdMemberName))

	// Leadership moves through the leader's client.
	leader, err := gen.ForLeader(ctx, []string{"server-0", "server-1"})
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(leader.NodeName()).To(Equal("server-0"))
	g.Expect(leader.MoveLeader(ctx, joiner.ID)).To(Succeed())
	g.Expect(leader.Close()).To(Succeed())
	leader, err = gen.ForLeader(ctx, []string{"server-0", "server-1"})
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(leader.NodeName()).To(Equal("server-1"))

	// A member removed through the etcd API is gone from the list; the removed member answers no more.
	first := k3setcd.FindMemberByNodeName(ms, "server-0")
	g.Expect(leader.RemoveMember(ctx, first.ID)).To(Succeed())
	g.Expect(leader.Close()).To(Succeed())
	g.Expect(memberNodes(members(t, gen, "server-1"))).To(ConsistOf("server-1"))
	_, err = gen.ForNode(ctx, "server-0")
	g.Expect(err).To(MatchError(ContainSubstring("removed")))
}

func TestEtcd_TLSVerificationFailsWithAnotherCA(t *testing.T) {
	g := NewWithT(t)
	tc := newTestCluster(t)
	_, s0 := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer})
	waitBooted(t, s0)
	other := newTestCluster(t)

	// The etcd CA of another cluster does not verify this cluster's members.
	ca, err := k3setcd.ReadCA(t.Context(), env.Client, other.key())
	g.Expect(err).ToNot(HaveOccurred())
	connector := k3setcd.NewConnector(k3setcd.Config{DialTimeout: 2 * time.Second, CallTimeout: 2 * time.Second})
	gen, err := connector.ForCluster(tc.key(), tc.workloadConfig(t), tc.workloadClient(t), ca)
	g.Expect(err).ToNot(HaveOccurred())
	_, err = gen.ForNode(t.Context(), "server-0")
	g.Expect(err).To(MatchError(ContainSubstring("not valid for the cluster's etcd CA")))
}

func TestEtcd_MemberRemovalOnNodeAnnotation(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	tc := newTestCluster(t)
	machines := map[string]*infrav1.K3sSimMachine{}
	for i, name := range []string{"server-0", "server-1", "server-2"} {
		role := k3sconfig.RoleJoinServer
		if i == 0 {
			role = k3sconfig.RoleInitServer
		}
		_, m := tc.newMachine(t, name, machineOptions{role: role})
		machines[name] = m
	}
	for _, m := range machines {
		waitBooted(t, m)
	}
	gen := tc.etcdGenerator(t)
	wc := tc.workloadClient(t)
	g.Expect(memberNodes(members(t, gen, "server-0"))).To(ConsistOf("server-0", "server-1", "server-2"))

	annotateRemove := func(nodeName string) {
		n := &corev1.Node{}
		g.Expect(wc.Get(ctx, client.ObjectKey{Name: nodeName}, n)).To(Succeed())
		patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"etcd.k3s.cattle.io/remove":"true"}}}`))
		g.Expect(wc.Patch(ctx, n, patch)).To(Succeed())
		g.Eventually(func(g Gomega) {
			g.Expect(wc.Get(ctx, client.ObjectKey{Name: nodeName}, n)).To(Succeed())
			g.Expect(n.Annotations).To(HaveKeyWithValue("etcd.k3s.cattle.io/removed-node-name", machines[nodeName].Status.EtcdMemberName))
		}, eventually).Should(Succeed())
	}

	// A member that does not lead.
	annotateRemove("server-1")
	ms := members(t, gen, "server-0")
	g.Expect(memberNodes(ms)).To(ConsistOf("server-0", "server-2"))
	g.Expect(leaderNode(ms)).To(Equal("server-0"))

	// The leader: another member is elected.
	annotateRemove("server-0")
	g.Eventually(func() []string { return memberNodes(members(t, gen, "server-2")) }, eventually).Should(ConsistOf("server-2"))
	g.Expect(leaderNode(members(t, gen, "server-2"))).To(Equal("server-2"))

	// An agent's Node is ignored, as K3s ignores it.
	_, w := tc.newMachine(t, "worker-0", machineOptions{role: k3sconfig.RoleAgent})
	waitBooted(t, w)
	n := &corev1.Node{}
	g.Expect(wc.Get(ctx, client.ObjectKey{Name: "worker-0"}, n)).To(Succeed())
	g.Expect(wc.Patch(ctx, n, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"etcd.k3s.cattle.io/remove":"true"}}}`)))).To(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(wc.Get(ctx, client.ObjectKey{Name: "worker-0"}, n)).To(Succeed())
		g.Expect(n.Annotations).ToNot(HaveKey("etcd.k3s.cattle.io/removed-node-name"))
	}, time.Second).Should(Succeed())
}

func TestEtcd_DeletedMachines(t *testing.T) {
	t.Run("a member never removed stays, and etcd elects a leader while it has quorum", func(t *testing.T) {
		g := NewWithT(t)
		ctx := t.Context()
		tc := newTestCluster(t)
		var ms []*infrav1.K3sSimMachine
		for i, name := range []string{"server-0", "server-1", "server-2"} {
			role := k3sconfig.RoleJoinServer
			if i == 0 {
				role = k3sconfig.RoleInitServer
			}
			_, m := tc.newMachine(t, name, machineOptions{role: role})
			ms = append(ms, m)
		}
		for _, m := range ms {
			waitBooted(t, m)
		}
		gen := tc.etcdGenerator(t)
		g.Expect(env.Client.Delete(ctx, ms[0])).To(Succeed()) // the leader
		g.Eventually(func() error { return tc.workloadClient(t).Get(ctx, client.ObjectKey{Name: "server-0"}, &corev1.Node{}) }, eventually).ShouldNot(Succeed())
		g.Eventually(func() string { return leaderNode(members(t, gen, "server-1")) }, eventually).Should(Equal("server-1"))
		g.Expect(memberNodes(members(t, gen, "server-2"))).To(ConsistOf("server-0", "server-1", "server-2"), "ghost member of server-0")
		_, err := gen.ForNode(ctx, "server-0")
		g.Expect(err).To(MatchError(ContainSubstring("no running etcd-proxy pod")))
	})

	t.Run("without quorum no member leads", func(t *testing.T) {
		g := NewWithT(t)
		ctx := t.Context()
		tc := newTestCluster(t)
		_, s0 := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer})
		_, s1 := tc.newMachine(t, "server-1", machineOptions{role: k3sconfig.RoleJoinServer})
		waitBooted(t, s0)
		waitBooted(t, s1)
		gen := tc.etcdGenerator(t)
		g.Expect(env.Client.Delete(ctx, s1)).To(Succeed())
		g.Eventually(func() error {
			_, err := gen.ForNode(ctx, "server-0")
			return err
		}, eventually).Should(MatchError(ContainSubstring("no leader")))
	})
}
