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
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

func TestSummarize(t *testing.T) {
	secs := func(vs ...int) []time.Duration {
		var ds []time.Duration
		for _, v := range vs {
			ds = append(ds, time.Duration(v)*time.Second)
		}
		return ds
	}
	seq := func(n int) []time.Duration {
		var ds []time.Duration
		for i := n; i >= 1; i-- { // reversed: Summarize must sort
			ds = append(ds, time.Duration(i)*time.Second)
		}
		return ds
	}
	p := func(n, p50, p90, p99, mx int) Percentiles {
		s := func(v int) Duration { return Duration(time.Duration(v) * time.Second) }
		return Percentiles{Count: n, P50: s(p50), P90: s(p90), P99: s(p99), Max: s(mx)}
	}
	tests := []struct {
		name string
		in   []time.Duration
		want Percentiles
	}{
		{"empty", nil, Percentiles{}},
		{"one", secs(5), p(1, 5, 5, 5, 5)},
		{"two", secs(9, 1), p(2, 1, 9, 9, 9)},
		{"ten", secs(7, 3, 10, 1, 9, 2, 8, 4, 6, 5), p(10, 5, 9, 10, 10)},
		{"hundred", seq(100), p(100, 50, 90, 99, 100)},
		{"thousand", seq(1000), p(1000, 500, 900, 990, 1000)},
		{"ties", secs(0, 0, 0, 4), p(4, 0, 4, 4, 4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]time.Duration(nil), tt.in...)
			if got := Summarize(in); got != tt.want {
				t.Errorf("Summarize = %+v, want %+v", got, tt.want)
			}
			if !reflect.DeepEqual(in, tt.in) {
				t.Errorf("Summarize reordered its input: %v", in)
			}
		})
	}
}

// auditLine is one audit.k8s.io/v1 Event as kube-apiserver writes it (more fields than ParseAudit reads).
func auditLine(stage, user, verb, resource, sub string, code int, at time.Time) string {
	ref := ""
	if resource != "" {
		ref = fmt.Sprintf(`"objectRef":{"resource":%q,"subresource":%q,"namespace":"default","apiGroup":"x","apiVersion":"v1"},`,
			resource, sub)
	}
	status := ""
	if code != 0 {
		status = fmt.Sprintf(`"responseStatus":{"metadata":{},"code":%d},`, code)
	}
	return fmt.Sprintf(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":%q,`+
		`"requestURI":"/x","verb":%q,"user":{"username":%q,"groups":["system:authenticated"]},`+
		`"sourceIPs":["127.0.0.1"],"userAgent":"ua",%s%s"requestReceivedTimestamp":%q,"stageTimestamp":%q}`,
		stage, verb, user, ref, status, at.Format(time.RFC3339Nano), at.Format("2006-01-02T15:04:05.000000Z07:00"))
}

