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

package version

import (
	"context"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func Test_fillFromBuildInfo(t *testing.T) {
	stamped := &debug.BuildInfo{
		Main: debug.Module{Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc123"},
			{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	tests := []struct {
		name string
		in   Info
		bi   *debug.BuildInfo
		want Info
	}{
		{
			name: "toolchain stamps fill empty fields",
			bi:   stamped,
			want: Info{GitCommit: "abc123", BuildDate: "2026-01-02T03:04:05Z", GitTreeState: "dirty"},
		},
		{
			name: "link-time values win",
			in:   Info{Version: "v1.0.0", GitCommit: "def456", GitTreeState: "clean", BuildDate: "2020-01-01T00:00:00Z"},
			bi:   stamped,
			want: Info{Version: "v1.0.0", GitCommit: "def456", GitTreeState: "clean", BuildDate: "2020-01-01T00:00:00Z"},
		},
		{
			name: "module version of go install",
			bi:   &debug.BuildInfo{Main: debug.Module{Version: "v0.5.0"}},
			want: Info{Version: "v0.5.0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got := tt.in
			fillFromBuildInfo(&got, tt.bi)
			g.Expect(got).To(Equal(tt.want))
		})
	}
}

func TestInfo_String(t *testing.T) {
	g := NewWithT(t)
	s := Info{Version: "v1.2.3", GitCommit: "abc", GoVersion: "go1.26.0", Compiler: "gc", Platform: "linux/arm64"}.String()
	g.Expect(s).To(Equal("version=v1.2.3 gitCommit=abc gitTreeState=unknown buildDate=unknown goVersion=go1.26.0 compiler=gc platform=linux/arm64"))
}

// TestLDFlags builds the bootstrap manager with the -X flags the Makefile passes and checks that --version reports
// them: a mistyped package path or variable name makes the linker drop the flag silently.
func TestLDFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bootstrap manager")
	}
	g := NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	g.Expect(err).NotTo(HaveOccurred())
	root := filepath.Dir(strings.TrimSpace(string(gomod)))

	const pkg = "github.com/k3s-io/cluster-api-k3s/internal/version"
	bin := filepath.Join(t.TempDir(), "manager")
	ldflags := strings.Join([]string{
		"-X", pkg + ".Version=v9.9.9-test",
		"-X", pkg + ".GitCommit=0123456789abcdef",
		"-X", pkg + ".GitTreeState=clean",
		"-X", pkg + ".BuildDate=2001-02-03T04:05:06Z",
	}, " ")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", ldflags, "-o", bin, "./bootstrap")
	build.Dir = root
	out, err := build.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))

	out, err = exec.CommandContext(ctx, bin, "--version").CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))
	g.Expect(strings.TrimSpace(string(out))).To(HavePrefix(
		"version=v9.9.9-test gitCommit=0123456789abcdef gitTreeState=clean buildDate=2001-02-03T04:05:06Z goVersion=go"))
}
