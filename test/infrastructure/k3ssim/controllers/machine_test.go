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
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	k3scerts "github.com/k3s-io/cluster-api-k3s/pkg/certs"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
	infrav1 "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/api/v1beta1"
)

func TestK3sSimCluster_ReservesEndpoint(t *testing.T) {
	g := NewWithT(t)
	fds := []clusterv1.FailureDomain{{Name: "fd-a", ControlPlane: new(true)}, {Name: "fd-b", ControlPlane: new(true)}}
	tc := newTestCluster(t, func(c *infrav1.K3sSimCluster) { c.Spec.FailureDomains = fds })
	c := tc.simCluster
	g.Expect(c.Spec.ControlPlaneEndpoint.Host).To(Equal("127.0.0.1"))
	g.Expect(c.Spec.ControlPlaneEndpoint.Port).To(BeNumerically(">=", testMinPort))
	g.Expect(c.Spec.ControlPlaneEndpoint.Port).To(BeNumerically("<=", testMaxPort))
	g.Expect(c.Status.FailureDomains).To(Equal(fds))
	g.Expect(conditions.IsTrue(c, infrav1.ReadyCondition)).To(BeTrue())
	g.Expect(c.Finalizers).To(ContainElement(infrav1.ClusterFinalizer))
	g.Expect(sim.Mux().Serving(listenerName(client.ObjectKeyFromObject(c)))).To(BeFalse(), "no server yet")

	// Deleting releases the listener.
	g.Expect(env.Client.Delete(t.Context(), c)).To(Succeed())
	g.Eventually(func() bool {
		_, err := sim.Mux().Port(listenerName(client.ObjectKeyFromObject(c)))
		return err != nil && env.Client.Get(t.Context(), client.ObjectKeyFromObject(c), &infrav1.K3sSimCluster{}) != nil
	}, eventually).Should(BeTrue())
}

func TestK3sSimMachine_InitServer(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	tc := newTestCluster(t)
	_, m := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer})
	m = waitBooted(t, m)

	g.Expect(m.Spec.ProviderID).To(Equal("k3ssim://" + m.Namespace + "/server-0"))
	g.Expect(m.Status.NodeName).To(Equal("server-0"))
	g.Expect(hasHexSuffix(m.Status.EtcdMemberName, "server-0-", 8)).To(BeTrue(), m.Status.EtcdMemberName)
	g.Expect(m.Status.Addresses).To(ContainElement(clusterv1.MachineAddress{Type: clusterv1.MachineHostName, Address: "server-0"}))
	g.Expect(conditions.IsTrue(m, infrav1.ReadyCondition)).To(BeTrue())
	g.Expect(events(t, m, "Booted")).ToNot(BeEmpty())

	// The workload API server answers on the endpoint with a certificate of the Cluster's CA.
	wc := tc.workloadClient(t)
	n := &corev1.Node{}
	g.Expect(wc.Get(ctx, client.ObjectKey{Name: "server-0"}, n)).To(Succeed())
	g.Expect(n.Spec.ProviderID).To(Equal(m.Spec.ProviderID))
	g.Expect(n.Labels).To(HaveKeyWithValue("node-role.kubernetes.io/control-plane", "true"))
	g.Expect(n.Labels).To(HaveKeyWithValue("node-role.kubernetes.io/etcd", "true"))
	g.Expect(n.Labels).To(HaveKeyWithValue("node-role.kubernetes.io/master", "true"), "K3s < v1.34 sets the master label")
	g.Expect(n.Annotations).To(HaveKeyWithValue("etcd.k3s.cattle.io/node-name", m.Status.EtcdMemberName))
	g.Expect(n.Status.NodeInfo.KubeletVersion).To(Equal(testVersion))
	g.Expect(readyStatus(n)).To(Equal(corev1.ConditionTrue))
	g.Expect(n.Spec.Taints).To(BeEmpty())

	serving := &corev1.Secret{}
	g.Expect(wc.Get(ctx, client.ObjectKey{Namespace: "kube-system", Name: "k3s-serving"}, serving)).To(Succeed())
	g.Expect(serving.Data).To(HaveKey("tls.crt"))
	for _, ns := range []string{"default", "kube-system", "kube-public"} {
		g.Expect(wc.Get(ctx, client.ObjectKey{Name: ns}, &corev1.Namespace{})).To(Succeed(), ns)
	}

	pod := &corev1.Pod{}
	g.Expect(wc.Get(ctx, client.ObjectKey{Namespace: "kube-system", Name: "etcd-" + m.Status.EtcdMemberName}, pod)).To(Succeed())
	g.Expect(pod.Labels).To(Equal(map[string]string{"app": "etcd-proxy", "component": "etcd", "tier": "control-plane"}))
	g.Expect(pod.Spec.NodeName).To(Equal("server-0"))
	g.Expect(pod.Status.Phase).To(Equal(corev1.PodRunning))
	// A DaemonSet pod, which Cluster API's drain skips.
	owner := metav1.GetControllerOf(pod)
	g.Expect(owner).ToNot(BeNil())
	g.Expect(owner.Kind).To(Equal("DaemonSet"))
	g.Expect(wc.Get(ctx, client.ObjectKey{Namespace: "kube-system", Name: owner.Name}, &appsv1.DaemonSet{})).To(Succeed())
}

