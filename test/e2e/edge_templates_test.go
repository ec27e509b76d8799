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
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/test/framework/clusterctl"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/node"
)

const (
	// edgePSAPath is where the edge ClusterClass writes the admission configuration.
	edgePSAPath = "/var/lib/rancher/k3s/server/psa.yaml"
	// edgeCipherSuites are the API server's TLS cipher suites of the edge ClusterClass.
	edgeCipherSuites = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384," +
		"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
)

var _ = Describe("Edge templates", func() {
	levels := []string{"restricted", "baseline", "privileged"}
	var (
		namespaces [3]*corev1.Namespace
		results    [3]*clusterctl.ApplyCustomClusterTemplateAndWaitResult
	)
	AfterEach(func(ctx SpecContext) {
		var wg sync.WaitGroup
		for i := range levels {
			if results[i] == nil {
				continue
			}
			wg.Go(func() {
				defer GinkgoRecover()
				deleteCluster(ctx, namespaces[i], results[i].Cluster)
			})
		}
		wg.Wait()
	})

	It("creates a single-node cluster from the release's edge ClusterClass for each Pod Security level, whose node gets the level's admission configuration and the hardened API server arguments", func(ctx SpecContext) {
		from, _ := e2eBackend.k3sVersions()
		var wg sync.WaitGroup
		for i, level := range levels {
			extra := map[string]string{}
			if level == "privileged" && *backendName == "sim" {
				// The simulator boots a read-only, air-gapped install; real nodes would need the binary pre-staged.
				extra = map[string]string{"AIRGAPPED": "true", "K3S_BIN_DIR_READ_ONLY": "true"}
			}
			wg.Go(func() {
				defer GinkgoRecover()
				namespaces[i], results[i] = createCluster(ctx, clusterSpec{flavor: "edge-" + level, release: true,
					controlPlaneCount: 1, version: from, extraVars: extra})
			})
		}
		wg.Wait()
		for i, level := range levels {
			Expect(results[i]).NotTo(BeNil())
			verifyClusterHealthy(ctx, results[i].Cluster)
			By(fmt.Sprintf("Checking the node of the %s cluster %s", level, results[i].Cluster.Name))
			boot := expectEdgeNode(ctx, results[i].Cluster, level)
			airGapped := level == "privileged" && *backendName == "sim"
			Expect(boot.AirGapped).To(Equal(airGapped))
			if airGapped {
				Expect(boot.Commands).To(ContainElement("export INSTALL_K3S_BIN_DIR_READ_ONLY=true"))
			}
		}
	})
})

// expectEdgeNode checks the single control-plane Machine of an edge cluster: its bootstrap data, read as a node
// reads it (the simulator's parser, K3s's config.yaml rules), writes the admission configuration of level and gives
// the K3s server the arguments of the edge ClusterClass; no etcd-proxy runs, and the control plane reports etcd as
// not inspected. It returns the parsed data.
func expectEdgeNode(ctx context.Context, cluster *clusterv1.Cluster, level string) *node.Boot {
	c := e2eBackend.proxy().GetClient()
	machines := &clusterv1.MachineList{}
	Expect(c.List(ctx, machines, client.InNamespace(cluster.Namespace), client.MatchingLabels{
		clusterv1.ClusterNameLabel: cluster.Name, clusterv1.MachineControlPlaneLabel: ""})).To(Succeed())
	Expect(machines.Items).To(HaveLen(1))
	m := machines.Items[0]
	Expect(m.Spec.Bootstrap.DataSecretName).NotTo(BeNil())
	data := &corev1.Secret{}
	Expect(c.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: *m.Spec.Bootstrap.DataSecretName}, data)).To(Succeed())
	boot, err := node.Parse(string(data.Data["format"]), data.Data["value"])
	Expect(err).NotTo(HaveOccurred())
	Expect(boot.Validate()).To(Succeed())

	f, ok := boot.Files[edgePSAPath]
	Expect(ok).To(BeTrue(), "the node writes %s", edgePSAPath)
	Expect(f.Permissions).To(Equal("0600"))
	var psa struct {
		Kind    string `json:"kind"`
		Plugins []struct {
			Name          string `json:"name"`
			Configuration struct {
				Defaults   map[string]string `json:"defaults"`
				Exemptions struct {
					Namespaces []string `json:"namespaces"`
				} `json:"exemptions"`
			} `json:"configuration"`
		} `json:"plugins"`
	}
	Expect(yaml.Unmarshal(f.Content, &psa)).To(Succeed())
	Expect(psa.Kind).To(Equal("AdmissionConfiguration"))
	Expect(psa.Plugins).To(HaveLen(1))
	Expect(psa.Plugins[0].Name).To(Equal("PodSecurity"))
	for _, mode := range []string{"enforce", "audit", "warn"} {
		Expect(psa.Plugins[0].Configuration.Defaults).To(HaveKeyWithValue(mode, level))
	}
	Expect(psa.Plugins[0].Configuration.Exemptions.Namespaces).To(Equal([]string{"kube-system"}))

	Expect(boot.Role).To(Equal(node.RoleServer))
	Expect(boot.EffectiveConfig["kube-apiserver-arg"]).To(ConsistOf("admission-control-config-file="+edgePSAPath,
		"anonymous-auth=false", "tls-cipher-suites="+edgeCipherSuites))
	Expect(boot.EffectiveConfig["kubelet-arg"]).To(ContainElement("pod-manifest-path=/var/lib/rancher/k3s/agent/pod-manifests"))
	Expect(boot.Disable).To(ContainElement("etcd-proxy"))
	Expect(boot.EtcdProxy).To(BeFalse(), "K3s does not deploy the etcd-proxy")

	workload := e2eBackend.proxy().GetWorkloadCluster(ctx, cluster.Namespace, cluster.Name).GetClient()
	pods := &corev1.PodList{}
	Expect(workload.List(ctx, pods, client.InNamespace(metav1.NamespaceSystem), client.MatchingLabels{"app": "etcd-proxy"})).To(Succeed())
	Expect(pods.Items).To(BeEmpty(), "no etcd-proxy pod runs")
	kcp := controlPlaneOf(ctx, c, cluster)
	Expect(conditions.GetReason(kcp, controlplanev1.KThreesControlPlaneEtcdClusterHealthyCondition)).To(
		Equal(controlplanev1.KThreesControlPlaneEtcdClusterNotInspectedReason))
	return boot
}
