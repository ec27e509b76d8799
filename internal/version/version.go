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
	"fmt"
	"runtime"
	"runtime/debug"
)

// Build information, overridden with -ldflags -X. They must stay plain, uninitialised-by-function string variables:
// the linker can only set those.
var (
	// Version is the release, e.g. the output of `git describe --tags --always --dirty`.
	Version string
	// GitCommit is the full commit hash the binary was built from.
	GitCommit string
	// GitTreeState is "clean" or "dirty".
	GitTreeState string
	// BuildDate is the build (or, for reproducible builds, the commit) time in RFC 3339, UTC.
	BuildDate string
)

// Info is the build information of a binary.
type Info struct {
	Version      string `json:"version"`
	GitCommit    string `json:"gitCommit"`
	GitTreeState string `json:"gitTreeState"`
	BuildDate    string `json:"buildDate"`
	GoVersion    string `json:"goVersion"`
	Compiler     string `json:"compiler"`
	Platform     string `json:"platform"`
}

// Get returns the build information: the link-time values, completed from the VCS data the Go toolchain stamps
// into binaries built inside a git checkout (`go build`/`go run` without LDFLAGS).
func Get() Info {
	i := Info{
		Version:      Version,
		GitCommit:    GitCommit,
		GitTreeState: GitTreeState,
		BuildDate:    BuildDate,
		GoVersion:    runtime.Version(),
		Compiler:     runtime.Compiler,
		Platform:     runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		fillFromBuildInfo(&i, bi)
	}
	if i.Version == "" {
		i.Version = "dev"
	}
	return i
}

// fillFromBuildInfo sets the fields the linker left empty from the toolchain's stamps.
func fillFromBuildInfo(i *Info, bi *debug.BuildInfo) {
	if i.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		i.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && i.GitCommit == "":
			i.GitCommit = s.Value
		case s.Key == "vcs.time" && i.BuildDate == "":
			i.BuildDate = s.Value
		case s.Key == "vcs.modified" && i.GitTreeState == "":
			i.GitTreeState = map[string]string{"true": "dirty", "false": "clean"}[s.Value]
		}
	}
}

// String renders the build information on one line, as printed by --version.
func (i Info) String() string {
	return fmt.Sprintf("version=%s gitCommit=%s gitTreeState=%s buildDate=%s goVersion=%s compiler=%s platform=%s",
		orUnknown(i.Version), orUnknown(i.GitCommit), orUnknown(i.GitTreeState), orUnknown(i.BuildDate),
		i.GoVersion, i.Compiler, i.Platform)
}

// KeysAndValues returns the build information as structured-logging key/value pairs.
func (i Info) KeysAndValues() []any {
	return []any{
		"version", i.Version, "gitCommit", i.GitCommit, "gitTreeState", i.GitTreeState, "buildDate", i.BuildDate,
		"goVersion", i.GoVersion, "platform", i.Platform,
	}
}

// String is Get().String().
func String() string {
	return Get().String()
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
