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
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	bootstrapadmission "sigs.k8s.io/cluster-api/bootstrap/kubeadm/webhooks/admission"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	"sigs.k8s.io/cluster-api/controllers/remote"
	controlplaneadmission "sigs.k8s.io/cluster-api/controlplane/kubeadm/webhooks/admission"
	"sigs.k8s.io/cluster-api/test/infrastructure/container"
	infrav1 "sigs.k8s.io/cluster-api/test/infrastructure/docker/api/v1beta2"
	infracontrollers "sigs.k8s.io/cluster-api/test/infrastructure/docker/controllers"
	infrawebhooks "sigs.k8s.io/cluster-api/test/infrastructure/docker/webhooks"
	cloudv1 "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/cloud/api/v1alpha1"
	inmemoryruntime "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/runtime"
	inmemoryserver "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/server"

	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
)

const (
	// capiModule and capiTestModule hold the kubeadm providers' and the in-memory infrastructure's manifests.
	capiModule     = "sigs.k8s.io/cluster-api"
	capiTestModule = "sigs.k8s.io/cluster-api/test"

	// KubeadmMinPort and KubeadmMaxPort bound the ports of the in-memory workload API servers: above the K3s
	// simulator's 20000-24000, below Linux's ephemeral ports (32768-).
	KubeadmMinPort, KubeadmMaxPort = 25000, 28999

	// kubeadmPlaneConcurrency is the concurrency of the DevCluster and DevMachine controllers: the plane's (CAPI
	// core's and the K3s simulator's controllers'), which is also CAPD's default. Config.Concurrency is the
	// providers'.
	kubeadmPlaneConcurrency = 10
	// The in-memory infrastructure's ClusterCache settings are CAPD's defaults.
	devClusterCacheConcurrency = 100
	devClusterCacheClientQPS   = 20
	devClusterCacheClientBurst = 30
)

// kubeadmCRDSource is a directory of CRD manifests and the kustomization that labels them with the CAPI contract.
type kubeadmCRDSource struct {
	module string
	// dir holds the CRD manifests; its parent holds kustomization.yaml.
	dir string
	// prefix selects the files of dir (the in-memory infrastructure's Dev* kinds among CAPD's).
	prefix string
}

// kubeadmCRDSources are the CRDs of KCP, CABPK and the in-memory infrastructure's Dev* kinds.
var kubeadmCRDSources = []kubeadmCRDSource{
	{module: capiModule, dir: "controlplane/kubeadm/config/crd/bases"},
	{module: capiModule, dir: "bootstrap/kubeadm/config/crd/bases"},
	{module: capiTestModule, dir: "infrastructure/docker/config/crd/bases", prefix: "infrastructure.cluster.x-k8s.io_dev"},
}

// kubeadmWebhookManifests are the admission webhook manifests of KCP, CABPK and CAPD, by configuration prefix.
var kubeadmWebhookManifests = map[string]struct{ module, path string }{
	"kubeadm-controlplane":  {capiModule, "controlplane/kubeadm/config/webhook/manifests.yaml"},
	"kubeadm-bootstrap":     {capiModule, "bootstrap/kubeadm/config/webhook/manifests.yaml"},
	"docker-infrastructure": {capiTestModule, "infrastructure/docker/config/webhook/manifests.yaml"},
}

// KubeadmFlavor is the peer: CAPI's KubeadmControlPlane and kubeadm bootstrap providers (CABPK), each run by
// hack/tools/bench-fleet/kubeadm-manager as an OS process, on CAPI's in-memory infrastructure (CAPD's DevCluster and
// DevMachine with the inMemory backend, in the plane's process).
type KubeadmFlavor struct {
	mu         sync.Mutex
	moduleDirs map[string]string
	runtime    inmemoryruntime.Manager
	mux        *inmemoryserver.WorkloadClustersMux
	cancel     context.CancelFunc
}

var _ Flavor = &KubeadmFlavor{}

// NewKubeadmFlavor returns the peer flavor.
func NewKubeadmFlavor() *KubeadmFlavor {
	return &KubeadmFlavor{moduleDirs: map[string]string{}}
}

// Name implements Flavor.
func (*KubeadmFlavor) Name() string { return "kubeadm" }

// AddToScheme implements Flavor: only the v1beta2 (hub) versions, so that the API server environment sets up no
// conversion webhooks for these kinds (their CRDs serve the older versions without conversion).
func (*KubeadmFlavor) AddToScheme(s *runtime.Scheme) error {
	for _, add := range []func(*runtime.Scheme) error{
		controlplanev1.AddToScheme, bootstrapv1.AddToScheme, infrav1.AddToScheme,
	} {
		if err := add(s); err != nil {
			return fmt.Errorf("failed to add the kubeadm flavor's types to the scheme: %w", err)
		}
	}
	return nil
}

