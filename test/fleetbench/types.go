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
	"fmt"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inmemoryruntime "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/runtime"
)

// Shape is what each cluster of a run consists of.
type Shape struct {
	ControlPlanes int32 `json:"controlPlanes"`
	Workers       int32 `json:"workers"`
}

// String is the shape as the --shape flag spells it: "1" or "3+1".
func (s Shape) String() string {
	if s.Workers == 0 {
		return fmt.Sprint(s.ControlPlanes)
	}
	return fmt.Sprintf("%d+%d", s.ControlPlanes, s.Workers)
}

// Config is one run's settings; every field is reported with the results.
type Config struct {
	// Flavor is "k3s" (this repository's providers) or "kubeadm" (CAPI's KubeadmControlPlane and CABPK).
	Flavor string `json:"flavor"`
	// Clusters is N.
	Clusters int   `json:"clusters"`
	Shape    Shape `json:"shape"`
	// ArrivalRate is clusters created per second; 0 creates all at once.
	ArrivalRate float64 `json:"arrivalRate"`
	// Concurrency is every provider controller's --concurrency (upstream's flag; KCP's and CABPK's concurrency
	// flags for the peer); 0 keeps the binaries' defaults.
	Concurrency int `json:"concurrency"`
	// Shards is the number of manager processes per provider, each owning the clusters labelled with its
	// cluster.x-k8s.io/watch-filter value (shard-0, shard-1, ...); 1 runs one unfiltered manager per provider.
	Shards int `json:"shards"`
	// BootDelay is how long a simulated machine takes from bootstrap data to a running node.
	BootDelay Duration `json:"bootDelay"`
	// NodeReadyDelay is how long a simulated K3s Node stays NotReady after it registered, its API server answering
	// meanwhile (the K3s simulator only); 0 registers it Ready.
	NodeReadyDelay Duration `json:"nodeReadyDelay,omitempty"`
	// ConnectionRetryInterval is how soon every ClusterCache (CAPI core's and the providers') retries a failed
	// workload-cluster connection; CAPI's default is 30s.
	ConnectionRetryInterval Duration `json:"connectionRetryInterval"`
	// Steady is the steady-state window, which starts SteadySettle after all clusters are Available (the last
	// clusters' final status updates are not steady state).
	Steady       Duration `json:"steady"`
	SteadySettle Duration `json:"steadySettle"`
	// Timeout bounds waiting for all clusters to become Available and to be deleted.
	Timeout Duration `json:"timeout"`
	// KubernetesVersion is the version of the clusters (a K3s version for k3s).
	KubernetesVersion string `json:"kubernetesVersion"`
	// ProviderArgs are extra flags for this repository's providers (e.g. a key algorithm under test); the peer
	// ignores them.
	ProviderArgs []string `json:"providerArgs,omitempty"`
	// OutDir receives the report, the audit log, the profiles and the provider logs.
	OutDir string `json:"-"`
}

// Duration is a time.Duration that JSON spells in seconds.
type Duration time.Duration

// MarshalJSON writes the duration in seconds.
func (d Duration) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, "%g", time.Duration(d).Seconds()), nil
}

// UnmarshalJSON reads a duration in seconds.
func (d *Duration) UnmarshalJSON(data []byte) error {
	var s float64
	if _, err := fmt.Sscan(string(data), &s); err != nil {
		return fmt.Errorf("duration %s: %w", data, err)
	}
	*d = Duration(s * float64(time.Second))
	return nil
}

// Flavor is one pair of bootstrap and control-plane providers with the infrastructure they run on.
type Flavor interface {
	// Name is the Config.Flavor value.
	Name() string
	// AddToScheme registers the types of the providers and of the infrastructure with the plane's scheme.
	AddToScheme(s *runtime.Scheme) error
	// CRDs are installed besides CAPI core's and this repository's.
	CRDs(ctx context.Context) ([]*apiextensionsv1.CustomResourceDefinition, error)
	// WebhookManifests are admission webhook manifests (absolute paths, by a prefix that keeps their configuration
	// names apart) for webhooks SetupPlane registers, besides CAPI core's and this repository's.
	WebhookManifests(ctx context.Context) (map[string]string, error)
	// SetupPlane registers, in the plane's manager, the infrastructure controllers and the providers' webhooks.
	SetupPlane(ctx context.Context, mgr ctrl.Manager, cfg Config) error
	// Runtime is the in-memory runtime holding the simulated workload clusters' objects (Nodes are watched there);
	// valid after SetupPlane. Each workload cluster is the resource group ResourceGroup returns.
	Runtime() inmemoryruntime.Manager
	// ResourceGroup is the in-memory resource group of a cluster's workload objects.
	ResourceGroup(namespace, cluster string) string
	// Providers are the provider processes, each run once per shard.
	Providers() []Provider
	// ClusterObjects are one cluster's objects, in creation order. The Cluster object carries labels, which the
	// driver extends (shard label).
	ClusterObjects(namespace, name string, cfg Config) ([]client.Object, error)
	// Shutdown stops the infrastructure (workload servers); called after the plane's manager stopped.
	Shutdown(ctx context.Context) error
}

// Provider is one provider's manager binary.
type Provider struct {
	// Name is "bootstrap" or "control-plane"; process names are <flavor>-<name>[-<shard>].
	Name string
	// Package is the Go package of the manager binary, relative to the repository root (e.g. "./bootstrap").
	Package string
	// ClusterRole is the ClusterRole manifest (absolute path) bound to the provider's user; empty binds
	// cluster-admin.
	ClusterRole string
	// Args are the binary's flags for one process.
	Args func(a ProviderArgs) []string
	// Env is added to the process environment (e.g. ENABLE_WEBHOOKS=false: the plane serves the webhooks).
	Env []string
}

