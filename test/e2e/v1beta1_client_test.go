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
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	clusterv1beta1 "sigs.k8s.io/cluster-api/api/core/v1beta1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/test/framework"
	"sigs.k8s.io/cluster-api/test/framework/clusterctl"
	"sigs.k8s.io/cluster-api/util"
	"sigs.k8s.io/cluster-api/util/conditions"
	utilyaml "sigs.k8s.io/cluster-api/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// siteLabel is the label the v1beta1 client patches onto its Cluster, as an edge cluster manager tags its sites.
const siteLabel = "edge.example.com/site"

// A client built on CAPI v1.10/v1.11 with cluster.x-k8s.io/v1beta1 types (an edge platform's cluster manager)
// drives a topology Cluster on a CAPI v1.14 management cluster, whose conversion webhooks translate every read and
// write.
var _ = Describe("v1beta1 client", func() {
	created := deletedAfterEach()

	It("creates, reads and patches a topology Cluster through cluster.x-k8s.io/v1beta1 and sees consistent objects while it comes up", func(ctx SpecContext) {
		from, _ := e2eBackend.k3sVersions()
		p := e2eBackend.proxy()
		name := "k3s-" + util.RandomString(6)
		ns := framework.CreateNamespace(ctx, framework.CreateNamespaceInput{Creator: p.GetClient(), Name: name})

		By("Applying the ClusterClass and its templates (the topology flavor without its Cluster)")
		rendered, err := e2eBackend.clusterTemplate("topology", map[string]string{
			"CLUSTER_NAME": name, "NAMESPACE": ns.Name, "KUBERNETES_VERSION": from,
			"CONTROL_PLANE_MACHINE_COUNT": "1", "WORKER_MACHINE_COUNT": "1",
		})
		Expect(err).ToNot(HaveOccurred())
		objs, err := utilyaml.ToUnstructured(rendered)
		Expect(err).ToNot(HaveOccurred())
		template := &clusterv1.Cluster{}
		for i := range objs {
			if objs[i].GetKind() == "Cluster" {
				Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(objs[i].Object, template)).To(Succeed())
				continue
			}
			Expect(p.GetClient().Create(ctx, &objs[i])).To(Succeed(), "%s %s", objs[i].GetKind(), objs[i].GetName())
		}
		Expect(template.Spec.Topology.IsDefined()).To(BeTrue(), "the topology flavor's Cluster")

		By("Creating the Cluster with a client that knows only cluster.x-k8s.io/v1beta1")
		v1beta1Scheme := runtime.NewScheme()
		Expect(clusterv1beta1.AddToScheme(v1beta1Scheme)).To(Succeed())
		old, err := client.New(p.GetRESTConfig(), client.Options{Scheme: v1beta1Scheme})
		Expect(err).ToNot(HaveOccurred())
		want := v1beta1TopologyCluster(template)
		Expect(old.Create(ctx, want)).To(Succeed())
		created.ns = ns
		created.result = &clusterctl.ApplyCustomClusterTemplateAndWaitResult{
			Cluster: &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: name}},
		}

		By("Reading the Cluster and its Machines in v1beta1 every 200ms while the cluster comes up")
		reader := startV1Beta1Reader(ctx, old, want)

		By("Patching the Cluster in v1beta1 once its references are set: a label and 2 workers")
		Eventually(func(g Gomega) {
			got := &clusterv1beta1.Cluster{}
			g.Expect(old.Get(ctx, client.ObjectKeyFromObject(want), got)).To(Succeed())
			g.Expect(got.Spec.ControlPlaneRef).ToNot(BeNil())
			g.Expect(got.Spec.InfrastructureRef).ToNot(BeNil())
		}, waitCluster...).Should(Succeed())
		cluster := &clusterv1beta1.Cluster{}
		Expect(old.Get(ctx, client.ObjectKeyFromObject(want), cluster)).To(Succeed())
		patched := cluster.DeepCopy()
		if patched.Labels == nil {
			patched.Labels = map[string]string{}
		}
		patched.Labels[siteLabel] = "site-1"
		patched.Spec.Topology.Workers.MachineDeployments[0].Replicas = ptr.To[int32](2)
		Expect(old.Patch(ctx, patched, client.MergeFrom(cluster))).To(Succeed())
		reader.patched()

		By("Waiting for the Cluster to be Available (v1beta2) with 1 server and 2 agents")
		c := p.GetClient()
		Eventually(func(g Gomega) {
			got := &clusterv1.Cluster{}
			g.Expect(c.Get(ctx, client.ObjectKeyFromObject(want), got)).To(Succeed())
			g.Expect(conditions.IsTrue(got, clusterv1.AvailableCondition)).To(BeTrue(), "Available")
			machines := &clusterv1.MachineList{}
			g.Expect(c.List(ctx, machines, client.InNamespace(ns.Name), client.MatchingLabels{clusterv1.ClusterNameLabel: name})).To(Succeed())
			g.Expect(machines.Items).To(HaveLen(3))
			for _, m := range machines.Items {
				g.Expect(conditions.IsTrue(&m, clusterv1.MachineReadyCondition)).To(BeTrue(), "Machine %s Ready", m.Name)
			}
		}, waitWorkers...).Should(Succeed())
		verifyClusterHealthy(ctx, created.result.Cluster)
		samples := reader.stop()

		By(fmt.Sprintf("Checking what the v1beta1 reads saw: %d reads, %d Machines with both references, %d violations",
			samples.reads, samples.machineRefs, len(samples.violations)))
		Expect(samples.violations).To(BeEmpty())
		Expect(samples.reads).To(BeNumerically(">=", 10), "v1beta1 reads")
		Expect(samples.sawRefs).To(BeTrue(), "v1beta1 reads saw the Cluster's references")
		Expect(samples.sawPatch).To(BeTrue(), "v1beta1 reads saw the patch")
		Expect(samples.machineRefs).To(BeNumerically(">=", 3), "Machines read in v1beta1 with both references")

		final := &clusterv1beta1.Cluster{}
		Expect(old.Get(ctx, client.ObjectKeyFromObject(want), final)).To(Succeed())
		Expect(final.Labels).To(HaveKeyWithValue(siteLabel, "site-1"))
		Expect(final.Status.ControlPlaneReady).To(BeTrue(), "v1beta1 status.controlPlaneReady")
		Expect(final.Status.InfrastructureReady).To(BeTrue(), "v1beta1 status.infrastructureReady")
		Expect(final.Status.V1Beta2).ToNot(BeNil())
		Expect(meta.IsStatusConditionTrue(final.Status.V1Beta2.Conditions, clusterv1.AvailableCondition)).To(BeTrue(),
			"v1beta1 status.v1beta2.conditions Available")

		v1beta2 := &clusterv1.Cluster{}
		Expect(c.Get(ctx, client.ObjectKeyFromObject(want), v1beta2)).To(Succeed())
		Expect(v1beta2.Labels).To(HaveKeyWithValue(siteLabel, "site-1"))
		Expect(v1beta2.Spec.Topology.ClassRef.Name).To(Equal(template.Spec.Topology.ClassRef.Name))
		Expect(v1beta2.Spec.Topology.Version).To(Equal(from))
		Expect(v1beta2.Spec.Topology.ControlPlane.Replicas).To(HaveValue(BeEquivalentTo(1)))
		Expect(v1beta2.Spec.Topology.Workers.MachineDeployments).To(HaveLen(1))
		Expect(v1beta2.Spec.Topology.Workers.MachineDeployments[0].Replicas).To(HaveValue(BeEquivalentTo(2)))
		Expect(v1beta2.Spec.ControlPlaneRef.APIGroup).To(Equal("controlplane.cluster.x-k8s.io"))
		Expect(v1beta2.Spec.InfrastructureRef.APIGroup).To(Equal("infrastructure.cluster.x-k8s.io"))
	})
})