func TestK3sSimMachine_JoinServerAndAgent(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	tc := newTestCluster(t)
	_, s0 := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer})
	_, s1 := tc.newMachine(t, "server-1", machineOptions{role: k3sconfig.RoleJoinServer})
	_, w0 := tc.newMachine(t, "worker-0", machineOptions{role: k3sconfig.RoleAgent, spec: func(s *bootstrapv1.KThreesConfigSpec) {
		s.AgentConfig.NodeName = "w-{{ ds.meta_data.local_hostname }}"
		s.AgentConfig.NodeLabels = []string{"pool=blue"}
		s.AgentConfig.NodeTaints = []string{"dedicated=gpu:NoSchedule"}
	}})
	waitBooted(t, s0)
	s1 = waitBooted(t, s1)
	w0 = waitBooted(t, w0)
	g.Expect(w0.Status.NodeName).To(Equal("w-worker-0"))
	g.Expect(w0.Status.EtcdMemberName).To(BeEmpty())

	wc := tc.workloadClient(t)
	n := &corev1.Node{}
	g.Expect(wc.Get(ctx, client.ObjectKey{Name: "server-1"}, n)).To(Succeed())
	g.Expect(n.Labels).To(HaveKeyWithValue("node-role.kubernetes.io/control-plane", "true"))
	g.Expect(wc.Get(ctx, client.ObjectKey{Name: "w-worker-0"}, n)).To(Succeed())
	g.Expect(n.Labels).ToNot(HaveKey("node-role.kubernetes.io/control-plane"))
	g.Expect(n.Labels).ToNot(HaveKey("node-role.kubernetes.io/etcd"))
	g.Expect(n.Labels).To(HaveKeyWithValue("pool", "blue"))
	g.Expect(n.Spec.Taints).To(ConsistOf(HaveField("Key", "dedicated")))
	g.Expect(n.Spec.ProviderID).To(Equal(w0.Spec.ProviderID))

	pods := &corev1.PodList{}
	g.Expect(wc.List(ctx, pods, client.InNamespace("kube-system"), client.MatchingLabels{"app": "etcd-proxy"})).To(Succeed())
	g.Expect(pods.Items).To(HaveLen(2))
	g.Expect(sim.Mux().APIServers(listenerName(client.ObjectKeyFromObject(tc.simCluster)))).To(ConsistOf("server-0", "server-1"))
	g.Expect(s1.Status.EtcdMemberName).ToNot(BeEmpty())
}

func TestK3sSimMachine_JoinWaitsForTheCluster(t *testing.T) {
	g := NewWithT(t)
	tc := newTestCluster(t)
	_, s1 := tc.newMachine(t, "server-1", machineOptions{role: k3sconfig.RoleJoinServer})
	c := waitBootReason(t, s1, infrav1.WaitingForServerReason)
	g.Expect(c.Message).To(ContainSubstring("not initialized"))

	// A node whose server URL is not the endpoint keeps retrying.
	wrong := tc.simCluster.Spec.ControlPlaneEndpoint
	wrong.Port++
	_, a := tc.newMachine(t, "agent-wrong-url", machineOptions{role: k3sconfig.RoleAgent, server: &wrong})

	_, s0 := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer})
	waitBooted(t, s0)
	waitBooted(t, s1) // woken by the initialization

	c = waitBootReason(t, a, infrav1.WaitingForServerReason)
	g.Expect(c.Message).To(ContainSubstring(fmt.Sprintf("cannot reach server https://127.0.0.1:%d", wrong.Port)))
	g.Consistently(func() *bool {
		g.Expect(env.Client.Get(t.Context(), client.ObjectKeyFromObject(a), a)).To(Succeed())
		return a.Status.Initialization.Provisioned
	}, 2*time.Second).Should(BeNil())
}

