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

package mgmtplane

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/bootstrap/reconcilers/kthreesconfig"
	"github.com/k3s-io/cluster-api-k3s/controlplane/reconcilers/setup"
	"github.com/k3s-io/cluster-api-k3s/internal/manager"
)

// providerManager runs one of this repository's providers in a manager of its own, configured as the provider's
// binary configures it (its cache settings, its own ClusterCache), so that tests can stop and restart the provider
// in the middle of an operation as a Deployment rollout would. The providers' webhooks stay in the plane's main
// manager: its webhook server owns the address the API server calls.
type providerManager struct {
	name         string
	cancel       context.CancelFunc
	done         chan struct{}
	err          error
	clusterCache clustercache.ClusterCache
}

// provider is how one provider's main package sets its manager up.
type provider struct {
	// customize adjusts the manager options as the provider's binary does (internal/manager.Options.Customize).
	customize func(*ctrl.Options)
	// setup registers the controllers; it returns the provider's ClusterCache, if it has one.
	setup func(ctx context.Context, mgr ctrl.Manager) (clustercache.ClusterCache, error)
}

// providers are the bootstrap and control-plane providers, set up as their main packages set them up.
func providers(opts Options) map[string]provider {
	concurrency := opts.Concurrency
	if concurrency == 0 {
		concurrency = 10
	}
	return map[string]provider{
		"bootstrap": {setup: func(ctx context.Context, mgr ctrl.Manager) (clustercache.ClusterCache, error) {
			if err := manager.SetupCRDMigrator(ctx, mgr, nil, &bootstrapv1.KThreesConfig{}, &bootstrapv1.KThreesConfigTemplate{}); err != nil {
				return nil, err
			}
			return nil, (&kthreesconfig.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader()}).
				SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: concurrency})
		}},
		"control-plane": {customize: setup.CustomizeManager, setup: func(ctx context.Context, mgr ctrl.Manager) (clustercache.ClusterCache, error) {
			o := controlPlaneDefaults()
			o.ControlPlaneConcurrency, o.MachineConcurrency = concurrency, concurrency
			o.UserAgent = "cluster-api-k3s-mgmtplane"
			o.ConnectionRetryInterval = opts.ConnectionRetryInterval
			if opts.EtcdRemovalTimeout > 0 {
				o.EtcdMemberRemovalTimeout = opts.EtcdRemovalTimeout
			}
			return setup.Controllers(ctx, mgr, o)
		}},
	}
}

// controlPlaneDefaults are the control-plane controllers' flag defaults.
func controlPlaneDefaults() setup.Options {
	var o setup.Options
	o.AddFlags(pflag.NewFlagSet("control-plane", pflag.PanicOnError))
	return o
}

// startProvider starts a provider's manager on the plane's API server; ctx bounds the wait for its cache.
func startProvider(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, name string, p provider) (*providerManager, error) {
	var flags manager.Options
	flags.AddFlags(pflag.NewFlagSet(name, pflag.PanicOnError))
	flags.Customize = p.customize
	mgrOptions, err := flags.ManagerOptions(scheme, name)
	if err != nil {
		return nil, err
	}
	// Everything else stays the binary's; nothing listens but the API server and the workload clusters.
	mgrOptions.Metrics = metricsserver.Options{BindAddress: "0"}
	mgrOptions.HealthProbeBindAddress = "0"
	mgrOptions.LeaderElection = false
	mgrOptions.Controller.SkipNameValidation = ptr.To(true)
	restConfig := rest.CopyConfig(cfg)
	restConfig.QPS, restConfig.Burst = flags.KubeAPIQPS, flags.KubeAPIBurst
	mgr, err := ctrl.NewManager(restConfig, mgrOptions)
	if err != nil {
		return nil, fmt.Errorf("failed to create the %s provider's manager: %w", name, err)
	}
	mgrCtx, cancel := context.WithCancel(context.Background())
	pm := &providerManager{name: name, cancel: cancel, done: make(chan struct{})}
	if pm.clusterCache, err = p.setup(mgrCtx, mgr); err != nil {
		cancel()
		return nil, fmt.Errorf("failed to set up the %s provider: %w", name, err)
	}
	go func() {
		defer close(pm.done)
		pm.err = mgr.Start(mgrCtx)
	}()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return nil, errors.Join(fmt.Errorf("the %s provider's cache did not sync", name), pm.stop())
	}
	return pm, nil
}

// stop stops the provider's controllers, waits for them and closes its workload-cluster connections.
func (p *providerManager) stop() error {
	p.cancel()
	<-p.done
	if p.clusterCache != nil {
		// The connections are not the manager's; closing them lets the API servers stop promptly.
		p.clusterCache.(interface{ Shutdown() }).Shutdown()
	}
	if p.err != nil {
		return fmt.Errorf("the %s provider's manager failed: %w", p.name, p.err)
	}
	return nil
}

// providerSet is the running providers.
type providerSet struct {
	mu        sync.Mutex
	providers map[string]provider
	// configs are the providers' identities (rbac.go), by provider name.
	configs map[string]*rest.Config
	running []*providerManager
}

// start starts every provider unless they are running.
func (s *providerSet) start(ctx context.Context, scheme *runtime.Scheme) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.running) > 0 {
		return nil
	}
	for name, p := range s.providers {
		pm, err := startProvider(ctx, s.configs[name], scheme, name, p)
		if err != nil {
			return errors.Join(err, s.stopLocked())
		}
		s.running = append(s.running, pm)
	}
	return nil
}

// stop stops every running provider.
func (s *providerSet) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked()
}

func (s *providerSet) stopLocked() error {
	var errs []error
	for _, p := range s.running {
		errs = append(errs, p.stop())
	}
	s.running = nil
	return errors.Join(errs...)
}
