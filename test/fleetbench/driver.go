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
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	apiruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// namespace holds every cluster of a run.
const namespace = "fleet"

// startupSettle is the pause between the providers being ready and the first creation.
const startupSettle = 5 * time.Second

// creators is how many clusters the driver creates in parallel when all are created at once.
const creators = 16

// run is one benchmark run in progress.
type run struct {
	cfg       Config
	flavor    Flavor
	plane     *plane
	client    client.Client
	timeline  *timeline
	processes []*process
	sampler   *sampler
	keys      []string
	logf      func(format string, args ...any)
}

// Run benchmarks one flavor: plane, providers, N clusters, steady window, deletion; it writes the report files
// into cfg.OutDir and returns the report. logf receives progress lines.
func Run(ctx context.Context, cfg Config, flavor Flavor, logf func(format string, args ...any)) (*Report, error) {
	if err := os.MkdirAll(filepath.Join(cfg.OutDir, "bin"), 0o750); err != nil {
		return nil, err
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, flavor: flavor, timeline: newTimeline(int(cfg.Shape.ControlPlanes + cfg.Shape.Workers)), logf: logf}
	logf("building the %s providers' binaries", flavor.Name())
	bins, err := buildBinaries(ctx, root, filepath.Join(cfg.OutDir, "bin"), flavor.Providers())
	if err != nil {
		return nil, err
	}
	logf("starting the management plane")
	if r.plane, err = startPlane(ctx, cfg, flavor); err != nil {
		return nil, err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if err := errors.Join(r.plane.Stop(), flavor.Shutdown(stopCtx)); err != nil {
			logf("stopping the plane: %v", err)
		}
	}()
	if r.client, err = client.New(r.plane.driverConfig(), client.Options{Scheme: r.plane.Env.Scheme}); err != nil {
		return nil, err
	}
	if err := r.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		return nil, err
	}
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	if err := r.startProviders(ctx, bins); err != nil {
		r.stopProviders()
		return nil, err
	}
	defer r.stopProviders()
	if err := r.watch(watchCtx); err != nil {
		return nil, err
	}
	report, err := r.measure(ctx)
	if err != nil {
		return report, err
	}
	return report, WriteFiles(cfg.OutDir, report)
}

