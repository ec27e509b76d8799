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
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

var _ = Describe("K3s version upgrade", func() {
	created := deletedAfterEach()

	DescribeTable("rolls out the control plane and the workers",
		func(ctx SpecContext, maxSurge int32, maxMachines int, restartProviders bool) {
			from, to := e2eBackend.k3sVersions()
			ns, result := created.create(ctx, clusterSpec{controlPlaneCount: 3, workerCount: 1, version: from})
			c := e2eBackend.proxy().GetClient()
			kcp := controlPlaneOf(ctx, c, result.Cluster)
			before := controlPlaneMachineNames(ctx, c, result.Cluster)

			By(fmt.Sprintf("Upgrading the control plane to %s with maxSurge %d", to, maxSurge))
			history := watchMachines(ctx, c, result.Cluster)
			kcp.Spec.Rollout.Strategy.RollingUpdate.MaxSurge = ptr.To(intstr.FromInt32(maxSurge))
			kcp.Spec.Version = to
			Expect(c.Update(ctx, kcp)).To(Succeed())
			if restartProviders {
				restartProvidersMidRollout(ctx, c, result.Cluster.Namespace, before)
			}
			waitForControlPlaneVersion(ctx, c, result.Cluster, to)
			Expect(history.stop().mostControlPlane).To(BeNumerically("<=", maxMachines), "control-plane Machines at once")
			Expect(controlPlaneMachineNames(ctx, c, result.Cluster)).ToNot(ContainElements(before), "every Machine replaced")
			expectEtcdMembersMatchMachines(ctx, result.Cluster)

			By("Upgrading the workers to " + to)
			for _, md := range result.MachineDeployments {
				Expect(c.Get(ctx, client.ObjectKeyFromObject(md), md)).To(Succeed())
				md.Spec.Template.Spec.Version = to
				Expect(c.Update(ctx, md)).To(Succeed())
			}
			Eventually(func(g Gomega) {
				machines := &clusterv1.MachineList{}
				g.Expect(c.List(ctx, machines, client.InNamespace(ns.Name), client.MatchingLabels{clusterv1.ClusterNameLabel: result.Cluster.Name})).To(Succeed())
				g.Expect(machines.Items).To(HaveLen(4))
				for _, m := range machines.Items {
					g.Expect(m.Spec.Version).To(Equal(to), "Machine %s", m.Name)
					g.Expect(m.Status.NodeRef.IsDefined()).To(BeTrue(), "Machine %s has a Node", m.Name)
				}
			}, waitWorkers...).Should(Succeed())
			verifyClusterHealthy(ctx, result.Cluster)
		},
		Entry("maxSurge 1: a new Machine joins before an old one leaves", int32(1), 4, false),
		Entry("maxSurge 0: an old Machine leaves before its replacement joins", int32(0), 3, false),
		Entry("maxSurge 1 with the providers restarted in the middle", int32(1), 4, true),
	)
})

// restartProvidersMidRollout waits until the first of the old control-plane Machines is being deleted, restarts
// the providers and checks that the rollout was still under way then (old Machines left to replace).
func restartProvidersMidRollout(ctx SpecContext, c client.Client, namespace string, old []string) {
	By("Restarting the providers once the first old Machine is being deleted")
	remaining := 0
	Eventually(func(g Gomega) {
		remaining = 0
		deleting := false
		for _, name := range old {
			m := &clusterv1.Machine{}
			err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, m)
			switch {
			case apierrors.IsNotFound(err):
				deleting = true
			case err != nil:
				g.Expect(err).ToNot(HaveOccurred())
			case !m.DeletionTimestamp.IsZero():
				deleting = true
			default:
				remaining++
			}
		}
		g.Expect(deleting).To(BeTrue(), "an old Machine is being deleted")
	}, waitControlPlane...).Should(Succeed())
	e2eBackend.restartProviders(ctx)
	Expect(remaining).To(BeNumerically(">", 0), "old Machines still to replace when the providers restarted")
}

// controlPlaneMachineNames lists the names of the cluster's control-plane Machines.
func controlPlaneMachineNames(ctx SpecContext, c client.Client, cluster *clusterv1.Cluster) []string {
	machines := &clusterv1.MachineList{}
	Expect(c.List(ctx, machines, client.InNamespace(cluster.Namespace), client.MatchingLabels{
		clusterv1.ClusterNameLabel: cluster.Name, clusterv1.MachineControlPlaneLabel: "",
	})).To(Succeed())
	names := make([]string, 0, len(machines.Items))
	for _, m := range machines.Items {
		names = append(names, m.Name)
	}
	return names
}

// waitForControlPlaneVersion waits until every control-plane Machine runs version and the control plane is back
// at full strength.
func waitForControlPlaneVersion(ctx SpecContext, c client.Client, cluster *clusterv1.Cluster, version string) {
	Eventually(func(g Gomega) {
		kcp := &controlplanev1.KThreesControlPlane{}
		g.Expect(c.Get(ctx, client.ObjectKey{Namespace: cluster.Namespace, Name: cluster.Spec.ControlPlaneRef.Name}, kcp)).To(Succeed())
		g.Expect(kcp.Status.Versions).To(Equal([]clusterv1.StatusVersion{{Version: version, Replicas: ptr.Deref(kcp.Spec.Replicas, 1)}}))
	}, waitControlPlane...).Should(Succeed())
	waitForControlPlaneReplicas(ctx, c, cluster, waitControlPlane...)
}