func TestK3sSimMachine_NeverBoots(t *testing.T) {
	tc := newTestCluster(t)
	_, s0 := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer})
	waitBooted(t, s0)
	otherCAs := k3scerts.NewClusterCertificates("")
	NewWithT(t).Expect(otherCAs.Generate()).To(Succeed())

	tests := []struct {
		name    string
		opts    machineOptions
		reason  string
		message string
	}{
		{
			name:    "server with a wrong token",
			opts:    machineOptions{role: k3sconfig.RoleJoinServer, token: "wrong"},
			reason:  infrav1.JoinRejectedReason,
			message: "token does not match",
		},
		{
			name:    "agent with a wrong token",
			opts:    machineOptions{role: k3sconfig.RoleAgent, token: "K10abc::server:wrong"},
			reason:  infrav1.JoinRejectedReason,
			message: "token does not match",
		},
		{
			name:    "second cluster-init server",
			opts:    machineOptions{role: k3sconfig.RoleInitServer},
			reason:  infrav1.ClusterAlreadyInitializedReason,
			message: "split brain",
		},
		{
			name:    "invalid bootstrap data",
			opts:    machineOptions{role: k3sconfig.RoleJoinServer, data: []byte("#cloud-config\nruncmd: [\"echo hello\"]\n")},
			reason:  infrav1.InvalidBootstrapDataReason,
			message: "would not start K3s",
		},
		{
			name:    "neverBoot",
			opts:    machineOptions{role: k3sconfig.RoleJoinServer, knobs: infrav1.K3sSimMachineSpec{NeverBoot: new(true)}},
			reason:  infrav1.NeverBootReason,
			message: "never boots",
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			_, m := tc.newMachine(t, fmt.Sprintf("bad-%d", i), tt.opts)
			c := waitBootReason(t, m, tt.reason)
			g.Expect(c.Message).To(ContainSubstring(tt.message))
			g.Expect(conditions.Get(m, infrav1.ReadyCondition)).To(HaveField("Reason", tt.reason))
			if tt.reason != infrav1.NeverBootReason {
				g.Eventually(func() []string { return events(t, m, tt.reason) }, eventually).ShouldNot(BeEmpty())
			}
			g.Expect(tc.workloadClient(t).Get(t.Context(), client.ObjectKey{Name: m.Name}, &corev1.Node{})).ToNot(Succeed())
			g.Expect(m.Status.Initialization.Provisioned).To(BeNil())
		})
	}

	t.Run("cluster-init server with other CAs", func(t *testing.T) {
		g := NewWithT(t)
		tc := newTestCluster(t)
		_, m := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer, certs: otherCAs})
		c := waitBootReason(t, m, infrav1.CertificateMismatchReason)
		g.Expect(c.Message).To(ContainSubstring("is not the Cluster's <cluster>-ca CA"))
	})
}

func TestK3sSimMachine_DeleteStopsTheNode(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	tc := newTestCluster(t)
	listener := listenerName(client.ObjectKeyFromObject(tc.simCluster))
	_, s0 := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer})
	_, s1 := tc.newMachine(t, "server-1", machineOptions{role: k3sconfig.RoleJoinServer})
	_, w0 := tc.newMachine(t, "worker-0", machineOptions{role: k3sconfig.RoleAgent})
	waitBooted(t, s0)
	s1 = waitBooted(t, s1)
	waitBooted(t, w0)
	wc := tc.workloadClient(t)

	for _, m := range []*infrav1.K3sSimMachine{w0, s1} {
		g.Expect(env.Client.Delete(ctx, m)).To(Succeed())
		g.Eventually(func() bool {
			return env.Client.Get(ctx, client.ObjectKeyFromObject(m), &infrav1.K3sSimMachine{}) != nil
		}, eventually).Should(BeTrue(), "finalizer removed")
		g.Expect(wc.Get(ctx, client.ObjectKey{Name: m.Status.NodeName}, &corev1.Node{})).ToNot(Succeed())
	}
	g.Expect(sim.Mux().APIServers(listener)).To(ConsistOf("server-0"))
	// The member of server-1 was never removed: it stays, without its etcd-proxy pod and serving registration.
	ghost := &corev1.Pod{}
	g.Expect(wc.Get(ctx, client.ObjectKey{Namespace: "kube-system", Name: "etcd-" + s1.Status.EtcdMemberName}, ghost)).To(Succeed())
	g.Expect(ghost.Labels).ToNot(HaveKey("app"))
	g.Expect(sim.Mux().HasEtcdMember(listener, ghost.Name)).To(BeFalse())

	// The last server takes the API server down.
	g.Expect(env.Client.Delete(ctx, s0)).To(Succeed())
	g.Eventually(func() bool { return sim.Mux().Serving(listener) }, eventually).Should(BeFalse())
}

func readyStatus(n *corev1.Node) corev1.ConditionStatus {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return ""
}

// hasTaint tells whether the Node has the taint key with the effect.
func hasTaint(n *corev1.Node, key string, effect corev1.TaintEffect) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == key && t.Effect == effect {
			return true
		}
	}
	return false
}
