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
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/pprof/profile"
)

// clockTicks is the kernel's USER_HZ, the unit of utime and stime in /proc/<pid>/stat (100 on Linux).
const clockTicks = 100

// buildBinaries builds each provider's manager binary once into dir and returns their paths by package.
func buildBinaries(ctx context.Context, root, dir string, providers []Provider) (map[string]string, error) {
	bins := map[string]string{}
	for _, p := range providers {
		if _, ok := bins[p.Package]; ok {
			continue
		}
		out := filepath.Join(dir, strings.NewReplacer("./", "", "/", "-").Replace(p.Package))
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, p.Package)
		cmd.Dir = root
		if output, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("failed to build %s: %w\n%s", p.Package, err, output)
		}
		bins[p.Package] = out
	}
	return bins, nil
}

// process is a provider's manager running as an OS process, or another process of the run that is sampled.
type process struct {
	name     string
	provider bool
	pid      int
	cmd      *exec.Cmd
	// metricsAddr and profilerAddr are the provider's plain-HTTP addresses; empty for other processes.
	metricsAddr, profilerAddr string
	// exited is closed when a started command returned.
	exited chan struct{}
	err    error
}

// startProcess starts a provider's binary with its own log file; it runs until stop.
func startProcess(name, binary string, args, env []string, logPath string) (*process, error) {
	logFile, err := os.Create(logPath) //nolint:gosec // the run's output directory
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, args...) //nolint:gosec // a binary this run built
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("failed to start %s: %w", name, err)
	}
	p := &process{name: name, provider: true, pid: cmd.Process.Pid, cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = logFile.Close()
		close(p.exited)
	}()
	return p, nil
}

// stop asks the process to stop (SIGTERM, as a Deployment would) and kills it after a grace period.
func (p *process) stop(grace time.Duration) {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(grace):
		_ = syscall.Kill(-p.pid, syscall.SIGKILL)
		<-p.exited
	}
}

// waitHealthy waits until the provider's health endpoint answers, failing early if the process exits.
func (p *process) waitHealthy(ctx context.Context, healthAddr string) error {
	url := "http://" + healthAddr + "/readyz"
	for {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited: %w", p.name, p.err)
		case <-ctx.Done():
			return fmt.Errorf("%s did not become ready: %w", p.name, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
		resp, err := http.Get(url) //nolint:gosec,noctx // loopback health probe
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
}

// usage is a process's CPU time and memory read from /proc.
type usage struct {
	cpuSeconds float64
	rssBytes   int64
	peakRSS    int64
}

// readUsage reads a process's CPU time (user+system) and resident memory (current and peak).
func readUsage(pid int) (usage, error) {
	var u usage
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, err
	}
	// The command name (field 2) may contain spaces; the fields after its closing parenthesis are fixed.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) < 13 {
		return u, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	u.cpuSeconds = (utime + stime) / clockTicks
	status, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, err
	}
	defer func() { _ = status.Close() }()
	scanner := bufio.NewScanner(status)
	for scanner.Scan() {
		key, value, _ := strings.Cut(scanner.Text(), ":")
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			continue
		}
		switch key {
		case "VmRSS":
			u.rssBytes = kb * 1024
		case "VmHWM":
			u.peakRSS = kb * 1024
		}
	}
	return u, scanner.Err()
}

// childProcesses finds this process's children with the given command names (envtest's kube-apiserver and etcd).
func childProcesses(names ...string) map[string]int {
	found := map[string]int{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return found
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(stat)
		open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closing < open {
			continue
		}
		comm := s[open+1 : closing]
		fields := strings.Fields(s[closing+1:])
		if len(fields) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid != self {
			continue
		}
		for _, n := range names {
			if comm == n {
				found[n] = pid
			}
		}
	}
	return found
}

// sampler records every process's peak RSS between snapshots and its CPU time at the phase boundaries.
type sampler struct {
	mu        sync.Mutex
	processes []*process
	peak      map[string]int64
	cpuAt     map[string]map[string]float64 // by process, CPU seconds at each mark
	rssAt     map[string]map[string]int64
}

func newSampler(processes []*process) *sampler {
	return &sampler{processes: processes, peak: map[string]int64{}, cpuAt: map[string]map[string]float64{}, rssAt: map[string]map[string]int64{}}
}

// run samples memory every interval until ctx ends (the kernel's VmHWM covers the peak in between for the
// providers; kube-apiserver and etcd are sampled the same way).
func (s *sampler) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.sample()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *sampler) sample() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.processes {
		u, err := readUsage(p.pid)
		if err != nil {
			continue
		}
		s.peak[p.name] = max(s.peak[p.name], u.rssBytes, u.peakRSS)
	}
}

