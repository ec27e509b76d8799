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

// Package setup wires the control-plane provider's controllers into a manager: the manager's cache settings, CAPI's
// CRD migrator, the ClusterCache for workload clusters, the KThreesControlPlane controller and the etcd
// pre-terminate hook controller. The manager binary and the in-process management plane of the e2e suite and the demo share it, so
// tests run the production wiring.
package setup

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	"sigs.k8s.io/cluster-api/controllers/remote"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlcache "sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/controlplane/reconcilers/etcdhook"
	"github.com/k3s-io/cluster-api-k3s/controlplane/reconcilers/kthreescontrolplane"
	"github.com/k3s-io/cluster-api-k3s/internal/manager"
	"github.com/k3s-io/cluster-api-k3s/internal/secretcache"
	"github.com/k3s-io/cluster-api-k3s/pkg/certs"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
)

// Options are the control-plane controllers' settings; AddFlags registers them as the manager's flags.
type Options struct {
	// WatchFilter reconciles only objects labelled cluster.x-k8s.io/watch-filter=<value>.
	WatchFilter                 string
	ControlPlaneConcurrency     int
	MachineConcurrency          int
	ClusterCacheConcurrency     int
	ClusterCacheClientQPS       float32
	ClusterCacheClientBurst     int
	RemoteConditionsGracePeriod time.Duration
	EtcdMemberRemovalTimeout    time.Duration
	Etcd                        etcd.Config
	// UserAgent identifies the manager to workload API servers.
	UserAgent string
	// CertificateKeyAlgorithm is the key algorithm of the CAs the control plane generates.
	CertificateKeyAlgorithm certs.KeyAlgorithm
	// SkipCRDMigrationPhases are the values of --skip-crd-migration-phases (internal/manager).
	SkipCRDMigrationPhases []string
	// ConnectionRetryInterval replaces the ClusterCache's 30s wait before retrying a failed workload-cluster
	// connection when set: a new cluster's kubeconfig exists before its API server answers, so the first
	// connection usually fails and this wait is part of every cluster's time to Available.
	ConnectionRetryInterval time.Duration
}

// AddFlags registers the options' flags with their defaults.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.IntVar(&o.ControlPlaneConcurrency, "kthreescontrolplane-concurrency", 10, "Number of KThreesControlPlanes reconciled concurrently.")
	fs.IntVar(&o.MachineConcurrency, "machine-concurrency", 10, "Number of control-plane Machines whose etcd pre-terminate hook is handled concurrently.")
	fs.IntVar(&o.ClusterCacheConcurrency, "clustercache-concurrency", 100, "Number of workload clusters whose connection is checked concurrently.")
	fs.Float32Var(&o.ClusterCacheClientQPS, "clustercache-client-qps", 20, "Maximum queries per second to each workload cluster's API server.")
	fs.IntVar(&o.ClusterCacheClientBurst, "clustercache-client-burst", 30, "Maximum burst of queries to each workload cluster's API server.")
	fs.DurationVar(&o.RemoteConditionsGracePeriod, "remote-conditions-grace-period", 5*time.Minute,
		"How long a lost workload-cluster connection is tolerated before conditions read from it turn Unknown (at least 2m).")
	fs.DurationVar(&o.EtcdMemberRemovalTimeout, "etcd-member-removal-timeout", 5*time.Minute,
		"How long the pre-terminate hook waits for K3s to remove a deleted Machine's etcd member before removing it through etcd or giving up.")
	fs.DurationVar(&o.ConnectionRetryInterval, "clustercache-connection-retry-interval", 30*time.Second,
		"How soon a failed connection to a workload cluster's API server is retried (CAPI's ClusterCache waits 30s).")
	certs.AddKeyAlgorithmFlag(fs, &o.CertificateKeyAlgorithm)
	o.Etcd.AddFlags(fs)
}

// Validate rejects settings the controllers cannot work with.
func (o *Options) Validate() error {
	if o.ConnectionRetryInterval <= 0 {
		return fmt.Errorf("--clustercache-connection-retry-interval must be positive, got %s", o.ConnectionRetryInterval)
	}
	if o.RemoteConditionsGracePeriod < 2*time.Minute {
		return fmt.Errorf("--remote-conditions-grace-period must be at least 2m, got %s", o.RemoteConditionsGracePeriod)
	}
	return nil
}

