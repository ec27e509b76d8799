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
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The files WriteFiles writes into the output directory.
const (
	reportJSONFile = "report.json"
	reportMDFile   = "report.md"
	reportPlotFile = "plot.png"
)

// reportPhases are the phases in run order; tables list them so rather than alphabetically.
var reportPhases = []Phase{PhaseCreate, PhaseSteady, PhaseDelete}

// topProviderWrites bounds the table of the providers' most frequent writes.
const topProviderWrites = 15

// ReadReport reads a report.json, e.g. the peer's for CompareMarkdown.
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := &Report{}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("read report %s: %w", path, err)
	}
	return r, nil
}

// WriteFiles writes report.json, report.md and plot.png into dir and lists them in r.Files.
func WriteFiles(dir string, r *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range []string{reportJSONFile, reportMDFile, reportPlotFile} {
		if !slices.Contains(r.Files, f) {
			r.Files = append(r.Files, f)
		}
	}
	if err := WritePlot(filepath.Join(dir, reportPlotFile), r); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, reportJSONFile), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, reportMDFile), []byte(r.Markdown()), 0o644)
}

// Check returns an error naming everything missing unless the run is complete. CI runs it on every run, so it
// checks only that each measurement exists, never how fast anything was.
func (r *Report) Check() error {
	var problems []string
	n := r.Config.Clusters
	if n <= 0 {
		problems = append(problems, fmt.Sprintf("config has %d clusters", n))
	}
	if r.Available != n {
		problems = append(problems, fmt.Sprintf("%d of %d clusters Available", r.Available, n))
	}
	if len(r.Clusters) != n {
		problems = append(problems, fmt.Sprintf("%d cluster timelines for %d clusters", len(r.Clusters), n))
	}
	fields := []struct {
		name string
		get  func(ClusterTimeline) Duration
	}{
		{"Created", func(c ClusterTimeline) Duration { return c.Created }},
		{"BootstrapDataWritten", func(c ClusterTimeline) Duration { return c.BootstrapDataWritten }},
		{"ControlPlaneAvailable", func(c ClusterTimeline) Duration { return c.ControlPlaneAvailable }},
		{"Available", func(c ClusterTimeline) Duration { return c.Available }},
		{"Deleted", func(c ClusterTimeline) Duration { return c.Deleted }},
	}
	for _, f := range fields {
		var missing []string
		for i, c := range r.Clusters {
			// Times are offsets from the first creation, so the first cluster may be created at exactly 0.
			if f.get(c) <= 0 && (f.name != "Created" || i > 0 || f.get(c) < 0) {
				missing = append(missing, c.Name)
			}
		}
		if len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("%d clusters without %s (%s)", len(missing), f.name, firstNames(missing, 3)))
		}
	}
	if r.TimeToAvailable.Count != n {
		problems = append(problems, fmt.Sprintf("time to Available has %d samples for %d clusters",
			r.TimeToAvailable.Count, n))
	}
	if r.ProviderCPUSeconds("") <= 0 {
		problems = append(problems, "no provider process with CPU time")
	}
	if r.Writes("", r.ProviderClients()...) == 0 {
		problems = append(problems, "no write by a provider client in the audit log")
	}
	if len(problems) > 0 {
		return errors.New("incomplete report: " + strings.Join(problems, "; "))
	}
	return nil
}

func firstNames(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}

