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
	"encoding/json"
	"fmt"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	bootstrapv1beta2 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta2"
	controlplanev1beta2 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta2"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion"
)

// The swap spec: a running cluster exactly as upstream's providers leave it is taken over by ours. Upstream stores
// KThreesControlPlanes, KThreesConfigs and KThreesConfigTemplates at v1beta2 (its storage version) with no trace of
// v1beta3; the secrets, labels, annotations, finalizer, SSA field manager and the InfraMachines' clone annotations
// are the ones both write. The spec creates the cluster with our providers, stops them, rewrites the objects in
// etcd as upstream stores them, and leaves a control-plane Machine in deletion held by upstream's bare
// pre-terminate hook, as upstream's scale-down does, before starting our providers again. The CRDs' storedVersions
// get v1beta2 back, as after an upgrade from upstream's CRDs, so the providers' CRD migrator has work to do.
var _ = Describe("Swap from upstream", func() {
	created := deletedAfterEach()

	It("takes over a cluster left by upstream's providers, finishing a held Machine deletion without rolling anything out", func(ctx SpecContext) {
		sim, ok := e2eBackend.(*simBackend)
		if !ok {
			Skip("seeds upstream-shaped objects straight into the management cluster's etcd, which only the sim backend exposes")
		}
		from, _ := e2eBackend.k3sVersions()
		_, result := created.create(ctx, clusterSpec{controlPlaneCount: 3, workerCount: 1, version: from})
		c := e2eBackend.proxy().GetClient()
		cluster := result.Cluster
		expectUpstreamSecrets(ctx, c, cluster)

		By("Stopping our providers")
		Expect(sim.plane.StopProviders()).To(Succeed())
		// Running again before the cluster is deleted after the spec, whatever happens in it (a no-op once started).
		defer func() {
			if err := sim.plane.StartProviders(ctx); err != nil {
				GinkgoWriter.Printf("restarting the providers: %v\n", err)
			}
		}()

		By("Storing the KThreesControlPlane (scaled down to 2, as upstream's scale-down leaves it), the KThreesConfigs and the KThreesConfigTemplate at v1beta2")
		store := &upstreamStore{etcdURL: sim.plane.Env.EtcdURL(), c: c}
		kcpKey := client.ObjectKey{Namespace: cluster.Namespace, Name: cluster.Spec.ControlPlaneRef.Name}
		store.rewrite(ctx, &controlplanev1beta2.KThreesControlPlane{}, kcpKey, "kthreescontrolplanes", func(u *unstructured.Unstructured) {
			Expect(unstructured.SetNestedField(u.Object, int64(2), "spec", "replicas")).To(Succeed())
		})
		configs := &bootstrapv1beta2.KThreesConfigList{}
		Expect(c.List(ctx, configs, client.InNamespace(cluster.Namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: cluster.Name})).To(Succeed())
		Expect(configs.Items).To(HaveLen(4))
		for _, config := range configs.Items {
			key := store.rewrite(ctx, &bootstrapv1beta2.KThreesConfig{}, client.ObjectKeyFromObject(&config), "kthreesconfigs", nil)
			// CAPI core's MachineSet controller applies metadata to worker configs on every sync, which stores them
			// again at v1beta3 as it would right after a real swap; control-plane configs stay as upstream left them.
			if _, isControlPlane := config.Labels[clusterv1.MachineControlPlaneLabel]; !isControlPlane {
				store.untrack(key)
			}
		}
		for _, md := range result.MachineDeployments {
			templateKey := client.ObjectKey{Namespace: md.Namespace, Name: md.Spec.Template.Spec.Bootstrap.ConfigRef.Name}
			store.rewrite(ctx, &bootstrapv1beta2.KThreesConfigTemplate{}, templateKey, "kthreesconfigtemplates", nil)
		}
		GinkgoWriter.Printf("stored at v1beta2 and checked before our providers start: %v\n", store.keys)
		expectCloneAnnotations(ctx, c, cluster)

		By("Deleting the newest control-plane Machine behind upstream's bare pre-terminate hook")
		machines := clusterMachines(ctx, c, cluster)
		Expect(machines).To(HaveLen(4))
		var victim *clusterv1.Machine
		for i, m := range machines {
			if _, isControlPlane := m.Labels[clusterv1.MachineControlPlaneLabel]; isControlPlane &&
				(victim == nil || victim.CreationTimestamp.Before(&m.CreationTimestamp)) {
				victim = &machines[i]
			}
		}
		patch := client.MergeFrom(victim.DeepCopy())
		if victim.Annotations == nil {
			victim.Annotations = map[string]string{}
		}
		victim.Annotations[clusterv1.PreTerminateDeleteHookAnnotationPrefix] = "k3s"
		Expect(c.Patch(ctx, victim, patch)).To(Succeed())
		Expect(c.Delete(ctx, victim)).To(Succeed())
		Eventually(func(g Gomega) {
			m := &clusterv1.Machine{}
			g.Expect(c.Get(ctx, client.ObjectKeyFromObject(victim), m)).To(Succeed())
			g.Expect(conditions.GetReason(m, clusterv1.MachineDeletingCondition)).To(Equal(clusterv1.MachineDeletingWaitingForPreTerminateHookReason))
		}, waitControlPlane...).Should(Succeed())
		store.expectStored(ctx, "v1beta2", store.keys, false)

		By("Leaving our CRDs as upgrading from upstream's CRDs (storage v1beta2) leaves them: v1beta2 in storedVersions, never seen by a CRD migrator")
		for _, name := range ourCRDs {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			Expect(c.Get(ctx, client.ObjectKey{Name: name}, crd)).To(Succeed())
			crdPatch := client.MergeFrom(crd.DeepCopy())
			crd.Status.StoredVersions = []string{"v1beta2", "v1beta3"}
			Expect(c.Status().Patch(ctx, crd, crdPatch)).To(Succeed())
			// The migrator skips a CRD generation it has seen; our providers ran in this plane before, upstream's never
			// had a migrator.
			crdPatch = client.MergeFrom(crd.DeepCopy())
			delete(crd.Annotations, clusterv1.CRDMigrationObservedGenerationAnnotation)
			Expect(c.Patch(ctx, crd, crdPatch)).To(Succeed())
		}

		By("Starting our providers")
		history := watchMachines(ctx, c, cluster)
		Expect(sim.plane.StartProviders(ctx)).To(Succeed())
		Eventually(func(g Gomega) {
			err := c.Get(ctx, client.ObjectKeyFromObject(victim), &clusterv1.Machine{})
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the held Machine %s finished its deletion", victim.Name)
		}, waitControlPlane...).Should(Succeed())
		waitForControlPlaneReplicas(ctx, c, cluster, waitControlPlane...)
		expectEtcdMembersMatchMachines(ctx, cluster)
		verifyClusterHealthy(ctx, cluster)
		// A few more seconds of steady state: still nothing created or deleted.
		time.Sleep(3 * time.Second)
		samples := history.stop()
		var before []string
		for _, m := range machines {
			before = append(before, m.Name)
		}
		Expect(samples.seen).To(ConsistOf(before), "no Machine created: nothing rolled out")
		Expect(samples.deleting).To(ConsistOf(victim.Name), "no other Machine deleted")
		kcp := controlPlaneOf(ctx, c, cluster)
		Expect(ptr.Deref(kcp.Spec.Replicas, 0)).To(Equal(int32(2)))
		Expect(kcp.Finalizers).To(ConsistOf(controlplanev1.KThreesControlPlaneFinalizer))

		By("CAPI's CRD migrator, run by our providers, rewrote every object at v1beta3 and dropped v1beta2 from storedVersions")
		Eventually(func(g Gomega) {
			for _, name := range ourCRDs {
				crd := &apiextensionsv1.CustomResourceDefinition{}
				g.Expect(c.Get(ctx, client.ObjectKey{Name: name}, crd)).To(Succeed())
				g.Expect(crd.Status.StoredVersions).To(Equal([]string{"v1beta3"}), name)
			}
		}, waitControlPlane...).Should(Succeed())
		store.expectStored(ctx, "v1beta3", store.all, true)
	})
})

