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

// Command manager runs the K3s bootstrap provider: the KThreesConfig controller and the webhooks of the
// bootstrap.cluster.x-k8s.io kinds.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/component-base/logs"
	logsv1 "k8s.io/component-base/logs/api/v1"
	_ "k8s.io/component-base/logs/json/register"
	"k8s.io/klog/v2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/feature"
	"sigs.k8s.io/cluster-api/util/flags"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	bootstrapv1beta1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta1"
	bootstrapv1beta2 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta2"
	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/bootstrap/reconcilers/kthreesconfig"
	"github.com/k3s-io/cluster-api-k3s/bootstrap/webhooks"
)

// leaderElectionID is upstream's, so an upstream and a fork manager never run side by side during a swap.
const leaderElectionID = "6b2b21b1.k8s.io"

var (
	scheme   = runtime.NewScheme()
	setupLog = ctrl.Log.WithName("setup")
)

func init() {
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, clusterv1.AddToScheme,
		bootstrapv1beta1.AddToScheme, bootstrapv1beta2.AddToScheme, bootstrapv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
}

// options are the manager's command-line options.
type options struct {
	metricsAddr          string // upstream's plain-HTTP metrics address; prefer --diagnostics-address
	enableLeaderElection bool   // upstream's name of --leader-elect
	leaderElect          bool
	leaseDuration        time.Duration
	renewDeadline        time.Duration
	retryPeriod          time.Duration
	syncPeriod           time.Duration
	concurrency          int // upstream's; overrides --kthreesconfig-concurrency when set
	configConcurrency    int
	kubeAPIQPS           float32
	kubeAPIBurst         int
	healthAddr           string
	watchFilter          string
	watchNamespace       string
	webhookPort          int
	webhookCertDir       string
	webhookCertName      string
	webhookKeyName       string
	profilerAddress      string
	manager              flags.ManagerOptions
	logs                 *logsv1.LoggingConfiguration
}

func (o *options) addFlags(fs *pflag.FlagSet) {
	o.logs = logsv1.NewLoggingConfiguration()
	logsv1.AddFlags(o.logs, fs)
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "Deprecated (upstream): serve plain-HTTP metrics on this address; use --diagnostics-address.")
	fs.BoolVar(&o.enableLeaderElection, "enable-leader-election", false, "Deprecated (upstream): same as --leader-elect.")
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "Enable leader election, so only one manager is active.")
	fs.DurationVar(&o.leaseDuration, "leader-elect-lease-duration", 15*time.Second, "Leader election lease duration.")
	fs.DurationVar(&o.renewDeadline, "leader-elect-renew-deadline", 10*time.Second, "Leader election renew deadline.")
	fs.DurationVar(&o.retryPeriod, "leader-elect-retry-period", 2*time.Second, "Leader election retry period.")
	fs.DurationVar(&o.syncPeriod, "sync-period", 10*time.Minute, "Minimum interval at which watched objects are reconciled.")
	fs.IntVar(&o.concurrency, "concurrency", 0, "Upstream's flag: concurrent reconciles of every controller; overrides --kthreesconfig-concurrency when set.")
	fs.IntVar(&o.configConcurrency, "kthreesconfig-concurrency", 10, "Number of KThreesConfigs reconciled concurrently.")
	fs.Float32Var(&o.kubeAPIQPS, "kube-api-qps", 100, "Maximum queries per second to the management cluster's API server.")
	fs.IntVar(&o.kubeAPIBurst, "kube-api-burst", 200, "Maximum burst of queries to the management cluster's API server.")
	fs.StringVar(&o.healthAddr, "health-addr", ":9440", "Address of the health and readiness probes.")
	fs.StringVar(&o.watchFilter, "watch-filter", "", fmt.Sprintf("Only reconcile objects labelled %s=<value>.", clusterv1.WatchLabel))
	fs.StringVar(&o.watchNamespace, "namespace", "", "Only watch this namespace (default: all).")
	fs.IntVar(&o.webhookPort, "webhook-port", 9443, "Webhook server port.")
	fs.StringVar(&o.webhookCertDir, "webhook-cert-dir", "/tmp/k8s-webhook-server/serving-certs/", "Webhook serving certificate directory.")
	fs.StringVar(&o.webhookCertName, "webhook-cert-name", "tls.crt", "Webhook serving certificate file name.")
	fs.StringVar(&o.webhookKeyName, "webhook-key-name", "tls.key", "Webhook serving key file name.")
	fs.StringVar(&o.profilerAddress, "profiler-address", "", "Serve pprof on this address when set, e.g. localhost:6060.")
	flags.AddManagerOptions(fs, &o.manager)
	feature.MutableGates.AddFlag(fs)
}

