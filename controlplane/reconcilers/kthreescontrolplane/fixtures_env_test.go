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

package kthreescontrolplane

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/collections"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/cluster-api/util/kubeconfig"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/test/machinesim"
)

const (
	envVersion    = "v1.34.5+k3s1"
	envNewVersion = "v1.34.6+k3s1"
	envEventually = 60 * time.Second
	envPoll       = 100 * time.Millisecond
)

// envCluster is one simulated cluster with its control plane.
type envCluster struct {
	cluster *clusterv1.Cluster
	kcp     *controlplanev1.KThreesControlPlane
	sim     *machinesim.Simulator
	etcd    *machinesim.Etcd
}

func (e *envCluster) key() client.ObjectKey { return client.ObjectKeyFromObject(e.cluster) }

// newEnvCluster creates, in a new namespace, a Cluster with provisioned infrastructure and an endpoint, a
// kubeconfig secret that reaches the test API server (the ClusterCache connects with it), an infrastructure
// machine template and a KThreesControlPlane with the given replicas.
func newEnvCluster(t *testing.T, ctx context.Context, replicas int32, mutate ...func(*controlplanev1.KThreesControlPlane)) *envCluster {
	t.Helper()
	g := NewWithT(t)
	ns, err := env.CreateNamespace(ctx, "kcp")
	g.Expect(err).ToNot(HaveOccurred())

	cluster := &clusterv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "c1"},
		Spec: clusterv1.ClusterSpec{
			ControlPlaneEndpoint: clusterv1.APIEndpoint{Host: "10.0.0.1", Port: 6443},
			ControlPlaneRef:      clusterv1.ContractVersionedObjectReference{APIGroup: controlplanev1.GroupVersion.Group, Kind: "KThreesControlPlane", Name: "kcp"},
		},
	}
	g.Expect(env.Client.Create(ctx, cluster)).To(Succeed())
	cluster.Status.Initialization.InfrastructureProvisioned = ptr.To(true)
	g.Expect(env.Client.Status().Update(ctx, cluster)).To(Succeed())

	g.Expect(env.Client.Create(ctx, kubeconfig.GenerateSecret(cluster, kubeconfig.FromEnvTestConfig(env.Config, cluster)))).To(Succeed())

	template := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2",
		"kind":       "GenericInfrastructureMachineTemplate",
		"metadata":   map[string]any{"namespace": ns.Name, "name": "infra-v1"},
		"spec":       map[string]any{"template": map[string]any{"spec": map[string]any{"size": "small"}}},
	}}
	g.Expect(env.Client.Create(ctx, template)).To(Succeed())

	kcp := &controlplanev1.KThreesControlPlane{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns.Name, Name: "kcp",
			OwnerReferences: []metav1.OwnerReference{{APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster", Name: cluster.Name, UID: cluster.UID}},
		},
		Spec: controlplanev1.KThreesControlPlaneSpec{
			Replicas: ptr.To(replicas),
			Version:  envVersion,
			MachineTemplate: controlplanev1.KThreesControlPlaneMachineTemplate{
				Spec: controlplanev1.KThreesControlPlaneMachineTemplateSpec{
					InfrastructureRef: clusterv1.ContractVersionedObjectReference{
						APIGroup: "infrastructure.cluster.x-k8s.io", Kind: "GenericInfrastructureMachineTemplate", Name: "infra-v1",
					},
				},
			},
		},
	}
	for _, m := range mutate {
		m(kcp)
	}
	g.Expect(env.Client.Create(ctx, kcp)).To(Succeed())

	e := machinesim.NewEtcd()
	return &envCluster{cluster: cluster, kcp: kcp, etcd: e, sim: machinesim.NewSimulator(env.Client, e)}
}

// machines lists the cluster's control-plane Machines, oldest first.
func (e *envCluster) machines(g Gomega, ctx context.Context) []*clusterv1.Machine {
	ms, err := collections.GetFilteredMachinesForCluster(ctx, env.Client, e.cluster, collections.ControlPlaneMachines(e.cluster.Name))
	g.Expect(err).ToNot(HaveOccurred())
	return ms.SortedByCreationTimestamp()
}

// getKCP reads the control plane.
func (e *envCluster) getKCP(g Gomega, ctx context.Context) *controlplanev1.KThreesControlPlane {
	kcp := &controlplanev1.KThreesControlPlane{}
	g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(e.kcp), kcp)).To(Succeed())
	return kcp
}

