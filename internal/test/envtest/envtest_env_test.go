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

package envtest

import (
	"context"
	"net/url"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestEnvironment(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	env, err := New(ctx, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	defer func() {
		g.Expect(env.Stop()).To(Succeed())
		g.Expect(env.Stop()).To(Succeed(), "Stop is idempotent")
	}()

	t.Run("servers listen on 127.0.0.1", func(t *testing.T) {
		g := NewWithT(t)
		host, err := url.Parse(env.Config.Host)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(host.Hostname()).To(Equal("127.0.0.1"))
		etcd, err := url.Parse(env.EtcdURL())
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(etcd.Hostname()).To(Equal("127.0.0.1"))
		g.Expect(env.TestEnv.WebhookInstallOptions.LocalServingHost).To(Equal("127.0.0.1"))
	})

	t.Run("CRDs installed", func(t *testing.T) {
		g := NewWithT(t)
		for _, name := range []string{
			"clusters.cluster.x-k8s.io",
			"machines.cluster.x-k8s.io",
			"kthreesconfigs.bootstrap.cluster.x-k8s.io",
			"kthreesconfigtemplates.bootstrap.cluster.x-k8s.io",
			"kthreescontrolplanes.controlplane.cluster.x-k8s.io",
			"kthreescontrolplanetemplates.controlplane.cluster.x-k8s.io",
		} {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: name}, crd)).To(Succeed(), name)
		}
	})

	t.Run("our multi-version CRDs convert through the webhook server", func(t *testing.T) {
		for _, name := range []string{
			"kthreesconfigs.bootstrap.cluster.x-k8s.io",
			"kthreesconfigtemplates.bootstrap.cluster.x-k8s.io",
			"kthreescontrolplanes.controlplane.cluster.x-k8s.io",
			"kthreescontrolplanetemplates.controlplane.cluster.x-k8s.io",
		} {
			t.Run(name, func(t *testing.T) {
				g := NewWithT(t)
				crd := &apiextensionsv1.CustomResourceDefinition{}
				g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: name}, crd)).To(Succeed())
				g.Expect(crd.Spec.Conversion).NotTo(BeNil())
				g.Expect(crd.Spec.Conversion.Strategy).To(Equal(apiextensionsv1.WebhookConverter))
				g.Expect(crd.Spec.Conversion.Webhook.ClientConfig.URL).To(HaveValue(HavePrefix("https://127.0.0.1:")))
			})
		}
	})

	t.Run("admission webhook configurations point at the webhook server", func(t *testing.T) {
		g := NewWithT(t)
		wio := env.TestEnv.WebhookInstallOptions
		for _, m := range wio.MutatingWebhooks {
			for _, w := range m.Webhooks {
				g.Expect(w.ClientConfig.URL).To(HaveValue(HavePrefix("https://127.0.0.1:")), w.Name)
			}
		}
		for _, v := range wio.ValidatingWebhooks {
			for _, w := range v.Webhooks {
				g.Expect(w.ClientConfig.URL).To(HaveValue(HavePrefix("https://127.0.0.1:")), w.Name)
			}
		}
	})

	t.Run("namespace and CAPI Cluster", func(t *testing.T) {
		g := NewWithT(t)
		ns, err := env.CreateNamespace(ctx, "envtest-smoke")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(ns.Name).To(HavePrefix("envtest-smoke-"))

		cluster := &clusterv1.Cluster{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "smoke"},
			Spec: clusterv1.ClusterSpec{
				ClusterNetwork: clusterv1.ClusterNetwork{Pods: clusterv1.NetworkRanges{CIDRBlocks: []string{"10.42.0.0/16"}}},
			},
		}
		g.Expect(env.Client.Create(ctx, cluster)).To(Succeed())

		got := &clusterv1.Cluster{}
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(cluster), got)).To(Succeed())
		g.Expect(got.UID).To(Equal(cluster.UID))

		// The manager's cached client sees it too.
		g.Eventually(func() error {
			return env.Manager.GetClient().Get(ctx, client.ObjectKeyFromObject(cluster), &clusterv1.Cluster{})
		}, 30*time.Second, 100*time.Millisecond).Should(Succeed())

		g.Expect(env.Client.Delete(ctx, cluster)).To(Succeed())
	})
}

func TestNewScheme(t *testing.T) {
	g := NewWithT(t)
	scheme, err := NewScheme()
	g.Expect(err).NotTo(HaveOccurred())
	for _, gv := range []string{
		"v1", "cluster.x-k8s.io/v1beta2",
		"bootstrap.cluster.x-k8s.io/v1beta1", "bootstrap.cluster.x-k8s.io/v1beta2", "bootstrap.cluster.x-k8s.io/v1beta3",
		"controlplane.cluster.x-k8s.io/v1beta1", "controlplane.cluster.x-k8s.io/v1beta2", "controlplane.cluster.x-k8s.io/v1beta3",
	} {
		g.Expect(versionRegistered(scheme, gv)).To(BeTrue(), gv)
	}
}

func versionRegistered(scheme *runtime.Scheme, gv string) bool {
	for _, v := range scheme.PrioritizedVersionsAllGroups() {
		if v.String() == gv {
			return true
		}
	}
	return false
}

func TestRepoRoot(t *testing.T) {
	g := NewWithT(t)
	root, err := RepoRoot()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(root).To(BeADirectory())
	g.Expect(root + "/go.mod").To(BeARegularFile())
	g.Expect(root + "/hack/envtest-assets.sh").To(BeARegularFile())

	dir, err := CAPICRDDir(t.Context(), root)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dir + "/cluster.x-k8s.io_clusters.yaml").To(BeARegularFile())
}