// ourCRDs are the CRDs of this repository's kinds; upstream stored all four at v1beta2.
var ourCRDs = []string{
	"kthreesconfigs.bootstrap.cluster.x-k8s.io", "kthreesconfigtemplates.bootstrap.cluster.x-k8s.io",
	"kthreescontrolplanes.controlplane.cluster.x-k8s.io", "kthreescontrolplanetemplates.controlplane.cluster.x-k8s.io",
}

// upstreamStore rewrites objects in the management cluster's etcd as upstream's providers store them.
type upstreamStore struct {
	etcdURL string
	c       client.Client
	// all are the etcd keys rewritten; keys those expected to stay at v1beta2 until our providers start.
	all, keys []string
}

// rewrite reads the object at v1beta2 through the API server (our conversion webhook converts it), drops the
// conversion annotation our v1beta3 leaves (upstream never wrote v1beta3), lets mutate change it, and stores it in
// etcd at v1beta2 in place of what the API server stored.
func (s *upstreamStore) rewrite(ctx context.Context, obj client.Object, key client.ObjectKey, plural string, mutate func(*unstructured.Unstructured)) string {
	Expect(s.c.Get(ctx, key, obj)).To(Succeed())
	gvk, err := s.c.GroupVersionKindFor(obj)
	Expect(err).ToNot(HaveOccurred())
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	Expect(err).ToNot(HaveOccurred())
	u := &unstructured.Unstructured{Object: content}
	u.SetGroupVersionKind(gvk)
	annotations := u.GetAnnotations()
	delete(annotations, apiconversion.DataAnnotation)
	u.SetAnnotations(annotations)
	u.SetResourceVersion("") // etcd's revision is the resource version
	if mutate != nil {
		mutate(u)
	}
	data, err := json.Marshal(u.Object)
	Expect(err).ToNot(HaveOccurred())

	etcdKey := fmt.Sprintf("/registry/%s/%s/%s/%s", gvk.Group, plural, key.Namespace, key.Name)
	withEtcd(ctx, s.etcdURL, func(cli *clientv3.Client) {
		// Replace only what the API server stored (a wrong key would add an object the API server never sees).
		resp, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(etcdKey), ">", 0)).Then(clientv3.OpPut(etcdKey, string(data))).Commit()
		Expect(err).ToNot(HaveOccurred())
		Expect(resp.Succeeded).To(BeTrue(), "%s is stored in etcd", etcdKey)
	})
	s.keys = append(s.keys, etcdKey)
	s.all = append(s.all, etcdKey)
	// The API server serves the rewritten object (through its watch cache) before anything else happens.
	Eventually(func(g Gomega) {
		got := obj.DeepCopyObject().(client.Object)
		g.Expect(s.c.Get(ctx, key, got)).To(Succeed())
		g.Expect(got.GetAnnotations()).ToNot(HaveKey(apiconversion.DataAnnotation))
	}, 10*time.Second, 100*time.Millisecond).Should(Succeed())
	return etcdKey
}