// mark records every process's CPU time and RSS now, under a name (a phase boundary).
func (s *sampler) mark(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.processes {
		u, err := readUsage(p.pid)
		if err != nil {
			continue
		}
		if s.cpuAt[p.name] == nil {
			s.cpuAt[p.name], s.rssAt[p.name] = map[string]float64{}, map[string]int64{}
		}
		s.cpuAt[p.name][name], s.rssAt[p.name][name] = u.cpuSeconds, u.rssBytes
		s.peak[p.name] = max(s.peak[p.name], u.rssBytes, u.peakRSS)
	}
}

// usages are the processes' CPU per phase (between consecutive marks) and memory.
func (s *sampler) usages(phases map[Phase][2]string, steadyMark string) []ProcessUsage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ProcessUsage
	for _, p := range s.processes {
		u := ProcessUsage{Name: p.name, Provider: p.provider, CPUSeconds: map[Phase]float64{}, PeakRSSBytes: s.peak[p.name],
			SteadyRSSBytes: s.rssAt[p.name][steadyMark]}
		for phase, marks := range phases {
			from, okFrom := s.cpuAt[p.name][marks[0]]
			to, okTo := s.cpuAt[p.name][marks[1]]
			if okFrom && okTo {
				u.CPUSeconds[phase] = to - from
			}
		}
		out = append(out, u)
	}
	return out
}

// scrapeReconciles reads controller-runtime's reconcile counter of every controller from a metrics endpoint.
func scrapeReconciles(ctx context.Context, addr string) (map[string]int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics of %s: %s", addr, resp.Status)
	}
	return parseReconcileTotals(resp.Body)
}

// parseReconcileTotals counts reconciles by controller: CAPI's capi_reconcile_total where a controller has it (it
// leaves out the calls its per-object rate limit turns away without reconciling), else controller-runtime's
// controller_runtime_reconcile_total; each summed over results.
func parseReconcileTotals(r io.Reader) (map[string]int, error) {
	metrics := map[string]map[string]int{"capi_reconcile_total{": {}, "controller_runtime_reconcile_total{": {}}
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for scanner.Scan() {
		line := scanner.Text()
		for metric, totals := range metrics {
			if !strings.HasPrefix(line, metric) {
				continue
			}
			labels, value, ok := strings.Cut(line[len(metric):], "} ")
			if !ok {
				continue
			}
			controller := ""
			for _, l := range strings.Split(labels, ",") {
				if k, v, ok := strings.Cut(l, "="); ok && k == "controller" {
					controller = strings.Trim(v, `"`)
				}
			}
			n, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			if err != nil {
				return nil, fmt.Errorf("reconcile total %q: %w", line, err)
			}
			totals[controller] += int(n)
		}
	}
	totals := metrics["controller_runtime_reconcile_total{"]
	for controller, n := range metrics["capi_reconcile_total{"] {
		totals[controller] = n
	}
	return totals, scanner.Err()
}

// saveProfile fetches a pprof profile (e.g. "heap") from a provider into path.
func saveProfile(ctx context.Context, addr, name, path string) error {
	f, err := os.Create(path) //nolint:gosec // the run's output directory
	if err != nil {
		return err
	}
	return errors.Join(fetchProfile(ctx, addr, name, f), f.Close())
}

// fetchProfile copies a pprof endpoint's answer to w.
func fetchProfile(ctx context.Context, addr, name string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/debug/pprof/"+name, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile %s of %s: %s", name, addr, resp.Status)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

// profileUntil takes consecutive CPU profiles of chunk length from a provider until stop is closed, and writes
// them merged into path.
func profileUntil(ctx context.Context, addr string, chunk time.Duration, stop <-chan struct{}, path string) error {
	var profiles []*profile.Profile
	for {
		var buf bytes.Buffer
		if err := fetchProfile(ctx, addr, fmt.Sprintf("profile?seconds=%d", int(chunk.Seconds())), &buf); err != nil {
			return err
		}
		p, err := profile.Parse(&buf)
		if err != nil {
			return fmt.Errorf("failed to parse a CPU profile of %s: %w", addr, err)
		}
		profiles = append(profiles, p)
		select {
		case <-stop:
			merged, err := profile.Merge(profiles)
			if err != nil {
				return fmt.Errorf("failed to merge the CPU profiles of %s: %w", addr, err)
			}
			f, err := os.Create(path) //nolint:gosec // the run's output directory
			if err != nil {
				return err
			}
			return errors.Join(merged.Write(f), f.Close())
		default:
		}
	}
}

// freeAddrs returns n 127.0.0.1 addresses whose ports were free a moment ago.
func freeAddrs(n int) ([]string, error) {
	var addrs []string
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("failed to find a free port: %w", err)
		}
		listeners = append(listeners, l)
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}
