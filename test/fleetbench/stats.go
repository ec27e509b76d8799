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
	"math"
	"slices"
	"sort"
	"time"
)

// Summarize returns the nearest-rank percentiles of ds: each is an observed value, so a p99 over few clusters is
// a real cluster's time and not an interpolation.
func Summarize(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return Percentiles{
		Count: len(s),
		P50:   Duration(nearestRank(s, 50)),
		P90:   Duration(nearestRank(s, 90)),
		P99:   Duration(nearestRank(s, 99)),
		Max:   Duration(s[len(s)-1]),
	}
}

// nearestRank is the smallest value with at least p percent of the sorted values at or below it.
func nearestRank(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

// ProviderClients are the provider processes' names, which are also their audit client names.
func (r *Report) ProviderClients() []string {
	var names []string
	for _, p := range r.Processes {
		if p.Provider {
			names = append(names, p.Name)
		}
	}
	return names
}

// Clients are the distinct clients of the request counts, sorted.
func (r *Report) Clients() []string {
	seen := map[string]bool{}
	var names []string
	for _, c := range r.Requests {
		if !seen[c.Client] {
			seen[c.Client] = true
			names = append(names, c.Client)
		}
	}
	sort.Strings(names)
	return names
}

// requestSums adds up the requests of the clients in the phase ("" is every phase) whose verb is accepted. An empty
// client list matches nothing, so that a report without providers does not count every client as one.
func (r *Report) requestSums(phase Phase, clients []string, verb func(string) bool) (count, conflicts int) {
	for _, c := range r.Requests {
		if (phase != "" && c.Phase != phase) || !slices.Contains(clients, c.Client) || !verb(c.Verb) {
			continue
		}
		count += c.Count
		conflicts += c.Conflicts
	}
	return count, conflicts
}

// Writes are the write requests of the clients in the phase; phase "" is every phase.
func (r *Report) Writes(phase Phase, clients ...string) int {
	n, _ := r.requestSums(phase, clients, IsWrite)
	return n
}

// Reads are the requests of the clients in the phase that are not writes (get, list, watch); phase "" is every
// phase.
func (r *Report) Reads(phase Phase, clients ...string) int {
	n, _ := r.requestSums(phase, clients, func(v string) bool { return !IsWrite(v) })
	return n
}

// Conflicts are the requests of the clients in the phase answered 409, of any verb; phase "" is every phase.
func (r *Report) Conflicts(phase Phase, clients ...string) int {
	_, n := r.requestSums(phase, clients, func(string) bool { return true })
	return n
}

// WritesPerCluster are the clients' writes in the phase divided by N.
func (r *Report) WritesPerCluster(phase Phase, clients ...string) float64 {
	return r.PerCluster(float64(r.Writes(phase, clients...)))
}

// ReadsPerCluster are the clients' reads in the phase divided by N.
func (r *Report) ReadsPerCluster(phase Phase, clients ...string) float64 {
	return r.PerCluster(float64(r.Reads(phase, clients...)))
}

// PerCluster divides v by N; a report without clusters gives 0 rather than Inf, which JSON cannot encode.
func (r *Report) PerCluster(v float64) float64 {
	if r.Config.Clusters <= 0 {
		return 0
	}
	return v / float64(r.Config.Clusters)
}

// CPUSeconds is the CPU time of the named processes in the phase; phase "" is every phase.
func (r *Report) CPUSeconds(phase Phase, processes ...string) float64 {
	var s float64
	for _, p := range r.Processes {
		if slices.Contains(processes, p.Name) {
			s += p.cpu(phase)
		}
	}
	return s
}

// CPUPerCluster is the CPU time of the named processes in the phase divided by N.
func (r *Report) CPUPerCluster(phase Phase, processes ...string) float64 {
	return r.PerCluster(r.CPUSeconds(phase, processes...))
}

// ProviderCPUSeconds is the CPU time of all provider processes in the phase; phase "" is every phase.
func (r *Report) ProviderCPUSeconds(phase Phase) float64 {
	return r.CPUSeconds(phase, r.ProviderClients()...)
}

// ProviderCPUPerCluster is the providers' CPU time in the phase divided by N, summed over provider processes
// (shards and both providers).
func (r *Report) ProviderCPUPerCluster(phase Phase) float64 {
	return r.CPUPerCluster(phase, r.ProviderClients()...)
}

// ProviderPeakRSSBytes sums the providers' peak RSS: the memory the providers would need if the peaks coincided.
func (r *Report) ProviderPeakRSSBytes() int64 {
	var b int64
	for _, p := range r.Processes {
		if p.Provider {
			b += p.PeakRSSBytes
		}
	}
	return b
}

func (p ProcessUsage) cpu(phase Phase) float64 {
	if phase != "" {
		return p.CPUSeconds[phase]
	}
	var s float64
	for _, v := range p.CPUSeconds {
		s += v
	}
	return s
}

// TopWrites are the clients' writes in the phase by client, verb and resource, most frequent first, at most n.
func (r *Report) TopWrites(phase Phase, n int, clients ...string) []RequestCount {
	type key struct{ client, verb, resource string }
	sums := map[key]*RequestCount{}
	for _, c := range r.Requests {
		if c.Phase != phase || !slices.Contains(clients, c.Client) || !IsWrite(c.Verb) {
			continue
		}
		k := key{c.Client, c.Verb, c.Resource}
		if sums[k] == nil {
			sums[k] = &RequestCount{Client: c.Client, Phase: phase, Verb: c.Verb, Resource: c.Resource}
		}
		sums[k].Count += c.Count
		sums[k].Conflicts += c.Conflicts
	}
	out := make([]RequestCount, 0, len(sums))
	for _, c := range sums {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Client != b.Client {
			return a.Client < b.Client
		}
		if a.Verb != b.Verb {
			return a.Verb < b.Verb
		}
		return a.Resource < b.Resource
	})
	if n >= 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// SteadyPerClusterHour is a count from the steady window (reconciles, writes) per cluster per hour; 0 without
// clusters or window.
func (r *Report) SteadyPerClusterHour(count int) float64 {
	hours := time.Duration(r.Config.Steady).Hours()
	if hours <= 0 {
		return 0
	}
	return r.PerCluster(float64(count)) / hours
}
