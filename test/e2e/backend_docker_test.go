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
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/cluster-api/test/framework"
	"sigs.k8s.io/cluster-api/test/framework/bootstrap"
	"sigs.k8s.io/cluster-api/test/framework/clusterctl"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
	"github.com/k3s-io/cluster-api-k3s/internal/test/simplane"
)

// dockerBackend runs clusters with real K3s in containers: a kind management cluster with CAPI core, CAPD and this
// repository's providers installed by clusterctl from a local repository (needs a Docker engine).
type dockerBackend struct {
	config               *clusterctl.E2EConfig
	clusterProvider      bootstrap.ClusterProvider
	clusterProxy         framework.ClusterProxy
	clusterctlConfigPath string
}

// newDockerBackend loads the e2e configuration, creates the kind cluster and runs clusterctl init.
func newDockerBackend(ctx context.Context, artifacts, configPath string) backend {
	config := loadE2EConfig(configPath)
	b := &dockerBackend{config: config}
	b.clusterctlConfigPath = clusterctl.CreateRepository(ctx, clusterctl.CreateRepositoryInput{
		E2EConfig:        config,
		RepositoryFolder: filepath.Join(artifacts, "repository"),
	})
	b.clusterProvider = bootstrap.CreateKindBootstrapClusterAndLoadImages(ctx, bootstrap.CreateKindBootstrapClusterAndLoadImagesInput{
		Name:               config.ManagementClusterName,
		RequiresDockerSock: config.HasDockerProvider(),
		Images:             config.Images,
		LogFolder:          filepath.Join(artifacts, "kind"),
	})
	scheme, err := envtest.NewScheme()
	Expect(err).ToNot(HaveOccurred())
	b.clusterProxy = framework.NewClusterProxy("bootstrap", b.clusterProvider.GetKubeconfigPath(), scheme)
	clusterctl.InitManagementClusterAndWatchControllerLogs(ctx, clusterctl.InitManagementClusterAndWatchControllerLogsInput{
		ClusterProxy:            b.clusterProxy,
		ClusterctlConfigPath:    b.clusterctlConfigPath,
		InfrastructureProviders: config.InfrastructureProviders(),
		BootstrapProviders:      []string{"k3s"},
		ControlPlaneProviders:   []string{"k3s"},
		LogFolder:               filepath.Join(artifacts, "clusters", "bootstrap"),
	}, config.GetIntervals("bootstrap", "wait-controllers")...)
	return b
}

// loadE2EConfig reads the e2e configuration like clusterctl.LoadE2EConfig, without its validation, which accepts
// only the kubeadm bootstrap and control-plane providers.
func loadE2EConfig(path string) *clusterctl.E2EConfig {
	data, err := os.ReadFile(path) //nolint:gosec // the path is a test flag
	Expect(err).ToNot(HaveOccurred(), "reading the e2e configuration")
	config := &clusterctl.E2EConfig{}
	Expect(yaml.Unmarshal(data, config)).To(Succeed(), "parsing the e2e configuration")
	config.Defaults()
	config.AbsPaths(filepath.Dir(path))
	return config
}

func (b *dockerBackend) proxy() framework.ClusterProxy { return b.clusterProxy }

func (b *dockerBackend) clusterTemplate(flavor string, vars map[string]string) ([]byte, error) {
	name := "cluster-template.yaml"
	if flavor != "" {
		name = "cluster-template-" + flavor + ".yaml"
	}
	path := filepath.Join("data", "docker", name)
	data, err := os.ReadFile(path) //nolint:gosec // templates of this suite
	if err != nil {
		return nil, err
	}
	return simplane.RenderTemplate(path, data, vars)
}

// releaseClusterTemplate renders the release's template as it is: the release's templates are for CAPD.
func (b *dockerBackend) releaseClusterTemplate(flavor string, vars map[string]string) ([]byte, error) {
	root, err := envtest.RepoRoot()
	if err != nil {
		return nil, err
	}
	return simplane.ReleaseTemplate(root, flavor, vars)
}

func (b *dockerBackend) k3sVersions() (string, string) {
	return b.config.MustGetVariable("KUBERNETES_VERSION"), b.config.MustGetVariable("KUBERNETES_VERSION_UPGRADE_TO")
}

// providerNamespaces are where clusterctl installs this repository's providers (upstream's namespaces).
var providerNamespaces = []string{"capi-k3s-bootstrap-system", "capi-k3s-control-plane-system"}

func (b *dockerBackend) restartProviders(ctx context.Context) {
	c := b.clusterProxy.GetClient()
	restartedAt := time.Now().Format(time.RFC3339)
	for _, ns := range providerNamespaces {
		deployments := &appsv1.DeploymentList{}
		Expect(c.List(ctx, deployments, client.InNamespace(ns))).To(Succeed())
		Expect(deployments.Items).ToNot(BeEmpty(), "provider Deployments in %s", ns)
		for i := range deployments.Items {
			d := &deployments.Items[i]
			patch := client.MergeFrom(d.DeepCopy())
			// What kubectl rollout restart does.
			if d.Spec.Template.Annotations == nil {
				d.Spec.Template.Annotations = map[string]string{}
			}
			d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] = restartedAt
			Expect(c.Patch(ctx, d, patch)).To(Succeed())
			Eventually(func(g Gomega) {
				g.Expect(c.Get(ctx, client.ObjectKeyFromObject(d), d)).To(Succeed())
				want := ptr.Deref(d.Spec.Replicas, 1)
				g.Expect(d.Status.ObservedGeneration).To(BeNumerically(">=", d.Generation))
				g.Expect(d.Status.UpdatedReplicas).To(Equal(want), "updated replicas of %s", d.Name)
				g.Expect(d.Status.AvailableReplicas).To(Equal(want), "available replicas of %s", d.Name)
				g.Expect(d.Status.Replicas).To(Equal(want), "no old replicas of %s left", d.Name)
			}, b.config.GetIntervals("bootstrap", "wait-controllers")...).Should(Succeed())
		}
	}
}

func (b *dockerBackend) teardown(ctx context.Context) {
	if b.clusterProxy != nil {
		b.clusterProxy.Dispose(ctx)
	}
	if b.clusterProvider != nil {
		b.clusterProvider.Dispose(ctx)
	}
}
