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
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var _ = Describe("Control-plane remediation", func() {
	created := deletedAfterEach()

	It("replaces a control-plane Machine that never boots", func(ctx SpecContext) {
		if *backendName != "sim" {
			Skip("needs the simulator's neverBoot knob")
		}
		from, _ := e2eBackend.k3sVersions()
		ns, result := created.create(ctx, clusterSpec{controlPlaneCount: 1, workerCount: 0, version: from})
		c := e2eBackend.proxy().GetClient()

		By("Watching control-plane Machines with a MachineHealthCheck")
		Expect(c.Create(ctx, &clusterv1.MachineHealthCheck{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: result.Cluster.Name + "-control-plane"},
			Spec: clusterv1.MachineHealthCheckSpec{
				ClusterName: result.Cluster.Name,
				Selector:    metav1.LabelSelector{MatchLabels: map[string]string{clusterv1.MachineControlPlaneLabel: ""}},
				Checks: clusterv1.MachineHealthCheckChecks{
					NodeStartupTimeoutSeconds: ptr.To(int32(30)),
					UnhealthyNodeConditions: []clusterv1.UnhealthyNodeCondition{
						{Type: corev1.NodeReady, Status: corev1.ConditionFalse, TimeoutSeconds: ptr.To(int32(30))},
					},
				},
			},
		})).To(Succeed())

		By("Scaling to 3 with a machine template whose next Machine never boots")
		kcp := controlPlaneOf(ctx, c, result.Cluster)
		templateKey := client.ObjectKey{Namespace: ns.Name, Name: kcp.Spec.MachineTemplate.Spec.InfrastructureRef.Name}
		setNeverBoot(ctx, c, templateKey, true)
		before := controlPlaneMachineNames(ctx, c, result.Cluster)
		kcp.Spec.Replicas = ptr.To(int32(3))
		Expect(c.Update(ctx, kcp)).To(Succeed())
		var broken string
		Eventually(func(g Gomega) {
			for _, name := range controlPlaneMachineNames(ctx, c, result.Cluster) {
				if !slices.Contains(before, name) {
					broken = name
				}
			}
			g.Expect(broken).ToNot(BeEmpty())
		}, waitControlPlane...).Should(Succeed())
		// The broken Machine's InfraMachine is cloned; its replacement boots.
		Eventually(func(g Gomega) {
			infra := &unstructured.Unstructured{}
			infra.SetGroupVersionKind(infraMachineGVK)
			m := &clusterv1.Machine{}
			g.Expect(c.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: broken}, m)).To(Succeed())
			g.Expect(c.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: m.Spec.InfrastructureRef.Name}, infra)).To(Succeed())
		}, waitControlPlane...).Should(Succeed())
		setNeverBoot(ctx, c, templateKey, false)

		By("Waiting for the broken Machine " + broken + " to be remediated and the control plane to reach 3 Machines")
		Eventually(func(g Gomega) {
			g.Expect(controlPlaneMachineNames(ctx, c, result.Cluster)).ToNot(ContainElement(broken))
			kcp := controlPlaneOf(ctx, c, result.Cluster)
			g.Expect(kcp.Status.LastRemediation.Machine).To(Equal(broken))
		}, waitControlPlane...).Should(Succeed())
		waitForControlPlaneReplicas(ctx, c, result.Cluster, waitControlPlane...)
		expectEtcdMembersMatchMachines(ctx, result.Cluster)
		verifyClusterHealthy(ctx, result.Cluster)
	})
})

// setNeverBoot sets the simulator's neverBoot knob of a K3sSimMachineTemplate.
func setNeverBoot(ctx SpecContext, c client.Client, key client.ObjectKey, neverBoot bool) {
	template := &unstructured.Unstructured{}
	template.SetGroupVersionKind(infraTemplateGVK)
	Expect(c.Get(ctx, key, template)).To(Succeed())
	Expect(unstructured.SetNestedField(template.Object, neverBoot, "spec", "template", "spec", "neverBoot")).To(Succeed())
	Expect(c.Update(ctx, template)).To(Succeed())
}
