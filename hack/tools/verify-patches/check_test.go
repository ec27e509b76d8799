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

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheck runs the checker on every repository under testdata and compares its problems with the case's want.txt
// (one problem a line; empty for a valid queue).
func TestCheck(t *testing.T) {
	cases, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 5 {
		t.Fatalf("expected the fixture repositories under testdata, found %d", len(cases))
	}
	for _, tc := range cases {
		if !tc.IsDir() {
			continue
		}
		t.Run(tc.Name(), func(t *testing.T) {
			root := filepath.Join("testdata", tc.Name())
			want, err := os.ReadFile(filepath.Join(root, "want.txt"))
			if err != nil {
				t.Fatal(err)
			}
			report, err := Check(root)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			var got []string
			for _, p := range report.Problems {
				got = append(got, p.String())
			}
			if g, w := strings.Join(got, "\n"), strings.TrimRight(string(want), "\n"); g != w {
				t.Errorf("problems differ from %s/want.txt\n--- got ---\n%s\n--- want ---\n%s", root, g, w)
			}
		})
	}
}

// TestCheck_validCounts checks the counters of a clean run, which the command prints.
func TestCheck_validCounts(t *testing.T) {
	report, err := Check(filepath.Join("testdata", "valid"))
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Problems) != 0 || report.Records != 2 || report.TestRefs != 6 {
		t.Errorf("got %d problems, %d records, %d test references; want 0, 2, 6: %v",
			len(report.Problems), report.Records, report.TestRefs, report.Problems)
	}
}

// TestCheck_noQueue: a repository without patches/ is an error, not an empty queue.
func TestCheck_noQueue(t *testing.T) {
	if _, err := Check(t.TempDir()); err == nil {
		t.Error("Check of a directory without patches/ succeeded")
	}
}

// TestCheck_eachProblemIsDetected removes one thing at a time from a copy of the valid fixture and expects a
// problem naming the file, so that no single check can silently stop working.
func TestCheck_eachProblemIsDetected(t *testing.T) {
	record := filepath.Join("patches", "0001-first-change.md")
	tests := []struct {
		name, file, old, new, want string
	}{
		{"renamed test", record, "`go:pkg/alpha:TestAlpha`\n", "`go:pkg/alpha:TestAlphaX`\n", "patches/0001-first-change.md:21: go:pkg/alpha:TestAlphaX: no \"func TestAlphaX(\""},
		{"changed spec text", record, `"maxSurge 0"`, `"maxSurge 2"`, `patches/0001-first-change.md:26: ginkgo:test/e2e:"maxSurge 2": no Describe`},
		{"missing section", record, "## Why\n", "", `patches/0001-first-change.md: missing section "## Why"`},
		{"missing field", record, "- Area: api\n", "", `patches/0001-first-change.md:1: missing field "- Area:"`},
		{"one reference less", record, "- `go:pkg/alpha:TestAlpha`\n", "", ""}, // the others remain: no problem
		{"tests section emptied", filepath.Join("patches", "0002-second-change.md"), "- none yet: the release test lands with the manifests\n", "", `patches/0002-second-change.md:19: section "Tests" is empty`},
		{"index status", "UPSTREAM.md", "| api | not proposed |", "| api | merged (#1) |", `UPSTREAM.md:9: index row 0001 status "merged (#1)" differs`},
		{"index row gone", "UPSTREAM.md", "| 0002 |", "| 0003 |", "UPSTREAM.md:10: index row 0003 has no record in patches/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := copyTree(t, filepath.Join("testdata", "valid"))
			path := filepath.Join(root, tt.file)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tt.old) {
				t.Fatalf("%s does not contain %q", tt.file, tt.old)
			}
			if err := os.WriteFile(path, []byte(strings.Replace(string(b), tt.old, tt.new, 1)), 0o600); err != nil {
				t.Fatal(err)
			}
			report, err := Check(root)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range report.Problems {
				got = append(got, p.String())
			}
			joined := strings.Join(got, "\n")
			if tt.want == "" {
				if joined != "" {
					t.Errorf("unexpected problems:\n%s", joined)
				}
				return
			}
			if !strings.Contains(joined, tt.want) {
				t.Errorf("no problem containing %q; got:\n%s", tt.want, joined)
			}
		})
	}
}

// TestMain_exitCodes runs the command: 0 and a summary on a valid queue, 1 and file:line problems otherwise.
func TestMain_exitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := filepath.Join(t.TempDir(), "verify-patches")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	start := time.Now()
	out, err := exec.Command(bin, "-root", filepath.Join("testdata", "valid")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "verify-patches: 2 records, 6 test references") {
		t.Errorf("valid queue: err %v, output %q", err, out)
	}
	out, err = exec.Command(bin, "-root", filepath.Join("testdata", "missing-test")).CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 || !strings.Contains(string(out), "patches/0001-first-change.md:") {
		t.Errorf("queue with a missing test: err %v, output %q", err, out)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("two runs took %s; the check must take a few seconds at most", d)
	}
}

// copyTree copies the fixture directory src into a temporary directory and returns it.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
