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

package apiexactness

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
)

// referenceFile is the reference's name, the same in testdata/ and in the shared reference directory.
const referenceFile = "upstream-go-api.tsv"

// allowList holds the deliberate differences from upstream's Go API. Keep it short and in sync with
// docs/migration.md ("Go API differences from upstream"); TestAllowListDocumented checks the patterns are there.
var allowList = []allowed{
	{
		Pattern: "*/api/v1beta1 func Convert_v1beta*",
		Reason: "v1beta3 is the conversion hub, so conversion-gen generates Convert_v1beta1_*_To_v1beta3_* and back " +
			"instead of upstream's v1beta1<->v1beta2 functions; convert between old versions with ConvertTo/ConvertFrom " +
			"through the hub",
	},
	{
		Pattern: "*/api/v1beta2 method (*).Hub",
		Reason: "v1beta3 is the hub; controller-runtime's conversion webhook refuses a kind with two Hub versions " +
			"(\"multiple hub version defined\")",
	},
	{
		Pattern: "*/api/v1beta2 method (*).Validate*",
		Reason: "validation runs in bootstrap/webhooks and controlplane/webhooks on the hub version; admission.Warnings " +
			"in the signature would add controller-runtime's webhook packages (about 430 more) to every importer of " +
			"the API types",
	},
	{
		Pattern: "*/api/v1beta2 method (*).SetupWebhookWithManager",
		Reason: "the webhooks (defaulting, validation, conversion) are registered by bootstrap/webhooks and " +
			"controlplane/webhooks, for the hub version; ctrl.Manager would pull controller-runtime's manager into " +
			"the API packages",
	},
}

func TestGoAPIMatchesUpstream(t *testing.T) {
	upstream, err := readReference(filepath.Join(referenceDir(t), referenceFile))
	if err != nil {
		t.Fatalf("failed to read the reference: %v", err)
	}
	ours, err := loadOurs(repoRoot(t))
	if err != nil {
		t.Fatalf("failed to load our API packages: %v", err)
	}
	for _, p := range apiPackages {
		if !hasPackage(ours, p) || !hasPackage(upstream, p) {
			t.Fatalf("package %s: no items rendered on one side", p)
		}
	}
	unallowed, stale := applyAllowList(compare(upstream, ours), allowList)
	if len(unallowed) > 0 {
		var b strings.Builder
		for _, d := range unallowed {
			b.WriteString("  " + strings.ReplaceAll(d.String(), "\n", "\n  ") + "\n")
		}
		t.Errorf("%d Go API differences from upstream; fix them, or add a deliberate one to allowList and "+
			"docs/migration.md with its reason:\n%s", len(unallowed), b.String())
	}
	for _, a := range stale {
		t.Errorf("allowList entry %q no longer matches a difference from upstream; remove it here and in "+
			"docs/migration.md", a.Pattern)
	}
}

func TestAllowListDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "migration.md"))
	if err != nil {
		t.Fatalf("failed to read docs/migration.md: %v", err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Go API differences from upstream\n")
	if !ok {
		t.Fatalf("docs/migration.md has no section \"Go API differences from upstream\"")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for _, a := range allowList {
		if !strings.Contains(section, "`"+a.Pattern+"`") {
			t.Errorf("docs/migration.md, \"Go API differences from upstream\", does not list `%s` (%s)", a.Pattern, a.Reason)
		}
	}
}

func TestVendoredReferenceMatchesShared(t *testing.T) {
	shared := sharedReferenceDir(t)
	if shared == "" {
		t.Skip("no shared reference directory beside the repository; using the vendored copy in testdata")
	}
	want, err := os.ReadFile(filepath.Join(shared, referenceFile)) //nolint:gosec // fixed name
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("testdata", referenceFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("testdata/%s differs from %s; copy it verbatim: cp %s testdata/", referenceFile, shared,
			filepath.Join(shared, referenceFile))
	}
}

func hasPackage(items []item, pkg string) bool {
	for _, i := range items {
		if i.Package == pkg {
			return true
		}
	}
	return false
}

// repoRoot is the repository root (the directory holding go.mod).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := envtest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// sharedReferenceDir returns <repo>/../shared/reference when it holds the reference, else "".
func sharedReferenceDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(filepath.Dir(repoRoot(t)), "shared", "reference")
	if _, err := os.Stat(filepath.Join(dir, referenceFile)); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("failed to stat %s: %v", referenceFile, err)
		}
		return ""
	}
	return dir
}

// referenceDir returns the directory the reference is read from: the shared copy when present, else testdata.
func referenceDir(t *testing.T) string {
	t.Helper()
	if dir := sharedReferenceDir(t); dir != "" {
		return dir
	}
	return "testdata"
}
