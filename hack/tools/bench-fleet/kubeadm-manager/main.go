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

// Command kubeadm-manager runs one of Cluster API's kubeadm providers as an OS process of its own, for the fleet
// benchmark's peer flavor: the KubeadmControlPlane controller (--provider=control-plane) or the kubeadm bootstrap
// controller, CABPK (--provider=bootstrap). The controllers are CAPI's own (its public reconcilers packages), set up
// as CAPI's manager binaries set them up for production: the manager cache and client options of the providers'
// setup packages, a Secret caching client, a ClusterCache with CAPI's cache, client and health-check defaults, CAPI's
// CRD migrator on the provider's kinds, the priority queue as CAPI's feature gates say, and CAPI's flag defaults.
//
// What differs from CAPI's binaries: no webhook server (the benchmark's management plane serves the providers'
// admission webhooks), no leader election, metrics over plain HTTP on --metrics-bind-addr, log verbosity 0, and
// --clustercache-connection-retry-interval, which sets the ClusterCache's retry after a failed workload-cluster
// connection through the setter CAPI offers for tests (CAPI's default, 30s, is the flag's default).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"
	"go.etcd.io/etcd/client/pkg/v3/logutil"
	"go.uber.org/zap/zapcore"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/component-base/logs"
	logsv1 "k8s.io/component-base/logs/api/v1"
	_ "k8s.io/component-base/logs/json/register"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/healthz"

	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	runtimev1 "sigs.k8s.io/cluster-api/api/runtime/v1beta2"
	"sigs.k8s.io/cluster-api/bootstrap/kubeadm/reconcilers/kubeadmconfig"
	bootstrapsetup "sigs.k8s.io/cluster-api/bootstrap/kubeadm/setup"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	"sigs.k8s.io/cluster-api/controllers/crdmigrator"
	"sigs.k8s.io/cluster-api/controlplane/kubeadm/pkg/etcd"
	"sigs.k8s.io/cluster-api/controlplane/kubeadm/reconcilers/kubeadmcontrolplane"
	controlplanesetup "sigs.k8s.io/cluster-api/controlplane/kubeadm/setup"
	"sigs.k8s.io/cluster-api/feature"
	"sigs.k8s.io/cluster-api/util/apiwarnings"
	"sigs.k8s.io/cluster-api/util/flags"
)

// The values of --provider.
const (
	providerControlPlane = "control-plane"
	providerBootstrap    = "bootstrap"
)

// CAPI's defaults for the flags of its kubeadm managers.
const (
	defaultControllerConcurrency   = 100 // --kubeadmcontrolplane-concurrency and --kubeadmconfig-concurrency
	defaultClusterCacheConcurrency = 100
	defaultSyncPeriod              = 10 * time.Minute
	defaultKubeAPIQPS              = 100
	defaultKubeAPIBurst            = 200
	defaultClusterCacheClientQPS   = 20
	defaultClusterCacheClientBurst = 30
	defaultConnectionRetryInterval = 30 * time.Second // the ClusterCache's ConnectionCreationRetryInterval
	defaultRemoteConditionsGrace   = 5 * time.Minute
	defaultEtcdDialTimeout         = 10 * time.Second
	// cacheSyncTimeout is what CAPI's managers give the caches to sync at start-up.
	cacheSyncTimeout = 5 * time.Minute
	// kcpReconciliationTimeout is what CAPI's KCP manager gives one KubeadmControlPlane reconcile (it talks to every
	// etcd member).
	kcpReconciliationTimeout = 3 * time.Minute
)

// options are the flags.
type options struct {
	provider                    string
	concurrency                 int
	kcpConcurrency              int
	kubeadmConfigConcurrency    int
	clusterCacheConcurrency     int
	watchFilter                 string
	watchNamespace              string
	metricsAddr                 string
	profilerAddr                string
	healthAddr                  string
	kubeAPIQPS                  float32
	kubeAPIBurst                int
	clusterCacheClientQPS       float32
	clusterCacheClientBurst     int
	connectionRetryInterval     time.Duration
	syncPeriod                  time.Duration
	skipCRDMigrationPhases      []string
	remoteConditionsGracePeriod time.Duration
	etcdDialTimeout             time.Duration
	etcdCallTimeout             time.Duration
	etcdLogLevel                string
	tokenTTL                    time.Duration
	logs                        *logs.Options
}