// v1beta1TopologyCluster writes the topology flavor's Cluster as a v1beta1 client would, labelled with siteLabel
// only after the patch.
func v1beta1TopologyCluster(t *clusterv1.Cluster) *clusterv1beta1.Cluster {
	out := &clusterv1beta1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, Name: t.Name},
		Spec: clusterv1beta1.ClusterSpec{
			ClusterNetwork: &clusterv1beta1.ClusterNetwork{
				Pods:     &clusterv1beta1.NetworkRanges{CIDRBlocks: t.Spec.ClusterNetwork.Pods.CIDRBlocks},
				Services: &clusterv1beta1.NetworkRanges{CIDRBlocks: t.Spec.ClusterNetwork.Services.CIDRBlocks},
			},
			Topology: &clusterv1beta1.Topology{
				Class:        t.Spec.Topology.ClassRef.Name,
				Version:      t.Spec.Topology.Version,
				ControlPlane: clusterv1beta1.ControlPlaneTopology{Replicas: t.Spec.Topology.ControlPlane.Replicas},
				Workers:      &clusterv1beta1.WorkersTopology{},
			},
		},
	}
	for _, md := range t.Spec.Topology.Workers.MachineDeployments {
		out.Spec.Topology.Workers.MachineDeployments = append(out.Spec.Topology.Workers.MachineDeployments,
			clusterv1beta1.MachineDeploymentTopology{Class: md.Class, Name: md.Name, Replicas: md.Replicas})
	}
	return out
}

