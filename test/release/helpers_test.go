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

package release

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/adrg/xdg"
	"k8s.io/apimachinery/pkg/util/version"
	clusterctlv1 "sigs.k8s.io/cluster-api/cmd/clusterctl/api/v1alpha3"
	"sigs.k8s.io/yaml"

	releasetool "github.com/k3s-io/cluster-api-k3s/hack/tools/release"
	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
)

// builtRelease is the output of `make release` for the newest release series, built once per test binary.
type builtRelease struct {
	root    string // repository root
	dir     string // release directory
	version string // release version, v<major>.<minor>.0 of the newest series of metadata.yaml
	series  clusterctlv1.ReleaseSeries
	err     error
}

var (
	releaseOnce sync.Once
	release     builtRelease
)

// testRegistry is the image registry the release is built for, so the images show that the registry is applied.
const testRegistry = "registry.test/k3s"

// buildRelease builds the release like `make release RELEASE_TAG=<version> REGISTRY=registry.test/k3s`.
func buildRelease(t *testing.T) builtRelease {
	t.Helper()
	releaseOnce.Do(func() {
		release.root, release.err = envtest.RepoRoot()
		if release.err != nil {
			return
		}
		release.series, release.err = newestSeries(filepath.Join(release.root, releasetool.MetadataFile))
		if release.err != nil {
			return
		}
		release.version = "v" + version.MajorMinor(uint(release.series.Major), uint(release.series.Minor)).WithPatch(0).String()
		// Not t.TempDir: the release is shared by the tests of the binary.
		release.dir, release.err = os.MkdirTemp("", "capi-k3s-release-test-")
		if release.err != nil {
			return
		}
		_, release.err = releasetool.Build(releasetool.Options{
			RepoRoot: release.root, OutDir: release.dir, Registry: testRegistry, Tag: release.version,
		})
	})
	if release.err != nil {
		t.Fatalf("failed to build the release: %v", release.err)
	}
	return release
}

// TestMain removes the shared release after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if release.dir != "" {
		_ = os.RemoveAll(release.dir)
	}
	os.Exit(code)
}

// newestSeries returns the release series with the highest version of a clusterctl metadata file.
func newestSeries(path string) (clusterctlv1.ReleaseSeries, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return clusterctlv1.ReleaseSeries{}, err
	}
	m := &clusterctlv1.Metadata{}
	if err := yaml.UnmarshalStrict(data, m); err != nil {
		return clusterctlv1.ReleaseSeries{}, err
	}
	var newest clusterctlv1.ReleaseSeries
	for _, s := range m.ReleaseSeries {
		if s.Major > newest.Major || (s.Major == newest.Major && s.Minor >= newest.Minor) {
			newest = s
		}
	}
	return newest, nil
}

// versionOf parses a release version.
func versionOf(v string) (*version.Version, error) {
	return version.ParseSemantic(v)
}

// isolateClusterctl points clusterctl's configuration directories ($XDG_CONFIG_HOME/cluster-api, ~/.cluster-api)
// at a temporary home and unsets the given variables, so that neither the user's clusterctl configuration nor the
// environment changes what the test sees.
func isolateClusterctl(t *testing.T, variables []string) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	xdg.Reload()
	t.Cleanup(xdg.Reload)
	for _, v := range variables {
		// t.Setenv restores the variable after the test; Unsetenv then removes it for the test.
		t.Setenv(v, "")
		if err := os.Unsetenv(v); err != nil {
			t.Fatalf("failed to unset %s: %v", v, err)
		}
	}
}
