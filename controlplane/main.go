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

// Command manager runs the K3s control-plane provider: the KThreesControlPlane controller, the etcd pre-terminate
// hook controller for control-plane Machines, and the conversion and admission webhooks of the
// controlplane.cluster.x-k8s.io kinds.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	_ "k8s.io/component-base/logs/json/register"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	"sigs.k8s.io/cluster-api/controllers/remote"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlcache "sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	bootstrapv1beta1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta1"
	bootstrapv1beta2 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta2"
	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1beta1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta1"
	controlplanev1beta2 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta2"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/controlplane/reconcilers/etcdhook"
	"github.com/k3s-io/cluster-api-k3s/controlplane/reconcilers/kthreescontrolplane"
	"github.com/k3s-io/cluster-api-k3s/controlplane/webhooks"
	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion"
	"github.com/k3s-io/cluster-api-k3s/internal/manager"
	"github.com/k3s-io/cluster-api-k3s/pkg/contract"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
)

// leaderElectionID is upstream's, so an upstream and a fork manager never run side by side during a swap.
const leaderElectionID = "148fa072.controlplane.cluster.x-k8s.io"

// userAgent identifies the manager to the management and workload API servers.
const userAgent = "cluster-api-k3s-control-plane-manager"

var scheme = runtime.NewScheme()

func init() {
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, clusterv1.AddToScheme,
		bootstrapv1beta1.AddToScheme, bootstrapv1beta2.AddToScheme, bootstrapv1.AddToScheme,
		controlplanev1beta1.AddToScheme, controlplanev1beta2.AddToScheme, controlplanev1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
}

// options are the control-plane manager's flags on top of the shared ones.
type options struct {
	manager.Options
	controlPlaneConcurrency     int
	machineConcurrency          int
	clusterCacheConcurrency     int
	clusterCacheClientQPS       float32
	clusterCacheClientBurst     int
	remoteConditionsGracePeriod time.Duration
	etcdMemberRemovalTimeout    time.Duration
	etcd                        etcd.Config
}

func (o *options) addFlags(fs *pflag.FlagSet) {
	o.AddFlags(fs)
	fs.IntVar(&o.controlPlaneConcurrency, "kthreescontrolplane-concurrency", 10, "Number of KThreesControlPlanes reconciled concurrently.")
	fs.IntVar(&o.machineConcurrency, "machine-concurrency", 10, "Number of control-plane Machines whose etcd pre-terminate hook is handled concurrently.")
	fs.IntVar(&o.clusterCacheConcurrency, "clustercache-concurrency", 100, "Number of workload clusters whose connection is checked concurrently.")
	fs.Float32Var(&o.clusterCacheClientQPS, "clustercache-client-qps", 20, "Maximum queries per second to each workload cluster's API server.")
	fs.IntVar(&o.clusterCacheClientBurst, "clustercache-client-burst", 30, "Maximum burst of queries to each workload cluster's API server.")
	fs.DurationVar(&o.remoteConditionsGracePeriod, "remote-conditions-grace-period", 5*time.Minute,
		"How long a lost workload-cluster connection is tolerated before conditions read from it turn Unknown (at least 2m).")
	fs.DurationVar(&o.etcdMemberRemovalTimeout, "etcd-member-removal-timeout", 5*time.Minute,
		"How long the pre-terminate hook waits for K3s to remove a deleted Machine's etcd member before removing it through etcd or giving up.")
	o.etcd.AddFlags(fs)
	o.Customize = customizeManager
}

// customizeManager caches only control-plane KThreesConfigs and reads infrastructure objects (unstructured) from
// the cache.
func customizeManager(mgrOptions *ctrl.Options) {
	controlPlane, err := labels.NewRequirement(clusterv1.MachineControlPlaneLabel, selection.Exists, nil)
	if err != nil {
		panic(err)
	}
	if mgrOptions.Cache.ByObject == nil {
		mgrOptions.Cache.ByObject = map[client.Object]ctrlcache.ByObject{}
	}
	mgrOptions.Cache.ByObject[&bootstrapv1.KThreesConfig{}] = ctrlcache.ByObject{Label: labels.NewSelector().Add(*controlPlane)}
	mgrOptions.Cache.DefaultTransform = ctrlcache.TransformStripManagedFields()
	if mgrOptions.Client.Cache != nil {
		mgrOptions.Client.Cache.Unstructured = true
	}
}