// v1beta1Reader reads a Cluster and its Machines in v1beta1 until stopped and records every inconsistency.
type v1beta1Reader struct {
	mu      sync.Mutex
	samples v1beta1Samples
	// isPatched is set once the patch returned: from then on every read must show it.
	isPatched bool
	done      chan struct{}
	finished  chan struct{}
}

// v1beta1Samples is what a v1beta1Reader saw.
type v1beta1Samples struct {
	reads int
	// sawRefs: a read had both the control-plane and the infrastructure reference; sawPatch: a read had the patch.
	sawRefs, sawPatch bool
	// machineRefs is how many distinct Machines were read with complete bootstrap and infrastructure references.
	machineRefs int
	violations  []string
}

// startV1Beta1Reader starts reading want's Cluster every 200ms with the v1beta1 client.
func startV1Beta1Reader(ctx context.Context, c client.Client, want *clusterv1beta1.Cluster) *v1beta1Reader {
	r := &v1beta1Reader{done: make(chan struct{}), finished: make(chan struct{})}
	go func() {
		defer GinkgoRecover()
		defer close(r.finished)
		machines := map[string]bool{}
		for {
			r.read(ctx, c, want, machines)
			select {
			case <-r.done:
				return
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return r
}

// read reads the Cluster and its Machines once.
func (r *v1beta1Reader) read(ctx context.Context, c client.Client, want *clusterv1beta1.Cluster, machines map[string]bool) {
	r.mu.Lock()
	patched := r.isPatched
	r.mu.Unlock()
	var violations []string
	fail := func(format string, args ...any) {
		violations = append(violations, fmt.Sprintf("read %d: ", r.samples.reads)+fmt.Sprintf(format, args...))
	}

	got := &clusterv1beta1.Cluster{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(want), got); err != nil {
		if ctx.Err() == nil {
			fail("get Cluster: %v", err)
		}
		r.record(violations, got, patched, 0)
		return
	}
	if got.Spec.Topology == nil {
		fail("no topology")
	} else {
		t := got.Spec.Topology
		if t.Class != want.Spec.Topology.Class || t.Version != want.Spec.Topology.Version ||
			ptr.Deref(t.ControlPlane.Replicas, -1) != ptr.Deref(want.Spec.Topology.ControlPlane.Replicas, -2) {
			fail("topology class/version/control-plane replicas %s/%s/%v, want %s/%s/%v", t.Class, t.Version,
				ptr.Deref(t.ControlPlane.Replicas, -1), want.Spec.Topology.Class, want.Spec.Topology.Version,
				ptr.Deref(want.Spec.Topology.ControlPlane.Replicas, -1))
		}
		if t.Workers == nil || len(t.Workers.MachineDeployments) != 1 ||
			t.Workers.MachineDeployments[0].Class != want.Spec.Topology.Workers.MachineDeployments[0].Class ||
			t.Workers.MachineDeployments[0].Name != want.Spec.Topology.Workers.MachineDeployments[0].Name {
			fail("topology workers %+v", t.Workers)
		} else if replicas := ptr.Deref(t.Workers.MachineDeployments[0].Replicas, -1); patched && replicas != 2 {
			fail("worker replicas %d after the patch, want 2", replicas)
		}
	}
	if got.Spec.ClusterNetwork == nil || got.Spec.ClusterNetwork.Pods == nil ||
		strings.Join(got.Spec.ClusterNetwork.Pods.CIDRBlocks, ",") != strings.Join(want.Spec.ClusterNetwork.Pods.CIDRBlocks, ",") {
		fail("clusterNetwork %+v", got.Spec.ClusterNetwork)
	}
	if patched && got.Labels[siteLabel] != "site-1" {
		fail("label %s=%q after the patch", siteLabel, got.Labels[siteLabel])
	}
	r.mu.Lock()
	sawRefs := r.samples.sawRefs
	r.mu.Unlock()
	for name, ref := range map[string]*corev1.ObjectReference{
		"controlPlaneRef": got.Spec.ControlPlaneRef, "infrastructureRef": got.Spec.InfrastructureRef,
	} {
		if ref == nil {
			if sawRefs {
				fail("%s unset after it was set", name)
			}
			continue
		}
		checkRef(fail, "Cluster "+name, ref, got.Namespace)
	}
	if got.Spec.ControlPlaneRef != nil && !strings.HasPrefix(got.Spec.ControlPlaneRef.APIVersion, "controlplane.cluster.x-k8s.io/") {
		fail("controlPlaneRef apiVersion %q", got.Spec.ControlPlaneRef.APIVersion)
	}

	list := &clusterv1beta1.MachineList{}
	if err := c.List(ctx, list, client.InNamespace(want.Namespace), client.MatchingLabels{clusterv1beta1.ClusterNameLabel: want.Name}); err != nil {
		if ctx.Err() == nil {
			fail("list Machines: %v", err)
		}
	}
	for i := range list.Items {
		m := &list.Items[i]
		if m.Spec.Bootstrap.ConfigRef == nil {
			fail("Machine %s without bootstrap.configRef", m.Name)
			continue
		}
		bootstrapOK := checkRef(fail, "Machine "+m.Name+" bootstrap.configRef", m.Spec.Bootstrap.ConfigRef, m.Namespace)
		if checkRef(fail, "Machine "+m.Name+" infrastructureRef", &m.Spec.InfrastructureRef, m.Namespace) && bootstrapOK {
			machines[m.Name] = true
		}
	}
	r.record(violations, got, patched, len(machines))
}

// record adds one read's results.
func (r *v1beta1Reader) record(violations []string, got *clusterv1beta1.Cluster, patched bool, machineRefs int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples.reads++
	r.samples.violations = append(r.samples.violations, violations...)
	if got.Spec.ControlPlaneRef != nil && got.Spec.InfrastructureRef != nil {
		r.samples.sawRefs = true
	}
	if patched && got.Labels[siteLabel] == "site-1" {
		r.samples.sawPatch = true
	}
	r.samples.machineRefs = max(r.samples.machineRefs, machineRefs)
}

// checkRef reports a reference without apiVersion, kind, name or the referencing object's namespace; it returns
// whether the reference is complete.
func checkRef(fail func(string, ...any), what string, ref *corev1.ObjectReference, namespace string) bool {
	if ref.APIVersion == "" || ref.Kind == "" || ref.Name == "" || ref.Namespace != namespace {
		fail("%s incomplete: apiVersion %q kind %q name %q namespace %q", what, ref.APIVersion, ref.Kind, ref.Name, ref.Namespace)
		return false
	}
	return true
}

// patched tells the reader that the patch returned.
func (r *v1beta1Reader) patched() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.isPatched = true
}

// stop stops reading and returns what was read; it must be called once.
func (r *v1beta1Reader) stop() v1beta1Samples {
	close(r.done)
	<-r.finished
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.samples
}
