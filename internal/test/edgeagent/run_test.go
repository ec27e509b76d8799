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
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation/field"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	edgewarnings "github.com/k3s-io/cluster-api-k3s/internal/edgeagent"
	"github.com/k3s-io/cluster-api-k3s/internal/test/edgeagent"
	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata"
	"github.com/k3s-io/cluster-api-k3s/pkg/cloudinit"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

// providerID is the Machine's provider ID the handler writes into the drop-in (H3).
const providerID = "intel://edge-node-1"

// installSpec is what the K3s install of a node must look like, from its input spec.
type installSpec struct {
	// role is server or agent.
	role string
	// version is the K3s version, set as INSTALL_K3S_VERSION when online.
	version string
	// script is the air-gapped install script; "" installs from get.k3s.io.
	script string
	// preCommands and postCommands are the spec's; exports of INSTALL_K3S_* before the install reach it, and
	// kubectl runs after it.
	preCommands, postCommands []string
}

// exportPattern matches a preK3sCommand that exports an installer variable.
var exportPattern = regexp.MustCompile(`^export (INSTALL_K3S_[A-Z_]+)=(\S+)$`)

// install returns the installer run and the stub events the spec leads to.
func (s installSpec) install() (edgeagent.Install, []string) {
	in := edgeagent.Install{Program: "sh", Args: []string{s.role}, Env: map[string]string{}}
	events := []string{"curl -sfL " + k3sconfig.InstallScriptURL}
	if s.script != "" {
		in = edgeagent.Install{Program: s.script, Env: map[string]string{
			"INSTALL_K3S_SKIP_DOWNLOAD": "true", "INSTALL_K3S_EXEC": s.role}}
		events = nil
	} else if s.version != "" {
		in.Env["INSTALL_K3S_VERSION"] = s.version
	}
	for _, cmd := range s.preCommands {
		if m := exportPattern.FindStringSubmatch(cmd); m != nil {
			in.Env[m[1]] = m[2]
		}
	}
	events = append(events, "install "+strings.Join(in.Args, " "))
	for _, cmd := range s.postCommands {
		if strings.HasPrefix(cmd, "kubectl ") {
			events = append(events, cmd)
		}
	}
	return in, events
}

// roleOf returns the installer role of a node role.
func roleOf(r k3sconfig.Role) string {
	if r == k3sconfig.RoleAgent {
		return "agent"
	}
	return "server"
}

// expectRunsOnNode translates a cloud-config document as the edge agent does, runs it on a throwaway node and
// checks that every file landed with its content and mode (and nothing else did), that the installer ran once
// as the spec says, with the exports of earlier commands, and that the stubbed commands ran in order.
func expectRunsOnNode(t *testing.T, doc []byte, files []bootstrapdata.File, spec installSpec) {
	t.Helper()
	g := NewWithT(t)
	n := edgeagent.NewNode(t)
	if spec.script != "" {
		g.Expect(n.StageInstallScript(spec.script)).To(Succeed())
	}
	cmd, err := edgeagent.TranslateSecret(map[string][]byte{"format": []byte(edgeagent.CloudConfigFormat), "value": doc},
		edgeagent.Options{ProviderID: providerID, Root: n.Root})
	g.Expect(err).NotTo(HaveOccurred())
	out, err := n.Run(cmd)
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(out).To(BeEmpty(), "nothing may fail or print")

	got, err := n.Files()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal(expectedFiles(g, files)))

	wantInstall, wantEvents := spec.install()
	installs, err := n.Installs()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(installs).To(Equal([]edgeagent.Install{wantInstall}))
	events, err := n.Events()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(events).To(Equal(wantEvents))
}

// expectedFiles returns what the node must hold: the data's files (the later of two with one path), the provider
// ID drop-in and the bootstrap sentinel.
func expectedFiles(g Gomega, files []bootstrapdata.File) map[string]edgeagent.File {
	want := map[string]edgeagent.File{
		edgeagent.ProviderIDFile: {Content: `kubelet-arg+: ["--provider-id=` + providerID + `"]`, Mode: 0o640},
		k3sconfig.SentinelPath:   {Content: "success\n", Mode: 0o644},
	}
	for i, f := range files {
		content, gzipped, err := f.Decode()
		g.Expect(err).NotTo(HaveOccurred())
		if gzipped {
			r, err := gzip.NewReader(bytes.NewReader(content))
			g.Expect(err).NotTo(HaveOccurred())
			content, err = io.ReadAll(r)
			g.Expect(err).NotTo(HaveOccurred())
		}
		if i == len(files)-1 {
			// P1: the last content of write_files loses its final line break; the renderer writes config.yaml
			// last, where that does not matter.
			g.Expect(f.Path).To(Equal(k3sconfig.ConfigPath))
			content = bytes.TrimSuffix(content, []byte("\n"))
		}
		mode := uint64(0o644)
		if f.Permissions != "" {
			mode, err = strconv.ParseUint(f.Permissions, 8, 32)
			g.Expect(err).NotTo(HaveOccurred())
		}
		want[f.Path] = edgeagent.File{Content: string(content), Mode: uint32(mode)}
	}
	return want
}

