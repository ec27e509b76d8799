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

// Command bench-fleet is `make bench-fleet`: it benchmarks this repository's providers (and, with -peer kubeadm,
// CAPI's KubeadmControlPlane in the same run) on N simulated clusters and writes a Markdown table, a JSON report
// and a PNG plot per flavor, plus the ratio table ours/peer. See docs/scale.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/k3s-io/cluster-api-k3s/test/fleetbench"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, " ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-fleet:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		cfg                                                       fleetbench.Config
		shape, peer, out                                          string
		bootDelay, nodeReadyDelay, retry, steady, settle, timeout time.Duration
		providerArgs                                              stringList
	)
	flag.StringVar(&cfg.Flavor, "flavor", "k3s", "Providers to benchmark: k3s (this repository's) or kubeadm (CAPI's KubeadmControlPlane).")
	flag.StringVar(&peer, "peer", "", "Also run this flavor with the same settings, after the first, and print the ratio table (kubeadm).")
	flag.IntVar(&cfg.Clusters, "n", 10, "Number of clusters.")
	flag.StringVar(&shape, "shape", "1", `Cluster shape: "1" (one control-plane Machine) or "3+1" (three control-plane Machines and one worker).`)
	flag.Float64Var(&cfg.ArrivalRate, "rate", 0, "Clusters created per second; 0 creates all at once.")
	flag.IntVar(&cfg.Concurrency, "concurrency", 0, "Concurrency of every provider controller (upstream's --concurrency); 0 keeps the binaries' defaults.")
	flag.IntVar(&cfg.Shards, "shards", 1, "Manager processes per provider, each owning the clusters of one watch-filter label value.")
	flag.DurationVar(&bootDelay, "boot-delay", 2*time.Second, "How long a simulated machine takes from bootstrap data to a Ready node.")
	flag.DurationVar(&nodeReadyDelay, "node-ready-delay", 0, "How long a simulated K3s Node stays NotReady after it registered, while its API server answers, as until K3s's network is up (k3s flavor only).")
	flag.DurationVar(&retry, "retry-interval", 30*time.Second, "Every ClusterCache's retry interval after a failed workload-cluster connection (CAPI's default 30s).")
	flag.DurationVar(&steady, "steady", 60*time.Second, "Steady-state window, from -steady-settle after all clusters are Available.")
	flag.DurationVar(&settle, "steady-settle", 15*time.Second, "Pause between all clusters Available and the steady-state window.")
	flag.DurationVar(&timeout, "timeout", 30*time.Minute, "Bound on reaching all Available, and on deleting all.")
	flag.StringVar(&cfg.KubernetesVersion, "kubernetes-version", "v1.34.5+k3s1", "Version of the clusters.")
	flag.Var(&providerArgs, "provider-arg", "Extra flag for this repository's providers (repeatable), e.g. a setting under test.")
	flag.StringVar(&out, "out", "_artifacts/bench-fleet", "Output directory; each flavor writes into a folder of its name.")
	netns := flag.Bool("netns", true, "Run in a network namespace of its own (Linux), so that servers which listen on all interfaces (CAPI's in-memory API servers) are reachable on loopback only.")
	flag.Parse()

	parsed, err := parseShape(shape)
	if err != nil {
		return err
	}
	cfg.Shape = parsed
	cfg.BootDelay, cfg.ConnectionRetryInterval = fleetbench.Duration(bootDelay), fleetbench.Duration(retry)
	cfg.NodeReadyDelay = fleetbench.Duration(nodeReadyDelay)
	cfg.Steady, cfg.SteadySettle, cfg.Timeout = fleetbench.Duration(steady), fleetbench.Duration(settle), fleetbench.Duration(timeout)
	cfg.ProviderArgs = providerArgs
	if cfg.Clusters < 1 || cfg.Shards < 1 {
		return errors.New("-n and -shards must be at least 1")
	}
	if cfg.NodeReadyDelay > 0 && (cfg.Flavor != "k3s" || peer != "") {
		// CAPI's in-memory machines (the kubeadm flavor) start the Node before the API server; a Node NotReady
		// while the API server answers is not modelled there, so no ratio with that setting would be fair.
		return errors.New("-node-ready-delay is simulated for the k3s flavor only, without -peer")
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	flavors := []string{cfg.Flavor}
	if peer != "" {
		flavors = append(flavors, peer)
	}
	if *netns && os.Getenv(inNetnsEnv) == "" {
		code, err := runInNetns(ctx, flavors)
		if err != nil {
			return err
		}
		if code != 0 {
			os.Exit(code)
		}
		return nil
	}
	if *netns {
		if err := loopbackUp(ctx); err != nil {
			return err
		}
	}
	var reports []*fleetbench.Report
	var errs []error
	for _, name := range flavors {
		flavor, err := newFlavor(name)
		if err != nil {
			return err
		}
		c := cfg
		c.Flavor = name
		c.OutDir, err = filepath.Abs(filepath.Join(out, name))
		if err != nil {
			return err
		}
		if err := os.RemoveAll(c.OutDir); err != nil {
			return err
		}
		logf("%s: %d clusters of shape %s", name, c.Clusters, c.Shape)
		report, err := fleetbench.Run(ctx, c, flavor, logf)
		if report != nil {
			fmt.Println(report.Markdown())
			if checkErr := report.Check(); checkErr != nil {
				errs = append(errs, fmt.Errorf("%s: incomplete report: %w", name, checkErr))
			}
			reports = append(reports, report)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if len(reports) == 2 {
		compare := fleetbench.CompareMarkdown(reports[0], reports[1])
		fmt.Println(compare)
		errs = append(errs, os.WriteFile(filepath.Join(out, "compare.md"), []byte(compare), 0o600),
			fleetbench.WritePlot(filepath.Join(out, "compare.png"), reports...))
	}
	return errors.Join(errs...)
}

// newFlavor returns the flavor of a name.
func newFlavor(name string) (fleetbench.Flavor, error) {
	switch name {
	case "k3s":
		return &fleetbench.K3sFlavor{}, nil
	case "kubeadm":
		return fleetbench.NewKubeadmFlavor(), nil
	}
	return nil, fmt.Errorf("unknown flavor %q (k3s, kubeadm)", name)
}

// parseShape reads "1" or "3+1".
func parseShape(s string) (fleetbench.Shape, error) {
	cp, workers, hasWorkers := strings.Cut(s, "+")
	c, err := strconv.Atoi(cp)
	if err != nil || c < 1 {
		return fleetbench.Shape{}, fmt.Errorf("invalid -shape %q: want <control planes>[+<workers>]", s)
	}
	shape := fleetbench.Shape{ControlPlanes: int32(c)} //nolint:gosec // small counts
	if hasWorkers {
		w, err := strconv.Atoi(workers)
		if err != nil || w < 0 {
			return fleetbench.Shape{}, fmt.Errorf("invalid -shape %q: want <control planes>[+<workers>]", s)
		}
		shape.Workers = int32(w) //nolint:gosec // small counts
	}
	return shape, nil
}
