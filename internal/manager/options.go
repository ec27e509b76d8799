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

package manager

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	logsv1 "k8s.io/component-base/logs/api/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/feature"
	"sigs.k8s.io/cluster-api/util/flags"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

// Options are the command-line options every manager of this project has.
type Options struct {
	MetricsAddr          string // upstream's plain-HTTP metrics address; prefer --diagnostics-address
	EnableLeaderElection bool   // upstream's name of --leader-elect
	LeaderElect          bool
	LeaseDuration        time.Duration
	RenewDeadline        time.Duration
	RetryPeriod          time.Duration
	SyncPeriod           time.Duration
	Concurrency          int // upstream's; when set it overrides every controller's concurrency flag
	KubeAPIQPS           float32
	KubeAPIBurst         int
	HealthAddr           string
	WatchFilter          string
	WatchNamespace       string
	WebhookPort          int
	WebhookCertDir       string
	WebhookCertName      string
	WebhookKeyName       string
	ProfilerAddress      string
	Manager              flags.ManagerOptions
	Logs                 *logsv1.LoggingConfiguration
	ShowVersion          bool // --version: print the build information and exit
	// SkipCRDMigrationPhases are CAPI's CRD migration phases not to run (StorageVersionMigration, CleanupManagedFields).
	SkipCRDMigrationPhases []string

	// Customize, when set, adjusts the manager options built from the flags (e.g. provider-specific cache
	// settings). It is not a flag.
	Customize func(*ctrl.Options)
}

// AddFlags registers the options on fs.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	o.Logs = logsv1.NewLoggingConfiguration()
	logsv1.AddFlags(o.Logs, fs)
	fs.StringVar(&o.MetricsAddr, "metrics-addr", "", "Deprecated (upstream): serve plain-HTTP metrics on this address; use --diagnostics-address.")
	fs.BoolVar(&o.EnableLeaderElection, "enable-leader-election", false, "Deprecated (upstream): same as --leader-elect.")
	fs.BoolVar(&o.LeaderElect, "leader-elect", false, "Enable leader election, so only one manager is active.")
	fs.DurationVar(&o.LeaseDuration, "leader-elect-lease-duration", 15*time.Second, "Leader election lease duration.")
	fs.DurationVar(&o.RenewDeadline, "leader-elect-renew-deadline", 10*time.Second, "Leader election renew deadline.")
	fs.DurationVar(&o.RetryPeriod, "leader-elect-retry-period", 2*time.Second, "Leader election retry period.")
	fs.DurationVar(&o.SyncPeriod, "sync-period", 10*time.Minute, "Minimum interval at which watched objects are reconciled.")
	fs.IntVar(&o.Concurrency, "concurrency", 0, "Upstream's flag: concurrent reconciles of every controller; overrides the per-controller concurrency flags when set.")
	fs.Float32Var(&o.KubeAPIQPS, "kube-api-qps", 100, "Maximum queries per second to the management cluster's API server.")
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", 200, "Maximum burst of queries to the management cluster's API server.")
	fs.StringVar(&o.HealthAddr, "health-addr", ":9440", "Address of the health and readiness probes.")
	fs.StringVar(&o.WatchFilter, "watch-filter", "", fmt.Sprintf("Only reconcile objects labelled %s=<value>.", clusterv1.WatchLabel))
	fs.StringVar(&o.WatchNamespace, "namespace", "", "Only watch this namespace (default: all).")
	fs.IntVar(&o.WebhookPort, "webhook-port", 9443, "Webhook server port.")
	fs.StringVar(&o.WebhookCertDir, "webhook-cert-dir", "/tmp/k8s-webhook-server/serving-certs/", "Webhook serving certificate directory.")
	fs.StringVar(&o.WebhookCertName, "webhook-cert-name", "tls.crt", "Webhook serving certificate file name.")
	fs.StringVar(&o.WebhookKeyName, "webhook-key-name", "tls.key", "Webhook serving key file name.")
	fs.BoolVar(&o.ShowVersion, "version", false, "Print the version and exit.")
	fs.StringSliceVar(&o.SkipCRDMigrationPhases, "skip-crd-migration-phases", nil,
		"CRD migration phases to skip: StorageVersionMigration (rewrite objects at the storage version after an upgrade), CleanupManagedFields.")
	fs.StringVar(&o.ProfilerAddress, "profiler-address", "", "Serve pprof on this address when set, e.g. localhost:6060.")
	flags.AddManagerOptions(fs, &o.Manager)
	feature.MutableGates.AddFlag(fs)
}

// ConcurrencyOr returns upstream's --concurrency when it was set, else the per-controller value.
func (o *Options) ConcurrencyOr(perController int) int {
	if o.Concurrency > 0 {
		return o.Concurrency
	}
	return perController
}

// ManagerOptions builds the controller-runtime manager options. Secrets and ConfigMaps are read from the API server
// (there are many and they are read rarely), the cache holds objects without managed fields (NewCache);
// leaderElectionID is per provider.
func (o *Options) ManagerOptions(scheme *runtime.Scheme, leaderElectionID string) (ctrl.Options, error) {
	tlsOptions, metricsOptions, err := flags.GetManagerOptions(o.Manager)
	if err != nil {
		return ctrl.Options{}, fmt.Errorf("invalid manager options: %w", err)
	}
	if o.MetricsAddr != "" {
		metricsOptions = &metricsserver.Options{BindAddress: o.MetricsAddr}
	}
	var watchNamespaces map[string]cache.Config
	if o.WatchNamespace != "" {
		watchNamespaces = map[string]cache.Config{o.WatchNamespace: {}}
	}
	opts := ctrl.Options{
		Scheme:                     scheme,
		LeaderElection:             o.LeaderElect || o.EnableLeaderElection,
		LeaderElectionID:           leaderElectionID,
		LeaseDuration:              &o.LeaseDuration,
		RenewDeadline:              &o.RenewDeadline,
		RetryPeriod:                &o.RetryPeriod,
		LeaderElectionResourceLock: "leases",
		HealthProbeBindAddress:     o.HealthAddr,
		PprofBindAddress:           o.ProfilerAddress,
		Metrics:                    *metricsOptions,
		Cache:                      cache.Options{DefaultNamespaces: watchNamespaces, SyncPeriod: &o.SyncPeriod},
		NewCache:                   NewCache,
		Client: client.Options{Cache: &client.CacheOptions{
			DisableFor: []client.Object{&corev1.ConfigMap{}, &corev1.Secret{}},
		}},
		Controller: config.Controller{UsePriorityQueue: new(feature.Gates.Enabled(feature.PriorityQueue)), CacheSyncTimeout: 5 * time.Minute},
		WebhookServer: webhook.NewServer(webhook.Options{
			Port: o.WebhookPort, CertDir: o.WebhookCertDir, CertName: o.WebhookCertName, KeyName: o.WebhookKeyName, TLSOpts: tlsOptions,
		}),
	}
	if o.Customize != nil {
		o.Customize(&opts)
	}
	return opts, nil
}
