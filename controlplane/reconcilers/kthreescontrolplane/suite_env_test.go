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
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	bootstrapwebhooks "github.com/k3s-io/cluster-api-k3s/bootstrap/webhooks"
	"github.com/k3s-io/cluster-api-k3s/controlplane/reconcilers/etcdhook"
	"github.com/k3s-io/cluster-api-k3s/controlplane/webhooks"
	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion"
	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
	"github.com/k3s-io/cluster-api-k3s/internal/test/machinesim"
	"github.com/k3s-io/cluster-api-k3s/pkg/contract"
	"github.com/k3s-io/cluster-api-k3s/pkg/workload"
)

// env runs the API server (management and, through the simulator, workload clusters) and the webhooks. The
// controllers under test run in managers that each test starts and stops (see startControllers), so that tests can
// restart them in the middle of an operation.
var env *envtest.Environment

const contractV1Beta2 = "v1beta2"

func TestMain(m *testing.M) {
	os.Exit(envtest.Run(m, envtest.Options{
		Setup: []func(ctrl.Manager) error{
			(&webhooks.KThreesControlPlane{}).SetupWebhookWithManager,
			(&bootstrapwebhooks.KThreesConfig{}).SetupWebhookWithManager,
			func(mgr ctrl.Manager) error {
				apiconversion.SetAPIVersionGetter(contract.APIVersionGetter(mgr.GetAPIReader()))
				return nil
			},
		},
		CRDs: []*apiextensionsv1.CustomResourceDefinition{
			envtest.InfrastructureCRD("GenericInfrastructureMachineTemplate", map[string]string{"cluster.x-k8s.io/v1beta2": contractV1Beta2}),
			envtest.InfrastructureCRD("GenericInfrastructureMachine", map[string]string{"cluster.x-k8s.io/v1beta2": contractV1Beta2}),
		},
	}, &env))
}

// controllers is a running set of the controllers under test plus the simulator.
type controllers struct {
	cancel       context.CancelFunc
	done         chan struct{}
	clusterCache clustercache.ClusterCache
}

// startControllers starts, in a manager of their own, the KThreesControlPlane and etcd hook controllers with the
// ClusterCache and the K3s simulator; stop it with stopControllers. The reconcilers reach the simulated etcd
// and see each cluster's own Nodes.
func startControllers(t *testing.T, sim *machinesim.Simulator) *controllers {
	t.Helper()
	g := NewWithT(t)
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
		Client:                 client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.ConfigMap{}, &corev1.Secret{}}, Unstructured: true}},
	})
	g.Expect(err).ToNot(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())

	clusterCache, err := clustercache.SetupWithManager(ctx, mgr, clustercache.Options{
		SecretClient: mgr.GetClient(),
		Client:       clustercache.ClientOptions{UserAgent: "kthreescontrolplane-envtest", Cache: clustercache.ClientCacheOptions{DisableFor: []client.Object{&corev1.Secret{}, &corev1.Pod{}}}},
	}, controller.Options{MaxConcurrentReconciles: 5})
	g.Expect(err).ToNot(HaveOccurred())

	r := &Reconciler{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), ClusterCache: clusterCache, EtcdConnector: sim.Etcd,
		workloadCluster: func(_ context.Context, cluster client.ObjectKey) (workload.Cluster, error) {
			return machinesim.ScopedWorkload(env.Client, cluster), nil
		},
	}
	g.Expect(r.SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: 5})).To(Succeed())
	g.Expect((&etcdhook.Reconciler{
		Client: mgr.GetClient(), ClusterCache: clusterCache, EtcdConnector: sim.Etcd, RemovalTimeout: time.Minute,
	}).SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: 5})).To(Succeed())
	g.Expect(sim.SetupWithManager(mgr)).To(Succeed())

	c := &controllers{cancel: cancel, done: make(chan struct{}), clusterCache: clusterCache}
	go func() {
		defer close(c.done)
		if err := mgr.Start(ctx); err != nil {
			t.Errorf("manager stopped with an error: %v", err)
		}
	}()
	g.Expect(mgr.GetCache().WaitForCacheSync(ctx)).To(BeTrue())
	t.Cleanup(c.stop)
	return c
}

// stop stops the controllers and waits for them; calling it again is harmless.
func (c *controllers) stop() {
	c.cancel()
	<-c.done
	// The workload-cluster connections are not the manager's; closing them lets the API server stop promptly.
	c.clusterCache.(interface{ Shutdown() }).Shutdown()
}
