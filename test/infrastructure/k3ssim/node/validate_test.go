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
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

func TestValidate(t *testing.T) {
	withoutSentinel := func(cmd string) string { return strings.TrimSuffix(cmd, " && "+k3sconfig.SentinelCommand) }
	installIndex := func(data bootstrapdata.Data) int {
		for i, c := range data.Commands {
			if strings.HasSuffix(c, k3sconfig.SentinelCommand) {
				return i
			}
		}
		t.Fatal("no install command in the rendered data")
		return -1
	}

	tests := []struct {
		name   string
		format bootstrapv1.Format
		role   k3sconfig.Role
		spec   func() bootstrapv1.KThreesConfigSpec
		noCA   bool
		// edit changes the rendered files and commands.
		edit func(t *testing.T, in k3sconfig.NodeInput, data *bootstrapdata.Data)
		// wantErrs are substrings of the error, nil for none.
		wantErrs []string
	}{
		{name: "init server is valid", role: k3sconfig.RoleInitServer, spec: serverSpec},
		{name: "ignition agent with a plain node name is valid", format: bootstrapv1.Ignition, role: k3sconfig.RoleAgent,
			spec: func() bootstrapv1.KThreesConfigSpec {
				s := agentSpec()
				s.AgentConfig.NodeName = "worker-a"
				return s
			}},
		{name: "two install lines", role: k3sconfig.RoleAgent, spec: func() bootstrapv1.KThreesConfigSpec {
			s := agentSpec()
			s.PostK3sCommands = []string{"curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=v1.33.0+k3s1 sh -s - agent"}
			return s
		}, wantErrs: []string{"2 K3s install commands (commands 0, 1)", "extra install command",
			"the K3s install command (command 1) does not write the bootstrap sentinel"}},
		{name: "missing sentinel", role: k3sconfig.RoleJoinServer, spec: serverSpec,
			edit: func(t *testing.T, _ k3sconfig.NodeInput, data *bootstrapdata.Data) {
				i := installIndex(*data)
				data.Commands[i] = withoutSentinel(data.Commands[i])
			},
			wantErrs: []string{"the K3s install command (command 2) does not write the bootstrap sentinel " +
				"/run/cluster-api/bootstrap-success.complete once it succeeds", `end it with "&& mkdir -p /run/cluster-api`}},
		{name: "sentinel written by a separate command", role: k3sconfig.RoleAgent, spec: agentSpec,
			edit: func(t *testing.T, _ k3sconfig.NodeInput, data *bootstrapdata.Data) {
				i := installIndex(*data)
				data.Commands[i] = withoutSentinel(data.Commands[i])
				data.Commands = append(data.Commands, k3sconfig.SentinelCommand)
			},
			wantErrs: []string{"does not write the bootstrap sentinel", "(command 1 writes it on its own, whether or not K3s was installed)"}},
		{name: "sentinel chained with || is not after a success", role: k3sconfig.RoleAgent, spec: agentSpec,
			edit: func(t *testing.T, _ k3sconfig.NodeInput, data *bootstrapdata.Data) {
				i := installIndex(*data)
				data.Commands[i] = withoutSentinel(data.Commands[i]) + " || " + k3sconfig.SentinelCommand
			},
			wantErrs: []string{"does not write the bootstrap sentinel"}},
		{name: "sentinel written before the install", role: k3sconfig.RoleAgent, spec: func() bootstrapv1.KThreesConfigSpec {
			s := agentSpec()
			s.PreK3sCommands = []string{"touch " + k3sconfig.SentinelPath}
			return s
		}, wantErrs: []string{"command 0 writes the bootstrap sentinel /run/cluster-api/bootstrap-success.complete before K3s is installed (command 1)"}},
		{name: "no install command", role: k3sconfig.RoleAgent, spec: agentSpec,
			edit: func(t *testing.T, _ k3sconfig.NodeInput, data *bootstrapdata.Data) {
				data.Commands = []string{"echo hello"}
			},
			wantErrs: []string{"no K3s install command among the 1 commands"}},
		{name: "init server without CA", role: k3sconfig.RoleInitServer, spec: serverSpec, noCA: true,
			wantErrs: []string{"a server with cluster-init: true starts a new cluster and needs the cluster CA files, missing: " +
				"/var/lib/rancher/k3s/server/tls/server-ca.crt, /var/lib/rancher/k3s/server/tls/server-ca.key, " +
				"/var/lib/rancher/k3s/server/tls/client-ca.crt, /var/lib/rancher/k3s/server/tls/client-ca.key, " +
				"/var/lib/rancher/k3s/server/tls/etcd/server-ca.crt, /var/lib/rancher/k3s/server/tls/etcd/server-ca.key"}},
		{name: "ignition init server without CA", format: bootstrapv1.Ignition, role: k3sconfig.RoleInitServer,
			spec: func() bootstrapv1.KThreesConfigSpec {
				s := serverSpec()
				s.AgentConfig.NodeName = ""
				return s
			}, noCA: true, wantErrs: []string{"needs the cluster CA files, missing: /var/lib/rancher/k3s/server/tls/server-ca.crt"}},
		{name: "init server with an empty CA key", role: k3sconfig.RoleInitServer, spec: serverSpec,
			edit: func(t *testing.T, _ k3sconfig.NodeInput, data *bootstrapdata.Data) {
				for i := range data.Files {
					if strings.HasSuffix(data.Files[i].Path, "/etcd/server-ca.key") {
						data.Files[i].Content = ""
					}
				}
			},
			wantErrs: []string{"missing: /var/lib/rancher/k3s/server/tls/etcd/server-ca.key;"}},
		{name: "join server without token", role: k3sconfig.RoleJoinServer, spec: serverSpec,
			edit: func(t *testing.T, in k3sconfig.NodeInput, data *bootstrapdata.Data) {
				setConfig(t, data, in, func(c *k3sconfig.Config) { c.Token = "" })
			},
			wantErrs: []string{"a joining server needs token in /etc/rancher/k3s/config.yaml"}},
		{name: "join server without server", role: k3sconfig.RoleJoinServer, spec: serverSpec,
			edit: func(t *testing.T, in k3sconfig.NodeInput, data *bootstrapdata.Data) {
				setConfig(t, data, in, func(c *k3sconfig.Config) { c.Server = "" })
			},
			wantErrs: []string{"a joining server (no cluster-init) needs server"}},
		{name: "agent without token", role: k3sconfig.RoleAgent, spec: agentSpec,
			edit: func(t *testing.T, in k3sconfig.NodeInput, data *bootstrapdata.Data) {
				setConfig(t, data, in, func(c *k3sconfig.Config) { c.Token = "" })
			},
			wantErrs: []string{"an agent needs token in /etc/rancher/k3s/config.yaml"}},
		{name: "agent with a token file is valid", role: k3sconfig.RoleAgent, spec: func() bootstrapv1.KThreesConfigSpec {
			s := agentSpec()
			s.Files = []bootstrapv1.File{{Path: "/etc/rancher/k3s/config.yaml.d/token.yaml", Content: "token-file: /etc/k3s-token\n"}}
			return s
		}, edit: func(t *testing.T, in k3sconfig.NodeInput, data *bootstrapdata.Data) {
			setConfig(t, data, in, func(c *k3sconfig.Config) { c.Token = "" })
		}},
		{name: "agent without server", role: k3sconfig.RoleAgent, spec: agentSpec,
			edit: func(t *testing.T, in k3sconfig.NodeInput, data *bootstrapdata.Data) {
				setConfig(t, data, in, func(c *k3sconfig.Config) { c.Server = "" })
			},
			wantErrs: []string{"an agent needs server"}},
		{name: "agent with cluster-init", role: k3sconfig.RoleAgent, spec: agentSpec,
			edit: func(t *testing.T, in k3sconfig.NodeInput, data *bootstrapdata.Data) {
				setConfig(t, data, in, func(c *k3sconfig.Config) { c.ClusterInit = true })
			},
			wantErrs: []string{"an agent's /etc/rancher/k3s/config.yaml sets cluster-init: true"}},
		{name: "no config.yaml", role: k3sconfig.RoleAgent, spec: agentSpec,
			edit: func(t *testing.T, _ k3sconfig.NodeInput, data *bootstrapdata.Data) {
				data.Files = nil
			},
			wantErrs: []string{"no /etc/rancher/k3s/config.yaml is written", "an agent needs server", "an agent needs token"}},
		{name: "unknown role", role: k3sconfig.RoleAgent, spec: agentSpec,
			edit: func(t *testing.T, _ k3sconfig.NodeInput, data *bootstrapdata.Data) {
				data.Commands = []string{"INSTALL_K3S_EXEC='etcd-snapshot' sh /opt/install.sh && " + k3sconfig.SentinelCommand}
			},
			wantErrs: []string{`the K3s install command runs K3s as "etcd-snapshot": it must be "server" or "agent"`}},
		{name: "command the shell cannot read", role: k3sconfig.RoleAgent, spec: func() bootstrapv1.KThreesConfigSpec {
			s := agentSpec()
			s.PreK3sCommands = []string{`echo "unterminated`}
			return s
		}, wantErrs: []string{`command 0 ("echo \"unterminated") cannot be read by the shell`}},
		{name: "jinja node name in ignition", format: bootstrapv1.Ignition, role: k3sconfig.RoleAgent, spec: agentSpec,
			wantErrs: []string{`node-name "{{ ds.meta_data.local_hostname }}" holds a jinja expression, but this ignition data is not rendered`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ca := fakeCAFiles()
			if tt.noCA {
				ca = nil
			}
			in := nodeInput(tt.role, tt.spec(), ca)
			data := nodeData(t, in)
			if tt.edit != nil {
				tt.edit(t, in, &data)
			}
			b, err := Parse(string(tt.format), render(t, tt.format, data))
			g.Expect(err).NotTo(HaveOccurred())
			err = b.Validate()
			if tt.wantErrs == nil {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(HaveOccurred())
			for _, w := range tt.wantErrs {
				g.Expect(err.Error()).To(ContainSubstring(w))
			}
		})
	}
}

func TestValidate_handBuiltBoot(t *testing.T) {
	g := NewWithT(t)
	b := &Boot{
		Commands: []string{"curl -sfL https://get.k3s.io | sh -s - agent && " + k3sconfig.SentinelCommand},
		Role:     RoleAgent,
		Config:   map[string]any{},
		Server:   testServer,
		Token:    testToken,
	}
	g.Expect(b.Validate()).To(Succeed())
	b.Commands = nil
	g.Expect(b.Validate()).To(MatchError(ContainSubstring("no K3s install command among the 0 commands")))
}
