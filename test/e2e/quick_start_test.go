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
	"sort"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
)

var _ = Describe("Quick start", func() {
	created := deletedAfterEach()

	It("creates a cluster with one control-plane Machine and one worker, then deletes it", func(ctx SpecContext) {
		from, _ := e2eBackend.k3sVersions()
		start := time.Now()
		_, result := created.create(ctx, clusterSpec{controlPlaneCount: 1, workerCount: 1, version: from})
		verifyClusterHealthy(ctx, result.Cluster)
		GinkgoWriter.Printf("cluster %s Available after %s\n", result.Cluster.Name, time.Since(start).Round(time.Second))
	})
})

var _ = Describe("Control-plane scaling", func() {
	created := deletedAfterEach()

	It("scales the control plane 1 → 3 → 1 with one etcd member per Machine at each step", func(ctx SpecContext) {
		from, _ := e2eBackend.k3sVersions()
		_, result := created.create(ctx, clusterSpec{controlPlaneCount: 1, workerCount: 0, version: from})
		c := e2eBackend.proxy().GetClient()
		expectEtcdMembersMatchMachines(ctx, result.Cluster)

		for _, replicas := range []int32{3, 1} {
			By(fmt.Sprintf("Scaling the control plane to %d", replicas))
			kcp := controlPlaneOf(ctx, c, result.Cluster)
			kcp.Spec.Replicas = ptr.To(replicas)
			Expect(c.Update(ctx, kcp)).To(Succeed())
			waitForControlPlaneReplicas(ctx, c, result.Cluster, waitControlPlane...)
			expectEtcdMembersMatchMachines(ctx, result.Cluster)
		}
		verifyClusterHealthy(ctx, result.Cluster)
	})
})

// expectEtcdMembersMatchMachines checks, through the etcd API of the workload cluster (etcd-proxy, TLS verified),
// that the etcd members are exactly the control-plane Machines' Nodes.
func expectEtcdMembersMatchMachines(ctx SpecContext, cluster *clusterv1.Cluster) {
	p := e2eBackend.proxy()
	workload := p.GetWorkloadCluster(ctx, cluster.Namespace, cluster.Name)
	key := client.ObjectKeyFromObject(cluster)
	Eventually(func(g Gomega) {
		machines := &clusterv1.MachineList{}
		g.Expect(p.GetClient().List(ctx, machines, client.InNamespace(cluster.Namespace), client.MatchingLabels{
			clusterv1.ClusterNameLabel: cluster.Name, clusterv1.MachineControlPlaneLabel: "",
		})).To(Succeed())
		var nodes []string
		for _, m := range machines.Items {
			g.Expect(m.Status.NodeRef.IsDefined()).To(BeTrue(), "Machine %s has a Node", m.Name)
			nodes = append(nodes, m.Status.NodeRef.Name)
		}
		ca, err := etcd.ReadCA(ctx, p.GetClient(), key)
		g.Expect(err).ToNot(HaveOccurred())
		generator, err := etcd.NewConnector(etcd.Config{}).ForCluster(key, workload.GetRESTConfig(), workload.GetClient(), ca)
		g.Expect(err).ToNot(HaveOccurred())
		etcdClient, err := generator.ForFirstAvailableNode(ctx, nodes)
		g.Expect(err).ToNot(HaveOccurred())
		defer func() { _ = etcdClient.Close() }()
		members, err := etcdClient.Members(ctx)
		g.Expect(err).ToNot(HaveOccurred())
		var memberNodes []string
		for _, m := range members {
			memberNodes = append(memberNodes, m.NodeName)
		}
		sort.Strings(nodes)
		sort.Strings(memberNodes)
		g.Expect(memberNodes).To(Equal(nodes))
	}, waitControlPlane...).Should(Succeed())
}