// startProviders starts every provider once per shard, each with its own user and addresses, and waits until
// they are ready.
func (r *run) startProviders(ctx context.Context, bins map[string]string) error {
	certDir := filepath.Join(r.cfg.OutDir, "webhook-certs")
	if err := writeServingCert(certDir); err != nil {
		return err
	}
	shards := max(r.cfg.Shards, 1)
	health := map[*process]string{}
	for _, p := range r.flavor.Providers() {
		for shard := range shards {
			name := r.flavor.Name() + "-" + p.Name
			filter := ""
			if r.cfg.Shards > 1 {
				filter = fmt.Sprintf("shard-%d", shard)
				name += "-" + filter
			}
			addrs, err := freeAddrs(4)
			if err != nil {
				return err
			}
			kubeconfig := filepath.Join(r.cfg.OutDir, name+".kubeconfig")
			if err := r.plane.kubeconfigFor(ctx, name, p.ClusterRole, kubeconfig); err != nil {
				return err
			}
			_, webhookPort, _ := strings.Cut(addrs[3], ":")
			var port int
			_, _ = fmt.Sscan(webhookPort, &port)
			args := p.Args(ProviderArgs{Kubeconfig: kubeconfig, MetricsAddr: addrs[0], ProfilerAddr: addrs[1], HealthAddr: addrs[2],
				WebhookPort: port, WebhookCertDir: certDir, WatchFilter: filter, Config: r.cfg})
			proc, err := startProcess(name, bins[p.Package], args, append([]string{"KUBECONFIG=" + kubeconfig}, p.Env...),
				filepath.Join(r.cfg.OutDir, name+".log"))
			if err != nil {
				return err
			}
			proc.metricsAddr, proc.profilerAddr = addrs[0], addrs[1]
			r.processes = append(r.processes, proc)
			health[proc] = addrs[2]
		}
	}
	readyCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for proc, addr := range health {
		if err := proc.waitHealthy(readyCtx, addr); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) stopProviders() {
	var wg sync.WaitGroup
	for _, p := range r.processes {
		wg.Go(func() { p.stop(30 * time.Second) })
	}
	wg.Wait()
}

// watch starts the timeline's watches and the process sampler.
func (r *run) watch(ctx context.Context) error {
	cpGVK, err := r.controlPlaneGVK(ctx)
	if err != nil {
		return err
	}
	if err := r.timeline.watch(ctx, r.plane.driverConfig(), cache.Options{Scheme: r.plane.Env.Scheme}, cpGVK, r.flavor); err != nil {
		return err
	}
	all := append([]*process{}, r.processes...)
	for name, pid := range childProcesses("kube-apiserver", "etcd") {
		all = append(all, &process{name: name, pid: pid})
	}
	all = append(all, &process{name: "plane", pid: os.Getpid()})
	r.sampler = newSampler(all)
	go r.sampler.run(ctx, time.Second)
	return nil
}

// controlPlaneGVK is the served version of the flavor's control-plane kind, from a sample cluster.
func (r *run) controlPlaneGVK(ctx context.Context) (schema.GroupVersionKind, error) {
	objs, err := r.flavor.ClusterObjects(namespace, "sample", r.cfg)
	if err != nil {
		return schema.GroupVersionKind{}, err
	}
	for _, o := range objs {
		if c, ok := asCluster(o, r.plane.Env.Scheme); ok {
			ref := c.Spec.ControlPlaneRef
			mapping, err := r.client.RESTMapper().RESTMapping(schema.GroupKind{Group: ref.APIGroup, Kind: ref.Kind})
			if err != nil {
				return schema.GroupVersionKind{}, fmt.Errorf("failed to find the control-plane kind %s: %w", ref.Kind, err)
			}
			return mapping.GroupVersionKind, nil
		}
	}
	return schema.GroupVersionKind{}, errors.New("the flavor's cluster objects have no Cluster")
}

// measure runs the phases and builds the report.
func (r *run) measure(ctx context.Context) (*Report, error) {
	report := &Report{Config: r.cfg, Host: hostDescription()}
	for i := range r.cfg.Clusters {
		r.keys = append(r.keys, fmt.Sprintf("%s/c%04d", namespace, i))
	}
	// Let the providers' start-up work (cache sync, CRD migration) settle before the clock starts.
	time.Sleep(startupSettle)
	profilesStop := make(chan struct{})
	cpuProfiles := r.startCPUProfiles(ctx, profilesStop)
	createBefore := r.scrapeReconciles(ctx)
	r.sampler.mark("start")
	report.Started = time.Now()
	created := r.createClusters(ctx)
	deadline := report.Started.Add(time.Duration(r.cfg.Timeout))
	allAvailable := r.waitFor(ctx, deadline, func() bool {
		available, _ := r.timeline.counts(r.keys)
		return available == len(r.keys)
	}, "Available")
	r.sampler.mark("available")
	availableAt := time.Now()
	report.CreateReconciles = reconcileDiff(createBefore, r.scrapeReconciles(ctx))
	close(profilesStop)
	createErr := <-created
	report.Available, _ = r.timeline.counts(r.keys)

	r.logf("steady window of %s after %s", time.Duration(r.cfg.Steady), time.Duration(r.cfg.SteadySettle))
	sleepCtx(ctx, time.Duration(r.cfg.SteadySettle))
	r.sampler.mark("steady-start")
	steadyStart := time.Now()
	before := r.scrapeReconciles(ctx)
	sleepCtx(ctx, time.Duration(r.cfg.Steady))
	after := r.scrapeReconciles(ctx)
	r.sampler.mark("steady")
	steadyEnd := time.Now()
	report.SteadyReconciles = reconcileDiff(before, after)
	report.Files = append(report.Files, r.saveHeapProfiles(ctx)...)
	report.Files = append(report.Files, <-cpuProfiles...)

	r.logf("deleting %d clusters", len(r.keys))
	deleteStart := time.Now()
	deleteErr := r.deleteClusters(ctx)
	allGone := r.waitFor(ctx, deleteStart.Add(time.Duration(r.cfg.Timeout)), func() bool {
		_, gone := r.timeline.counts(r.keys)
		return gone == len(r.keys)
	}, "deleted")
	r.sampler.mark("deleted")
	deleteEnd := time.Now()
	report.DeleteTime = Duration(deleteEnd.Sub(deleteStart))

	report.Processes = r.sampler.usages(map[Phase][2]string{
		PhaseCreate: {"start", "available"}, PhaseSteady: {"steady-start", "steady"}, PhaseDelete: {"steady", "deleted"},
	}, "steady")
	report.Clusters = r.timeline.timelines(report.Started, r.keys, func(key string) string {
		ns, name, _ := strings.Cut(key, "/")
		return r.flavor.ResourceGroup(ns, name)
	})
	summarizeTimelines(report)
	if report.Available == len(r.keys) {
		report.TimeToAllAvailable = Duration(availableAt.Sub(report.Started))
	}
	r.stopProviders()
	// The audit backend writes in batches: stop the API server's clients first, then give it a moment to flush.
	time.Sleep(2 * time.Second)
	requests, err := r.parseAudit([]PhaseWindow{
		{Phase: PhaseCreate, From: report.Started, To: availableAt},
		{Phase: PhaseSteady, From: steadyStart, To: steadyEnd},
		{Phase: PhaseDelete, From: deleteStart, To: deleteEnd.Add(time.Second)},
	})
	report.Requests = requests
	report.Files = append(report.Files, "audit.log")
	var errs []error
	if createErr != nil {
		errs = append(errs, createErr)
	}
	if deleteErr != nil {
		errs = append(errs, deleteErr)
	}
	if !allAvailable {
		errs = append(errs, fmt.Errorf("%d of %d clusters Available after %s", report.Available, len(r.keys), time.Duration(r.cfg.Timeout)))
	}
	if !allGone {
		errs = append(errs, fmt.Errorf("not every cluster was deleted within %s", time.Duration(r.cfg.Timeout)))
	}
	return report, errors.Join(append(errs, err)...)
}

// createClusters creates the clusters at the arrival rate (or all at once, creators at a time) and returns a
// channel that receives the first error once all are created.
func (r *run) createClusters(ctx context.Context) <-chan error {
	done := make(chan error, 1)
	go func() {
		var mu sync.Mutex
		var errs []error
		work := make(chan int)
		var wg sync.WaitGroup
		workers := creators
		if r.cfg.ArrivalRate > 0 {
			workers = max(creators, int(r.cfg.ArrivalRate*2))
		}
		for range workers {
			wg.Go(func() {
				for i := range work {
					if err := r.createCluster(ctx, i); err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
				}
			})
		}
		start := time.Now()
		for i := range r.keys {
			if r.cfg.ArrivalRate > 0 {
				next := start.Add(time.Duration(float64(i) / r.cfg.ArrivalRate * float64(time.Second)))
				time.Sleep(time.Until(next))
			}
			work <- i
		}
		close(work)
		wg.Wait()
		done <- errors.Join(errs...)
	}()
	return done
}

// createCluster creates one cluster's objects, labelled with its shard.
func (r *run) createCluster(ctx context.Context, i int) error {
	_, name, _ := strings.Cut(r.keys[i], "/")
	objs, err := r.flavor.ClusterObjects(namespace, name, r.cfg)
	if err != nil {
		return err
	}
	r.timeline.created(r.keys[i], time.Now())
	for _, o := range objs {
		if r.cfg.Shards > 1 {
			if o, err = withShardLabel(o, r.plane.Env.Scheme, fmt.Sprintf("shard-%d", i%r.cfg.Shards)); err != nil {
				return err
			}
		}
		if err := r.client.Create(ctx, o); err != nil {
			return fmt.Errorf("failed to create %s %s: %w", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), err)
		}
	}
	return nil
}

