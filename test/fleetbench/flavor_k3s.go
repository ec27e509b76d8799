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

package fleetbench

import (
	"context"
	"path/filepath"
	"strconv"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inmemoryruntime "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/runtime"

	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
	"github.com/k3s-io/cluster-api-k3s/internal/test/simplane"
	simv1 "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/api/v1beta1"
	simconfig "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/config"
	simcontrollers "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/controllers"
)

// K3sFlavor is this repository's providers on the K3s infrastructure simulator.
type K3sFlavor struct {
	sim     simcontrollers.Simulator
	runtime inmemoryruntime.Manager
}

var _ Flavor = &K3sFlavor{}

// Name implements Flavor.
func (*K3sFlavor) Name() string { return "k3s" }

// AddToScheme implements Flavor: the plane's scheme has this repository's kinds already.
func (*K3sFlavor) AddToScheme(s *runtime.Scheme) error { return simv1.AddToScheme(s) }

// CRDs implements Flavor.
func (*K3sFlavor) CRDs(context.Context) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	return simconfig.CRDs()
}

// WebhookManifests implements Flavor: the plane installs this repository's webhooks already.
func (*K3sFlavor) WebhookManifests(context.Context) (map[string]string, error) { return nil, nil }

// SetupPlane implements Flavor: the simulator; the plane registers this repository's webhooks.
func (f *K3sFlavor) SetupPlane(ctx context.Context, mgr ctrl.Manager, _ Config) error {
	if err := f.sim.SetupWithManager(ctx, mgr, simcontrollers.Options{}); err != nil {
		return err
	}
	rt, err := f.sim.Runtime()
	f.runtime = rt
	return err
}

// Runtime implements Flavor.
func (f *K3sFlavor) Runtime() inmemoryruntime.Manager { return f.runtime }

// ResourceGroup implements Flavor: the K3sSimCluster has the Cluster's name.
func (*K3sFlavor) ResourceGroup(namespace, cluster string) string {
	return simcontrollers.ResourceGroup(client.ObjectKey{Namespace: namespace, Name: cluster})
}

// Providers implements Flavor: the manager binaries of this repository, with the flags of the release manifests
// but for addresses, and the shard's watch filter.
func (*K3sFlavor) Providers() []Provider {
	root, err := envtest.RepoRoot()
	if err != nil {
		root = "."
	}
	common := func(a ProviderArgs) []string {
		args := []string{
			"--metrics-addr=" + a.MetricsAddr, "--profiler-address=" + a.ProfilerAddr, "--health-addr=" + a.HealthAddr,
			"--webhook-port=" + strconv.Itoa(a.WebhookPort), "--webhook-cert-dir=" + a.WebhookCertDir, "--v=0",
		}
		if a.WatchFilter != "" {
			args = append(args, "--watch-filter="+a.WatchFilter)
		}
		if a.Config.Concurrency > 0 {
			args = append(args, "--concurrency="+strconv.Itoa(a.Config.Concurrency))
		}
		return append(args, a.Config.ProviderArgs...)
	}
	return []Provider{
		{
			Name: "bootstrap", Package: "./bootstrap", ClusterRole: filepath.Join(root, "bootstrap/config/rbac/role.yaml"),
			Args: common, Env: []string{"ENABLE_WEBHOOKS=false"},
		},
		{
			Name: "control-plane", Package: "./controlplane", ClusterRole: filepath.Join(root, "controlplane/config/rbac/role.yaml"),
			Args: func(a ProviderArgs) []string {
				return append(common(a),
					"--clustercache-connection-retry-interval="+time.Duration(a.Config.ConnectionRetryInterval).String())
			},
			Env: []string{"ENABLE_WEBHOOKS=false"},
		},
	}
}

// ClusterObjects implements Flavor: the simulator's cluster template (the e2e suite's and the demo's), without the
// MachineDeployment when the shape has no workers.
func (*K3sFlavor) ClusterObjects(namespace, name string, cfg Config) ([]client.Object, error) {
	data, err := simplane.ClusterTemplate("", map[string]string{
		"CLUSTER_NAME":                name,
		"NAMESPACE":                   namespace,
		"CONTROL_PLANE_MACHINE_COUNT": strconv.Itoa(int(cfg.Shape.ControlPlanes)),
		"WORKER_MACHINE_COUNT":        strconv.Itoa(int(cfg.Shape.Workers)),
		"KUBERNETES_VERSION":          cfg.KubernetesVersion,
		"BOOT_DELAY_SECONDS":          strconv.Itoa(int(time.Duration(cfg.BootDelay).Seconds())),
		"NODE_READY_DELAY_SECONDS":    strconv.Itoa(int(time.Duration(cfg.NodeReadyDelay).Seconds())),
	})
	if err != nil {
		return nil, err
	}
	objs, err := simplane.DecodeObjects(data)
	if err != nil {
		return nil, err
	}
	if cfg.Shape.Workers > 0 {
		return objs, nil
	}
	kept := objs[:0]
	for _, o := range objs {
		if o.GetName() == name+"-md-0" {
			continue
		}
		kept = append(kept, o)
	}
	return kept, nil
}

// Shutdown implements Flavor.
func (f *K3sFlavor) Shutdown(ctx context.Context) error { return f.sim.Shutdown(ctx) }