// untrack excludes an etcd key from the keys expected to stay at v1beta2.
func (s *upstreamStore) untrack(etcdKey string) {
	s.keys = slices.DeleteFunc(s.keys, func(k string) bool { return k == etcdKey })
}

// expectStored checks that the objects at the etcd keys are stored at version; with allowDeleted, objects deleted
// meanwhile (the held Machine's KThreesConfig) are skipped.
func (s *upstreamStore) expectStored(ctx context.Context, version string, keys []string, allowDeleted bool) {
	withEtcd(ctx, s.etcdURL, func(cli *clientv3.Client) {
		for _, key := range keys {
			resp, err := cli.Get(ctx, key)
			Expect(err).ToNot(HaveOccurred())
			if allowDeleted && len(resp.Kvs) == 0 {
				continue
			}
			Expect(resp.Kvs).To(HaveLen(1), key)
			var stored struct {
				APIVersion string            `json:"apiVersion"`
				Metadata   metav1.ObjectMeta `json:"metadata"`
			}
			Expect(json.Unmarshal(resp.Kvs[0].Value, &stored)).To(Succeed())
			var writers []string
			for _, f := range stored.Metadata.ManagedFields {
				writers = append(writers, fmt.Sprintf("%s %s %s", f.Manager, f.Operation, f.Time))
			}
			Expect(stored.APIVersion).To(HaveSuffix("/"+version), "%s, written by %v", key, writers)
		}
	})
}

// withEtcd calls f with a client of the management cluster's etcd.
func withEtcd(ctx context.Context, url string, f func(*clientv3.Client)) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{url}, DialTimeout: 10 * time.Second, Context: ctx, Logger: zap.NewNop()})
	Expect(err).ToNot(HaveOccurred())
	defer func() { _ = cli.Close() }()
	f(cli)
}

// expectUpstreamSecrets checks the cluster's secrets have upstream's names, keys and types.
func expectUpstreamSecrets(ctx context.Context, c client.Client, cluster *clusterv1.Cluster) {
	for suffix, key := range map[string]string{"-ca": "tls.crt", "-cca": "tls.crt", "-etcd": "tls.crt", "-token": "value", "-kubeconfig": "value"} {
		secret := &corev1.Secret{}
		Expect(c.Get(ctx, client.ObjectKey{Namespace: cluster.Namespace, Name: cluster.Name + suffix}, secret)).To(Succeed())
		Expect(secret.Data).To(HaveKey(key), "Secret %s%s", cluster.Name, suffix)
		Expect(secret.Type).To(Equal(clusterv1.ClusterSecretType), "Secret %s%s", cluster.Name, suffix)
	}
}

// expectCloneAnnotations checks every InfraMachine carries the clone annotations upstream's rollout detection reads.
func expectCloneAnnotations(ctx context.Context, c client.Client, cluster *clusterv1.Cluster) {
	infraMachines := &unstructured.UnstructuredList{}
	infraMachines.SetGroupVersionKind(infraMachineGVK.GroupVersion().WithKind(infraMachineGVK.Kind + "List"))
	Expect(c.List(ctx, infraMachines, client.InNamespace(cluster.Namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: cluster.Name})).To(Succeed())
	Expect(infraMachines.Items).To(HaveLen(4))
	for _, m := range infraMachines.Items {
		Expect(m.GetAnnotations()).To(HaveKey(clusterv1.TemplateClonedFromNameAnnotation), m.GetName())
		Expect(m.GetAnnotations()).To(HaveKey(clusterv1.TemplateClonedFromGroupKindAnnotation), m.GetName())
	}
}

// clusterMachines lists the cluster's Machines.
func clusterMachines(ctx context.Context, c client.Client, cluster *clusterv1.Cluster) []clusterv1.Machine {
	machines := &clusterv1.MachineList{}
	Expect(c.List(ctx, machines, client.InNamespace(cluster.Namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: cluster.Name})).To(Succeed())
	return machines.Items
}
