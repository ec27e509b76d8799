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
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var _ = Describe("In-place propagation", func() {
	created := deletedAfterEach()

	It("propagates Machine labels, annotations and deletion timeouts without replacing Machines", func(ctx SpecContext) {
		from, _ := e2eBackend.k3sVersions()
		ns, result := created.create(ctx, clusterSpec{controlPlaneCount: 3, workerCount: 0, version: from})
		c := e2eBackend.proxy().GetClient()
		before := controlPlaneMachineNames(ctx, c, result.Cluster)

		kcp := controlPlaneOf(ctx, c, result.Cluster)
		kcp.Spec.MachineTemplate.ObjectMeta.Labels = map[string]string{"e2e.k3s.io/tier": "edge"}
		kcp.Spec.MachineTemplate.ObjectMeta.Annotations = map[string]string{"e2e.k3s.io/owner": "team-a"}
		kcp.Spec.MachineTemplate.Spec.Deletion.NodeDrainTimeoutSeconds = ptr.To(int32(300))
		kcp.Spec.MachineTemplate.Spec.Deletion.NodeDeletionTimeoutSeconds = ptr.To(int32(60))
		Expect(c.Update(ctx, kcp)).To(Succeed())

		Eventually(func(g Gomega) {
			machines := &clusterv1.MachineList{}
			g.Expect(c.List(ctx, machines, client.InNamespace(ns.Name), client.MatchingLabels{
				clusterv1.ClusterNameLabel: result.Cluster.Name, clusterv1.MachineControlPlaneLabel: "",
			})).To(Succeed())
			g.Expect(machines.Items).To(HaveLen(3))
			for _, m := range machines.Items {
				g.Expect(m.Labels).To(HaveKeyWithValue("e2e.k3s.io/tier", "edge"), m.Name)
				g.Expect(m.Annotations).To(HaveKeyWithValue("e2e.k3s.io/owner", "team-a"), m.Name)
				g.Expect(m.Spec.Deletion.NodeDrainTimeoutSeconds).To(Equal(ptr.To(int32(300))), m.Name)
				g.Expect(m.Spec.Deletion.NodeDeletionTimeoutSeconds).To(Equal(ptr.To(int32(60))), m.Name)
			}
		}, waitControlPlane...).Should(Succeed())
		Consistently(func(g Gomega) {
			g.Expect(controlPlaneMachineNames(ctx, c, result.Cluster)).To(ConsistOf(before), "no Machine replaced")
		}, 10*time.Second, time.Second).Should(Succeed())
		verifyClusterHealthy(ctx, result.Cluster)
	})
})