// withShardLabel labels an object with its shard's watch-filter value, and the Machines, bootstrap configs and
// infrastructure machines made from it (control-plane machine templates, MachineDeployment templates), so that
// every provider's shard sees all of the cluster's objects.
func withShardLabel(o client.Object, scheme *apiruntime.Scheme, shard string) (client.Object, error) {
	gvk, err := apiutil.GVKForObject(o, scheme)
	if err != nil {
		return nil, err
	}
	content, err := apiruntime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: content}
	u.SetGroupVersionKind(gvk)
	labels := u.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[clusterv1.WatchLabel] = shard
	u.SetLabels(labels)
	for _, path := range [][]string{{"spec", "machineTemplate", "metadata", "labels"}, {"spec", "template", "metadata", "labels"}} {
		if _, found, _ := unstructured.NestedFieldNoCopy(u.Object, path[:len(path)-2]...); !found {
			continue
		}
		if err := unstructured.SetNestedField(u.Object, shard, append(path, clusterv1.WatchLabel)...); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// deleteClusters deletes every Cluster (CAPI deletes what they own).
func (r *run) deleteClusters(ctx context.Context) error {
	var errs []error
	for _, key := range r.keys {
		_, name, _ := strings.Cut(key, "/")
		c := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
		if err := r.client.Delete(ctx, c); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// waitFor polls cond until it holds or the deadline passes, printing progress every 10s.
func (r *run) waitFor(ctx context.Context, deadline time.Time, cond func() bool, what string) bool {
	lastLog := time.Now()
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		if time.Since(lastLog) >= 10*time.Second {
			available, gone := r.timeline.counts(r.keys)
			r.logf("waiting for %s: %d Available, %d deleted of %d", what, available, gone, len(r.keys))
			lastLog = time.Now()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

// cpuProfileChunk is the length of each CPU profile taken during the create phase; the chunks are merged, so the
// profile covers the phase whatever its length.
const cpuProfileChunk = 5 * time.Second

// startCPUProfiles profiles every provider's CPU from the first creation until stop is closed (all Available or
// timed out), in chunks merged into <process>.cpu.pprof; the channel receives the files written.
func (r *run) startCPUProfiles(ctx context.Context, stop <-chan struct{}) <-chan []string {
	out := make(chan []string, 1)
	go func() {
		var mu sync.Mutex
		var files []string
		var wg sync.WaitGroup
		for _, p := range r.processes {
			wg.Go(func() {
				file := p.name + ".cpu.pprof"
				if err := profileUntil(ctx, p.profilerAddr, cpuProfileChunk, stop, filepath.Join(r.cfg.OutDir, file)); err != nil {
					r.logf("CPU profile of %s: %v", p.name, err)
					return
				}
				mu.Lock()
				files = append(files, file)
				mu.Unlock()
			})
		}
		wg.Wait()
		out <- files
	}()
	return out
}

// saveHeapProfiles saves every provider's heap profile (at the end of the steady window).
func (r *run) saveHeapProfiles(ctx context.Context) []string {
	var files []string
	for _, p := range r.processes {
		file := p.name + ".heap.pprof"
		if err := saveProfile(ctx, p.profilerAddr, "heap", filepath.Join(r.cfg.OutDir, file)); err != nil {
			r.logf("heap profile of %s: %v", p.name, err)
			continue
		}
		files = append(files, file)
	}
	return files
}

// scrapeReconciles reads every provider's reconcile counters, by process and controller.
func (r *run) scrapeReconciles(ctx context.Context) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, p := range r.processes {
		totals, err := scrapeReconciles(ctx, p.metricsAddr)
		if err != nil {
			r.logf("metrics of %s: %v", p.name, err)
			continue
		}
		out[p.name] = totals
	}
	return out
}

// reconcileDiff is the reconciles between two scrapes.
func reconcileDiff(before, after map[string]map[string]int) []ReconcileCount {
	var out []ReconcileCount
	for process, totals := range after {
		for controller, n := range totals {
			out = append(out, ReconcileCount{Process: process, Controller: controller, Count: n - before[process][controller]})
		}
	}
	sortReconciles(out)
	return out
}

// parseAudit counts the audit log's requests by client (the provider processes' users are named after them).
func (r *run) parseAudit(windows []PhaseWindow) ([]RequestCount, error) {
	f, err := os.Open(r.plane.auditLog)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	names := map[string]string{}
	for _, p := range r.processes {
		names[p.name] = p.name
	}
	return ParseAudit(f, names, windows)
}

// hostDescription describes the machine for the report.
func hostDescription() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		if k, v, ok := strings.Cut(strings.SplitN(string(data), "\n", 2)[0], ":"); ok && k == "MemTotal" {
			var kb int64
			_, _ = fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
		}
	}
	return fmt.Sprintf("%s, %d cores%s, %s", model, runtime.NumCPU(), mem, runtime.Version())
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// asCluster converts one of a flavor's objects (typed or unstructured) to a Cluster when it is one.
func asCluster(o client.Object, scheme *apiruntime.Scheme) (*clusterv1.Cluster, bool) {
	if c, ok := o.(*clusterv1.Cluster); ok {
		return c, true
	}
	u, ok := o.(*unstructured.Unstructured)
	if !ok || u.GroupVersionKind() != clusterv1.GroupVersion.WithKind("Cluster") {
		return nil, false
	}
	c := &clusterv1.Cluster{}
	if err := scheme.Convert(u, c, nil); err != nil {
		return nil, false
	}
	return c, true
}

// summarizeTimelines fills the report's distributions from the clusters' timelines.
func summarizeTimelines(report *Report) {
	var toAvailable, dataLatency, cpLatency []time.Duration
	for _, c := range report.Clusters {
		if c.Available > 0 && c.Created > 0 {
			toAvailable = append(toAvailable, time.Duration(c.Available-c.Created))
		}
		if c.BootstrapDataWritten > 0 && c.InfrastructureProvisioned > 0 {
			dataLatency = append(dataLatency, time.Duration(c.BootstrapDataWritten-c.InfrastructureProvisioned))
		}
		if c.ControlPlaneAvailable > 0 && c.LastControlPlaneNodeReady > 0 {
			cpLatency = append(cpLatency, time.Duration(c.ControlPlaneAvailable-c.LastControlPlaneNodeReady))
		}
	}
	report.TimeToAvailable = Summarize(toAvailable)
	report.BootstrapDataLatency = Summarize(dataLatency)
	report.ControlPlaneAvailableLatency = Summarize(cpLatency)
}

// sortReconciles orders reconcile counts by process and controller.
func sortReconciles(rc []ReconcileCount) {
	sort.Slice(rc, func(i, j int) bool {
		if rc[i].Process != rc[j].Process {
			return rc[i].Process < rc[j].Process
		}
		return rc[i].Controller < rc[j].Controller
	})
}