func (o *options) addFlags(fs *pflag.FlagSet) {
	o.logs = logs.NewOptions()
	logsv1.AddFlags(o.logs, fs)
	fs.StringVar(&o.provider, "provider", "",
		fmt.Sprintf("The provider to run: %q (KubeadmControlPlane) or %q (kubeadm bootstrap, CABPK).", providerControlPlane, providerBootstrap))
	fs.IntVar(&o.concurrency, "concurrency", 0,
		"Concurrent reconciles of the provider's main controller (KubeadmControlPlane or KubeadmConfig); 0 keeps the per-controller flag.")
	fs.IntVar(&o.kcpConcurrency, "kubeadmcontrolplane-concurrency", defaultControllerConcurrency,
		"Number of kubeadm control planes to process simultaneously (control-plane).")
	fs.IntVar(&o.kubeadmConfigConcurrency, "kubeadmconfig-concurrency", defaultControllerConcurrency,
		"Number of kubeadm configs to process simultaneously (bootstrap).")
	fs.IntVar(&o.clusterCacheConcurrency, "clustercache-concurrency", defaultClusterCacheConcurrency,
		"Number of clusters to process simultaneously.")
	fs.StringVar(&o.watchFilter, "watch-filter", "",
		fmt.Sprintf("Only reconcile objects labelled %s=<value>.", clusterv1.WatchLabel))
	fs.StringVar(&o.watchNamespace, "namespace", "", "Only watch this namespace (default: all).")
	fs.StringVar(&o.metricsAddr, "metrics-bind-addr", "0",
		"Serve Prometheus metrics over plain HTTP on this address (e.g. 127.0.0.1:8080); 0 disables them.")
	fs.StringVar(&o.profilerAddr, "profiler-address", "", "Serve pprof on this address (e.g. 127.0.0.1:6060) when set.")
	fs.StringVar(&o.healthAddr, "health-addr", ":9440", "The address the health endpoint binds to; 0 disables it.")
	fs.Float32Var(&o.kubeAPIQPS, "kube-api-qps", defaultKubeAPIQPS,
		"Maximum queries per second from the controller client to the Kubernetes API server.")
	fs.IntVar(&o.kubeAPIBurst, "kube-api-burst", defaultKubeAPIBurst,
		"Maximum burst of queries from the controller client to the Kubernetes API server.")
	fs.Float32Var(&o.clusterCacheClientQPS, "clustercache-client-qps", defaultClusterCacheClientQPS,
		"Maximum queries per second from the cluster cache clients to the API server of each workload cluster.")
	fs.IntVar(&o.clusterCacheClientBurst, "clustercache-client-burst", defaultClusterCacheClientBurst,
		"Maximum burst of queries from the cluster cache clients to the API server of each workload cluster.")
	fs.DurationVar(&o.connectionRetryInterval, "clustercache-connection-retry-interval", defaultConnectionRetryInterval,
		"How soon the ClusterCache retries a failed workload-cluster connection (CAPI's default is 30s); 0 keeps CAPI's.")
	fs.DurationVar(&o.syncPeriod, "sync-period", defaultSyncPeriod,
		"The minimum interval at which watched resources are reconciled.")
	fs.StringSliceVar(&o.skipCRDMigrationPhases, "skip-crd-migration-phases", nil,
		"CRD migration phases to skip: StorageVersionMigration, CleanupManagedFields.")
	fs.DurationVar(&o.remoteConditionsGracePeriod, "remote-conditions-grace-period", defaultRemoteConditionsGrace,
		"Grace period after which remote conditions turn Unknown (control-plane; at least 2m).")
	fs.DurationVar(&o.etcdDialTimeout, "etcd-dial-timeout-duration", defaultEtcdDialTimeout,
		"How long the etcd client waits at most to connect to etcd (control-plane).")
	fs.DurationVar(&o.etcdCallTimeout, "etcd-call-timeout-duration", etcd.DefaultCallTimeout,
		"How long the etcd client waits at most for etcd reads and writes (control-plane).")
	fs.StringVar(&o.etcdLogLevel, "etcd-client-log-level", zapcore.InfoLevel.String(),
		"Log level of the etcd client: debug, info, warn, error, dpanic, panic, fatal (control-plane).")
	fs.DurationVar(&o.tokenTTL, "bootstrap-token-ttl", kubeadmconfig.DefaultTokenTTL,
		"How long a bootstrap token (and therefore a KubeadmConfig) is valid (bootstrap).")
	feature.MutableGates.AddFlag(fs)
}

