//go:build e2e

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

package e2e

import (
	"context"
	"fmt"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
)

var _ = Describe("In-place K3s upgrade", func() {
	created := deletedAfterEach()

	It("upgrades a single-node cluster in place: same Machine, provider ID and InfraMachine, no Machine created or deleted", func(ctx SpecContext) {
		from, to := e2eBackend.k3sVersions()
		ns, result := created.create(ctx, clusterSpec{controlPlaneCount: 1, workerCount: 0, version: from})
		c := e2eBackend.proxy().GetClient()
		before := controlPlaneMachines(ctx, c, result.Cluster)
		Expect(before).To(HaveLen(1))
		m := before[0]
		GinkgoWriter.Printf("before: Machine %s uid %s providerID %s InfraMachine %s\n", m.Name, m.UID, m.Spec.ProviderID, m.Spec.InfrastructureRef.Name)

		By(fmt.Sprintf("Upgrading %s → %s in place", from, to))
		history := watchMachines(ctx, c, result.Cluster)
		start := time.Now()
		upgradeInPlace(ctx, c, result.Cluster, to)
		waitForControlPlaneVersion(ctx, c, result.Cluster, to)
		samples := history.stop()
		GinkgoWriter.Printf("in-place upgrade took %s\n", time.Since(start).Round(time.Second))

		after := controlPlaneMachines(ctx, c, result.Cluster)
		Expect(after).To(HaveLen(1))
		GinkgoWriter.Printf("after: Machine %s uid %s providerID %s InfraMachine %s\n", after[0].Name, after[0].UID, after[0].Spec.ProviderID, after[0].Spec.InfrastructureRef.Name)
		Expect(after[0].UID).To(Equal(m.UID))
		Expect(after[0].Spec.ProviderID).To(Equal(m.Spec.ProviderID))
		Expect(after[0].Spec.InfrastructureRef).To(Equal(m.Spec.InfrastructureRef))
		Expect(samples.seen).To(Equal([]string{m.Name}), "Machines created during the upgrade")
		Expect(samples.deleting).To(BeEmpty(), "Machines deleted during the upgrade")
		expectNodeVersions(ctx, result.Cluster, to)
		verifyClusterHealthy(ctx, result.Cluster)
		_ = ns // deleted after the spec
	})

	It("upgrades three control-plane nodes in place one at a time, with etcd quorum at every sample", func(ctx SpecContext) {
		from, to := e2eBackend.k3sVersions()
		_, result := created.create(ctx, clusterSpec{controlPlaneCount: 3, workerCount: 0, version: from})
		c := e2eBackend.proxy().GetClient()
		before := machineUIDs(controlPlaneMachines(ctx, c, result.Cluster))

		history := watchMachines(ctx, c, result.Cluster)
		quorum := watchEtcdQuorum(ctx, result.Cluster, 3)
		upgradeInPlace(ctx, c, result.Cluster, to)
		waitForControlPlaneVersion(ctx, c, result.Cluster, to)
		samples := history.stop()
		lowest := quorum.stop()

		Expect(machineUIDs(controlPlaneMachines(ctx, c, result.Cluster))).To(Equal(before), "the same Machines")
		Expect(samples.deleting).To(BeEmpty())
		Expect(samples.mostControlPlane).To(Equal(3))
		Expect(lowest).To(BeNumerically(">=", 2), "etcd members answering in every sample (quorum of 3)")
		expectNodeVersions(ctx, result.Cluster, to)
		expectEtcdMembersMatchMachines(ctx, result.Cluster)
		verifyClusterHealthy(ctx, result.Cluster)
	})

	It("stops at a node that does not come back, touches no other node, and resumes once it does", func(ctx SpecContext) {
		if *backendName != "sim" {
			Skip("needs the simulator's nodeNotReadyAfterUpgrade knob")
		}
		from, to := e2eBackend.k3sVersions()
		_, result := created.create(ctx, clusterSpec{controlPlaneCount: 3, workerCount: 0, version: from})
		c := e2eBackend.proxy().GetClient()
		machines := controlPlaneMachines(ctx, c, result.Cluster)
		first := machines[0]
		setInfraMachineKnob(ctx, c, first, "nodeNotReadyAfterUpgrade", true)

		updateControlPlane(ctx, c, result.Cluster, func(kcp *controlplanev1.KThreesControlPlane) {
			kcp.Spec.Rollout.Strategy.InPlace.NodeTimeoutSeconds = ptr.To(int32(60))
		})
		upgradeInPlace(ctx, c, result.Cluster, to)

		By("Waiting for the upgrade to stall at " + first.Name)
		Eventually(func(g Gomega) {
			kcp := controlPlaneOf(ctx, c, result.Cluster)
			rollingOut := conditions.Get(kcp, controlplanev1.KThreesControlPlaneRollingOutCondition)
			g.Expect(rollingOut).ToNot(BeNil())
			g.Expect(rollingOut.Reason).To(Equal(controlplanev1.KThreesControlPlaneInPlaceUpgradeStalledReason))
			g.Expect(rollingOut.Message).To(ContainSubstring(first.Name))
		}, waitControlPlane...).Should(Succeed())
		for _, m := range controlPlaneMachines(ctx, c, result.Cluster) {
			Expect(m.Spec.Version).To(Equal(from), "Machine %s untouched", m.Name)
			if m.Name != first.Name {
				Expect(m.Annotations).ToNot(HaveKey(controlplanev1.InPlaceUpgradeTargetAnnotation), "Machine %s not started", m.Name)
			}
		}

		By("Bringing the node back")
		setInfraMachineKnob(ctx, c, first, "nodeNotReadyAfterUpgrade", false)
		waitForControlPlaneVersion(ctx, c, result.Cluster, to)
		Expect(machineUIDs(controlPlaneMachines(ctx, c, result.Cluster))).To(Equal(machineUIDs(machines)))
		expectNodeVersions(ctx, result.Cluster, to)
		verifyClusterHealthy(ctx, result.Cluster)
	})
})

