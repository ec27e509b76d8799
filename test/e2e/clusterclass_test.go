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
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var _ = Describe("ClusterClass", func() {
	created := deletedAfterEach()

	It("creates a cluster from a ClusterClass with a KThreesControlPlaneTemplate and upgrades it through the topology", func(ctx SpecContext) {
		from, to := e2eBackend.k3sVersions()
		ns, result := created.create(ctx, clusterSpec{flavor: "topology", controlPlaneCount: 3, workerCount: 1, version: from})
		verifyClusterHealthy(ctx, result.Cluster)

		By("Upgrading the topology to " + to)
		c := e2eBackend.proxy().GetClient()
		cluster := &clusterv1.Cluster{}
		Expect(c.Get(ctx, client.ObjectKeyFromObject(result.Cluster), cluster)).To(Succeed())
		cluster.Spec.Topology.Version = to
		Expect(c.Update(ctx, cluster)).To(Succeed())
		waitForControlPlaneVersion(ctx, c, cluster, to)
		Eventually(func(g Gomega) {
			machines := &clusterv1.MachineList{}
			g.Expect(c.List(ctx, machines, client.InNamespace(ns.Name), client.MatchingLabels{clusterv1.ClusterNameLabel: cluster.Name})).To(Succeed())
			g.Expect(machines.Items).To(HaveLen(4))
			for _, m := range machines.Items {
				g.Expect(m.Spec.Version).To(Equal(to), "Machine %s", m.Name)
			}
		}, waitWorkers...).Should(Succeed())
		verifyClusterHealthy(ctx, cluster)
	})
})