// userAgent identifies the process to the management and workload API servers.
func (o *options) userAgent() string {
	return "kubeadm-" + o.provider + "-manager"
}

func main() {
	o := &options{}
	o.addFlags(pflag.CommandLine)
	pflag.CommandLine.SetNormalizeFunc(cliflag.WordSepNormalizeFunc)
	// controller-runtime's --kubeconfig.
	pflag.CommandLine.AddGoFlagSet(flag.CommandLine)
	pflag.Parse()
	if err := run(ctrl.SetupSignalHandler(), o); err != nil {
		klog.Flush()
		fmt.Fprintln(os.Stderr, "kubeadm-manager:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o *options) error {
	if o.provider != providerControlPlane && o.provider != providerBootstrap {
		return fmt.Errorf("--provider must be %q or %q, got %q", providerControlPlane, providerBootstrap, o.provider)
	}
	if err := logsv1.ValidateAndApply(o.logs, nil); err != nil {
		return fmt.Errorf("invalid logging flags: %w", err)
	}
	ctrl.SetLogger(klog.Background())
	if feature.Gates.Enabled(feature.InPlaceUpdates) {
		// In-place updates need CAPI's Runtime SDK client, which only CAPI's internal packages build.
		return errors.New("the InPlaceUpdates feature gate is not supported by this binary")
	}

	scheme, err := newScheme(o.provider)
	if err != nil {
		return err
	}
	restConfig, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("failed to load the management cluster kubeconfig: %w", err)
	}
	restConfig.QPS = o.kubeAPIQPS
	restConfig.Burst = o.kubeAPIBurst
	restConfig.UserAgent = o.userAgent()
	restConfig.WarningHandler = apiwarnings.DefaultHandler(klog.Background().WithName("API Server Warning"))

	// CAPI's diagnostics options with insecure serving: plain-HTTP metrics, no authentication.
	_, metricsOptions, err := flags.GetManagerOptions(flags.ManagerOptions{
		TLSMinVersion: "VersionTLS12", DiagnosticsAddress: o.metricsAddr, InsecureDiagnostics: true,
	})
	if err != nil {
		return fmt.Errorf("invalid metrics options: %w", err)
	}
	mgrOptions := ctrl.Options{
		Scheme: scheme,
		Controller: config.Controller{
			UsePriorityQueue: ptr.To(feature.Gates.Enabled(feature.PriorityQueue)),
			CacheSyncTimeout: cacheSyncTimeout,
		},
		LeaderElection:         false,
		HealthProbeBindAddress: o.healthAddr,
		PprofBindAddress:       o.profilerAddr,
		Metrics:                *metricsOptions,
	}
	if o.provider == providerControlPlane {
		mgrOptions.Cache = controlplanesetup.ManagerCacheOptions(scheme, o.userAgent(), o.watchNamespace, o.syncPeriod)
		mgrOptions.Client = controlplanesetup.ManagerClientOptions()
	} else {
		mgrOptions.Cache = bootstrapsetup.ManagerCacheOptions(scheme, o.userAgent(), o.watchNamespace, o.syncPeriod)
		mgrOptions.Client = bootstrapsetup.ManagerClientOptions()
	}
	mgr, err := ctrl.NewManager(restConfig, mgrOptions)
	if err != nil {
		return fmt.Errorf("failed to create the manager: %w", err)
	}
	// CAPI's managers check their webhook server; this one has none.
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return fmt.Errorf("failed to add the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return fmt.Errorf("failed to add the readiness check: %w", err)
	}

	if o.provider == providerControlPlane {
		err = setupControlPlane(ctx, mgr, o)
	} else {
		err = setupBootstrap(ctx, mgr, o)
	}
	if err != nil {
		return err
	}
	ctrl.Log.WithName("setup").Info("Starting manager", "provider", o.provider)
	return mgr.Start(ctx)
}

// newScheme holds the types CAPI's manager of the provider registers, without the older API versions that only its
// conversion webhooks need.
func newScheme(provider string) (*runtime.Scheme, error) {
	adds := []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, clusterv1.AddToScheme, bootstrapv1.AddToScheme,
	}
	if provider == providerControlPlane {
		adds = append(adds, controlplanev1.AddToScheme, runtimev1.AddToScheme)
	}
	scheme := runtime.NewScheme()
	for _, add := range adds {
		if err := add(scheme); err != nil {
			return nil, fmt.Errorf("failed to build the scheme: %w", err)
		}
	}
	return scheme, nil
}