// CustomizeManager adjusts the manager options: only control-plane KThreesConfigs are cached, clusters' Secrets
// are cached for the secret reader (internal/secretcache), managed fields are dropped from cached objects, and
// infrastructure objects (unstructured) are read from the cache.
func CustomizeManager(mgrOptions *ctrl.Options) {
	controlPlane, err := labels.NewRequirement(clusterv1.MachineControlPlaneLabel, selection.Exists, nil)
	if err != nil {
		panic(err) // a constant label key with the Exists operator is always valid
	}
	if mgrOptions.Cache.ByObject == nil {
		mgrOptions.Cache.ByObject = map[client.Object]ctrlcache.ByObject{}
	}
	mgrOptions.Cache.ByObject[&bootstrapv1.KThreesConfig{}] = ctrlcache.ByObject{Label: labels.NewSelector().Add(*controlPlane)}
	// Read only through the secret reader of Controllers; the manager's client reads Secrets from the API server.
	mgrOptions.Cache.ByObject[&corev1.Secret{}] = secretcache.ByObject()
	mgrOptions.Cache.DefaultTransform = ctrlcache.TransformStripManagedFields()
	if mgrOptions.Client.Cache == nil {
		mgrOptions.Client.Cache = &client.CacheOptions{}
	}
	mgrOptions.Client.Cache.Unstructured = true
}

// Controllers sets up the CRD migrator, the ClusterCache and both controllers with mgr. The caller shuts the returned ClusterCache
// down after the manager stopped when it restarts controllers in one process (tests).
func Controllers(ctx context.Context, mgr ctrl.Manager, o Options) (clustercache.ClusterCache, error) {
	if err := manager.SetupCRDMigrator(ctx, mgr, o.SkipCRDMigrationPhases,
		&controlplanev1.KThreesControlPlane{}, &controlplanev1.KThreesControlPlaneTemplate{}); err != nil {
		return nil, err
	}
	secretReader, err := newSecretReader(mgr)
	if err != nil {
		return nil, err
	}
	clusterCache, err := clustercache.SetupWithManager(ctx, mgr, clusterCacheOptions(o, secretReader),
		controller.Options{MaxConcurrentReconciles: o.ClusterCacheConcurrency})
	if err != nil {
		return nil, fmt.Errorf("failed to set up the ClusterCache: %w", err)
	}
	if o.ConnectionRetryInterval > 0 {
		// CAPI offers this setter on its implementation for tests; it is not part of the interface.
		if c, ok := clusterCache.(interface{ SetConnectionCreationRetryInterval(time.Duration) }); ok {
			c.SetConnectionCreationRetryInterval(o.ConnectionRetryInterval)
		}
	}
	connector := etcd.NewConnector(o.Etcd)
	if err := (&kthreescontrolplane.Reconciler{
		Client:                      mgr.GetClient(),
		APIReader:                   mgr.GetAPIReader(),
		SecretReader:                secretReader,
		ClusterCache:                clusterCache,
		EtcdConnector:               connector,
		WatchFilterValue:            o.WatchFilter,
		RemoteConditionsGracePeriod: o.RemoteConditionsGracePeriod,
		CertificateKeyAlgorithm:     o.CertificateKeyAlgorithm,
	}).SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: o.ControlPlaneConcurrency}); err != nil {
		return nil, err
	}
	if err := (&etcdhook.Reconciler{
		Client:           mgr.GetClient(),
		ClusterCache:     clusterCache,
		EtcdConnector:    connector,
		WatchFilterValue: o.WatchFilter,
		RemovalTimeout:   o.EtcdMemberRemovalTimeout,
	}).SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: o.MachineConcurrency}); err != nil {
		return nil, err
	}
	return clusterCache, nil
}

// newSecretReader reads the clusters' Secrets from the manager's cache (CustomizeManager), falling back to the API
// server for those it does not hold.
func newSecretReader(mgr ctrl.Manager) (client.Reader, error) {
	cached, err := client.New(mgr.GetConfig(), client.Options{
		HTTPClient: mgr.GetHTTPClient(), Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper(),
		Cache: &client.CacheOptions{Reader: mgr.GetCache()},
	})
	if err != nil {
		return nil, fmt.Errorf("failed to create the Secret caching client: %w", err)
	}
	return secretcache.Reader{Cached: cached, Live: mgr.GetAPIReader()}, nil
}

// clusterCacheOptions configure the workload-cluster connections: Nodes are cached (and watched); Secrets,
// ConfigMaps and Pods are read live (k3s-serving once per cluster, etcd-proxy pods cached by the etcd connector).
func clusterCacheOptions(o Options, secretClient client.Reader) clustercache.Options {
	return clustercache.Options{
		SecretClient:     secretClient,
		WatchFilterValue: o.WatchFilter,
		Cache:            clustercache.CacheOptions{DefaultTransform: ctrlcache.TransformStripManagedFields()},
		Client: clustercache.ClientOptions{
			QPS:       o.ClusterCacheClientQPS,
			Burst:     o.ClusterCacheClientBurst,
			UserAgent: remote.DefaultClusterAPIUserAgent(o.UserAgent),
			Cache: clustercache.ClientCacheOptions{
				DisableFor: []client.Object{&corev1.ConfigMap{}, &corev1.Secret{}, &corev1.Pod{}},
			},
		},
	}
}