// ProviderArgs are what the benchmark decides for one provider process.
type ProviderArgs struct {
	// Kubeconfig is the path of the process's kubeconfig (its own user).
	Kubeconfig string
	// MetricsAddr serves Prometheus metrics over plain HTTP on 127.0.0.1; ProfilerAddr serves pprof; HealthAddr
	// the probes.
	MetricsAddr, ProfilerAddr, HealthAddr string
	// WebhookPort is a free port (the plane serves the webhooks; a binary that always starts its webhook server
	// needs one).
	WebhookPort int
	// WebhookCertDir holds a serving certificate for that webhook server.
	WebhookCertDir string
	// WatchFilter is the shard's label value; empty when not sharded.
	WatchFilter string
	Config      Config
}

// Report is what a run measured; report.go renders it.
type Report struct {
	Config Config `json:"config"`
	// Host describes the machine: CPU model, cores, memory, Go version.
	Host string `json:"host"`
	// Started is when the first cluster was created.
	Started time.Time `json:"started"`

	// Available is how many clusters became Available before the timeout.
	Available int `json:"available"`
	// TimeToAllAvailable is from the first creation to the last cluster Available.
	TimeToAllAvailable Duration `json:"timeToAllAvailable"`
	// TimeToAvailable is each cluster's time from its own creation to Available.
	TimeToAvailable Percentiles `json:"timeToAvailable"`
	// BootstrapDataLatency is per cluster, Cluster infrastructure provisioned → the first control-plane Machine's
	// bootstrap data Secret written (provider-added latency).
	BootstrapDataLatency Percentiles `json:"bootstrapDataLatency"`
	// ControlPlaneAvailableLatency is per cluster, last control-plane Node Ready → control plane Available
	// (provider-added latency).
	ControlPlaneAvailableLatency Percentiles `json:"controlPlaneAvailableLatency"`
	// DeleteTime is from the deletion of the first Cluster until the last one is gone.
	DeleteTime Duration `json:"deleteTime"`

	// Processes are CPU and memory per process: the providers, kube-apiserver, etcd, the plane (CAPI core and the
	// infrastructure simulator, this process).
	Processes []ProcessUsage `json:"processes"`
	// Requests are API requests by client, phase, verb and resource, from the audit log.
	Requests []RequestCount `json:"requests"`
	// CreateReconciles are the providers' reconciles from the first creation to all Available, by process and
	// controller.
	CreateReconciles []ReconcileCount `json:"createReconciles"`
	// SteadyReconciles are the providers' reconciles during the steady window, by process and controller.
	SteadyReconciles []ReconcileCount `json:"steadyReconciles"`

	// Clusters is each cluster's timeline, in creation order.
	Clusters []ClusterTimeline `json:"clusters"`
	// Files are the artifacts of the run (audit log, profiles, logs, plot), relative to the output directory.
	Files []string `json:"files"`
}

// Percentiles summarize a distribution of durations.
type Percentiles struct {
	Count int      `json:"count"`
	P50   Duration `json:"p50"`
	P90   Duration `json:"p90"`
	P99   Duration `json:"p99"`
	Max   Duration `json:"max"`
}

// Phase is a window of the run.
type Phase string

// The phases of a run.
const (
	// PhaseCreate is from the first creation until all clusters are Available.
	PhaseCreate Phase = "create"
	// PhaseSteady is the steady-state window.
	PhaseSteady Phase = "steady"
	// PhaseDelete is from the first deletion until all clusters are gone.
	PhaseDelete Phase = "delete"
)

// ProcessUsage is one process's resources.
type ProcessUsage struct {
	// Name is e.g. "k3s-control-plane", "kube-apiserver", "etcd", "plane".
	Name string `json:"name"`
	// Provider is true for the providers' processes (the ones the targets are about).
	Provider bool `json:"provider"`
	// CPUSeconds is user+system CPU time spent in each phase.
	CPUSeconds map[Phase]float64 `json:"cpuSeconds"`
	// PeakRSSBytes is the peak resident set size over the run; SteadyRSSBytes the RSS at the end of the steady
	// window.
	PeakRSSBytes   int64 `json:"peakRSSBytes"`
	SteadyRSSBytes int64 `json:"steadyRSSBytes"`
}

// RequestCount is a number of API requests of one kind, from the audit log.
type RequestCount struct {
	// Client is the authenticated user name mapped to a process name (e.g. "k3s-control-plane"), or the user name.
	Client   string `json:"client"`
	Phase    Phase  `json:"phase"`
	Verb     string `json:"verb"`
	Resource string `json:"resource"` // resource[/subresource]
	Count    int    `json:"count"`
	// Conflicts are the requests answered 409.
	Conflicts int `json:"conflicts"`
}

// ReconcileCount is how often one controller of one process reconciled in the steady window.
type ReconcileCount struct {
	Process    string `json:"process"`
	Controller string `json:"controller"`
	Count      int    `json:"count"`
}

// ClusterTimeline is one cluster's observed times, as offsets from Report.Started; zero when not observed.
type ClusterTimeline struct {
	Name                      string   `json:"name"`
	Created                   Duration `json:"created"`
	InfrastructureProvisioned Duration `json:"infrastructureProvisioned"`
	BootstrapDataWritten      Duration `json:"bootstrapDataWritten"`
	LastControlPlaneNodeReady Duration `json:"lastControlPlaneNodeReady"`
	ControlPlaneAvailable     Duration `json:"controlPlaneAvailable"`
	Available                 Duration `json:"available"`
	Deleted                   Duration `json:"deleted"`
}