// clusterCacheSetup are the provider's ClusterCache options and its setup package's Secret caching client.
type clusterCacheSetup struct {
	cache               clustercache.CacheOptions
	client              clustercache.ClientOptions
	secretCachingClient func(ctrl.Manager) (client.Client, error)
}

// setupClusterCache creates the Secret caching client and the ClusterCache as CAPI's kubeadm managers do.
func setupClusterCache(ctx context.Context, mgr ctrl.Manager, o *options, cc clusterCacheSetup) (client.Client, clustercache.ClusterCache, error) {
	secretCachingClient, err := cc.secretCachingClient(mgr)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to create the secret caching client: %w", err)
	}
	clusterCache, err := clustercache.SetupWithManager(ctx, mgr, clustercache.Options{
		SecretClient:     secretCachingClient,
		Cache:            cc.cache,
		Client:           cc.client,
		WatchFilterValue: o.watchFilter,
	}, controller.Options{MaxConcurrentReconciles: o.clusterCacheConcurrency})
	if err != nil {
		return nil, nil, fmt.Errorf("failed to create the ClusterCache: %w", err)
	}
	if o.connectionRetryInterval > 0 {
		setter, ok := clusterCache.(interface{ SetConnectionCreationRetryInterval(time.Duration) })
		if !ok {
			return nil, nil, fmt.Errorf("the ClusterCache (%T) cannot set its connection retry interval", clusterCache)
		}
		setter.SetConnectionCreationRetryInterval(o.connectionRetryInterval)
	}
	return secretCachingClient, clusterCache, nil
}

// setupCRDMigrator runs CAPI's CRD migrator on the provider's kinds, with concurrency 1 as CAPI's managers do.
func setupCRDMigrator(ctx context.Context, mgr ctrl.Manager, o *options, kinds map[client.Object]crdmigrator.ByObjectConfig) error {
	skip := make([]crdmigrator.Phase, 0, len(o.skipCRDMigrationPhases))
	for _, p := range o.skipCRDMigrationPhases {
		skip = append(skip, crdmigrator.Phase(p))
	}
	if err := (&crdmigrator.CRDMigrator{
		Client:                 mgr.GetClient(),
		APIReader:              mgr.GetAPIReader(),
		SkipCRDMigrationPhases: skip,
		Config:                 kinds,
	}).SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: 1}); err != nil {
		return fmt.Errorf("failed to set up the CRD migrator: %w", err)
	}
	return nil
}

// concurrencyOr is --concurrency when set, else the per-controller flag.
func (o *options) concurrencyOr(perController int) int {
	if o.concurrency > 0 {
		return o.concurrency
	}
	return perController
}