// expectConverged waits until the control plane runs replicas up-to-date Machines of version, each with a Node
// and an etcd member, and its status says so.
func (e *envCluster) expectConverged(t *testing.T, ctx context.Context, replicas int, version string) {
	t.Helper()
	NewWithT(t).Eventually(func(g Gomega) {
		ms := e.machines(g, ctx)
		g.Expect(ms).To(HaveLen(replicas), "Machines")
		var nodes []string
		for _, m := range ms {
			g.Expect(m.DeletionTimestamp.IsZero()).To(BeTrue(), "Machine %s is deleting", m.Name)
			g.Expect(m.Spec.Version).To(Equal(version))
			g.Expect(m.Status.NodeRef.IsDefined()).To(BeTrue(), "Machine %s has no Node", m.Name)
			g.Expect(conditions.IsTrue(m, clusterv1.MachineUpToDateCondition)).To(BeTrue(), "Machine %s UpToDate", m.Name)
			nodes = append(nodes, m.Status.NodeRef.Name)
		}
		members := e.etcd.MemberNodes(e.key())
		sort.Strings(nodes)
		sort.Strings(members)
		g.Expect(members).To(Equal(nodes), "etcd members")

		kcp := e.getKCP(g, ctx)
		g.Expect(kcp.Status.ObservedGeneration).To(Equal(kcp.Generation))
		g.Expect(ptr.Deref(kcp.Status.Replicas, -1)).To(BeEquivalentTo(replicas))
		g.Expect(ptr.Deref(kcp.Status.ReadyReplicas, -1)).To(BeEquivalentTo(replicas))
		g.Expect(ptr.Deref(kcp.Status.UpToDateReplicas, -1)).To(BeEquivalentTo(replicas))
		g.Expect(ptr.Deref(kcp.Status.Initialization.ControlPlaneInitialized, false)).To(BeTrue())
		g.Expect(kcp.Status.Versions).To(Equal([]clusterv1.StatusVersion{{Version: version, Replicas: int32(replicas)}}))
		available := conditions.Get(kcp, controlplanev1.KThreesControlPlaneAvailableCondition)
		g.Expect(available).ToNot(BeNil())
		g.Expect(available.Status).To(Equal(metav1.ConditionTrue), available.Message)
		// CAPI's e2e checks expect a healthy control plane to say nothing more.
		g.Expect(available.Message).To(BeEmpty())
		for _, c := range []string{
			controlplanev1.KThreesControlPlaneMachinesReadyCondition, controlplanev1.KThreesControlPlaneMachinesUpToDateCondition,
			controlplanev1.KThreesControlPlaneEtcdClusterHealthyCondition, controlplanev1.KThreesControlPlaneControlPlaneComponentsHealthyCondition,
			controlplanev1.KThreesControlPlaneCertificatesAvailableCondition, controlplanev1.KThreesControlPlaneInitializedCondition,
		} {
			cond := conditions.Get(kcp, c)
			g.Expect(cond).ToNot(BeNil(), c)
			g.Expect(cond.Status).To(Equal(metav1.ConditionTrue), "%s: %s", c, cond.Message)
			g.Expect(cond.Message).To(BeEmpty(), c)
		}
		for _, c := range []string{controlplanev1.KThreesControlPlaneRollingOutCondition, controlplanev1.KThreesControlPlaneScalingUpCondition,
			controlplanev1.KThreesControlPlaneScalingDownCondition, controlplanev1.KThreesControlPlaneRemediatingCondition} {
			g.Expect(conditions.IsFalse(kcp, c)).To(BeTrue(), c)
		}
		g.Expect(e.sim.Violations()).To(BeEmpty())
	}, envEventually, envPoll).Should(Succeed())
}

// expectQuiet checks that a converged control plane is left alone: neither the control plane nor its Machines
// are written for a few seconds. A write in every reconcile would trigger the next one (a reconcile storm).
func (e *envCluster) expectQuiet(t *testing.T, ctx context.Context) {
	t.Helper()
	g := NewWithT(t)
	versions := func(g Gomega) map[string]string {
		rv := map[string]string{"kcp": e.getKCP(g, ctx).ResourceVersion}
		for _, m := range e.machines(g, ctx) {
			rv[m.Name] = m.ResourceVersion
		}
		return rv
	}
	before := versions(g)
	g.Consistently(func(g Gomega) {
		g.Expect(versions(g)).To(Equal(before))
	}, 3*time.Second, 200*time.Millisecond).Should(Succeed())
}

// watchMachineCount samples the number of control-plane Machines until ctx ends and returns the maximum seen.
func (e *envCluster) watchMachineCount(ctx context.Context) func() int {
	maxSeen := make(chan int, 1)
	go func() {
		highest := 0
		for ctx.Err() == nil {
			ms, err := collections.GetFilteredMachinesForCluster(ctx, env.Client, e.cluster, collections.ControlPlaneMachines(e.cluster.Name))
			if err == nil && len(ms) > highest {
				highest = len(ms)
			}
			time.Sleep(20 * time.Millisecond)
		}
		maxSeen <- highest
	}()
	return func() int { return <-maxSeen }
}

func describe(ms []*clusterv1.Machine) string {
	s := ""
	for _, m := range ms {
		s += fmt.Sprintf("%s(%s) ", m.Name, m.Spec.Version)
	}
	return s
}