// moduleDir returns (and remembers) the module cache directory of a module of the repository's build list.
func (f *KubeadmFlavor) moduleDir(ctx context.Context, module string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.moduleDirs == nil {
		f.moduleDirs = map[string]string{}
	}
	if dir, ok := f.moduleDirs[module]; ok {
		return dir, nil
	}
	root, err := envtest.RepoRoot()
	if err != nil {
		return "", err
	}
	dir, err := envtest.ModuleDir(ctx, root, module)
	if err != nil {
		return "", err
	}
	f.moduleDirs[module] = dir
	return dir, nil
}

// WebhookManifests implements Flavor: KCP's, CABPK's and CAPD's admission webhooks (CAPD's manifest also names
// Docker* kinds, which have no CRD here; SetupPlane serves them all).
func (f *KubeadmFlavor) WebhookManifests(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	for prefix, m := range kubeadmWebhookManifests {
		dir, err := f.moduleDir(ctx, m.module)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, m.path)
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("failed to find the webhook manifest: %w", err)
		}
		out[prefix] = path
	}
	return out, nil
}

// SetupPlane implements Flavor: the providers' admission webhooks and the in-memory infrastructure (runtime,
// workload API servers from KubeadmMinPort, DevCluster and DevMachine controllers with a ClusterCache of their own,
// as CAPD runs them). The workload API servers are addressed as 127.0.0.1 (endpoints, kubeconfigs, certificates),
// but CAPI's WorkloadClustersMux binds its listeners and its debug server on all interfaces (":<port>"), whatever
// host it is given; the DevMachine controller needs that very type, so the K3s simulator's loopback-only mux cannot
// replace it.
func (f *KubeadmFlavor) SetupPlane(ctx context.Context, mgr ctrl.Manager, cfg Config) error {
	if err := setupKubeadmWebhooks(mgr); err != nil {
		return fmt.Errorf("failed to set up the kubeadm flavor's webhooks: %w", err)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if f.runtime != nil {
		return errors.New("the kubeadm flavor's infrastructure is set up already")
	}
	// The workload clusters' objects: what the in-memory backend creates and CAPI's controllers read.
	workloadScheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, cloudv1.AddToScheme} {
		if err := add(workloadScheme); err != nil {
			return fmt.Errorf("failed to build the in-memory scheme: %w", err)
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	rt := inmemoryruntime.NewManager(workloadScheme)
	if err := rt.Start(runCtx); err != nil {
		cancel()
		return fmt.Errorf("failed to start the in-memory runtime: %w", err)
	}
	// DebugPort 0: the mux's debug server listens on a random port.
	mux, err := inmemoryserver.NewWorkloadClustersMux(rt, "127.0.0.1",
		inmemoryserver.CustomPorts{MinPort: KubeadmMinPort, MaxPort: KubeadmMaxPort, DebugPort: 0})
	if err != nil {
		cancel()
		return fmt.Errorf("failed to start the in-memory workload clusters mux: %w", err)
	}
	stop := func() {
		cancel()
		shutdownCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = mux.Shutdown(shutdownCtx)
	}

	// CAPD's ClusterCache: the DevMachine controller watches workload-cluster connections.
	clusterCache, err := clustercache.SetupWithManager(ctx, mgr, clustercache.Options{
		SecretClient: mgr.GetClient(),
		Client: clustercache.ClientOptions{
			QPS: devClusterCacheClientQPS, Burst: devClusterCacheClientBurst,
			UserAgent: remote.DefaultClusterAPIUserAgent("fleetbench-dev-infrastructure"),
			Cache:     clustercache.ClientCacheOptions{DisableFor: []client.Object{&corev1.ConfigMap{}, &corev1.Secret{}}},
		},
	}, controller.Options{MaxConcurrentReconciles: devClusterCacheConcurrency, SkipNameValidation: ptr.To(true)})
	if err != nil {
		stop()
		return fmt.Errorf("failed to create the in-memory infrastructure's ClusterCache: %w", err)
	}
	if interval := time.Duration(cfg.ConnectionRetryInterval); interval > 0 {
		setter, ok := clusterCache.(interface{ SetConnectionCreationRetryInterval(time.Duration) })
		if !ok {
			stop()
			return fmt.Errorf("the ClusterCache (%T) cannot set its connection retry interval", clusterCache)
		}
		setter.SetConnectionCreationRetryInterval(interval)
	}

	// The in-memory backend does not use a container runtime, but the controllers require one.
	fakeRuntime, err := container.NewFakeClient()
	if err != nil {
		stop()
		return err
	}
	concurrency := kubeadmPlaneConcurrency
	if err := (&infracontrollers.DevClusterReconciler{
		Client: mgr.GetClient(), ContainerRuntime: fakeRuntime, InMemoryManager: rt, APIServerMux: mux,
	}).SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: concurrency}); err != nil {
		stop()
		return fmt.Errorf("failed to set up the DevCluster controller: %w", err)
	}
	if err := (&infracontrollers.DevMachineReconciler{
		Client: mgr.GetClient(), ContainerRuntime: fakeRuntime, ClusterCache: clusterCache, InMemoryManager: rt, APIServerMux: mux,
	}).SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: concurrency}); err != nil {
		stop()
		return fmt.Errorf("failed to set up the DevMachine controller: %w", err)
	}
	f.runtime, f.mux, f.cancel = rt, mux, cancel
	return nil
}

