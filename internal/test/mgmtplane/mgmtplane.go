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

// Package mgmtplane runs a whole Cluster API management plane in the test process: a kube-apiserver and etcd on
// 127.0.0.1 (envtest) with CAPI core's CRDs and webhooks, CAPI core's controllers, this repository's bootstrap and
// control-plane providers (each in a manager of its own, restartable, running as a user that has only the
// provider's generated ClusterRole), and whatever infrastructure provider the
// caller sets up (the K3s simulator in the e2e suite and the demo). Nothing runs in containers; everything comes
// from Go modules.
package mgmtplane

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	addonsv1beta1 "sigs.k8s.io/cluster-api/api/addons/v1beta1"
	addonsv1 "sigs.k8s.io/cluster-api/api/addons/v1beta2"
	clusterv1beta1 "sigs.k8s.io/cluster-api/api/core/v1beta1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ipamv1alpha1 "sigs.k8s.io/cluster-api/api/ipam/v1alpha1"
	ipamv1beta1 "sigs.k8s.io/cluster-api/api/ipam/v1beta1"
	ipamv1 "sigs.k8s.io/cluster-api/api/ipam/v1beta2"
	runtimev1alpha1 "sigs.k8s.io/cluster-api/api/runtime/v1alpha1"
	runtimev1 "sigs.k8s.io/cluster-api/api/runtime/v1beta2"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	"sigs.k8s.io/cluster-api/core/reconcilers/cluster"
	"sigs.k8s.io/cluster-api/core/reconcilers/clusterclass"
	"sigs.k8s.io/cluster-api/core/reconcilers/machine"
	"sigs.k8s.io/cluster-api/core/reconcilers/machinedeployment"
	"sigs.k8s.io/cluster-api/core/reconcilers/machinehealthcheck"
	"sigs.k8s.io/cluster-api/core/reconcilers/machineset"
	topologycluster "sigs.k8s.io/cluster-api/core/reconcilers/topology/cluster"
	topologymachinedeployment "sigs.k8s.io/cluster-api/core/reconcilers/topology/machinedeployment"
	topologymachineset "sigs.k8s.io/cluster-api/core/reconcilers/topology/machineset"
	coresetup "sigs.k8s.io/cluster-api/core/setup"
	coreadmission "sigs.k8s.io/cluster-api/core/webhooks/admission"
	capiconversion "sigs.k8s.io/cluster-api/core/webhooks/conversion"
	"sigs.k8s.io/cluster-api/feature"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	bootstrapwebhooks "github.com/k3s-io/cluster-api-k3s/bootstrap/webhooks"
	controlplanewebhooks "github.com/k3s-io/cluster-api-k3s/controlplane/webhooks"
	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion"
	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
	"github.com/k3s-io/cluster-api-k3s/pkg/contract"
)

// Options configure Start.
type Options struct {
	// AddToScheme registers the infrastructure provider's types.
	AddToScheme []func(*runtime.Scheme) error
	// InfrastructureCRDs are installed next to CAPI's and ours.
	InfrastructureCRDs []*apiextensionsv1.CustomResourceDefinition
	// SetupInfrastructure registers the infrastructure provider's controllers with the manager.
	SetupInfrastructure func(ctx context.Context, mgr ctrl.Manager) error
	// Concurrency of every controller; defaults to 10.
	Concurrency int
	// EtcdRemovalTimeout is the etcd hook controller's --etcd-member-removal-timeout; defaults to 5m.
	EtcdRemovalTimeout time.Duration
	// Logger receives the controllers' logs; defaults to errors on stderr.
	Logger *logr.Logger
	// ExternalProviders leaves this repository's controllers out of the plane: they run elsewhere (as OS
	// processes in the fleet benchmark). Their webhooks are served by the plane either way.
	ExternalProviders bool
	// ConnectionRetryInterval is how soon CAPI core's ClusterCache (and the in-process providers') retries a failed
	// workload-cluster connection; defaults to 2s (CAPI's default is 30s).
	ConnectionRetryInterval time.Duration
	// APIServerFlags and ExtraWebhookManifests are passed to the API server environment (envtest.Options).
	APIServerFlags        map[string]string
	ExtraWebhookManifests map[string]string
}

// defaultConnectionRetryInterval is how soon the ClusterCache retries a failed connection to a workload cluster.
const defaultConnectionRetryInterval = 2 * time.Second

// Plane is a running management plane.
type Plane struct {
	// Env is the API server and the manager running CAPI core, the webhooks and the infrastructure provider.
	Env *envtest.Environment

	providers *providerSet
}