func setupControlPlane(ctx context.Context, mgr ctrl.Manager, o *options) error {
	if o.remoteConditionsGracePeriod < 2*time.Minute {
		return fmt.Errorf("--remote-conditions-grace-period must be at least 2m, got %s", o.remoteConditionsGracePeriod)
	}
	secretCachingClient, clusterCache, err := setupClusterCache(ctx, mgr, o, clusterCacheSetup{
		cache:               controlplanesetup.ClusterCacheCacheOptions(),
		client:              controlplanesetup.ClusterCacheClientOptions(o.userAgent(), o.clusterCacheClientQPS, o.clusterCacheClientBurst),
		secretCachingClient: controlplanesetup.CreateSecretCachingClient,
	})
	if err != nil {
		return err
	}
	if err := setupCRDMigrator(ctx, mgr, o, map[client.Object]crdmigrator.ByObjectConfig{
		&controlplanev1.KubeadmControlPlane{}:         {UseCache: false, UseStatusForStorageVersionMigration: true},
		&controlplanev1.KubeadmControlPlaneTemplate{}: {UseCache: false},
	}); err != nil {
		return err
	}
	level, err := zapcore.ParseLevel(o.etcdLogLevel)
	if err != nil {
		return fmt.Errorf("invalid --etcd-client-log-level: %w", err)
	}
	etcdLogger, err := logutil.CreateDefaultZapLogger(level)
	if err != nil {
		return fmt.Errorf("failed to create the etcd client logger: %w", err)
	}
	if err := (&kubeadmcontrolplane.Reconciler{
		Client:                      mgr.GetClient(),
		APIReader:                   mgr.GetAPIReader(),
		SecretCachingClient:         secretCachingClient,
		ClusterCache:                clusterCache,
		WatchFilterValue:            o.watchFilter,
		EtcdDialTimeout:             o.etcdDialTimeout,
		EtcdCallTimeout:             o.etcdCallTimeout,
		EtcdLogger:                  etcdLogger,
		RemoteConditionsGracePeriod: o.remoteConditionsGracePeriod,
	}).SetupWithManager(ctx, mgr, controller.Options{
		MaxConcurrentReconciles: o.concurrencyOr(o.kcpConcurrency),
		ReconciliationTimeout:   kcpReconciliationTimeout,
	}); err != nil {
		return fmt.Errorf("failed to set up the KubeadmControlPlane controller: %w", err)
	}
	return nil
}

func setupBootstrap(ctx context.Context, mgr ctrl.Manager, o *options) error {
	secretCachingClient, clusterCache, err := setupClusterCache(ctx, mgr, o, clusterCacheSetup{
		cache:               bootstrapsetup.ClusterCacheCacheOptions(),
		client:              bootstrapsetup.ClusterCacheClientOptions(o.userAgent(), o.clusterCacheClientQPS, o.clusterCacheClientBurst),
		secretCachingClient: bootstrapsetup.CreateSecretCachingClient,
	})
	if err != nil {
		return err
	}
	if err := setupCRDMigrator(ctx, mgr, o, map[client.Object]crdmigrator.ByObjectConfig{
		&bootstrapv1.KubeadmConfig{}:         {UseCache: false, UseStatusForStorageVersionMigration: true},
		&bootstrapv1.KubeadmConfigTemplate{}: {UseCache: false},
	}); err != nil {
		return err
	}
	if err := (&kubeadmconfig.Reconciler{
		Client:              mgr.GetClient(),
		SecretCachingClient: secretCachingClient,
		APIReader:           mgr.GetAPIReader(),
		ClusterCache:        clusterCache,
		WatchFilterValue:    o.watchFilter,
		TokenTTL:            o.tokenTTL,
	}).SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: o.concurrencyOr(o.kubeadmConfigConcurrency)}); err != nil {
		return fmt.Errorf("failed to set up the KubeadmConfig controller: %w", err)
	}
	return nil
}