// Markdown renders the report: config, results, processes, API requests, steady state, plot and files.
func (r *Report) Markdown() string {
	var b strings.Builder
	n := r.Config.Clusters
	fmt.Fprintf(&b, "# Fleet benchmark: %s, %d clusters\n\n", r.Config.Flavor, n)
	b.WriteString(r.configLine() + "\n\n")
	if !r.Started.IsZero() {
		fmt.Fprintf(&b, "Started %s.\n\n", r.Started.UTC().Format(time.RFC3339))
	}

	b.WriteString("## Results\n\n| Result | Value |\n|---|---|\n")
	fmt.Fprintf(&b, "| Clusters Available | %d / %d |\n", r.Available, n)
	fmt.Fprintf(&b, "| Time to all Available (s) | %s |\n", fmtSec(r.TimeToAllAvailable))
	fmt.Fprintf(&b, "| Time to Available p50 / p90 / p99 / max (s) | %s |\n", fmtPercentiles(r.TimeToAvailable, true))
	fmt.Fprintf(&b, "| Provider-added latency, bootstrap data p50 / p90 / p99 (s) | %s |\n",
		fmtPercentiles(r.BootstrapDataLatency, false))
	fmt.Fprintf(&b, "| Provider-added latency, control plane Available p50 / p90 / p99 (s) | %s |\n",
		fmtPercentiles(r.ControlPlaneAvailableLatency, false))
	fmt.Fprintf(&b, "| Delete time (s) | %s |\n\n", fmtSec(r.DeleteTime))

	r.processesMarkdown(&b)
	r.requestsMarkdown(&b)
	r.createReconcilesMarkdown(&b)
	r.steadyMarkdown(&b)

	if slices.Contains(r.Files, reportPlotFile) {
		fmt.Fprintf(&b, "## Plot\n\n![clusters over time and time to Available](%s)\n\n%s\n\n", reportPlotFile,
			PlotCaption(r))
	}
	if len(r.Files) > 0 {
		b.WriteString("## Files\n\n")
		for _, f := range r.Files {
			fmt.Fprintf(&b, "- [%s](%s)\n", f, f)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (r *Report) configLine() string {
	c := r.Config
	arrival := "all at once"
	if c.ArrivalRate > 0 {
		arrival = fmt.Sprintf("%g clusters/s", c.ArrivalRate)
	}
	concurrency := "binary defaults"
	if c.Concurrency > 0 {
		concurrency = fmt.Sprint(c.Concurrency)
	}
	parts := []string{
		"flavor " + c.Flavor,
		fmt.Sprintf("N %d", c.Clusters),
		"shape " + c.Shape.String(),
		"arrival " + arrival,
		"concurrency " + concurrency,
		fmt.Sprintf("shards %d", c.Shards),
		"boot delay " + time.Duration(c.BootDelay).String(),
	}
	if c.NodeReadyDelay > 0 {
		parts = append(parts, "node ready delay "+time.Duration(c.NodeReadyDelay).String())
	}
	parts = append(parts,
		"ClusterCache connection retry interval "+time.Duration(c.ConnectionRetryInterval).String(),
		"steady window "+time.Duration(c.Steady).String(),
	)
	if c.KubernetesVersion != "" {
		parts = append(parts, "Kubernetes "+c.KubernetesVersion)
	}
	if len(c.ProviderArgs) > 0 {
		parts = append(parts, "provider args `"+strings.Join(c.ProviderArgs, " ")+"`")
	}
	if r.Host != "" {
		parts = append(parts, "host "+r.Host)
	}
	return "**Config:** " + strings.Join(parts, " · ")
}

// phasesOf are the run's phases in run order, then any other phase the processes report.
func (r *Report) phasesOf() []Phase {
	phases := slices.Clone(reportPhases)
	var extra []Phase
	for _, p := range r.Processes {
		for ph := range p.CPUSeconds {
			if !slices.Contains(phases, ph) && !slices.Contains(extra, ph) {
				extra = append(extra, ph)
			}
		}
	}
	slices.Sort(extra)
	return append(phases, extra...)
}

func (r *Report) processesMarkdown(b *strings.Builder) {
	if len(r.Processes) == 0 {
		return
	}
	phases := r.phasesOf()
	b.WriteString("## Processes\n\n| Process | Provider |")
	for _, ph := range phases {
		fmt.Fprintf(b, " CPU-s %s |", ph)
	}
	b.WriteString(" CPU-s / cluster (create) | Peak RSS (MiB) | Steady RSS (MiB) | Steady RSS / cluster (KiB) |\n")
	b.WriteString("|---|---|")
	b.WriteString(strings.Repeat("---:|", len(phases)+4) + "\n")
	row := func(name, provider string, cpu func(Phase) float64, peak, steady int64) {
		fmt.Fprintf(b, "| %s | %s |", mdCell(name), provider)
		for _, ph := range phases {
			fmt.Fprintf(b, " %.2f |", cpu(ph))
		}
		fmt.Fprintf(b, " %.3f | %.1f | %.1f | %.1f |\n", r.PerCluster(cpu(PhaseCreate)), mib(peak), mib(steady),
			r.PerCluster(float64(steady))/1024)
	}
	var peak, steady int64
	providers := 0
	for _, p := range r.Processes {
		mark := ""
		if p.Provider {
			mark = "yes"
			providers++
			peak += p.PeakRSSBytes
			steady += p.SteadyRSSBytes
		}
		row(p.Name, mark, p.cpu, p.PeakRSSBytes, p.SteadyRSSBytes)
	}
	if providers > 1 {
		row("**providers (sum)**", "yes", r.ProviderCPUSeconds, peak, steady)
	}
	b.WriteString("\n")
}

func (r *Report) requestsMarkdown(b *strings.Builder) {
	clients := r.Clients()
	if len(clients) == 0 {
		return
	}
	providers := r.ProviderClients()
	b.WriteString("## API requests by client\n\nFrom the audit log (watches and leases are not audited).\n\n")
	b.WriteString("| Client | Provider | Writes / cluster (create) |")
	for _, ph := range reportPhases {
		fmt.Fprintf(b, " Writes %s |", ph)
	}
	b.WriteString(" 409 conflicts | Reads / cluster (create) |\n|---|---|---:|")
	b.WriteString(strings.Repeat("---:|", len(reportPhases)+2) + "\n")
	for _, c := range clients {
		mark := ""
		if slices.Contains(providers, c) {
			mark = "yes"
		}
		fmt.Fprintf(b, "| %s | %s | %.1f |", mdCell(c), mark, r.WritesPerCluster(PhaseCreate, c))
		for _, ph := range reportPhases {
			fmt.Fprintf(b, " %d |", r.Writes(ph, c))
		}
		fmt.Fprintf(b, " %d | %.1f |\n", r.Conflicts("", c), r.ReadsPerCluster(PhaseCreate, c))
	}
	b.WriteString("\n")

	top := r.TopWrites(PhaseCreate, topProviderWrites, providers...)
	if len(top) == 0 {
		return
	}
	b.WriteString("### Top provider writes (create phase)\n\n| Client | Verb | Resource | Count | Per cluster | 409 |\n")
	b.WriteString("|---|---|---|---:|---:|---:|\n")
	for _, t := range top {
		fmt.Fprintf(b, "| %s | %s | %s | %d | %.2f | %d |\n", mdCell(t.Client), mdCell(t.Verb),
			mdCell(resourceLabel(t.Resource)), t.Count, r.PerCluster(float64(t.Count)), t.Conflicts)
	}
	b.WriteString("\n")
}

func (r *Report) steadyMarkdown(b *strings.Builder) {
	providers := r.ProviderClients()
	if len(providers) == 0 && len(r.SteadyReconciles) == 0 {
		return
	}
	fmt.Fprintf(b, "## Steady state (%s window)\n\n| What | Count | Per cluster per hour |\n|---|---:|---:|\n",
		time.Duration(r.Config.Steady))
	for _, p := range providers {
		w := r.Writes(PhaseSteady, p)
		fmt.Fprintf(b, "| Writes by %s | %d | %.2f |\n", mdCell(p), w, r.SteadyPerClusterHour(w))
	}
	for _, c := range sortedReconciles(r.SteadyReconciles) {
		fmt.Fprintf(b, "| Reconciles %s / %s | %d | %.2f |\n", mdCell(c.Process), mdCell(c.Controller), c.Count,
			r.SteadyPerClusterHour(c.Count))
	}
	b.WriteString("\n")
}

// createReconcilesMarkdown lists the providers' reconciles on the way to all Available.
func (r *Report) createReconcilesMarkdown(b *strings.Builder) {
	if len(r.CreateReconciles) == 0 {
		return
	}
	b.WriteString("## Reconciles to reach Available\n\n| Process / controller | Reconciles | Per cluster |\n|---|---:|---:|\n")
	for _, c := range sortedReconciles(r.CreateReconciles) {
		fmt.Fprintf(b, "| %s / %s | %d | %.2f |\n", mdCell(c.Process), mdCell(c.Controller), c.Count, r.PerCluster(float64(c.Count)))
	}
	b.WriteString("\n")
}

// sortedReconciles orders a copy of reconcile counts by process and controller.
func sortedReconciles(in []ReconcileCount) []ReconcileCount {
	rc := slices.Clone(in)
	sortReconciles(rc)
	return rc
}

// CompareMarkdown is a table of ours/peer ratios of the headline numbers of two runs; below 1 means ours is
// faster, cheaper or smaller.
func CompareMarkdown(ours, peer *Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Fleet benchmark: %s vs %s, %d clusters\n\n", ours.Config.Flavor, peer.Config.Flavor,
		ours.Config.Clusters)
	if diff := configDiff(ours, peer); len(diff) > 0 {
		fmt.Fprintf(&b, "**Warning:** the runs differ in %s.\n\n", strings.Join(diff, ", "))
	}
	fmt.Fprintf(&b, "| Metric | %s | %s | Ratio |\n|---|---:|---:|---:|\n", mdCell(ours.Config.Flavor),
		mdCell(peer.Config.Flavor))
	rows := []struct {
		name   string
		metric func(*Report) float64
		format string
	}{
		{"Time to all Available (s)", func(r *Report) float64 { return secondsOf(r.TimeToAllAvailable) }, "%.2f"},
		{"Time to Available p50 (s)", func(r *Report) float64 { return secondsOf(r.TimeToAvailable.P50) }, "%.2f"},
		{"Time to Available p99 (s)", func(r *Report) float64 { return secondsOf(r.TimeToAvailable.P99) }, "%.2f"},
		{"Provider CPU-s per cluster (create)", func(r *Report) float64 {
			return r.ProviderCPUPerCluster(PhaseCreate)
		}, "%.3f"},
		{"Provider writes per cluster (create)", func(r *Report) float64 {
			return r.WritesPerCluster(PhaseCreate, r.ProviderClients()...)
		}, "%.1f"},
		{"Provider peak RSS, sum (MiB)", func(r *Report) float64 { return mib(r.ProviderPeakRSSBytes()) }, "%.1f"},
		{"Provider-added latency, bootstrap data p99 (s)", func(r *Report) float64 {
			return secondsOf(r.BootstrapDataLatency.P99)
		}, "%.2f"},
		{"Provider-added latency, control plane Available p99 (s)", func(r *Report) float64 {
			return secondsOf(r.ControlPlaneAvailableLatency.P99)
		}, "%.2f"},
	}
	for _, row := range rows {
		o, p := row.metric(ours), row.metric(peer)
		fmt.Fprintf(&b, "| %s | "+row.format+" | "+row.format+" | %s |\n", row.name, o, p, ratio(o, p))
	}
	b.WriteString("\n")
	return b.String()
}

// ratio is ours/peer with 2 decimals, or n/a when the peer measured 0.
func ratio(ours, peer float64) string {
	if peer == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", ours/peer)
}

// configDiff names the settings two runs should share for their ratio to mean anything.
func configDiff(a, b *Report) []string {
	ca, cb := a.Config, b.Config
	var d []string
	check := func(name string, same bool) {
		if !same {
			d = append(d, name)
		}
	}
	check("N", ca.Clusters == cb.Clusters)
	check("shape", ca.Shape == cb.Shape)
	check("arrival rate", ca.ArrivalRate == cb.ArrivalRate)
	check("concurrency", ca.Concurrency == cb.Concurrency)
	check("shards", ca.Shards == cb.Shards)
	check("boot delay", ca.BootDelay == cb.BootDelay)
	check("node ready delay", ca.NodeReadyDelay == cb.NodeReadyDelay)
	check("connection retry interval", ca.ConnectionRetryInterval == cb.ConnectionRetryInterval)
	check("steady window", ca.Steady == cb.Steady)
	check("host", a.Host == b.Host)
	return d
}

func fmtSec(d Duration) string { return fmt.Sprintf("%.2f", secondsOf(d)) }

func fmtPercentiles(p Percentiles, withMax bool) string {
	s := fmtSec(p.P50) + " / " + fmtSec(p.P90) + " / " + fmtSec(p.P99)
	if withMax {
		s += " / " + fmtSec(p.Max)
	}
	return fmt.Sprintf("%s (n=%d)", s, p.Count)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// resourceLabel names the requests without an objectRef (discovery, /healthz) rather than leaving a blank cell.
func resourceLabel(r string) string {
	if r == "" {
		return "(non-resource)"
	}
	return r
}

// mdCell keeps a value from ending its table cell.
func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
