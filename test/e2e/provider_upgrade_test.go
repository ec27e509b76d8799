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

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	capie2e "sigs.k8s.io/cluster-api/test/e2e"
	"sigs.k8s.io/cluster-api/test/framework"
	"sigs.k8s.io/cluster-api/test/framework/clusterctl"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The provider-upgrade spec (docker backend): a kind management cluster initialised with upstream's released
// providers (v0.4.0 on CAPI v1.11.5, clusterctl v1.11.5), a K3s workload cluster written against upstream's API,
// then `clusterctl upgrade` to CAPI v1.14 and this repository's providers. CAPI's spec checks the workload cluster's
// objects settle with no Machine rolled out. The simulated counterpart is "Swap from upstream".
var _ = Describe("Provider upgrade from upstream's release", func() {
	// Container bodies run after flag parsing. CAPI's spec cleans up even when skipped, so it is registered only on
	// the docker backend.
	if *backendName != "docker" {
		It("upgrades a management cluster from upstream's v0.4.0 to this repository's providers", func() {
			Skip("installs upstream's released components from GitHub into kind (docker backend); the sim backend's swap spec covers the takeover")
		})
		return
	}

	capie2e.ClusterctlUpgradeSpec(context.TODO(), func() capie2e.ClusterctlUpgradeSpecInput {
		b := e2eBackend.(*dockerBackend)
		return capie2e.ClusterctlUpgradeSpecInput{
			E2EConfig:                       b.config,
			ClusterctlConfigPath:            b.clusterctlConfigPath,
			BootstrapClusterProxy:           b.clusterProxy,
			ArtifactFolder:                  *artifactsFolder,
			SkipCleanup:                     *skipCleanup,
			UseKindForManagementCluster:     true,
			InitWithBinary:                  b.config.MustGetVariable("INIT_WITH_BINARY"),
			InitWithKubernetesVersion:       b.config.MustGetVariable("INIT_WITH_KUBERNETES_VERSION"),
			InitWithCoreProvider:            "cluster-api:v1.11.5",
			InitWithBootstrapProviders:      []string{"k3s:v0.4.0"},
			InitWithControlPlaneProviders:   []string{"k3s:v0.4.0"},
			InitWithInfrastructureProviders: []string{"docker:v1.11.5"},
			WorkloadFlavor:                  "upstream-v0.4",
			WorkloadKubernetesVersion:       b.config.MustGetVariable("KUBERNETES_VERSION"),
			ControlPlaneMachineCount:        ptr.To[int64](3),
			// Before the upgrade only upstream's API versions are served: the waiters read v1beta2.
			ControlPlaneWaiters: clusterctl.ControlPlaneWaiters{
				WaitForControlPlaneInitialized:   waitForUpstreamControlPlane("initialized"),
				WaitForControlPlaneMachinesReady: waitForUpstreamControlPlane("ready replicas"),
			},
			KindManagementClusterNewClusterProxyFunc: func(name, kubeconfigPath string) framework.ClusterProxy {
				return framework.NewClusterProxy(name, kubeconfigPath, b.clusterProxy.GetScheme(), framework.WithMachineLogCollector(framework.DockerLogCollector{}))
			},
		}
	})
})

// upstreamControlPlaneGVK is the KThreesControlPlane at upstream's storage version.
var upstreamControlPlaneGVK = schema.GroupVersionKind{Group: "controlplane.cluster.x-k8s.io", Version: "v1beta2", Kind: "KThreesControlPlane"}

// waitForUpstreamControlPlane waits, reading upstream's v1beta2 status, until the control plane is initialized
// (status.initialized) or until every replica is ready (status.readyReplicas == spec.replicas).
func waitForUpstreamControlPlane(what string) func(context.Context, clusterctl.ApplyCustomClusterTemplateAndWaitInput, *clusterctl.ApplyCustomClusterTemplateAndWaitResult) {
	return func(ctx context.Context, input clusterctl.ApplyCustomClusterTemplateAndWaitInput, result *clusterctl.ApplyCustomClusterTemplateAndWaitResult) {
		Eventually(func(g Gomega) {
			kcp := &unstructured.Unstructured{}
			kcp.SetGroupVersionKind(upstreamControlPlaneGVK)
			key := client.ObjectKey{Namespace: result.Cluster.Namespace, Name: result.Cluster.Spec.ControlPlaneRef.Name}
			g.Expect(input.ClusterProxy.GetClient().Get(ctx, key, kcp)).To(Succeed())
			if what == "initialized" {
				initialized, _, _ := unstructured.NestedBool(kcp.Object, "status", "initialized")
				g.Expect(initialized).To(BeTrue(), "control plane initialized")
				return
			}
			replicas, _, _ := unstructured.NestedInt64(kcp.Object, "spec", "replicas")
			ready, _, _ := unstructured.NestedInt64(kcp.Object, "status", "readyReplicas")
			g.Expect(ready).To(Equal(replicas), "ready replicas")
		}, input.WaitForControlPlaneIntervals...).Should(Succeed())
	}
}