// setupKubeadmWebhooks registers the admission webhooks of KCP, CABPK and CAPD. KCP's and CABPK's are CAPI's
// defaulters and validators registered here without the conversion their SetupWebhookWithManager adds: only the
// hub versions are in the plane's scheme, and the CRDs convert nothing (everything is read and written at v1beta2).
func setupKubeadmWebhooks(mgr ctrl.Manager) error {
	kcp := &controlplaneadmission.KubeadmControlPlane{}
	kubeadmConfigTemplate := &bootstrapadmission.KubeadmConfigTemplate{}
	for _, setup := range []func() error{
		func() error {
			return ctrl.NewWebhookManagedBy(mgr, &controlplanev1.KubeadmControlPlane{}).WithDefaulter(kcp).WithValidator(kcp).Complete()
		},
		func() error {
			return ctrl.NewWebhookManagedBy(mgr, &controlplanev1.KubeadmControlPlaneTemplate{}).
				WithValidator(&controlplaneadmission.KubeadmControlPlaneTemplate{}).Complete()
		},
		func() error {
			return (&controlplaneadmission.ScaleValidator{Client: mgr.GetClient()}).SetupWebhookWithManager(mgr)
		},
		func() error {
			return ctrl.NewWebhookManagedBy(mgr, &bootstrapv1.KubeadmConfig{}).WithValidator(&bootstrapadmission.KubeadmConfig{}).Complete()
		},
		func() error {
			return ctrl.NewWebhookManagedBy(mgr, &bootstrapv1.KubeadmConfigTemplate{}).
				WithDefaulter(kubeadmConfigTemplate).WithValidator(kubeadmConfigTemplate).Complete()
		},
		// CAPD's manifest names the Docker* kinds too; they have no CRD here, but every path of the manifest is
		// served.
		func() error { return (&infrawebhooks.DevCluster{}).SetupWebhookWithManager(mgr) },
		func() error { return (&infrawebhooks.DevClusterTemplate{}).SetupWebhookWithManager(mgr) },
		func() error { return (&infrawebhooks.DevMachine{}).SetupWebhookWithManager(mgr) },
		func() error { return (&infrawebhooks.DevMachineTemplate{}).SetupWebhookWithManager(mgr) },
		func() error { return (&infrawebhooks.DockerCluster{}).SetupWebhookWithManager(mgr) },
		func() error { return (&infrawebhooks.DockerClusterTemplate{}).SetupWebhookWithManager(mgr) },
		func() error { return (&infrawebhooks.DockerMachine{}).SetupWebhookWithManager(mgr) },
		func() error { return (&infrawebhooks.DockerMachineTemplate{}).SetupWebhookWithManager(mgr) },
	} {
		if err := setup(); err != nil {
			return err
		}
	}
	return nil
}

// Runtime implements Flavor.
func (f *KubeadmFlavor) Runtime() inmemoryruntime.Manager {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.runtime
}

// ResourceGroup implements Flavor: the in-memory backend names a cluster's resource group (and its listener)
// <namespace>/<Cluster name>.
func (*KubeadmFlavor) ResourceGroup(namespace, cluster string) string {
	return klog.KRef(namespace, cluster).String()
}