func TestParseAudit(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	phases := []PhaseWindow{
		{Phase: PhaseCreate, From: t0, To: at(10_000)},
		{Phase: PhaseSteady, From: at(10_000), To: at(20_000)},
		{Phase: PhaseDelete, From: at(25_000), To: at(30_000)},
	}
	names := map[string]string{"bench:bootstrap": "k3s-bootstrap", "bench:cp": "k3s-control-plane"}
	const rc = "ResponseComplete"
	lines := []string{
		auditLine("RequestReceived", "bench:bootstrap", "create", "secrets", "", 0, at(1)),
		auditLine(rc, "bench:bootstrap", "create", "secrets", "", 201, at(2)),
		auditLine(rc, "bench:cp", "update", "kthreescontrolplanes", "status", 409, at(3)),
		auditLine(rc, "bench:cp", "update", "kthreescontrolplanes", "status", 200, at(4)),
		"",
		auditLine(rc, "admin", "get", "machines", "", 200, at(5)),
		auditLine(rc, "admin", "get", "", "", 200, at(6)),
		auditLine("ResponseStarted", "bench:cp", "watch", "machines", "", 200, at(7)),
		auditLine(rc, "bench:cp", "patch", "clusters", "", 409, at(10_000)), // To is exclusive: steady
		auditLine(rc, "bench:cp", "patch", "clusters", "", 200, at(9_999)),
		auditLine(rc, "bench:cp", "delete", "machines", "", 200, at(22_000)), // between windows
		auditLine(rc, "bench:cp", "delete", "machines", "", 200, at(-1)),     // before the run
		auditLine(rc, "bench:cp", "delete", "machines", "", 200, at(30_000)), // after the run
		auditLine(rc, "bench:cp", "deletecollection", "machines", "", 200, at(25_000)),
	}
	got, err := ParseAudit(strings.NewReader(strings.Join(lines, "\n")+"\n"), names, phases)
	if err != nil {
		t.Fatal(err)
	}
	want := []RequestCount{
		{Client: "admin", Phase: PhaseCreate, Verb: "get", Resource: "", Count: 1},
		{Client: "admin", Phase: PhaseCreate, Verb: "get", Resource: "machines", Count: 1},
		{Client: "k3s-bootstrap", Phase: PhaseCreate, Verb: "create", Resource: "secrets", Count: 1},
		{Client: "k3s-control-plane", Phase: PhaseCreate, Verb: "patch", Resource: "clusters", Count: 1},
		{Client: "k3s-control-plane", Phase: PhaseCreate, Verb: "update", Resource: "kthreescontrolplanes/status", Count: 2, Conflicts: 1},
		{Client: "k3s-control-plane", Phase: PhaseDelete, Verb: "deletecollection", Resource: "machines", Count: 1},
		{Client: "k3s-control-plane", Phase: PhaseSteady, Verb: "patch", Resource: "clusters", Count: 1, Conflicts: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseAudit =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseAuditLongLineAndErrors(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	phases := []PhaseWindow{{Phase: PhaseCreate, From: t0, To: t0.Add(time.Minute)}}
	// A 2 MiB user agent exceeds bufio.Scanner's default 64 KiB line limit.
	long := strings.Replace(auditLine("ResponseComplete", "u", "list", "secrets", "", 200, t0), `"userAgent":"ua"`,
		`"userAgent":"`+strings.Repeat("x", 2<<20)+`"`, 1)
	got, err := ParseAudit(strings.NewReader(long), nil, phases)
	if err != nil {
		t.Fatalf("long line: %v", err)
	}
	if len(got) != 1 || got[0].Count != 1 || got[0].Client != "u" {
		t.Errorf("long line: got %+v", got)
	}

	bad := auditLine("ResponseComplete", "u", "get", "secrets", "", 200, t0) + "\n" + `{"stage":"ResponseComplete",`
	if _, err := ParseAudit(strings.NewReader(bad), nil, phases); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("truncated line: err = %v, want an error naming line 2", err)
	}
}

func TestIsWrite(t *testing.T) {
	for verb, want := range map[string]bool{"create": true, "update": true, "patch": true, "delete": true,
		"deletecollection": true, "get": false, "list": false, "watch": false, "": false} {
		if IsWrite(verb) != want {
			t.Errorf("IsWrite(%q) = %v", verb, !want)
		}
	}
}

func TestAuditPolicy(t *testing.T) {
	// Strict decoding against the audit.k8s.io/v1 field names catches a misspelt key, which kube-apiserver would
	// refuse at start.
	type groupResources struct {
		Group     string   `json:"group"`
		Resources []string `json:"resources"`
	}
	var p struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		OmitStages []string `json:"omitStages"`
		Rules      []struct {
			Level     string           `json:"level"`
			Users     []string         `json:"users"`
			Verbs     []string         `json:"verbs"`
			Resources []groupResources `json:"resources"`
		} `json:"rules"`
	}
	if err := yaml.UnmarshalStrict(AuditPolicy(), &p); err != nil {
		t.Fatal(err)
	}
	if p.APIVersion != "audit.k8s.io/v1" || p.Kind != "Policy" || !reflect.DeepEqual(p.OmitStages, []string{"RequestReceived"}) {
		t.Errorf("policy header: %+v", p)
	}
	var none []string
	for i, r := range p.Rules {
		last := i == len(p.Rules)-1
		switch {
		case last && (r.Level != "Metadata" || r.Users != nil || r.Verbs != nil || r.Resources != nil):
			t.Errorf("last rule must be a catch-all Metadata: %+v", r)
		case !last && r.Level != "None":
			t.Errorf("rule %d: level %s, want None", i, r.Level)
		}
		none = append(none, r.Verbs...)
		none = append(none, r.Users...)
		for _, g := range r.Resources {
			for _, res := range g.Resources {
				none = append(none, g.Group+"/"+res)
			}
		}
	}
	if want := []string{"watch", "system:apiserver", "coordination.k8s.io/leases"}; !reflect.DeepEqual(none, want) {
		t.Errorf("not audited: %v, want %v (events must stay)", none, want)
	}
}

// completeReport is a run of n clusters (n >= 2) with every measurement present; cluster i is created at i s,
// Available 6 s later.
func completeReport(n int) *Report {
	sec := func(s float64) Duration { return Duration(s * float64(time.Second)) }
	r := &Report{
		Config: Config{Flavor: "k3s", Clusters: n, Shape: Shape{ControlPlanes: 1}, Shards: 1,
			BootDelay: sec(2), ConnectionRetryInterval: sec(30), Steady: sec(1800), Timeout: sec(600)},
		Host:               "test host, 2 cores",
		Started:            time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Available:          n,
		TimeToAllAvailable: sec(float64(n - 1 + 6)),
		BootstrapDataLatency: Percentiles{Count: n, P50: sec(0.25), P90: sec(0.5), P99: sec(0.75),
			Max: sec(0.75)},
		ControlPlaneAvailableLatency: Percentiles{Count: n, P50: sec(1), P90: sec(1.5), P99: sec(2), Max: sec(2)},
		DeleteTime:                   sec(12.5),
		Processes: []ProcessUsage{
			{Name: "k3s-bootstrap", Provider: true, CPUSeconds: map[Phase]float64{PhaseCreate: 2.5, PhaseSteady: 0.5},
				PeakRSSBytes: 50 << 20, SteadyRSSBytes: 40 << 20},
			{Name: "k3s-control-plane", Provider: true, CPUSeconds: map[Phase]float64{PhaseCreate: 12.5, PhaseDelete: 1},
				PeakRSSBytes: 100 << 20, SteadyRSSBytes: 80 << 20},
			{Name: "kube-apiserver", CPUSeconds: map[Phase]float64{PhaseCreate: 40}, PeakRSSBytes: 500 << 20},
		},
		Requests: []RequestCount{
			{Client: "k3s-bootstrap", Phase: PhaseCreate, Verb: "create", Resource: "secrets", Count: 2 * n},
			{Client: "k3s-bootstrap", Phase: PhaseCreate, Verb: "get", Resource: "secrets", Count: 3 * n},
			{Client: "k3s-control-plane", Phase: PhaseCreate, Verb: "patch", Resource: "kthreescontrolplanes/status",
				Count: 7 * n, Conflicts: 3},
			{Client: "k3s-control-plane", Phase: PhaseSteady, Verb: "patch", Resource: "kthreescontrolplanes/status", Count: 5},
			{Client: "plane", Phase: PhaseCreate, Verb: "create", Resource: "clusters", Count: n},
		},
		SteadyReconciles: []ReconcileCount{{Process: "k3s-control-plane", Controller: "kthreescontrolplane", Count: 100}},
		CreateReconciles: []ReconcileCount{{Process: "k3s-control-plane", Controller: "kthreescontrolplane", Count: 80}},
	}
	var ds []time.Duration
	for i := range n {
		c := float64(i)
		r.Clusters = append(r.Clusters, ClusterTimeline{Name: fmt.Sprintf("c-%d", i), Created: sec(c),
			InfrastructureProvisioned: sec(c + 1), BootstrapDataWritten: sec(c + 1.25), LastControlPlaneNodeReady: sec(c + 4),
			ControlPlaneAvailable: sec(c + 5), Available: sec(c + 6), Deleted: sec(100 + c)})
		ds = append(ds, 6*time.Second)
	}
	r.TimeToAvailable = Summarize(ds)
	return r
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		modify func(r *Report)
		want   []string // substrings of the error; none: Check passes
	}{
		{"complete", func(*Report) {}, nil},
		{"not all Available", func(r *Report) { r.Available = 9 }, []string{"9 of 10 clusters Available"}},
		{"timeline missing", func(r *Report) { r.Clusters = r.Clusters[:9] }, []string{"9 cluster timelines for 10 clusters"}},
		{"not deleted", func(r *Report) { r.Clusters[3].Deleted = 0 }, []string{"1 clusters without Deleted (c-3)"}},
		{"second created at 0", func(r *Report) { r.Clusters[2].Created = 0 }, []string{"without Created (c-2)"}},
		{"first created before start", func(r *Report) { r.Clusters[0].Created = -1 }, []string{"without Created (c-0)"}},
		{"no bootstrap data", func(r *Report) {
			for i := range r.Clusters {
				r.Clusters[i].BootstrapDataWritten = 0
			}
		}, []string{"10 clusters without BootstrapDataWritten (c-0, c-1, c-2 and 7 more)"}},
		{"control plane not Available", func(r *Report) { r.Clusters[9].ControlPlaneAvailable = 0 },
			[]string{"without ControlPlaneAvailable (c-9)"}},
		{"cluster not Available", func(r *Report) { r.Clusters[0].Available = 0 }, []string{"without Available (c-0)"}},
		{"samples", func(r *Report) { r.TimeToAvailable.Count = 8 }, []string{"8 samples for 10 clusters"}},
		{"provider idle", func(r *Report) {
			r.Processes[0].CPUSeconds = nil
			r.Processes[1].CPUSeconds = map[Phase]float64{PhaseCreate: 0}
		}, []string{"no provider process with CPU time"}},
		{"no provider process", func(r *Report) {
			r.Processes[0].Provider = false
			r.Processes[1].Provider = false
		}, []string{"no provider process with CPU time", "no write by a provider client"}},
		{"providers only read", func(r *Report) {
			r.Requests = []RequestCount{r.Requests[1], r.Requests[4]}
		}, []string{"no write by a provider client"}},
		{"empty", func(r *Report) { *r = Report{} }, []string{"config has 0 clusters", "no provider process with CPU time",
			"no write by a provider client"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := completeReport(10)
			tt.modify(r)
			err := r.Check()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Check = nil, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Check = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestMarkdown(t *testing.T) {
	r := completeReport(10)
	r.Files = []string{"audit.log", "plot.png"}
	md := r.Markdown()
	for _, want := range []string{
		"# Fleet benchmark: k3s, 10 clusters",
		"flavor k3s · N 10 · shape 1 · arrival all at once · concurrency binary defaults · shards 1 · boot delay 2s · " +
			"ClusterCache connection retry interval 30s · steady window 30m0s",
		"host test host, 2 cores",
		"| Clusters Available | 10 / 10 |",
		"| Time to all Available (s) | 15.00 |",
		"| Time to Available p50 / p90 / p99 / max (s) | 6.00 / 6.00 / 6.00 / 6.00 (n=10) |",
		"| Provider-added latency, bootstrap data p50 / p90 / p99 (s) | 0.25 / 0.50 / 0.75 (n=10) |",
		"| Provider-added latency, control plane Available p50 / p90 / p99 (s) | 1.00 / 1.50 / 2.00 (n=10) |",
		"| Delete time (s) | 12.50 |",
		// CPU-s create/steady/delete, per cluster, peak MiB, steady MiB, steady KiB per cluster.
		"| k3s-control-plane | yes | 12.50 | 0.00 | 1.00 | 1.250 | 100.0 | 80.0 | 8192.0 |",
		"| **providers (sum)** | yes | 15.00 | 0.50 | 1.00 | 1.500 | 150.0 | 120.0 | 12288.0 |",
		"| kube-apiserver |  | 40.00 | 0.00 | 0.00 | 4.000 | 500.0 | 0.0 | 0.0 |",
		// Writes per cluster (create), writes create/steady/delete, conflicts, reads per cluster (create).
		"| k3s-bootstrap | yes | 2.0 | 20 | 0 | 0 | 0 | 3.0 |",
		"| k3s-control-plane | yes | 7.0 | 70 | 5 | 0 | 3 | 0.0 |",
		"| plane |  | 1.0 | 10 | 0 | 0 | 0 | 0.0 |",
		"| k3s-control-plane | patch | kthreescontrolplanes/status | 70 | 7.00 | 3 |",
		"| Writes by k3s-control-plane | 5 | 1.00 |",
		"| Reconciles k3s-control-plane / kthreescontrolplane | 100 | 20.00 |",
		"| k3s-control-plane / kthreescontrolplane | 80 | 8.00 |",
		"![clusters over time and time to Available](plot.png)",
		"- [audit.log](audit.log)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	// The top writes are the providers' only: the plane's cluster creations are not among them.
	if strings.Contains(md, "| plane | create |") {
		t.Errorf("top provider writes list a non-provider client:\n%s", md)
	}

	r.Config.ArrivalRate = 2.5
	r.Config.Concurrency = 10
	if md := r.Markdown(); !strings.Contains(md, "arrival 2.5 clusters/s · concurrency 10") {
		t.Errorf("Markdown lacks the arrival rate and concurrency:\n%s", md)
	}
	if md := (&Report{}).Markdown(); !strings.Contains(md, "| Clusters Available | 0 / 0 |") {
		t.Errorf("empty report:\n%s", md)
	}
}

func TestConfigLineNodeReadyDelay(t *testing.T) {
	r := &Report{Config: Config{Flavor: "k3s", Clusters: 1, Shards: 1, BootDelay: Duration(2 * time.Second)}}
	if line := r.configLine(); strings.Contains(line, "node ready delay") {
		t.Errorf("a delay that is not simulated is shown: %s", line)
	}
	r.Config.NodeReadyDelay = Duration(3 * time.Second)
	if line := r.configLine(); !strings.Contains(line, "boot delay 2s · node ready delay 3s · ClusterCache") {
		t.Errorf("the node ready delay is missing: %s", line)
	}
}

func TestCompareMarkdown(t *testing.T) {
	ours, peer := completeReport(10), completeReport(10)
	peer.Config.Flavor = "kubeadm"
	peer.TimeToAllAvailable = ours.TimeToAllAvailable * 2
	peer.Processes[1].CPUSeconds[PhaseCreate] = 27.5 // providers 30 CPU-s against ours 15
	peer.BootstrapDataLatency.P99 = 0
	md := CompareMarkdown(ours, peer)
	for _, want := range []string{
		"| Metric | k3s | kubeadm | Ratio |",
		"| Time to all Available (s) | 15.00 | 30.00 | 0.50 |",
		"| Time to Available p99 (s) | 6.00 | 6.00 | 1.00 |",
		"| Provider CPU-s per cluster (create) | 1.500 | 3.000 | 0.50 |",
		"| Provider writes per cluster (create) | 9.0 | 9.0 | 1.00 |",
		"| Provider peak RSS, sum (MiB) | 150.0 | 150.0 | 1.00 |",
		"| Provider-added latency, bootstrap data p99 (s) | 0.75 | 0.00 | n/a |",
		"| Provider-added latency, control plane Available p99 (s) | 2.00 | 2.00 | 1.00 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("CompareMarkdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "Warning") {
		t.Errorf("same settings flagged as different:\n%s", md)
	}
	peer.Config.Clusters = 20
	if md := CompareMarkdown(ours, peer); !strings.Contains(md, "the runs differ in N") {
		t.Errorf("different N not flagged:\n%s", md)
	}
}

func TestWriteFilesAndReadReport(t *testing.T) {
	dir := t.TempDir()
	r := completeReport(4)
	if err := WriteFiles(dir, r); err != nil {
		t.Fatal(err)
	}
	got, err := ReadReport(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("ReadReport = %+v\nwant %+v", got, r)
	}
	for _, f := range []string{"report.json", "report.md", "plot.png"} {
		if !strings.Contains(strings.Join(r.Files, " "), f) {
			t.Errorf("Files %v lack %s", r.Files, f)
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil || !strings.Contains(string(md), "## Plot") {
		t.Errorf("report.md: %v\n%s", err, md)
	}
	if _, err := ReadReport(filepath.Join(dir, "report.md")); err == nil {
		t.Error("ReadReport of Markdown succeeded")
	}
}

func TestWritePlot(t *testing.T) {
	ours, peer := completeReport(10), completeReport(10)
	peer.Config.Flavor = "kubeadm"
	one := &Report{Config: Config{Clusters: 1}, Available: 1, Clusters: []ClusterTimeline{{Name: "c-0"}}}
	tests := []struct {
		name    string
		reports []*Report
		colors  []color.RGBA // must appear
	}{
		{"one report", []*Report{ours}, []color.RGBA{plotColors[0][0], plotColors[0][1], plotTextColor}},
		{"overlay", []*Report{ours, peer}, []color.RGBA{plotColors[0][0], plotColors[1][0], plotTextColor}},
		{"empty", []*Report{{}}, []color.RGBA{plotAxisColor, plotTextColor}},
		{"zero durations", []*Report{one}, []color.RGBA{plotColors[0][1], plotTextColor}},
		{"large", []*Report{completeReport(1500)}, []color.RGBA{plotColors[0][0], plotTextColor}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "plot.png")
			if err := WritePlot(path, tt.reports...); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = f.Close() }()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 500 {
				t.Fatalf("plot is %v, want 1200x500", b)
			}
			seen := map[color.RGBA]bool{}
			for y := 0; y < 500; y++ {
				for x := 0; x < 1200; x++ {
					seen[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)] = true
				}
			}
			// The title row above the panels holds only text.
			if !hasColor(img, image.Rect(0, 0, 1200, plotTop), plotTextColor) {
				t.Error("no panel titles")
			}
			for _, c := range tt.colors {
				if !seen[c] {
					t.Errorf("no pixel of colour %v", c)
				}
			}
			if len(tt.reports) == 1 && seen[plotColors[1][0]] {
				t.Error("a single report drew the peer's colour")
			}
		})
	}
}

func hasColor(img image.Image, r image.Rectangle, c color.RGBA) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) == c {
				return true
			}
		}
	}
	return false
}