// Certificates renewal is a spec of its own: the simulator's certificatesExpiry knob plays the passing of time.
var _ = Describe("In-place certificates renewal", func() {
	created := deletedAfterEach()

	It("renews a node's certificates before they expire, in place: same Machine, provider ID and InfraMachine", func(ctx SpecContext) {
		if *backendName != "sim" {
			Skip("needs the simulator's certificatesExpiry knob")
		}
		from, _ := e2eBackend.k3sVersions()
		_, result := created.create(ctx, clusterSpec{controlPlaneCount: 1, workerCount: 0, version: from})
		c := e2eBackend.proxy().GetClient()
		before := controlPlaneMachines(ctx, c, result.Cluster)
		Expect(before).To(HaveLen(1))
		m := before[0]
		GinkgoWriter.Printf("before: Machine %s uid %s providerID %s InfraMachine %s\n", m.Name, m.UID, m.Spec.ProviderID, m.Spec.InfrastructureRef.Name)

		By("Reading the certificates expiry through the etcd member's TLS handshake")
		oneYear := time.Now().Add(365 * 24 * time.Hour)
		Eventually(func(g Gomega) {
			g.Expect(c.Get(ctx, client.ObjectKeyFromObject(&m), &m)).To(Succeed())
			g.Expect(m.Status.CertificatesExpiryDate.Time).To(BeTemporally("~", oneYear, time.Hour))
		}, waitControlPlane...).Should(Succeed())

		kcp := updateControlPlane(ctx, c, result.Cluster, func(kcp *controlplanev1.KThreesControlPlane) {
			kcp.Spec.Rollout.Strategy.Type = controlplanev1.InPlaceStrategyType
			kcp.Spec.Rollout.Before.CertificatesExpiryDays = 30
		})

		By("Letting time pass: the node's certificates now expire in 20 days")
		history := watchMachines(ctx, c, result.Cluster)
		start := time.Now()
		soon := time.Now().Add(20 * 24 * time.Hour).UTC().Truncate(time.Second)
		setInfraMachineKnob(ctx, c, m, "certificatesExpiry", soon.Format(time.RFC3339))

		// On a real node the expiry does not jump: the control plane's own requeue fires when the certificates enter
		// the window. The knob moves it without any event, so the spec nudges the control plane until the renewal
		// starts, and not after: the renewal must then finish on its own.
		By("Nudging the control plane until it sees the new expiry and starts the renewal")
		Eventually(func(g Gomega) {
			if reasons := controlPlaneEventReasons(ctx, c, kcp); slices.Contains(reasons, "CertificatesRenewalStarted") {
				return
			}
			g.Expect(c.Patch(ctx, kcp.DeepCopy(), client.RawPatch(types.MergePatchType, fmt.Appendf(nil,
				`{"metadata":{"annotations":{"e2e.cluster.x-k8s.io/nudged-at":%q}}}`, time.Now().Format(time.RFC3339Nano))))).To(Succeed())
			g.Expect(false).To(BeTrue(), "the renewal has not started yet")
		}, waitControlPlane...).Should(Succeed())

		By("Waiting for the renewal")
		Eventually(func(g Gomega) {
			g.Expect(c.Get(ctx, client.ObjectKeyFromObject(&m), &m)).To(Succeed())
			// Issued after the knob changed, for a year: later than the first certificates by the cluster's age.
			g.Expect(m.Status.CertificatesExpiryDate.Time).To(BeTemporally(">=", start.Add(365*24*time.Hour-time.Second)), "renewed for a year")
			g.Expect(m.Annotations).ToNot(HaveKey(controlplanev1.InPlaceCertificatesRenewalAnnotation))
			g.Expect(m.Annotations).ToNot(HaveKey(clusterv1.UpdateInProgressAnnotation))
		}, waitControlPlane...).Should(Succeed())
		samples := history.stop()
		GinkgoWriter.Printf("in-place certificates renewal took %s; certificates now expire at %s\n",
			time.Since(start).Round(time.Second), m.Status.CertificatesExpiryDate.UTC().Format(time.RFC3339))
		Expect(controlPlaneEventReasons(ctx, c, kcp)).To(ContainElements("CertificatesExpiringSoon", "CertificatesRenewalStarted", "CertificatesRenewed"))

		after := controlPlaneMachines(ctx, c, result.Cluster)
		Expect(after).To(HaveLen(1))
		GinkgoWriter.Printf("after: Machine %s uid %s providerID %s InfraMachine %s\n", after[0].Name, after[0].UID, after[0].Spec.ProviderID, after[0].Spec.InfrastructureRef.Name)
		Expect(after[0].UID).To(Equal(m.UID))
		Expect(after[0].Spec.ProviderID).To(Equal(m.Spec.ProviderID))
		Expect(after[0].Spec.InfrastructureRef).To(Equal(m.Spec.InfrastructureRef))
		Expect(after[0].Spec.Version).To(Equal(from))
		Expect(samples.seen).To(Equal([]string{m.Name}), "Machines created during the renewal")
		Expect(samples.deleting).To(BeEmpty(), "Machines deleted during the renewal")
		expectNodeVersions(ctx, result.Cluster, from)
		verifyClusterHealthy(ctx, result.Cluster)
	})
})