// TestCommandProblem_matchesAgent runs commands through the edge agent and as cloud-init does (one line each of a
// sh script), and checks that the webhook warning (edgeagent.CommandProblem) is given exactly when the results
// differ.
func TestCommandProblem_matchesAgent(t *testing.T) {
	tests := []struct {
		name        string
		cmd         string
		wantProblem bool
	}{
		{name: "plain", cmd: "mkdir -p /var/lib/x && echo ok > /var/lib/x/f"},
		{name: "single quotes", cmd: "echo '[Service]' > /etc/a"},
		{name: "backslash n", cmd: `printf 'a\nb\n' > /etc/a`},
		{name: "hash inside a word", cmd: "echo a#b > /etc/a"},
		{name: "quoted hash", cmd: "echo 'x # y' > /etc/a"},
		{name: "comment with a line after it", cmd: "echo a > /etc/a\n# note\necho b >> /etc/a"},
		{name: "export seen by the next command", cmd: "export INSTALL_K3S_BIN_DIR=/opt/bin"},
		{name: "escaped final semicolon", cmd: `touch /etc/x /etc/y && find /etc -name x -exec rm {} \;`},
		{name: "online install", cmd: "curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=v1.34.5+k3s1 sh -s - server"},
		{name: "double quotes", cmd: `echo "a  b" > /etc/a`, wantProblem: true},
		{name: "variable", cmd: "A=1; echo $A > /etc/a", wantProblem: true},
		{name: "command substitution", cmd: "cd /etc && echo `pwd` > /etc/a", wantProblem: true},
		{name: "escaped backslash", cmd: `printf 'a\\b' > /etc/a`, wantProblem: true},
		{name: "trailing comment", cmd: "echo a > /etc/a # note", wantProblem: true},
		{name: "trailing semicolon", cmd: "echo a > /etc/a;", wantProblem: true},
		{name: "background", cmd: "sleep 0 &", wantProblem: true},
		{name: "empty", cmd: "", wantProblem: true},
	}
	const marker = "echo done > /run/marker"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(edgewarnings.CommandProblem(tt.cmd) != "").To(Equal(tt.wantProblem), edgewarnings.CommandProblem(tt.cmd))

			agent := newNodeWithDirs(t)
			doc, err := cloudinit.Render(bootstrapdata.Data{Commands: []string{tt.cmd, marker}})
			g.Expect(err).NotTo(HaveOccurred())
			cmd, err := edgeagent.Translate(doc, edgeagent.Options{Root: agent.Root})
			g.Expect(err).NotTo(HaveOccurred())
			_, _ = agent.Run(cmd)

			reference := newNodeWithDirs(t)
			lines := edgeagent.Rebase(tt.cmd, reference.Root) + "\n" + edgeagent.Rebase(marker, reference.Root)
			out, err := reference.Run("sh -c '" + strings.ReplaceAll(lines, "'", `'\''`) + "'")
			g.Expect(err).NotTo(HaveOccurred(), out)
			g.Expect(nodeFiles(g, reference)).To(HaveKey("/run/marker"))

			same := maps.EqualFunc(nodeFiles(g, agent), nodeFiles(g, reference), func(a, b edgeagent.File) bool { return a == b })
			g.Expect(same).To(Equal(!tt.wantProblem), "agent: %v\ncloud-init: %v", nodeFiles(g, agent), nodeFiles(g, reference))
		})
	}
}

// TestLongLineWarning_matchesAgent checks that a file content gets the long-line warning exactly when the agent
// cannot read the cloud-config the renderer writes for it (P1: 64 KiB per line), around the limit and for content
// the renderer writes as one line (jinja statements, bytes that are not UTF-8).
func TestLongLineWarning_matchesAgent(t *testing.T) {
	const indent = len("      ") // a literal block's content lines under "  - path:"
	tests := []struct {
		name    string
		content string
		tooLong bool
	}{
		{name: "one line below the limit", content: strings.Repeat("x", bufio.MaxScanTokenSize-indent-1) + "\n"},
		{name: "one line at the limit", content: strings.Repeat("x", bufio.MaxScanTokenSize-indent) + "\n", tooLong: true},
		{name: "many short lines", content: strings.Repeat("abcdefghij\n", 10000)},
		{name: "jinja statement", content: "{% raw %}\n" + strings.Repeat("abcdefghij\n", 7000) + "{% endraw %}\n", tooLong: true},
		{name: "small jinja statement", content: "{% raw %}\n" + strings.Repeat("abcdefghij\n", 5000) + "{% endraw %}\n"},
		{name: "not UTF-8", content: strings.Repeat("\xff", 50000), tooLong: true},
		{name: "not UTF-8, short", content: strings.Repeat("\xff", 40000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			spec := &bootstrapv1.KThreesConfigSpec{Files: []bootstrapv1.File{{Path: "/etc/big", Content: tt.content}}}
			warned := len(edgewarnings.Warnings(spec, field.NewPath("spec"), nil)) > 0
			doc, err := cloudinit.Render(bootstrapdata.Data{Files: []bootstrapdata.File{{Path: "/etc/big", Content: tt.content}}})
			g.Expect(err).NotTo(HaveOccurred())
			_, err = edgeagent.Translate(doc, edgeagent.Options{})
			g.Expect(err != nil).To(Equal(tt.tooLong), "translation error: %v", err)
			g.Expect(warned).To(Equal(tt.tooLong))
		})
	}
}

// newNodeWithDirs returns a node with /etc and /run, which the commands write to.
func newNodeWithDirs(t *testing.T) *edgeagent.Node {
	n := edgeagent.NewNode(t)
	for _, d := range []string{"etc", "run"} {
		if err := os.MkdirAll(filepath.Join(n.Root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// nodeFiles returns the node's files with the node's root removed from their content.
func nodeFiles(g Gomega, n *edgeagent.Node) map[string]edgeagent.File {
	files, err := n.Files()
	g.Expect(err).NotTo(HaveOccurred())
	for p, f := range files {
		f.Content = strings.ReplaceAll(f.Content, n.Root, "")
		files[p] = f
	}
	return files
}