// Start starts the management plane; stop it with Stop. ctx bounds only the start.
func Start(ctx context.Context, opts Options) (*Plane, error) {
	if err := feature.MutableGates.Set(fmt.Sprintf("%s=true", feature.ClusterTopology)); err != nil {
		return nil, fmt.Errorf("failed to enable ClusterClass support: %w", err)
	}
	scheme, err := envtest.NewScheme()
	if err != nil {
		return nil, err
	}
	// CAPI's webhooks also serve conversion of its older API versions and of the addons, runtime and IPAM groups.
	for _, add := range append([]func(*runtime.Scheme) error{
		clusterv1beta1.AddToScheme, addonsv1beta1.AddToScheme, addonsv1.AddToScheme, runtimev1alpha1.AddToScheme, runtimev1.AddToScheme,
		ipamv1alpha1.AddToScheme, ipamv1beta1.AddToScheme, ipamv1.AddToScheme,
	}, opts.AddToScheme...) {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	if opts.ConnectionRetryInterval == 0 {
		opts.ConnectionRetryInterval = defaultConnectionRetryInterval
	}
	concurrency := controller.Options{MaxConcurrentReconciles: opts.Concurrency}
	if concurrency.MaxConcurrentReconciles == 0 {
		concurrency.MaxConcurrentReconciles = 10
	}

	setup := func(mgr ctrl.Manager) error {
		// The manager's Start context: controllers and the ClusterCache run until the plane stops.
		setupCtx := context.Background()
		apiconversion.SetAPIVersionGetter(contract.APIVersionGetter(mgr.GetAPIReader()))
		// CAPI core's converters fill the apiVersion of v1beta1 references from the referenced kind's CRD, as CAPI's
		// main sets it up (a process-wide setting: with more than one plane in a process, the last started answers;
		// all planes install the same CRDs).
		capiconversion.SetAPIVersionGetter(func(ctx context.Context, gk schema.GroupKind) (string, error) {
			return contract.GetAPIVersion(ctx, mgr.GetAPIReader(), gk)
		})
		// One ClusterCache serves CAPI core and our providers, configured as CAPI core configures its own.
		clusterCache, err := clustercache.SetupWithManager(setupCtx, mgr, clustercache.Options{
			SecretClient: mgr.GetClient(),
			Cache:        coresetup.ClusterCacheCacheOptions(),
			Client:       coresetup.ClusterCacheClientOptions("cluster-api-k3s-mgmtplane", 20, 30),
		}, concurrency)
		if err != nil {
			return fmt.Errorf("failed to set up the ClusterCache: %w", err)
		}
		// A workload API server starts a moment after its cluster's kubeconfig exists; CAPI's 30s retry after a
		// failed first connection would dominate every test's time (CAPI offers this setter for tests).
		if c, ok := clusterCache.(interface{ SetConnectionCreationRetryInterval(time.Duration) }); ok {
			c.SetConnectionCreationRetryInterval(opts.ConnectionRetryInterval)
		}
		steps := []func() error{
			func() error { return setupCAPIWebhooks(mgr, clusterCache) },
			func() error { return setupCAPIControllers(setupCtx, mgr, clusterCache, concurrency) },
			func() error { return setupProviderWebhooks(mgr) },
		}
		if opts.SetupInfrastructure != nil {
			steps = append(steps, func() error { return opts.SetupInfrastructure(setupCtx, mgr) })
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	}

	env, err := envtest.New(ctx, envtest.Options{
		Scheme:                scheme,
		CRDs:                  opts.InfrastructureCRDs,
		CAPICoreWebhooks:      true,
		Logger:                opts.Logger,
		APIServerFlags:        opts.APIServerFlags,
		ExtraWebhookManifests: opts.ExtraWebhookManifests,
		Setup:                 []func(ctrl.Manager) error{setup},
		ManagerOptions: func(o *ctrl.Options) {
			o.Client.Cache = &client.CacheOptions{Unstructured: true}
		},
	})
	if err != nil {
		return nil, err
	}
	if opts.ExternalProviders {
		return &Plane{Env: env, providers: &providerSet{}}, nil
	}
	identities, err := providerIdentities(ctx, env)
	if err != nil {
		return nil, errors.Join(err, env.Stop())
	}
	plane := &Plane{Env: env, providers: &providerSet{providers: providers(opts), configs: identities}}
	if err := plane.providers.start(ctx, env.Scheme); err != nil {
		return nil, errors.Join(err, env.Stop())
	}
	return plane, nil
}

// RestartProviders stops this repository's controllers, waits until they stopped, and starts them again, as a
// rollout of the providers' Deployments would; ctx bounds the wait for the new managers' caches.
func (p *Plane) RestartProviders(ctx context.Context) error {
	if err := p.StopProviders(); err != nil {
		return err
	}
	return p.StartProviders(ctx)
}

// StopProviders stops this repository's controllers and waits until they stopped; CAPI core, the webhooks and the
// infrastructure provider keep running (tests prepare objects as other controllers would have left them).
func (p *Plane) StopProviders() error {
	return p.providers.stop()
}

// StartProviders starts this repository's controllers if they are not running; ctx bounds the wait for their
// caches.
func (p *Plane) StartProviders(ctx context.Context) error {
	return p.providers.start(ctx, p.Env.Scheme)
}

// Stop stops the controllers and the API server.
func (p *Plane) Stop() error {
	return errors.Join(p.providers.stop(), p.Env.Stop())
}

// setupCAPIWebhooks registers CAPI core's defaulting and validating webhooks; their builders also register CAPI's
// converters (v1beta1 <-> v1beta2 of the core, addons, IPAM and runtime kinds) on the /convert endpoint that CAPI's
// CRDs point at.
func setupCAPIWebhooks(mgr ctrl.Manager, clusterCache clustercache.ClusterCache) error {
	var errs []error
	for _, w := range []interface{ SetupWebhookWithManager(ctrl.Manager) error }{
		&coreadmission.ClusterClass{Client: mgr.GetClient()},
		&coreadmission.Cluster{Client: mgr.GetClient(), ClusterCacheReader: clusterCache},
		&coreadmission.Machine{},
		&coreadmission.MachineSet{},
		&coreadmission.MachineDeployment{},
		&coreadmission.MachineDrainRule{},
		&coreadmission.MachinePool{},
		&coreadmission.ClusterResourceSet{},
		&coreadmission.ClusterResourceSetBinding{},
		&coreadmission.MachineHealthCheck{},
		&coreadmission.ExtensionConfig{},
		&coreadmission.IPAddress{Client: mgr.GetClient()},
		&coreadmission.IPAddressClaim{},
	} {
		if err := w.SetupWebhookWithManager(mgr); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("failed to set up CAPI's webhooks: %w", err)
	}
	return nil
}

// setupCAPIControllers registers the CAPI core controllers a K3s cluster needs: Cluster, Machine, MachineSet,
// MachineDeployment, MachineHealthCheck and ClusterClass/topology.
func setupCAPIControllers(ctx context.Context, mgr ctrl.Manager, clusterCache clustercache.ClusterCache, options controller.Options) error {
	c, r := mgr.GetClient(), mgr.GetAPIReader()
	for name, s := range map[string]func() error{
		"Cluster": func() error {
			return (&cluster.Reconciler{Client: c, APIReader: r, ClusterCache: clusterCache, RemoteConnectionGracePeriod: 5 * time.Minute}).SetupWithManager(ctx, mgr, options)
		},
		"Machine": func() error {
			return (&machine.Reconciler{Client: c, APIReader: r, ClusterCache: clusterCache, RemoteConditionsGracePeriod: 5 * time.Minute}).SetupWithManager(ctx, mgr, options)
		},
		"MachineSet": func() error {
			return (&machineset.Reconciler{Client: c, APIReader: r, ClusterCache: clusterCache,
				PreflightChecks: sets.New[clusterv1.MachineSetPreflightCheck]()}).SetupWithManager(ctx, mgr, options)
		},
		"MachineDeployment": func() error {
			return (&machinedeployment.Reconciler{Client: c, APIReader: r}).SetupWithManager(ctx, mgr, options)
		},
		"MachineHealthCheck": func() error {
			return (&machinehealthcheck.Reconciler{Client: c, ClusterCache: clusterCache}).SetupWithManager(ctx, mgr, options)
		},
		"ClusterClass": func() error {
			return (&clusterclass.Reconciler{Client: c}).SetupWithManager(ctx, mgr, options)
		},
		"ClusterTopology": func() error {
			return (&topologycluster.Reconciler{Client: c, APIReader: r, ClusterCache: clusterCache}).SetupWithManager(ctx, mgr, options)
		},
		"MachineDeploymentTopology": func() error {
			return (&topologymachinedeployment.Reconciler{Client: c, APIReader: r}).SetupWithManager(ctx, mgr, options)
		},
		"MachineSetTopology": func() error {
			return (&topologymachineset.Reconciler{Client: c, APIReader: r}).SetupWithManager(ctx, mgr, options)
		},
	} {
		if err := s(); err != nil {
			return fmt.Errorf("failed to set up CAPI's %s controller: %w", name, err)
		}
	}
	return nil
}

// setupProviderWebhooks registers this repository's webhooks; the providers' controllers run in managers of their
// own (providers.go).
func setupProviderWebhooks(mgr ctrl.Manager) error {
	for _, w := range []func(ctrl.Manager) error{
		(&bootstrapwebhooks.KThreesConfig{}).SetupWebhookWithManager,
		(&bootstrapwebhooks.KThreesConfigTemplate{}).SetupWebhookWithManager,
		(&controlplanewebhooks.KThreesControlPlane{}).SetupWebhookWithManager,
		(&controlplanewebhooks.KThreesControlPlaneTemplate{}).SetupWebhookWithManager,
	} {
		if err := w(mgr); err != nil {
			return fmt.Errorf("failed to set up our webhooks: %w", err)
		}
	}
	return nil
}