// Providers implements Flavor: kubeadm-manager as KCP and as CABPK, bound to CAPI's generated ClusterRoles.
func (f *KubeadmFlavor) Providers() []Provider {
	capiDir, err := f.moduleDir(context.Background(), capiModule)
	if err != nil {
		// A path that names the problem: reading the role fails with it.
		capiDir = fmt.Sprintf("/nonexistent (%s: %v)", capiModule, err)
	}
	provider := func(name, role string) Provider {
		return Provider{
			Name:        name,
			Package:     "./hack/tools/bench-fleet/kubeadm-manager",
			ClusterRole: filepath.Join(capiDir, role),
			Args:        func(a ProviderArgs) []string { return kubeadmManagerArgs(name, a) },
		}
	}
	return []Provider{
		provider("bootstrap", "bootstrap/kubeadm/config/rbac/role.yaml"),
		provider("control-plane", "controlplane/kubeadm/config/rbac/role.yaml"),
	}
}

// kubeadmManagerArgs are kubeadm-manager's flags for one process; Config.ProviderArgs are for this repository's
// providers only.
func kubeadmManagerArgs(provider string, a ProviderArgs) []string {
	args := []string{
		"--provider=" + provider,
		"--kubeconfig=" + a.Kubeconfig,
		"--metrics-bind-addr=" + a.MetricsAddr,
		"--profiler-address=" + a.ProfilerAddr,
		"--health-addr=" + a.HealthAddr,
		"--v=0",
	}
	if a.WatchFilter != "" {
		args = append(args, "--watch-filter="+a.WatchFilter)
	}
	if a.Config.Concurrency > 0 {
		args = append(args, "--concurrency="+strconv.Itoa(a.Config.Concurrency))
	}
	if d := time.Duration(a.Config.ConnectionRetryInterval); d > 0 {
		args = append(args, "--clustercache-connection-retry-interval="+d.String())
	}
	return args
}

// KubeadmKubernetesVersion is the version of the kubeadm clusters for a configured version: a K3s version without
// its "+k3s…" build suffix (v1.34.5+k3s1 is v1.34.5).
func KubeadmKubernetesVersion(v string) string {
	v, _, _ = strings.Cut(v, "+")
	return v
}

// ClusterObjects implements Flavor: DevMachineTemplates, the workers' KubeadmConfigTemplate, the
// KubeadmControlPlane, the MachineDeployment (with workers) and, last, the Cluster, so that every object the
// Cluster refers to exists when it is created. The shape follows CAPI's in-memory scale test (its ClusterClass
// leaves the KubeadmControlPlane and KubeadmConfigTemplate specs empty). A machine becomes a Ready node BootDelay
// after its bootstrap data exists, as on the K3s simulator: the in-memory VM takes BootDelay, the node, etcd and
// API server start at once.
func (*KubeadmFlavor) ClusterObjects(namespace, name string, cfg Config) ([]client.Object, error) {
	if cfg.Shape.ControlPlanes < 1 || cfg.Shape.Workers < 0 {
		return nil, fmt.Errorf("invalid shape %s", cfg.Shape)
	}
	version := KubeadmKubernetesVersion(cfg.KubernetesVersion)
	if version == "" {
		return nil, errors.New("no Kubernetes version")
	}
	cpName, mdName := name+"-control-plane", name+"-md-0"
	meta := func(n string) metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: namespace, Name: n} }
	infraRef := func(kind, n string) clusterv1.ContractVersionedObjectReference {
		return clusterv1.ContractVersionedObjectReference{APIGroup: infrav1.GroupVersion.Group, Kind: kind, Name: n}
	}

	objs := []client.Object{
		&infrav1.DevCluster{
			TypeMeta: metav1.TypeMeta{APIVersion: infrav1.GroupVersion.String(), Kind: "DevCluster"},
			// The in-memory backend records its listener in this annotation, assuming the DevCluster has annotations
			// (a ClusterClass gives it some); it panics on a DevCluster without any. The value is what it writes.
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Annotations: map[string]string{
				infrav1.ListenerAnnotationName: klog.KRef(namespace, name).String(),
			}},
			Spec: infrav1.DevClusterSpec{Backend: infrav1.DevClusterBackendSpec{InMemory: &infrav1.InMemoryClusterBackendSpec{}}},
		},
		devMachineTemplate(meta(cpName), time.Duration(cfg.BootDelay)),
		&controlplanev1.KubeadmControlPlane{
			TypeMeta:   metav1.TypeMeta{APIVersion: controlplanev1.GroupVersion.String(), Kind: "KubeadmControlPlane"},
			ObjectMeta: meta(cpName),
			Spec: controlplanev1.KubeadmControlPlaneSpec{
				Replicas: ptr.To(cfg.Shape.ControlPlanes),
				Version:  version,
				MachineTemplate: controlplanev1.KubeadmControlPlaneMachineTemplate{
					Spec: controlplanev1.KubeadmControlPlaneMachineTemplateSpec{InfrastructureRef: infraRef("DevMachineTemplate", cpName)},
				},
			},
		},
	}
	if cfg.Shape.Workers > 0 {
		selector := map[string]string{clusterv1.ClusterNameLabel: name, clusterv1.MachineDeploymentNameLabel: mdName}
		objs = append(objs,
			devMachineTemplate(meta(mdName), time.Duration(cfg.BootDelay)),
			&bootstrapv1.KubeadmConfigTemplate{
				TypeMeta:   metav1.TypeMeta{APIVersion: bootstrapv1.GroupVersion.String(), Kind: "KubeadmConfigTemplate"},
				ObjectMeta: meta(mdName),
			},
			&clusterv1.MachineDeployment{
				TypeMeta:   metav1.TypeMeta{APIVersion: clusterv1.GroupVersion.String(), Kind: "MachineDeployment"},
				ObjectMeta: meta(mdName),
				Spec: clusterv1.MachineDeploymentSpec{
					ClusterName: name,
					Replicas:    ptr.To(cfg.Shape.Workers),
					Selector:    metav1.LabelSelector{MatchLabels: selector},
					Template: clusterv1.MachineTemplateSpec{
						ObjectMeta: clusterv1.ObjectMeta{Labels: selector},
						Spec: clusterv1.MachineSpec{
							ClusterName: name,
							Version:     version,
							Bootstrap: clusterv1.Bootstrap{ConfigRef: clusterv1.ContractVersionedObjectReference{
								APIGroup: bootstrapv1.GroupVersion.Group, Kind: "KubeadmConfigTemplate", Name: mdName,
							}},
							InfrastructureRef: infraRef("DevMachineTemplate", mdName),
						},
					},
				},
			})
	}
	objs = append(objs, &clusterv1.Cluster{
		TypeMeta:   metav1.TypeMeta{APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster"},
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{}},
		Spec: clusterv1.ClusterSpec{
			// kind's defaults.
			ClusterNetwork: clusterv1.ClusterNetwork{
				Pods:          clusterv1.NetworkRanges{CIDRBlocks: []string{"10.244.0.0/16"}},
				Services:      clusterv1.NetworkRanges{CIDRBlocks: []string{"10.96.0.0/16"}},
				ServiceDomain: "cluster.local",
			},
			InfrastructureRef: infraRef("DevCluster", name),
			ControlPlaneRef: clusterv1.ContractVersionedObjectReference{
				APIGroup: controlplanev1.GroupVersion.Group, Kind: "KubeadmControlPlane", Name: cpName,
			},
		},
	})
	return objs, nil
}