func main() {
	o := &options{}
	o.addFlags(pflag.CommandLine)
	pflag.CommandLine.AddGoFlagSet(flag.CommandLine)
	pflag.Parse()
	if err := run(ctrl.SetupSignalHandler(), o); err != nil {
		setupLog.Error(err, "Manager stopped")
		os.Exit(1)
	}
}

func run(ctx context.Context, o *options) error {
	if err := logsv1.ValidateAndApply(o.logs, nil); err != nil {
		return fmt.Errorf("invalid logging options: %w", err)
	}
	ctrl.SetLogger(klog.Background())

	mgrOptions, err := o.managerOptions()
	if err != nil {
		return err
	}
	restConfig := ctrl.GetConfigOrDie()
	restConfig.QPS = o.kubeAPIQPS
	restConfig.Burst = o.kubeAPIBurst
	restConfig.UserAgent = "cluster-api-k3s-bootstrap-manager"
	mgr, err := ctrl.NewManager(restConfig, mgrOptions)
	if err != nil {
		return fmt.Errorf("failed to create the manager: %w", err)
	}
	if err := setup(ctx, mgr, o); err != nil {
		return err
	}
	setupLog.Info("Starting manager")
	return mgr.Start(ctx)
}

func (o *options) managerOptions() (ctrl.Options, error) {
	tlsOptions, metricsOptions, err := flags.GetManagerOptions(o.manager)
	if err != nil {
		return ctrl.Options{}, fmt.Errorf("invalid manager options: %w", err)
	}
	if o.metricsAddr != "" {
		metricsOptions = &metricsserver.Options{BindAddress: o.metricsAddr}
	}
	var watchNamespaces map[string]cache.Config
	if o.watchNamespace != "" {
		watchNamespaces = map[string]cache.Config{o.watchNamespace: {}}
	}
	concurrency := o.configConcurrency
	if o.concurrency > 0 {
		concurrency = o.concurrency
	}
	o.configConcurrency = concurrency
	return ctrl.Options{
		Scheme:                     scheme,
		LeaderElection:             o.leaderElect || o.enableLeaderElection,
		LeaderElectionID:           leaderElectionID,
		LeaseDuration:              &o.leaseDuration,
		RenewDeadline:              &o.renewDeadline,
		RetryPeriod:                &o.retryPeriod,
		LeaderElectionResourceLock: "leases",
		HealthProbeBindAddress:     o.healthAddr,
		PprofBindAddress:           o.profilerAddress,
		Metrics:                    *metricsOptions,
		Cache:                      cache.Options{DefaultNamespaces: watchNamespaces, SyncPeriod: &o.syncPeriod},
		Client: client.Options{Cache: &client.CacheOptions{
			// Secrets and ConfigMaps are read rarely and there are many of them: read them from the API server.
			DisableFor: []client.Object{&corev1.ConfigMap{}, &corev1.Secret{}},
		}},
		Controller: config.Controller{UsePriorityQueue: new(feature.Gates.Enabled(feature.PriorityQueue)), CacheSyncTimeout: 5 * time.Minute},
		WebhookServer: webhook.NewServer(webhook.Options{
			Port: o.webhookPort, CertDir: o.webhookCertDir, CertName: o.webhookCertName, KeyName: o.webhookKeyName, TLSOpts: tlsOptions,
		}),
	}, nil
}

func setup(ctx context.Context, mgr ctrl.Manager, o *options) error {
	if os.Getenv("ENABLE_WEBHOOKS") != "false" {
		for _, s := range []func(ctrl.Manager) error{
			(&webhooks.KThreesConfig{}).SetupWebhookWithManager,
			(&webhooks.KThreesConfigTemplate{}).SetupWebhookWithManager,
		} {
			if err := s(mgr); err != nil {
				return fmt.Errorf("failed to set up webhooks: %w", err)
			}
		}
	}
	if err := (&kthreesconfig.Reconciler{
		Client:           mgr.GetClient(),
		APIReader:        mgr.GetAPIReader(),
		WatchFilterValue: o.watchFilter,
	}).SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: o.configConcurrency}); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("webhook", mgr.GetWebhookServer().StartedChecker()); err != nil {
		return fmt.Errorf("failed to add the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("webhook", mgr.GetWebhookServer().StartedChecker()); err != nil {
		return fmt.Errorf("failed to add the readiness check: %w", err)
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return fmt.Errorf("failed to add the readiness check: %w", err)
	}
	logs.FlushLogs()
	return nil
}