// inkBounds is the smallest rectangle holding every pixel of colour c.
func inkBounds(img *image.RGBA, c color.RGBA) image.Rectangle {
	var r image.Rectangle
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.RGBAAt(x, y) == c {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

func TestPlotText(t *testing.T) {
	if w := textWidth("k3s"); w != 21 {
		t.Errorf("textWidth(k3s) = %d, want 21", w)
	}
	img := image.NewRGBA(image.Rect(0, 0, 100, 100))
	drawText(img, "k3s", 50, 50, 1, plotTextColor)
	// Right-aligned at x 50 with the baseline at y 50: the ink ends left of 50 and within the ascent and descent.
	if got := inkBounds(img, plotTextColor); got.Empty() || !got.In(image.Rect(29, 39, 50, 52)) {
		t.Errorf("drawText ink at %v, want inside (29,39)-(50,52)", got)
	}
	img = image.NewRGBA(image.Rect(0, 0, 100, 100))
	drawTextUp(img, "clusters", 50, 50, plotTextColor)
	// Turned upright: taller than wide, and centred on (50, 50).
	got := inkBounds(img, plotTextColor)
	if got.Dy() <= got.Dx() || !got.In(image.Rect(43, 21, 58, 80)) {
		t.Errorf("drawTextUp ink at %v, want upright inside (43,21)-(58,80)", got)
	}

	ours, peer := completeReport(3), completeReport(3)
	peer.Config.Flavor = "kubeadm"
	var labels []string
	for _, e := range legendEntries([]*Report{ours, peer}) {
		labels = append(labels, e.label)
	}
	want := []string{"k3s Available", "k3s created", "kubeadm Available", "kubeadm created"}
	if !slices.Equal(labels, want) {
		t.Errorf("legend %q, want %q", labels, want)
	}
	// Two reports fit one legend row; many wrap and the image grows instead of cutting the legend off.
	if h := renderPlot([]*Report{ours, peer}).Bounds().Dy(); h != plotHeight {
		t.Errorf("two reports: height %d, want %d", h, plotHeight)
	}
	many := []*Report{ours, peer, ours, peer, ours, peer}
	if rows := legendRows(legendEntries(many), plotWidth-20); len(rows) < 2 {
		t.Errorf("six reports: %d legend rows, want at least 2", len(rows))
	} else if h := renderPlot(many).Bounds().Dy(); h != plotHeight+(len(rows)-1)*legendRow {
		t.Errorf("six reports: height %d, want %d", h, plotHeight+(len(rows)-1)*legendRow)
	}
}

func TestNiceAxis(t *testing.T) {
	tests := []struct {
		v        float64
		integral bool
		want     plotAxis
	}{
		{0, false, plotAxis{Max: 1, Step: 0.2}},
		{-3, true, plotAxis{Max: 1, Step: 1}},
		{3, true, plotAxis{Max: 3, Step: 1}},
		{10, true, plotAxis{Max: 10, Step: 2}},
		{83.4, false, plotAxis{Max: 100, Step: 20}},
		{1000, true, plotAxis{Max: 1000, Step: 200}},
		{1500, true, plotAxis{Max: 1500, Step: 500}},
	}
	for _, tt := range tests {
		if got := niceAxis(tt.v, tt.integral); got != tt.want {
			t.Errorf("niceAxis(%g, %v) = %+v, want %+v", tt.v, tt.integral, got, tt.want)
		}
	}
	caption := PlotCaption(completeReport(10))
	if !strings.Contains(caption, "x 0–15 s, a tick every 5 s; y 0–10 clusters, a tick every 2. ") {
		t.Errorf("caption: %s", caption)
	}
	if !strings.Contains(caption, "x 0–6 s, a tick every 2 s; y 0–100 %") {
		t.Errorf("caption: %s", caption)
	}
}