// devMachineTemplate is an in-memory DevMachineTemplate whose VM boots in bootDelay and whose node, etcd and API
// server then start at once (the in-memory backend starts the VM once the Machine has bootstrap data).
func devMachineTemplate(meta metav1.ObjectMeta, bootDelay time.Duration) *infrav1.DevMachineTemplate {
	immediately := infrav1.CommonProvisioningSettings{StartupDuration: metav1.Duration{}}
	return &infrav1.DevMachineTemplate{
		TypeMeta:   metav1.TypeMeta{APIVersion: infrav1.GroupVersion.String(), Kind: "DevMachineTemplate"},
		ObjectMeta: meta,
		Spec: infrav1.DevMachineTemplateSpec{Template: infrav1.DevMachineTemplateResource{Spec: infrav1.DevMachineSpec{
			Backend: infrav1.DevMachineBackendSpec{InMemory: &infrav1.InMemoryMachineBackendSpec{
				VM:        &infrav1.InMemoryVMSpec{Provisioning: infrav1.CommonProvisioningSettings{StartupDuration: metav1.Duration{Duration: bootDelay}}},
				Node:      &infrav1.InMemoryNodeSpec{Provisioning: immediately},
				APIServer: &infrav1.InMemoryAPIServerSpec{Provisioning: immediately},
				Etcd:      &infrav1.InMemoryEtcdSpec{Provisioning: immediately},
			}},
		}}},
	}
}

// Shutdown implements Flavor: stops the workload API servers and the in-memory runtime.
func (f *KubeadmFlavor) Shutdown(ctx context.Context) error {
	f.mu.Lock()
	mux, cancel := f.mux, f.cancel
	f.mux, f.cancel = nil, nil
	f.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if mux == nil {
		return nil
	}
	if err := mux.Shutdown(ctx); err != nil {
		return fmt.Errorf("failed to stop the in-memory workload API servers: %w", err)
	}
	return nil
}