// controlPlaneEventReasons lists the reasons of the events recorded for the control plane.
func controlPlaneEventReasons(ctx context.Context, c client.Client, kcp *controlplanev1.KThreesControlPlane) []string {
	events := &corev1.EventList{}
	Expect(c.List(ctx, events, client.InNamespace(kcp.Namespace))).To(Succeed())
	var reasons []string
	for _, e := range events.Items {
		if e.InvolvedObject.Kind == "KThreesControlPlane" && e.InvolvedObject.Name == kcp.Name {
			reasons = append(reasons, e.Reason)
		}
	}
	return reasons
}

// upgradeInPlace turns on in-place upgrades and changes the control plane's version.
func upgradeInPlace(ctx context.Context, c client.Client, cluster *clusterv1.Cluster, version string) {
	updateControlPlane(ctx, c, cluster, func(kcp *controlplanev1.KThreesControlPlane) {
		kcp.Spec.Rollout.Strategy.Type = controlplanev1.InPlaceStrategyType
		kcp.Spec.Version = version
	})
}

// updateControlPlane changes the cluster's control plane with mutate, reading it again when the update meets a
// write of the controllers (409), and returns it as updated.
func updateControlPlane(ctx context.Context, c client.Client, cluster *clusterv1.Cluster,
	mutate func(*controlplanev1.KThreesControlPlane),
) *controlplanev1.KThreesControlPlane {
	var kcp *controlplanev1.KThreesControlPlane
	Eventually(func(g Gomega) {
		kcp = controlPlaneOf(ctx, c, cluster)
		mutate(kcp)
		g.Expect(c.Update(ctx, kcp)).To(Succeed())
	}, waitCluster...).Should(Succeed())
	return kcp
}

