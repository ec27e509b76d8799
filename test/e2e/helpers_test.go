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
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/test/framework"
	"sigs.k8s.io/cluster-api/test/framework/clusterctl"
	"sigs.k8s.io/cluster-api/util"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// Waits of the suite; generous for real infrastructure, quick on the simulator.
var (
	waitCluster      = []any{10 * time.Minute, 2 * time.Second}
	waitControlPlane = []any{20 * time.Minute, 2 * time.Second}
	waitWorkers      = []any{20 * time.Minute, 2 * time.Second}
	waitDelete       = []any{10 * time.Minute, 2 * time.Second}
)

// clusterSpec is one cluster a spec creates.
type clusterSpec struct {
	flavor string
	// release takes the flavor from the release's templates (templates/) instead of the backend's.
	release           bool
	controlPlaneCount int
	workerCount       int
	version           string
	extraVars         map[string]string
}

// createCluster renders the flavor into a new namespace, applies it and waits until the control plane and the
// workers are up, with K3s-aware waiters (CAPI's default waiters expect a KubeadmControlPlane).
func createCluster(ctx context.Context, spec clusterSpec) (*corev1.Namespace, *clusterctl.ApplyCustomClusterTemplateAndWaitResult) {
	p := e2eBackend.proxy()
	name := "k3s-" + util.RandomString(6)
	ns := framework.CreateNamespace(ctx, framework.CreateNamespaceInput{Creator: p.GetClient(), Name: name})
	vars := map[string]string{
		"CLUSTER_NAME":                name,
		"NAMESPACE":                   ns.Name,
		"KUBERNETES_VERSION":          spec.version,
		"CONTROL_PLANE_MACHINE_COUNT": fmt.Sprint(spec.controlPlaneCount),
		"WORKER_MACHINE_COUNT":        fmt.Sprint(spec.workerCount),
	}
	for k, v := range spec.extraVars {
		vars[k] = v
	}
	render := e2eBackend.clusterTemplate
	if spec.release {
		render = e2eBackend.releaseClusterTemplate
	}
	yaml, err := render(spec.flavor, vars)
	Expect(err).ToNot(HaveOccurred())

	result := &clusterctl.ApplyCustomClusterTemplateAndWaitResult{}
	clusterctl.ApplyCustomClusterTemplateAndWait(ctx, clusterctl.ApplyCustomClusterTemplateAndWaitInput{
		ClusterProxy:                 p,
		CustomTemplateYAML:           yaml,
		ClusterName:                  name,
		Namespace:                    ns.Name,
		Flavor:                       spec.flavor,
		WaitForClusterIntervals:      waitCluster,
		WaitForControlPlaneIntervals: waitControlPlane,
		WaitForMachineDeployments:    waitWorkers,
		ControlPlaneWaiters: clusterctl.ControlPlaneWaiters{
			WaitForControlPlaneInitialized:   waitForControlPlaneInitialized,
			WaitForControlPlaneMachinesReady: waitForControlPlaneReady,
		},
	}, result)
	return ns, result
}

// createdCluster is the cluster a spec created, deleted after the spec (see deletedAfterEach).
type createdCluster struct {
	ns     *corev1.Namespace
	result *clusterctl.ApplyCustomClusterTemplateAndWaitResult
}

// deletedAfterEach registers, in the enclosing container, an AfterEach that deletes the cluster each spec created
// with the returned createdCluster.
func deletedAfterEach() *createdCluster {
	created := &createdCluster{}
	AfterEach(func(ctx SpecContext) {
		if created.result != nil {
			deleteCluster(ctx, created.ns, created.result.Cluster)
			created.ns, created.result = nil, nil
		}
	})
	return created
}

// create creates a cluster like createCluster and remembers it for deletion.
func (c *createdCluster) create(ctx context.Context, spec clusterSpec) (*corev1.Namespace, *clusterctl.ApplyCustomClusterTemplateAndWaitResult) {
	c.ns, c.result = createCluster(ctx, spec)
	return c.ns, c.result
}

// controlPlaneOf returns the KThreesControlPlane of the cluster.
func controlPlaneOf(ctx context.Context, c client.Client, cluster *clusterv1.Cluster) *controlplanev1.KThreesControlPlane {
	kcp := &controlplanev1.KThreesControlPlane{}
	Expect(c.Get(ctx, client.ObjectKey{Namespace: cluster.Namespace, Name: cluster.Spec.ControlPlaneRef.Name}, kcp)).To(Succeed())
	return kcp
}

// waitForControlPlaneInitialized waits for status.initialization.controlPlaneInitialized of the KThreesControlPlane.
func waitForControlPlaneInitialized(ctx context.Context, input clusterctl.ApplyCustomClusterTemplateAndWaitInput, result *clusterctl.ApplyCustomClusterTemplateAndWaitResult) {
	Eventually(func(g Gomega) {
		cluster := &clusterv1.Cluster{}
		g.Expect(input.ClusterProxy.GetClient().Get(ctx, client.ObjectKeyFromObject(result.Cluster), cluster)).To(Succeed())
		g.Expect(cluster.Spec.ControlPlaneRef.IsDefined()).To(BeTrue())
		kcp := &controlplanev1.KThreesControlPlane{}
		g.Expect(input.ClusterProxy.GetClient().Get(ctx, client.ObjectKey{Namespace: cluster.Namespace, Name: cluster.Spec.ControlPlaneRef.Name}, kcp)).To(Succeed())
		g.Expect(ptr.Deref(kcp.Status.Initialization.ControlPlaneInitialized, false)).To(BeTrue(), "control plane initialized")
	}, input.WaitForControlPlaneIntervals...).Should(Succeed())
}

