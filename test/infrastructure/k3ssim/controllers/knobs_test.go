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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	k3setcd "github.com/k3s-io/cluster-api-k3s/pkg/etcd"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
	infrav1 "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/api/v1beta1"
)

// setKnobs changes the spec of a K3sSimMachine.
func setKnobs(t *testing.T, m *infrav1.K3sSimMachine, mutate func(*infrav1.K3sSimMachineSpec)) {
	t.Helper()
	g := NewWithT(t)
	g.Expect(env.Client.Get(t.Context(), client.ObjectKeyFromObject(m), m)).To(Succeed())
	orig := m.DeepCopy()
	mutate(&m.Spec)
	g.Expect(env.Client.Patch(t.Context(), m, client.MergeFrom(orig))).To(Succeed())
}

func TestKnobs_BootDelay(t *testing.T) {
	g := NewWithT(t)
	tc := newTestCluster(t)
	start := time.Now()
	_, m := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer, knobs: infrav1.K3sSimMachineSpec{BootDelaySeconds: 2}})
	waitBootReason(t, m, infrav1.BootingReason)
	waitBooted(t, m)
	g.Expect(time.Since(start)).To(BeNumerically(">=", 2*time.Second))
}

func TestKnobs_NodeNotReadyAfterBoot(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	tc := newTestCluster(t)
	_, m := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer, knobs: infrav1.K3sSimMachineSpec{NodeNotReadyAfterBoot: new(true)}})
	waitBooted(t, m)
	wc := tc.workloadClient(t)
	n := &corev1.Node{}
	g.Expect(wc.Get(ctx, client.ObjectKey{Name: "server-0"}, n)).To(Succeed())
	g.Expect(readyStatus(n)).To(Equal(corev1.ConditionFalse))
	g.Expect(hasTaint(n, "node.kubernetes.io/not-ready", corev1.TaintEffectNoSchedule)).To(BeTrue())

	setKnobs(t, m, func(s *infrav1.K3sSimMachineSpec) { s.NodeNotReadyAfterBoot = nil })
	g.Eventually(func(g Gomega) {
		g.Expect(wc.Get(ctx, client.ObjectKey{Name: "server-0"}, n)).To(Succeed())
		g.Expect(readyStatus(n)).To(Equal(corev1.ConditionTrue))
		g.Expect(n.Spec.Taints).To(BeEmpty())
	}, eventually).Should(Succeed())
}

// TestKnobs_NodeReadyDelay: the Node registers NotReady while the API server already answers, and turns Ready on its
// own once the delay passed.
func TestKnobs_NodeReadyDelay(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	tc := newTestCluster(t)
	_, m := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer, knobs: infrav1.K3sSimMachineSpec{NodeReadyDelaySeconds: 2}})
	waitBooted(t, m)
	booted := time.Now()
	wc := tc.workloadClient(t)
	n := &corev1.Node{}
	g.Expect(wc.Get(ctx, client.ObjectKey{Name: "server-0"}, n)).To(Succeed(), "the API server answers")
	g.Expect(readyStatus(n)).To(Equal(corev1.ConditionFalse))

	g.Eventually(func(g Gomega) {
		g.Expect(wc.Get(ctx, client.ObjectKey{Name: "server-0"}, n)).To(Succeed())
		g.Expect(readyStatus(n)).To(Equal(corev1.ConditionTrue))
	}, eventually).Should(Succeed())
	g.Expect(time.Since(booted)).To(BeNumerically(">=", time.Second), "Ready only after the delay")
}

func TestKnobs_EtcdUnhealthy(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	tc := newTestCluster(t)
	_, s0 := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer})
	_, s1 := tc.newMachine(t, "server-1", machineOptions{role: k3sconfig.RoleJoinServer, knobs: infrav1.K3sSimMachineSpec{EtcdUnhealthy: infrav1.EtcdAlarm}})
	waitBooted(t, s0)
	waitBooted(t, s1)
	gen := tc.etcdGenerator(t)

	ms := members(t, gen, "server-0")
	g.Expect(k3setcd.FindMemberByNodeName(ms, "server-1").Alarms).To(ConsistOf(k3setcd.AlarmNoSpace))
	g.Expect(k3setcd.FindMemberByNodeName(ms, "server-0").Alarms).To(BeEmpty())

	setKnobs(t, s1, func(s *infrav1.K3sSimMachineSpec) { s.EtcdUnhealthy = infrav1.EtcdUnreachable })
	g.Eventually(func() error {
		c, err := gen.ForNode(ctx, "server-1")
		if err == nil {
			_ = c.Close()
		}
		return err
	}, eventually).Should(MatchError(ContainSubstring("not valid for the cluster's etcd CA")))
	ms = members(t, gen, "server-0")
	g.Expect(memberNodes(ms)).To(ConsistOf("server-0", "server-1"), "the other members still list it")
	g.Expect(k3setcd.FindMemberByNodeName(ms, "server-1").Alarms).To(BeEmpty())

	setKnobs(t, s1, func(s *infrav1.K3sSimMachineSpec) { s.EtcdUnhealthy = "" })
	g.Eventually(func() error {
		c, err := gen.ForNode(ctx, "server-1")
		if err == nil {
			_ = c.Close()
		}
		return err
	}, eventually).Should(Succeed())
}

