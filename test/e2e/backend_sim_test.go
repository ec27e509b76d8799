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
	"path/filepath"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/cluster-api/test/framework"

	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
	"github.com/k3s-io/cluster-api-k3s/internal/test/mgmtplane"
	"github.com/k3s-io/cluster-api-k3s/internal/test/simplane"
)

// simBackend runs everything in the test process: a management plane (API server on 127.0.0.1 with CAPI core and
// this repository's providers) and the K3s infrastructure simulator, whose workload API servers also listen on
// 127.0.0.1.
type simBackend struct {
	plane        *simplane.Plane
	clusterProxy framework.ClusterProxy
}

func newSimBackend(ctx context.Context, artifacts string, logger *logr.Logger) backend {
	plane, err := simplane.Start(ctx, mgmtplane.Options{Logger: logger})
	Expect(err).ToNot(HaveOccurred(), "starting the management plane")
	kubeconfigPath := filepath.Join(artifacts, "management.kubeconfig")
	Expect(plane.WriteKubeconfig(kubeconfigPath)).To(Succeed())
	return &simBackend{plane: plane, clusterProxy: framework.NewClusterProxy("sim", kubeconfigPath, plane.Scheme())}
}

func (b *simBackend) proxy() framework.ClusterProxy { return b.clusterProxy }

func (b *simBackend) clusterTemplate(flavor string, vars map[string]string) ([]byte, error) {
	return simplane.ClusterTemplate(flavor, vars)
}

// releaseClusterTemplate renders the release's template for Docker (CAPD) with the simulator's infrastructure kinds
// in place of CAPD's.
func (b *simBackend) releaseClusterTemplate(flavor string, vars map[string]string) ([]byte, error) {
	root, err := envtest.RepoRoot()
	if err != nil {
		return nil, err
	}
	released, err := simplane.ReleaseTemplate(root, flavor, vars)
	if err != nil {
		return nil, err
	}
	return simplane.ForSimulator(released)
}

func (b *simBackend) k3sVersions() (string, string) { return "v1.33.6+k3s1", "v1.34.5+k3s1" }

func (b *simBackend) restartProviders(ctx context.Context) {
	Expect(b.plane.RestartProviders(ctx)).To(Succeed())
}

func (b *simBackend) teardown(ctx context.Context) {
	b.clusterProxy.Dispose(ctx)
	Expect(b.plane.Stop(ctx)).To(Succeed())
}
