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

	. "github.com/onsi/gomega"
	"sigs.k8s.io/cluster-api/test/framework"
	"sigs.k8s.io/cluster-api/test/framework/bootstrap"
	"sigs.k8s.io/cluster-api/test/framework/clusterctl"
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

func (b *dockerBackend) k3sVersions() (string, string) {
	return b.config.MustGetVariable("KUBERNETES_VERSION"), b.config.MustGetVariable("KUBERNETES_VERSION_UPGRADE_TO")
}

func (b *dockerBackend) teardown(ctx context.Context) {
	if b.clusterProxy != nil {
		b.clusterProxy.Dispose(ctx)
	}
	if b.clusterProvider != nil {
		b.clusterProvider.Dispose(ctx)
	}
}