func TestKnobs_UnreachableDuringRemoval(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	tc := newTestCluster(t)
	_, s0 := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer})
	machine, s1 := tc.newMachine(t, "server-1", machineOptions{
		role: k3sconfig.RoleJoinServer, machineFinalizer: true,
		knobs: infrav1.K3sSimMachineSpec{UnreachableDuringRemoval: new(true)},
	})
	waitBooted(t, s0)
	s1 = waitBooted(t, s1)
	wc := tc.workloadClient(t)
	gen := tc.etcdGenerator(t)
	n := &corev1.Node{}
	g.Expect(wc.Get(ctx, client.ObjectKey{Name: "server-1"}, n)).To(Succeed())
	g.Expect(readyStatus(n)).To(Equal(corev1.ConditionTrue))

	// The Machine's deletion starts (CAPI drains, runs hooks, then deletes the K3sSimMachine).
	g.Expect(env.Client.Delete(ctx, machine)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(wc.Get(ctx, client.ObjectKey{Name: "server-1"}, n)).To(Succeed())
		g.Expect(readyStatus(n)).To(Equal(corev1.ConditionUnknown))
		g.Expect(hasTaint(n, "node.kubernetes.io/unreachable", corev1.TaintEffectNoExecute)).To(BeTrue())
	}, eventually).Should(Succeed())
	_, err := gen.ForNode(ctx, "server-1")
	g.Expect(err).To(HaveOccurred())

	// K3s on the other server still removes the member.
	g.Expect(wc.Patch(ctx, n, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"etcd.k3s.cattle.io/remove":"true"}}}`)))).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(wc.Get(ctx, client.ObjectKey{Name: "server-1"}, n)).To(Succeed())
		g.Expect(n.Annotations).To(HaveKeyWithValue("etcd.k3s.cattle.io/removed-node-name", s1.Status.EtcdMemberName))
	}, eventually).Should(Succeed())
	g.Expect(memberNodes(members(t, gen, "server-0"))).To(ConsistOf("server-0"))
}

func TestKnobs_VersionAndEtcdProxy(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	tc := newTestCluster(t)
	_, s0 := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer, version: "v1.34.1+k3s1",
		spec: func(s *bootstrapv1.KThreesConfigSpec) { s.ServerConfig.DisableComponents = []string{"etcd-proxy"} }})
	s0 = waitBooted(t, s0)
	wc := tc.workloadClient(t)
	n := &corev1.Node{}
	g.Expect(wc.Get(ctx, client.ObjectKey{Name: "server-0"}, n)).To(Succeed())
	g.Expect(n.Labels).To(HaveKeyWithValue("node-role.kubernetes.io/control-plane", "true"))
	g.Expect(n.Labels).ToNot(HaveKey("node-role.kubernetes.io/master"), "K3s >= v1.34 does not set the master label")
	g.Expect(n.Status.NodeInfo.KubeletVersion).To(Equal("v1.34.1+k3s1"))

	// No etcd-proxy pod: the member's pod carries only the etcd labels.
	pod := &corev1.Pod{}
	g.Expect(wc.Get(ctx, client.ObjectKey{Namespace: "kube-system", Name: "etcd-" + s0.Status.EtcdMemberName}, pod)).To(Succeed())
	g.Expect(pod.Labels).To(Equal(map[string]string{"component": "etcd", "tier": "control-plane"}))
	g.Expect(pod.Annotations).To(HaveKey(corev1.MirrorPodAnnotationKey), "a static pod, which Cluster API's drain skips")
	_, err := tc.etcdGenerator(t).ForNode(ctx, "server-0")
	g.Expect(err).To(MatchError(k3setcd.ErrNoProxyPod))
}

func TestKnobs_NeverBoot(t *testing.T) {
	g := NewWithT(t)
	tc := newTestCluster(t)
	_, m := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer, knobs: infrav1.K3sSimMachineSpec{NeverBoot: new(true)}})
	waitBootReason(t, m, infrav1.NeverBootReason)
	g.Consistently(func() *bool {
		g.Expect(env.Client.Get(t.Context(), client.ObjectKeyFromObject(m), m)).To(Succeed())
		return m.Status.Initialization.Provisioned
	}, time.Second).Should(BeNil())

	setKnobs(t, m, func(s *infrav1.K3sSimMachineSpec) { s.NeverBoot = nil })
	waitBooted(t, m)
}

func TestKnobs_CertificatesExpiry(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	tc := newTestCluster(t)
	expiry := metav1.NewTime(time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC))
	_, m := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer, knobs: infrav1.K3sSimMachineSpec{CertificatesExpiry: &expiry}})
	waitBooted(t, m)
	wc := tc.workloadClient(t)
	n := &corev1.Node{}
	g.Expect(wc.Get(ctx, client.ObjectKey{Name: "server-0"}, n)).To(Succeed())
	g.Expect(n.Annotations).To(HaveKeyWithValue("k3ssim.cluster.x-k8s.io/certificates-expiry", "2027-03-01T12:00:00Z"))

	setKnobs(t, m, func(s *infrav1.K3sSimMachineSpec) {
		s.CertificatesExpiry = &metav1.Time{Time: time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC)}
	})
	g.Eventually(func(g Gomega) {
		g.Expect(wc.Get(ctx, client.ObjectKey{Name: "server-0"}, n)).To(Succeed())
		g.Expect(n.Annotations).To(HaveKeyWithValue("k3ssim.cluster.x-k8s.io/certificates-expiry", "2026-12-24T00:00:00Z"))
	}, eventually).Should(Succeed())
}