// controlPlaneMachines lists the cluster's control-plane Machines, oldest first.
func controlPlaneMachines(ctx context.Context, c client.Client, cluster *clusterv1.Cluster) []clusterv1.Machine {
	machines := &clusterv1.MachineList{}
	Expect(c.List(ctx, machines, client.InNamespace(cluster.Namespace), client.MatchingLabels{
		clusterv1.ClusterNameLabel: cluster.Name, clusterv1.MachineControlPlaneLabel: "",
	})).To(Succeed())
	items := machines.Items
	for i := range items {
		for j := i + 1; j < len(items); j++ {
			if items[j].CreationTimestamp.Before(&items[i].CreationTimestamp) {
				items[i], items[j] = items[j], items[i]
			}
		}
	}
	return items
}

func machineUIDs(machines []clusterv1.Machine) map[string]types.UID {
	uids := map[string]types.UID{}
	for _, m := range machines {
		uids[m.Name] = m.UID
	}
	return uids
}

// expectNodeVersions waits until every Node of the workload cluster reports the kubelet version.
func expectNodeVersions(ctx context.Context, cluster *clusterv1.Cluster, version string) {
	workload := e2eBackend.proxy().GetWorkloadCluster(ctx, cluster.Namespace, cluster.Name)
	Eventually(func(g Gomega) {
		nodes := &corev1.NodeList{}
		g.Expect(workload.GetClient().List(ctx, nodes)).To(Succeed())
		g.Expect(nodes.Items).ToNot(BeEmpty())
		for _, n := range nodes.Items {
			g.Expect(n.Status.NodeInfo.KubeletVersion).To(Equal(version), "Node %s", n.Name)
			g.Expect(n.Spec.Unschedulable).To(BeFalse(), "Node %s uncordoned", n.Name)
		}
	}, waitControlPlane...).Should(Succeed())
}

// setInfraMachineKnob sets a simulator knob on the InfraMachine of a Machine.
func setInfraMachineKnob(ctx context.Context, c client.Client, m clusterv1.Machine, knob string, value any) {
	Eventually(func(g Gomega) {
		infra := &unstructured.Unstructured{}
		infra.SetGroupVersionKind(infraMachineGVK)
		g.Expect(c.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: m.Spec.InfrastructureRef.Name}, infra)).To(Succeed())
		g.Expect(unstructured.SetNestedField(infra.Object, value, "spec", knob)).To(Succeed())
		g.Expect(c.Update(ctx, infra)).To(Succeed())
	}, waitCluster...).Should(Succeed())
}

// quorumWatch samples how many etcd members answer.
type quorumWatch struct {
	done   chan struct{}
	result chan int
}

// watchEtcdQuorum counts, every 250ms, the etcd members of the cluster that answer a member list, and reports the
// lowest count seen; a sample that cannot reach any member counts 0.
func watchEtcdQuorum(ctx context.Context, cluster *clusterv1.Cluster, members int) *quorumWatch {
	w := &quorumWatch{done: make(chan struct{}), result: make(chan int, 1)}
	p := e2eBackend.proxy()
	key := client.ObjectKeyFromObject(cluster)
	go func() {
		defer GinkgoRecover()
		lowest := members
		for {
			if n, err := healthyEtcdMembers(ctx, p.GetClient(), p.GetWorkloadCluster(ctx, cluster.Namespace, cluster.Name).GetRESTConfig(), key); err == nil {
				lowest = min(lowest, n)
			}
			select {
			case <-w.done:
				w.result <- lowest
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *quorumWatch) stop() int {
	close(w.done)
	return <-w.result
}

// healthyEtcdMembers counts the control-plane Nodes whose etcd member answers a member list.
func healthyEtcdMembers(ctx context.Context, c client.Client, restConfig *rest.Config, key client.ObjectKey) (int, error) {
	ca, err := etcd.ReadCA(ctx, c, key)
	if err != nil {
		return 0, err
	}
	workload := e2eBackend.proxy().GetWorkloadCluster(ctx, key.Namespace, key.Name).GetClient()
	generator, err := etcd.NewConnector(etcd.Config{}).ForCluster(key, restConfig, workload, ca)
	if err != nil {
		return 0, err
	}
	nodes := &corev1.NodeList{}
	if err := workload.List(ctx, nodes, client.HasLabels{"node-role.kubernetes.io/control-plane"}); err != nil {
		return 0, err
	}
	healthy := 0
	for _, n := range nodes.Items {
		member, err := generator.ForNode(ctx, n.Name)
		if err != nil {
			continue
		}
		if _, err := member.Members(ctx); err == nil {
			healthy++
		}
		_ = member.Close()
	}
	return healthy, nil
}