func main() {
	o := &options{}
	o.addFlags(pflag.CommandLine)
	pflag.CommandLine.AddGoFlagSet(flag.CommandLine)
	pflag.Parse()
	if o.remoteConditionsGracePeriod < 2*time.Minute {
		fmt.Fprintln(os.Stderr, "--remote-conditions-grace-period must be at least 2m")
		os.Exit(2)
	}
	if err := manager.Run(ctrl.SetupSignalHandler(), &o.Options, scheme, leaderElectionID, userAgent, o.setup); err != nil {
		ctrl.Log.WithName("setup").Error(err, "Manager stopped")
		os.Exit(1)
	}
}

func (o *options) setup(ctx context.Context, mgr ctrl.Manager) error {
	// Down-converting the infrastructure reference of a KThreesControlPlane needs the API version the referenced
	// kind is served at under the CAPI contract.
	apiconversion.SetAPIVersionGetter(contract.APIVersionGetter(mgr.GetClient()))
	if os.Getenv("ENABLE_WEBHOOKS") != "false" {
		for _, s := range []func(ctrl.Manager) error{
			(&webhooks.KThreesControlPlane{}).SetupWebhookWithManager,
			(&webhooks.KThreesControlPlaneTemplate{}).SetupWebhookWithManager,
		} {
			if err := s(mgr); err != nil {
				return fmt.Errorf("failed to set up webhooks: %w", err)
			}
		}
	}

	clusterCache, err := clustercache.SetupWithManager(ctx, mgr, clusterCacheOptions(o.WatchFilter, o.clusterCacheClientQPS, o.clusterCacheClientBurst, mgr.GetClient()),
		controller.Options{MaxConcurrentReconciles: o.clusterCacheConcurrency})
	if err != nil {
		return fmt.Errorf("failed to set up the ClusterCache: %w", err)
	}
	connector := etcd.NewConnector(o.etcd)
	if err := (&kthreescontrolplane.Reconciler{
		Client:                      mgr.GetClient(),
		APIReader:                   mgr.GetAPIReader(),
		ClusterCache:                clusterCache,
		EtcdConnector:               connector,
		WatchFilterValue:            o.WatchFilter,
		RemoteConditionsGracePeriod: o.remoteConditionsGracePeriod,
	}).SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: o.ConcurrencyOr(o.controlPlaneConcurrency)}); err != nil {
		return err
	}
	return (&etcdhook.Reconciler{
		Client:           mgr.GetClient(),
		ClusterCache:     clusterCache,
		EtcdConnector:    connector,
		WatchFilterValue: o.WatchFilter,
		RemovalTimeout:   o.etcdMemberRemovalTimeout,
	}).SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: o.ConcurrencyOr(o.machineConcurrency)})
}

// clusterCacheOptions configure the workload-cluster connections: Nodes are cached (and watched); Secrets,
// ConfigMaps and Pods are read live (k3s-serving once per cluster, etcd-proxy pods cached by the etcd connector).
func clusterCacheOptions(watchFilter string, qps float32, burst int, secretClient client.Reader) clustercache.Options {
	return clustercache.Options{
		SecretClient:     secretClient,
		WatchFilterValue: watchFilter,
		Cache:            clustercache.CacheOptions{DefaultTransform: ctrlcache.TransformStripManagedFields()},
		Client: clustercache.ClientOptions{
			QPS:       qps,
			Burst:     burst,
			UserAgent: remote.DefaultClusterAPIUserAgent(userAgent),
			Cache: clustercache.ClientCacheOptions{
				DisableFor: []client.Object{&corev1.ConfigMap{}, &corev1.Secret{}, &corev1.Pod{}},
			},
		},
	}
}
