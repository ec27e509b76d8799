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

package node

import (
	"testing"

	. "github.com/onsi/gomega"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

func TestAnalyzeCommands_installForms(t *testing.T) {
	sentinel := " && " + k3sconfig.SentinelCommand
	renderedInstall := func(role k3sconfig.Role, version string, airGapped bool) string {
		cmd, err := k3sconfig.InstallCommand(role, version, bootstrapv1.KThreesAgentConfig{AirGapped: airGapped})
		if err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	tests := []struct {
		name     string
		commands []string
		// want is the install found, nil for none.
		want *install
	}{
		{name: "rendered online server", commands: []string{renderedInstall(k3sconfig.RoleJoinServer, "v1.34.5+k3s1", false)},
			want: &install{role: RoleServer, version: "v1.34.5+k3s1", sentinel: true}},
		{name: "rendered online agent, stable channel", commands: []string{renderedInstall(k3sconfig.RoleAgent, "", false)},
			want: &install{role: RoleAgent, sentinel: true}},
		{name: "rendered air-gapped server", commands: []string{renderedInstall(k3sconfig.RoleInitServer, "v1.34.5+k3s1", true)},
			want: &install{role: RoleServer, airGapped: true, sentinel: true}},
		{name: "rendered air-gapped agent", commands: []string{renderedInstall(k3sconfig.RoleAgent, "", true)},
			want: &install{role: RoleAgent, airGapped: true, sentinel: true}},
		{name: "upstream spacing", commands: []string{"curl -sfL https://get.k3s.io |  INSTALL_K3S_VERSION=v1.30.2+k3s1 sh -s - agent  " + sentinel},
			want: &install{role: RoleAgent, version: "v1.30.2+k3s1", sentinel: true}},
		{name: "sudo, bash and -- ", commands: []string{"curl -sfL https://get.k3s.io | sudo -E INSTALL_K3S_EXEC=\"agent --node-ip 10.0.0.5\" bash -s --"},
			want: &install{role: RoleAgent}},
		{name: "env wrapper and wget", commands: []string{"wget -qO- https://get.k3s.io | env INSTALL_K3S_VERSION=v1.2.3+k3s1 sh -s - server --cluster-init"},
			want: &install{role: RoleServer, version: "v1.2.3+k3s1"}},
		{name: "flags only: server without K3S_URL", commands: []string{"curl -sfL https://get.k3s.io | INSTALL_K3S_EXEC='--disable traefik' sh -"},
			want: &install{role: RoleServer}},
		{name: "flags only: agent with K3S_URL", commands: []string{"curl -sfL https://get.k3s.io | K3S_URL=https://a:6443 K3S_TOKEN=x sh -s - --node-label a=b"},
			want: &install{role: RoleAgent}},
		{name: "mirror script", commands: []string{"curl -sfL https://rancher-mirror.rancher.cn/k3s/k3s-install.sh | INSTALL_K3S_MIRROR=cn sh -s - agent"},
			want: &install{role: RoleAgent}},
		{name: "local installer without variables", commands: []string{"sh /opt/install.sh agent" + sentinel},
			want: &install{role: RoleAgent, sentinel: true}},
		{name: "exported skip-download", commands: []string{"export INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_VERSION=v9",
			"INSTALL_K3S_EXEC=server sh /usr/local/share/k3s-install.sh" + sentinel},
			want: &install{index: 1, role: RoleServer, airGapped: true, sentinel: true}},
		{name: "unexported variable does not reach the installer", commands: []string{"INSTALL_K3S_VERSION=v9",
			"curl -sfL https://get.k3s.io | sh -s - agent"},
			want: &install{index: 1, role: RoleAgent}},
		{name: "unset variable does not reach the installer", commands: []string{"export INSTALL_K3S_VERSION=v9",
			"unset INSTALL_K3S_VERSION", "curl -sfL https://get.k3s.io | sh -s - agent"},
			want: &install{index: 2, role: RoleAgent}},
		{name: "sentinel with touch after other commands", commands: []string{"curl -sfL https://get.k3s.io | sh -s - agent && echo ok && touch " + k3sconfig.SentinelPath},
			want: &install{role: RoleAgent, sentinel: true}},
		{name: "sentinel after a semicolon is not after a success", commands: []string{"curl -sfL https://get.k3s.io | sh -s - agent; " + k3sconfig.SentinelCommand},
			want: &install{role: RoleAgent}},
		{name: "sentinel through tee", commands: []string{"curl -sfL https://get.k3s.io | sh -s - agent && echo success | tee " + k3sconfig.SentinelPath},
			want: &install{role: RoleAgent, sentinel: true}},
		{name: "download piped to a shell running a file", commands: []string{"curl -sfL https://get.k3s.io | sh /tmp/other.sh"}},
		{name: "shell command string", commands: []string{`sh -c "curl -sfL https://get.k3s.io | sh -"`}},
		{name: "uninstall script", commands: []string{"sh /usr/local/bin/k3s-uninstall.sh"}},
		{name: "unrelated script", commands: []string{"sh /opt/prepare.sh server"}},
		{name: "quoted installer text is not run", commands: []string{"echo 'curl -sfL https://get.k3s.io | sh -s - server'"}},
		{name: "comment", commands: []string{"# curl -sfL https://get.k3s.io | sh -s - server"}},
		{name: "download without shell", commands: []string{"curl -sfL https://get.k3s.io -o /tmp/install.sh"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			a := analyzeCommands(tt.commands)
			g.Expect(a.unreadable).To(BeEmpty())
			if tt.want == nil {
				g.Expect(a.installs).To(BeEmpty())
				return
			}
			g.Expect(a.installs).To(Equal([]install{*tt.want}))
		})
	}
}

func TestParseShell(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []chain
		wantErr bool
	}{
		{name: "words, quotes and escapes", in: `A=1 B="x y" cmd 'a b' "c\"d" e\ f $'g\'h'`, want: []chain{{{cmds: []simpleCommand{{
			assigns: []assignment{{"A", "1"}, {"B", "x y"}}, words: []string{"cmd", "a b", `c"d`, "e f", "g'h"}}}}}}},
		{name: "expansions kept as written", in: `echo "$(printf "%s" "a)")" ${X:-"}"} ` + "`date`", want: []chain{{{cmds: []simpleCommand{{
			words: []string{"echo", `$(printf "%s" "a)")`, `${X:-"}"}`, "`date`"}}}}}}},
		{name: "pipelines, chains, redirections", in: "a | b 2>/dev/null && c >> /f || d; e &\nf # comment && g", want: []chain{
			{
				{cmds: []simpleCommand{{words: []string{"a"}}, {words: []string{"b"}, redirects: []redirect{{">", "/dev/null"}}}}},
				{op: "&&", cmds: []simpleCommand{{words: []string{"c"}, redirects: []redirect{{">>", "/f"}}}}},
				{op: "||", cmds: []simpleCommand{{words: []string{"d"}}}},
			},
			{{cmds: []simpleCommand{{words: []string{"e"}}}}},
			{{cmds: []simpleCommand{{words: []string{"f"}}}}},
		}},
		{name: "quoted assignment is a word", in: `'A=1' x`, want: []chain{{{cmds: []simpleCommand{{words: []string{"A=1", "x"}}}}}}},
		{name: "reserved words are skipped", in: "if true; then ! x; fi", want: []chain{
			{{cmds: []simpleCommand{{words: []string{"true"}}}}},
			{{cmds: []simpleCommand{{words: []string{"x"}}}}},
		}},
		{name: "unterminated single quote", in: "echo 'a", wantErr: true},
		{name: "unterminated double quote", in: `echo "a`, wantErr: true},
		{name: "unterminated substitution", in: `echo $(a`, wantErr: true},
		{name: "unterminated backticks", in: "echo `a", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := parseShell(tt.in)
			if tt.wantErr {
				g.Expect(err).To(HaveOccurred())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}
