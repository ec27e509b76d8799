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
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	logsv1 "k8s.io/component-base/logs/api/v1"
	clusterctlv1 "sigs.k8s.io/cluster-api/cmd/clusterctl/api/v1alpha3"
	yamlprocessor "sigs.k8s.io/cluster-api/cmd/clusterctl/client/yamlprocessor"
	"sigs.k8s.io/yaml"

	"github.com/k3s-io/cluster-api-k3s/controlplane/reconcilers/setup"
	"github.com/k3s-io/cluster-api-k3s/internal/manager"
)

// TestDocs checks that docs/install.md lists every clusterctl variable of the release (components and templates)
// and docs/configuration.md every flag of both managers except the logging flags, which it describes as a group.
func TestDocs(t *testing.T) {
	rel := buildRelease(t)
	install := readDoc(t, rel.root, "install.md")
	files, err := filepath.Glob(filepath.Join(rel.dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		variables, err := yamlprocessor.NewSimpleProcessor().GetVariables(raw)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		for _, v := range variables {
			if !strings.Contains(install, "`"+v+"`") {
				t.Errorf("docs/install.md does not list the variable %s of %s", v, filepath.Base(f))
			}
		}
	}

	configuration := readDoc(t, rel.root, "configuration.md")
	logging := pflag.NewFlagSet("logging", pflag.ContinueOnError)
	logsv1.AddFlags(logsv1.NewLoggingConfiguration(), logging)
	fs := pflag.NewFlagSet("managers", pflag.ContinueOnError)
	(&manager.Options{}).AddFlags(fs)
	(&setup.Options{}).AddFlags(fs)
	fs.Int("kthreesconfig-concurrency", 10, "") // bootstrap/main.go
	fs.VisitAll(func(f *pflag.Flag) {
		if logging.Lookup(f.Name) != nil {
			return
		}
		if !strings.Contains(configuration, "`--"+f.Name+"`") {
			t.Errorf("docs/configuration.md does not describe --%s", f.Name)
		}
	})
}

// TestE2EMetadata checks that the metadata of the e2e suite's provider repository declares every release series of
// the released metadata.yaml with the same contract, so the e2e suite judges versions like a real installation.
func TestE2EMetadata(t *testing.T) {
	rel := buildRelease(t)
	read := func(path string) map[string]string {
		data, err := os.ReadFile(filepath.Join(rel.root, path))
		if err != nil {
			t.Fatal(err)
		}
		m := &clusterctlv1.Metadata{}
		if err := yaml.UnmarshalStrict(data, m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		series := map[string]string{}
		for _, s := range m.ReleaseSeries {
			series[fmt.Sprintf("%d.%d", s.Major, s.Minor)] = s.Contract
		}
		return series
	}
	e2e := read("test/e2e/data/shared/metadata.yaml")
	for series, contract := range read("metadata.yaml") {
		if e2e[series] != contract {
			t.Errorf("test/e2e/data/shared/metadata.yaml: series %s has contract %q, metadata.yaml %q", series, e2e[series], contract)
		}
	}
}

func readDoc(t *testing.T, root, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "docs", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