// waitForControlPlaneReady waits until every control-plane replica is ready and up to date.
func waitForControlPlaneReady(ctx context.Context, input clusterctl.ApplyCustomClusterTemplateAndWaitInput, result *clusterctl.ApplyCustomClusterTemplateAndWaitResult) {
	waitForControlPlaneReplicas(ctx, input.ClusterProxy.GetClient(), result.Cluster, input.WaitForControlPlaneIntervals...)
}

// waitForControlPlaneReplicas waits until the KThreesControlPlane has spec.replicas ready, up-to-date Machines and
// no others, and reports Available.
func waitForControlPlaneReplicas(ctx context.Context, c client.Client, cluster *clusterv1.Cluster, intervals ...any) {
	Eventually(func(g Gomega) {
		kcp := &controlplanev1.KThreesControlPlane{}
		g.Expect(c.Get(ctx, client.ObjectKey{Namespace: cluster.Namespace, Name: cluster.Spec.ControlPlaneRef.Name}, kcp)).To(Succeed())
		want := ptr.Deref(kcp.Spec.Replicas, 1)
		g.Expect(kcp.Status.ObservedGeneration).To(Equal(kcp.Generation))
		g.Expect(ptr.Deref(kcp.Status.Replicas, 0)).To(Equal(want), "replicas")
		g.Expect(ptr.Deref(kcp.Status.ReadyReplicas, 0)).To(Equal(want), "ready replicas")
		g.Expect(ptr.Deref(kcp.Status.UpToDateReplicas, 0)).To(Equal(want), "up-to-date replicas")
		g.Expect(conditions.IsTrue(kcp, controlplanev1.KThreesControlPlaneAvailableCondition)).To(BeTrue(), "Available")
	}, intervals...).Should(Succeed())
}

// verifyClusterHealthy checks what CAPI's e2e expects at the end of a spec: the Cluster Available and every Machine
// Ready, both with empty messages.
func verifyClusterHealthy(ctx context.Context, cluster *clusterv1.Cluster) {
	c := e2eBackend.proxy().GetClient()
	framework.VerifyClusterAvailable(ctx, framework.VerifyClusterAvailableInput{Getter: c, Name: cluster.Name, Namespace: cluster.Namespace})
	framework.VerifyMachinesReady(ctx, framework.VerifyMachinesReadyInput{Lister: c, Name: cluster.Name, Namespace: cluster.Namespace})
}

// deleteCluster deletes the cluster and its namespace and waits for them to go.
func deleteCluster(ctx context.Context, ns *corev1.Namespace, cluster *clusterv1.Cluster) {
	if *skipCleanup || cluster == nil {
		return
	}
	By("Deleting cluster " + cluster.Name)
	p := e2eBackend.proxy()
	// framework.DeleteClusterAndWait and WaitForClusterDeleted need a clusterctl configuration, which the simulated
	// backend has not, and reject every Cluster with this Gomega version (BeEmpty on a pointer).
	framework.DeleteCluster(ctx, framework.DeleteClusterInput{Deleter: p.GetClient(), Cluster: cluster})
	Eventually(func(g Gomega) {
		err := p.GetClient().Get(ctx, client.ObjectKeyFromObject(cluster), &clusterv1.Cluster{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "Cluster %s deleted", cluster.Name)
		machines := &clusterv1.MachineList{}
		g.Expect(p.GetClient().List(ctx, machines, client.InNamespace(cluster.Namespace))).To(Succeed())
		g.Expect(machines.Items).To(BeEmpty(), "Machines left after the Cluster was deleted")
	}, waitDelete...).Should(Succeed())
	framework.DeleteNamespace(ctx, framework.DeleteNamespaceInput{Deleter: p.GetClient(), Name: ns.Name})
}

// The simulator's machine kinds, used by specs that turn its knobs.
var (
	infraTemplateGVK = schema.GroupVersionKind{Group: "infrastructure.cluster.x-k8s.io", Version: "v1beta1", Kind: "K3sSimMachineTemplate"}
	infraMachineGVK  = schema.GroupVersionKind{Group: "infrastructure.cluster.x-k8s.io", Version: "v1beta1", Kind: "K3sSimMachine"}
)

// machineHistory samples a cluster's Machines every 100ms until stopped.
type machineHistory struct {
	done   chan struct{}
	result chan machineSamples
}

// machineSamples is what a machineHistory saw.
type machineSamples struct {
	// seen are the Machines seen, deleting those seen with a deletion timestamp.
	seen, deleting []string
	// mostControlPlane is the highest number of control-plane Machines in one sample.
	mostControlPlane int
}

// watchMachines starts sampling the cluster's Machines.
func watchMachines(ctx context.Context, c client.Client, cluster *clusterv1.Cluster) *machineHistory {
	h := &machineHistory{done: make(chan struct{}), result: make(chan machineSamples, 1)}
	go func() {
		defer GinkgoRecover()
		var samples machineSamples
		for {
			machines := &clusterv1.MachineList{}
			if err := c.List(ctx, machines, client.InNamespace(cluster.Namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: cluster.Name}); err == nil {
				controlPlane := 0
				for _, m := range machines.Items {
					if _, ok := m.Labels[clusterv1.MachineControlPlaneLabel]; ok {
						controlPlane++
					}
					if !slices.Contains(samples.seen, m.Name) {
						samples.seen = append(samples.seen, m.Name)
					}
					if !m.DeletionTimestamp.IsZero() && !slices.Contains(samples.deleting, m.Name) {
						samples.deleting = append(samples.deleting, m.Name)
					}
				}
				samples.mostControlPlane = max(samples.mostControlPlane, controlPlane)
			}
			select {
			case <-h.done:
				h.result <- samples
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return h
}

// stop stops sampling and returns what was seen; it must be called once.
func (h *machineHistory) stop() machineSamples {
	close(h.done)
	return <-h.result
}
