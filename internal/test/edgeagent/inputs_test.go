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

package edgeagent_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"go.yaml.in/yaml/v3"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	edgewarnings "github.com/k3s-io/cluster-api-k3s/internal/edgeagent"
	"github.com/k3s-io/cluster-api-k3s/internal/test/edgeagent"
	"github.com/k3s-io/cluster-api-k3s/internal/test/templatenodes"
	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

// repoRoot is the repository root seen from this package's directory, where `go test` runs.
const repoRoot = "../../.."

// TestTemplates_EdgeAgent renders the bootstrap data of every node of templates/ (the control plane's as the init
// and as a joining server, the workers', and the servers of each cluster template's topology: its ClusterClass
// patched for it, files read from its Secrets) through k3sconfig.NodeData and bootstrapdata.Render as the controller
// does, and runs it as the edge agent does (expectRunsOnNode). The templates also get no edge-agent warning.
func TestTemplates_EdgeAgent(t *testing.T) {
	nodes, err := templatenodes.All(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) == 0 {
		t.Fatal("the templates hold no KThreesConfig spec")
	}
	for _, node := range nodes {
		t.Run(node.Name, func(t *testing.T) {
			g := NewWithT(t)
			in := node.Input
			g.Expect(edgewarnings.Warnings(&in.Spec, node.SpecPath, nil)).To(BeEmpty())
			g.Expect(in.Spec.Format).To(Or(BeEmpty(), Equal(bootstrapv1.CloudConfig)), "the edge agent reads cloud-config only")
			data, err := k3sconfig.NodeData(in)
			g.Expect(err).NotTo(HaveOccurred())
			doc, err := bootstrapdata.Render(in.Spec.Format, data)
			g.Expect(err).NotTo(HaveOccurred())
			spec := installSpec{role: roleOf(in.Role), version: in.Version,
				preCommands: in.Spec.PreK3sCommands, postCommands: in.Spec.PostK3sCommands}
			if in.Spec.AgentConfig.AirGapped {
				spec.script = in.Spec.AgentConfig.AirGappedInstallScriptPath
				if spec.script == "" {
					spec.script = bootstrapv1.DefaultAirGappedInstallScriptPath
				}
			}
			expectRunsOnNode(t, doc, data.Files, spec)
		})
	}
	t.Logf("%d template nodes translated and run", len(nodes))
}

// goldenCases are the inputs of the cloud-config golden files of pkg/k3sconfig (k3sconfig.GoldenCases, in its
// test package): the install each one must run, or why the edge agent rejects it.
var goldenCases = map[string]struct {
	install installSpec
	format  string
	wantErr string
}{
	"init-server":                    {install: goldenInstall("server", "")},
	"join-server":                    {install: goldenInstall("server", "")},
	"ipv6-endpoint":                  {install: goldenInstall("server", "")},
	"anonymous-auth-and-ciphers-set": {install: goldenInstall("server", "")},
	"air-gapped":                     {install: goldenInstall("server", "/usr/local/share/k3s/install.sh")},
	"worker":                         {install: installSpec{role: "agent", version: goldenVersion}},
	"files-from-secret":              {install: installSpec{role: "agent", version: goldenVersion}},
	// A path with a space, a double-quoted command and a trailing # comment: the webhooks warn about each.
	"special-characters": {wantErr: `unparsed command: /bin/sh ["-c" "cat > /etc/odd whitespace.txt /dev/stdin"]`},
	"ignition-init-server": {format: string(bootstrapv1.Ignition),
		wantErr: "unsupported bootstrap script format: ignition"},
}

// goldenVersion is the K3s version of the golden cases.
const goldenVersion = "v1.34.5+k3s1"

// goldenInstall is the install of the golden control-plane spec: its preK3sCommands export INSTALL_K3S_BIN_DIR and
// its postK3sCommands run kubectl.
func goldenInstall(role, script string) installSpec {
	return installSpec{role: role, version: goldenVersion, script: script,
		preCommands:  []string{"mkdir -p /var/lib/rancher/k3s/bin", "export INSTALL_K3S_BIN_DIR=/var/lib/rancher/k3s/bin"},
		postCommands: []string{"kubectl version --client"}}
}

// TestGolden_EdgeAgent runs every golden file of the cloud-config renderer (pkg/k3sconfig/testdata, which
// TestNodeData_golden keeps equal to the renderer's output) as the edge agent does. The expected files are read
// from the document with a YAML 1.2 parser, independently of the agent's block-by-block parsing.
func TestGolden_EdgeAgent(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(repoRoot, "pkg", "k3sconfig", "testdata", "*.golden"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden files (%v)", err)
	}
	ran := 0
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".golden")
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			c, ok := goldenCases[name]
			g.Expect(ok).To(BeTrue(), "add the golden case %s to goldenCases", name)
			doc, err := os.ReadFile(p)
			g.Expect(err).NotTo(HaveOccurred())
			if c.wantErr != "" {
				_, err := edgeagent.TranslateSecret(map[string][]byte{"format": []byte(or(c.format, edgeagent.CloudConfigFormat)),
					"value": doc}, edgeagent.Options{ProviderID: providerID})
				g.Expect(err).To(MatchError(ContainSubstring(c.wantErr)))
				return
			}
			ran++
			expectRunsOnNode(t, doc, documentFiles(g, doc), c.install)
		})
	}
	t.Logf("%d of %d golden files translated and run", ran, len(paths))
}

// documentFiles returns the write_files entries of a cloud-config document.
func documentFiles(g Gomega, doc []byte) []bootstrapdata.File {
	var parsed struct {
		WriteFiles []map[string]string `yaml:"write_files"`
	}
	g.Expect(yaml.Unmarshal(doc, &parsed)).To(Succeed())
	files := make([]bootstrapdata.File, 0, len(parsed.WriteFiles))
	for _, f := range parsed.WriteFiles {
		files = append(files, bootstrapdata.File{Path: f["path"], Owner: f["owner"], Permissions: f["permissions"],
			Encoding: f["encoding"], Content: f["content"]})
	}
	return files
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
