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
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"strings"
	"sync"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata"
	"github.com/k3s-io/cluster-api-k3s/pkg/certs"
	"github.com/k3s-io/cluster-api-k3s/pkg/ignition"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

// Test inputs are rendered by the provider's own code (k3sconfig.NodeData, then the cloud-init or Ignition
// renderer), so that the tests follow the real format.

const (
	testVersion = "v1.34.5+k3s1"
	testToken   = "0123456789abcdef0123456789abcdef"
	testServer  = "https://cp.example.com:6443"
	jinjaName   = "{{ ds.meta_data.local_hostname }}"
)

var (
	caOnce  sync.Once
	caFiles []bootstrapdata.File
	caErr   error
)

// realCAFiles returns the CA files of an init server, generated and placed by pkg/certs as the controller does.
func realCAFiles(t *testing.T) []bootstrapdata.File {
	t.Helper()
	caOnce.Do(func() {
		c := certs.NewClusterCertificates("")
		if caErr = c.Generate(); caErr == nil {
			caFiles = certs.Files(c)
		}
	})
	if caErr != nil {
		t.Fatalf("generating the cluster CAs: %v", caErr)
	}
	return caFiles
}

// fakeCAFiles returns small stand-ins for the CA files, at the paths pkg/certs uses.
func fakeCAFiles() []bootstrapdata.File {
	var files []bootstrapdata.File
	for _, c := range certs.NewClusterCertificates("") {
		files = append(files,
			bootstrapdata.File{Path: c.CertFile, Owner: "root:root", Permissions: "0640", Content: "FAKE CERT " + string(c.Purpose) + "\n"},
			bootstrapdata.File{Path: c.KeyFile, Owner: "root:root", Permissions: "0600", Content: "FAKE KEY " + string(c.Purpose) + "\n"})
	}
	return files
}

// serverSpec is a typical webhook-defaulted control plane spec.
func serverSpec() bootstrapv1.KThreesConfigSpec {
	return bootstrapv1.KThreesConfigSpec{
		Files:           []bootstrapv1.File{{Path: "/etc/motd", Content: "managed by Cluster API\n"}},
		PreK3sCommands:  []string{"mkdir -p /var/lib/rancher/k3s/bin", "export INSTALL_K3S_BIN_DIR=/var/lib/rancher/k3s/bin"},
		PostK3sCommands: []string{"kubectl version --client"},
		AgentConfig:     bootstrapv1.KThreesAgentConfig{NodeName: jinjaName, KubeletArgs: []string{"--max-pods=250"}},
		ServerConfig: bootstrapv1.KThreesServerConfig{
			TLSSan:                 []string{"api.example.com"},
			DisableComponents:      []string{"traefik", "servicelb"},
			DisableCloudController: ptr.To(true),
			CloudProviderName:      ptr.To("external"),
		},
	}
}

// agentSpec is a typical worker spec.
func agentSpec() bootstrapv1.KThreesConfigSpec {
	return bootstrapv1.KThreesConfigSpec{
		AgentConfig: bootstrapv1.KThreesAgentConfig{
			NodeName:   jinjaName,
			NodeLabels: []string{"node.example.com/pool=workers"},
			NodeTaints: []string{"dedicated=workers:NoSchedule"},
		},
		ServerConfig: bootstrapv1.KThreesServerConfig{DisableCloudController: ptr.To(true), CloudProviderName: ptr.To("external")},
	}
}

// nodeInput returns the input of a node of role with spec, the test endpoint, token and version, and (init
// server) the given CA files.
func nodeInput(role k3sconfig.Role, spec bootstrapv1.KThreesConfigSpec, ca []bootstrapdata.File) k3sconfig.NodeInput {
	in := k3sconfig.NodeInput{
		Role:                 role,
		Spec:                 spec,
		Version:              testVersion,
		ControlPlaneEndpoint: clusterv1.APIEndpoint{Host: "cp.example.com", Port: 6443},
		Token:                testToken,
	}
	for _, f := range spec.Files {
		in.Files = append(in.Files, bootstrapdata.File{Path: f.Path, Owner: f.Owner, Permissions: f.Permissions,
			Encoding: string(f.Encoding), Content: f.Content})
	}
	if role == k3sconfig.RoleInitServer {
		in.CAFiles = ca
	}
	return in
}

// nodeData returns the files and commands of in.
func nodeData(t *testing.T, in k3sconfig.NodeInput) bootstrapdata.Data {
	t.Helper()
	data, err := k3sconfig.NodeData(in)
	if err != nil {
		t.Fatalf("NodeData: %v", err)
	}
	return data
}

// render renders data in format.
func render(t *testing.T, format bootstrapv1.Format, data bootstrapdata.Data) []byte {
	t.Helper()
	out, err := bootstrapdata.Render(format, data)
	if err != nil {
		t.Fatalf("rendering %s: %v", format, err)
	}
	return out
}

// setConfig replaces config.yaml in data by the config of in changed by mutate.
func setConfig(t *testing.T, data *bootstrapdata.Data, in k3sconfig.NodeInput, mutate func(*k3sconfig.Config)) {
	t.Helper()
	cfg, err := k3sconfig.NodeConfig(in)
	if err != nil {
		t.Fatalf("NodeConfig: %v", err)
	}
	mutate(cfg)
	out, err := cfg.Marshal()
	if err != nil {
		t.Fatalf("marshalling config.yaml: %v", err)
	}
	for i := range data.Files {
		if data.Files[i].Path == k3sconfig.ConfigPath {
			data.Files[i].Content = string(out)
		}
	}
}

// gzipped returns s gzip-compressed.
func gzipped(t *testing.T, s string) string {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// summary is the part of a Boot that tells what K3s runs.
type summary struct {
	Role            Role
	Version         string
	AirGapped       bool
	ClusterInit     bool
	Server, Token   string
	NodeName        string
	NodeLabels      []string
	NodeTaints      []string
	Disable         []string
	EtcdProxy       bool
	HasSentinel     bool
	InstallCommands []int
}

func summarize(b *Boot) summary {
	return summary{Role: b.Role, Version: b.Version, AirGapped: b.AirGapped, ClusterInit: b.ClusterInit, Server: b.Server,
		Token: b.Token, NodeName: b.NodeName, NodeLabels: b.NodeLabels, NodeTaints: b.NodeTaints, Disable: b.Disable,
		EtcdProxy: b.EtcdProxy, HasSentinel: b.HasSentinel, InstallCommands: b.InstallCommands}
}

// expectData checks that b writes every file of data (decoded, the last write of a path winning) and runs its
// commands (after the chmod commands of special modes for Ignition).
func expectData(g Gomega, b *Boot, format bootstrapv1.Format, data bootstrapdata.Data) {
	want := map[string]bootstrapdata.File{}
	for _, f := range data.Files {
		want[f.Path] = f
	}
	for p, f := range want {
		g.Expect(b.Files).To(HaveKey(p))
		got := b.Files[p]
		g.Expect(got.Path).To(Equal(p))
		content, gz, err := f.Decode()
		g.Expect(err).NotTo(HaveOccurred())
		if gz {
			r, err := gzip.NewReader(bytes.NewReader(content))
			g.Expect(err).NotTo(HaveOccurred())
			var buf bytes.Buffer
			_, err = buf.ReadFrom(r)
			g.Expect(err).NotTo(HaveOccurred())
			content = buf.Bytes()
		}
		g.Expect(string(got.Content)).To(Equal(string(content)), "content of %s", p)
		wantOwner := f.Owner
		if wantOwner == "" {
			wantOwner = "root:root"
		}
		g.Expect(got.Owner).To(Equal(wantOwner), "owner of %s", p)
		wantMode := f.Permissions
		switch {
		case wantMode == "":
			wantMode = "0644"
		case format == bootstrapv1.Ignition && len(wantMode) == 4 && wantMode[0] != '0':
			wantMode = "0" + wantMode[1:] // special bits are set by chmod
		case len(wantMode) == 3:
			wantMode = "0" + wantMode
		}
		g.Expect(got.Permissions).To(Equal(wantMode), "permissions of %s", p)
	}
	wantCommands := data.Commands
	if format == bootstrapv1.Ignition {
		g.Expect(b.Files).To(HaveKey(ignition.ScriptPath))
		g.Expect(b.Files).To(HaveLen(len(want) + 1))
		wantCommands = append(ignition.SpecialModeCommands(data.Files), data.Commands...)
	} else {
		g.Expect(b.Files).To(HaveLen(len(want)))
	}
	g.Expect(b.Commands).To(Equal(wantCommands))
}

func TestParse_renderedData(t *testing.T) {
	plainName := func(spec bootstrapv1.KThreesConfigSpec) bootstrapv1.KThreesConfigSpec {
		spec.AgentConfig.NodeName = "node-a"
		return spec
	}
	airGapped := func(spec bootstrapv1.KThreesConfigSpec) bootstrapv1.KThreesConfigSpec {
		spec.AgentConfig.AirGapped = true
		return spec
	}
	serverDisable := []string{"traefik", "servicelb"}
	initWant := summary{Role: RoleServer, Version: testVersion, ClusterInit: true, Token: testToken, NodeName: jinjaName,
		Disable: serverDisable, EtcdProxy: true, HasSentinel: true, InstallCommands: []int{2}}
	joinWant := summary{Role: RoleServer, Version: testVersion, Server: testServer, Token: testToken, NodeName: jinjaName,
		Disable: serverDisable, EtcdProxy: true, HasSentinel: true, InstallCommands: []int{2}}
	agentWant := summary{Role: RoleAgent, Version: testVersion, Server: testServer, Token: testToken, NodeName: jinjaName,
		NodeLabels: []string{"node.example.com/pool=workers"}, NodeTaints: []string{"dedicated=workers:NoSchedule"},
		HasSentinel: true, InstallCommands: []int{0}}
	with := func(s summary, f func(*summary)) summary {
		f(&s)
		return s
	}

	tests := []struct {
		name    string
		format  bootstrapv1.Format
		role    k3sconfig.Role
		spec    bootstrapv1.KThreesConfigSpec
		version *string
		want    summary
	}{
		{name: "init server", role: k3sconfig.RoleInitServer, spec: serverSpec(), want: initWant},
		{name: "join server", role: k3sconfig.RoleJoinServer, spec: serverSpec(), want: joinWant},
		{name: "agent", role: k3sconfig.RoleAgent, spec: agentSpec(), want: agentWant},
		{name: "air-gapped init server", role: k3sconfig.RoleInitServer, spec: airGapped(serverSpec()),
			want: with(initWant, func(s *summary) { s.AirGapped, s.Version = true, "" })},
		{name: "air-gapped agent", role: k3sconfig.RoleAgent, spec: airGapped(agentSpec()),
			want: with(agentWant, func(s *summary) { s.AirGapped, s.Version = true, "" })},
		{name: "stable channel agent (no version)", role: k3sconfig.RoleAgent, spec: agentSpec(), version: ptr.To(""),
			want: with(agentWant, func(s *summary) { s.Version = "" })},
		{name: "cloud-config format named explicitly", format: bootstrapv1.CloudConfig, role: k3sconfig.RoleAgent,
			spec: agentSpec(), want: agentWant},
		{name: "ignition init server", format: bootstrapv1.Ignition, role: k3sconfig.RoleInitServer,
			spec: plainName(serverSpec()), want: with(initWant, func(s *summary) { s.NodeName = "node-a" })},
		{name: "ignition join server", format: bootstrapv1.Ignition, role: k3sconfig.RoleJoinServer,
			spec: plainName(serverSpec()), want: with(joinWant, func(s *summary) { s.NodeName = "node-a" })},
		{name: "ignition air-gapped agent", format: bootstrapv1.Ignition, role: k3sconfig.RoleAgent,
			spec: plainName(airGapped(agentSpec())),
			want: with(agentWant, func(s *summary) { s.NodeName, s.AirGapped, s.Version = "node-a", true, "" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			in := nodeInput(tt.role, tt.spec, realCAFiles(t))
			if tt.version != nil {
				in.Version = *tt.version
			}
			data := nodeData(t, in)
			b, err := Parse(string(tt.format), render(t, tt.format, data))
			g.Expect(err).NotTo(HaveOccurred())

			g.Expect(summarize(b)).To(Equal(tt.want))
			g.Expect(b.Validate()).To(Succeed())
			expectData(g, b, tt.format, data)

			wantConfig, err := k3sconfig.NodeConfig(in)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(b.Config).To(HaveKeyWithValue("token", testToken))
			g.Expect(b.EffectiveConfig).To(Equal(b.Config))
			g.Expect(b.Config["kubelet-arg"]).To(ConsistOf(toAny(wantConfig.KubeletArgs)...))
			g.Expect(b.EtcdProxyManifest).To(Equal(tt.role != k3sconfig.RoleAgent))
			for _, c := range certs.NewClusterCertificates("") {
				_, hasCert := b.Files[c.CertFile]
				_, hasKey := b.Files[c.KeyFile]
				g.Expect(hasCert).To(Equal(tt.role == k3sconfig.RoleInitServer), c.CertFile)
				g.Expect(hasKey).To(Equal(tt.role == k3sconfig.RoleInitServer), c.KeyFile)
			}
			if tt.format == bootstrapv1.Ignition {
				g.Expect(b.Format).To(Equal(FormatIgnition))
				g.Expect(b.Jinja).To(BeFalse())
				g.Expect(b.NodeNameFor("machine-0")).To(Equal("node-a"))
			} else {
				g.Expect(b.Format).To(Equal(FormatCloudConfig))
				g.Expect(b.Jinja).To(BeTrue())
				g.Expect(b.NodeNameFor("machine-0")).To(Equal("machine-0"))
			}
		})
	}
}

// toAny converts strings to a []any for matchers.
func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func TestParse_sameBootFromBothFormats(t *testing.T) {
	for _, role := range []k3sconfig.Role{k3sconfig.RoleInitServer, k3sconfig.RoleJoinServer, k3sconfig.RoleAgent} {
		t.Run(string(role), func(t *testing.T) {
			g := NewWithT(t)
			spec := serverSpec()
			spec.AgentConfig.NodeName = ""
			data := nodeData(t, nodeInput(role, spec, fakeCAFiles()))
			cc, err := Parse(FormatCloudConfig, render(t, bootstrapv1.CloudConfig, data))
			g.Expect(err).NotTo(HaveOccurred())
			ign, err := Parse(FormatIgnition, render(t, bootstrapv1.Ignition, data))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(summarize(ign)).To(Equal(summarize(cc)))
			g.Expect(ign.Commands).To(Equal(cc.Commands))
			g.Expect(ign.Config).To(Equal(cc.Config))
			delete(ign.Files, ignition.ScriptPath)
			g.Expect(ign.Files).To(Equal(cc.Files))
		})
	}
}

func TestParse_fileEncodings(t *testing.T) {
	gz := "compressed content\n"
	files := []bootstrapv1.File{
		{Path: "/etc/plain.txt", Content: "plain {{ not rendered }}\n"},
		{Path: "/etc/b64.txt", Encoding: bootstrapv1.Base64, Content: base64.StdEncoding.EncodeToString([]byte("base64 content\n"))},
		{Path: "/etc/b64-wrapped.txt", Encoding: bootstrapv1.Base64, Content: "YmFzZTY0\nIHdyYXBwZWQ"},
		{Path: "/etc/gzip.bin", Encoding: bootstrapv1.Gzip, Content: gzipped(t, gz)},
		{Path: "/etc/gzip-b64.bin", Encoding: bootstrapv1.GzipBase64, Content: base64.StdEncoding.EncodeToString([]byte(gzipped(t, gz)))},
		{Path: "/etc/binary.bin", Owner: "1000:1000", Permissions: "600", Content: "\x00\xff\xfe binary"},
		{Path: "/usr/local/bin/tool", Owner: "root:wheel", Permissions: "4755", Content: "#!/bin/sh\necho tool\n"},
	}
	want := map[string]string{
		"/etc/plain.txt":       "plain {{ not rendered }}\n",
		"/etc/b64.txt":         "base64 content\n",
		"/etc/b64-wrapped.txt": "base64 wrapped",
		"/etc/gzip.bin":        gz,
		"/etc/gzip-b64.bin":    gz,
		"/etc/binary.bin":      "\x00\xff\xfe binary",
		"/usr/local/bin/tool":  "#!/bin/sh\necho tool\n",
	}
	for _, format := range []bootstrapv1.Format{bootstrapv1.CloudConfig, bootstrapv1.Ignition} {
		t.Run(string(format), func(t *testing.T) {
			g := NewWithT(t)
			spec := agentSpec()
			spec.AgentConfig.NodeName = ""
			spec.Files = files
			data := nodeData(t, nodeInput(k3sconfig.RoleAgent, spec, nil))
			b, err := Parse(string(format), render(t, format, data))
			g.Expect(err).NotTo(HaveOccurred())
			for p, content := range want {
				g.Expect(b.Files).To(HaveKey(p))
				g.Expect(string(b.Files[p].Content)).To(Equal(content), p)
			}
			g.Expect(b.Files["/etc/binary.bin"].Owner).To(Equal("1000:1000"))
			g.Expect(b.Files["/etc/binary.bin"].Permissions).To(Equal("0600"))
			g.Expect(b.Files["/usr/local/bin/tool"].Owner).To(Equal("root:wheel"))
			if format == bootstrapv1.Ignition {
				g.Expect(b.Files["/usr/local/bin/tool"].Permissions).To(Equal("0755"))
				g.Expect(b.Commands[0]).To(Equal("chmod 4755 '/usr/local/bin/tool'"))
			} else {
				g.Expect(b.Files["/usr/local/bin/tool"].Permissions).To(Equal("4755"))
			}
			expectData(g, b, format, data)
			g.Expect(b.Validate()).To(Succeed())
		})
	}
}

// upstreamWorker is bootstrap data as the upstream provider renders it for a worker: no quotes around the install
// line, doubled spaces, and content blocks.
const upstreamWorker = `## template: jinja
#cloud-config

write_files:
- path: /etc/rancher/k3s/config.yaml
  owner: root:root
  permissions: '0640'
  content: |
    kubelet-arg:
    - cloud-provider=external
    node-name: '{{ ds.meta_data.local_hostname }}'
    server: https://10.0.0.10:6443
    token: abcdef


runcmd:
- curl -sfL https://get.k3s.io |  INSTALL_K3S_VERSION=v1.30.2+k3s1 sh -s - agent  && mkdir -p /run/cluster-api && echo success > /run/cluster-api/bootstrap-success.complete
`

func TestParse_cases(t *testing.T) {
	tests := []struct {
		name   string
		format string
		data   string
		check  func(g Gomega, b *Boot)
	}{
		{
			name: "upstream worker data", data: upstreamWorker,
			check: func(g Gomega, b *Boot) {
				g.Expect(summarize(b)).To(Equal(summary{Role: RoleAgent, Version: "v1.30.2+k3s1", Server: "https://10.0.0.10:6443",
					Token: "abcdef", NodeName: jinjaName, HasSentinel: true, InstallCommands: []int{0}}))
				g.Expect(b.Validate()).To(Succeed())
				g.Expect(b.NodeNameFor("worker-1")).To(Equal("worker-1"))
			},
		},
		{
			name: "gzip-compressed user data", data: "gzip:" + upstreamWorker,
			check: func(g Gomega, b *Boot) {
				g.Expect(b.Role).To(Equal(RoleAgent))
				g.Expect(b.Jinja).To(BeTrue())
			},
		},
		{
			name: "config drop-ins override and append, in name order",
			data: "#cloud-config\nwrite_files:\n" +
				"- {path: /etc/rancher/k3s/config.yaml.d/20-b.yaml, content: \"node-label+: [b=2]\\ntoken: t2\\n\"}\n" +
				"- {path: /etc/rancher/k3s/config.yaml, content: \"token: t1\\nnode-label: [a=1]\\nserver: https://x:6443\\n\"}\n" +
				"- {path: /etc/rancher/k3s/config.yaml.d/10-a.YML, content: \"node-taint: [k=v:NoSchedule]\\nnode-label+: c=3\\n\"}\n" +
				"- {path: /etc/rancher/k3s/config.yaml.d/30-ignored.txt, content: \"token: t3\\n\"}\n" +
				"runcmd: ['curl -sfL https://get.k3s.io | sh -s - agent && touch /run/cluster-api/bootstrap-success.complete']\n",
			check: func(g Gomega, b *Boot) {
				g.Expect(b.Config).To(Equal(map[string]any{"token": "t1", "node-label": []any{"a=1"}, "server": "https://x:6443"}))
				g.Expect(b.Token).To(Equal("t2"))
				g.Expect(b.NodeLabels).To(Equal([]string{"a=1", "c=3", "b=2"}))
				g.Expect(b.NodeTaints).To(Equal([]string{"k=v:NoSchedule"}))
				g.Expect(b.HasSentinel).To(BeTrue())
				g.Expect(b.Validate()).To(Succeed())
			},
		},
		{
			name: "YAML 1.1 config values and comma-separated disable",
			data: "#cloud-config\nwrite_files:\n- path: /etc/rancher/k3s/config.yaml\n  content: |\n" +
				"    cluster-init: yes\n    disable: traefik,servicelb\n    https-listen-port: 6443\n    token: 12345\n" +
				"    node-name: node-a\n",
			check: func(g Gomega, b *Boot) {
				g.Expect(b.ClusterInit).To(BeTrue())
				g.Expect(b.Disable).To(Equal([]string{"traefik", "servicelb"}))
				g.Expect(b.Config["https-listen-port"]).To(Equal(int64(6443)))
				g.Expect(b.Token).To(Equal("12345"))
				g.Expect(b.NodeNameFor("ignored")).To(Equal("node-a"))
			},
		},
		{
			name: "etcd-proxy disabled or skipped is not deployed",
			data: "#cloud-config\nwrite_files:\n- {path: /var/lib/rancher/k3s/server/manifests/etcd-proxy.yaml, content: x}\n" +
				"- {path: /etc/rancher/k3s/config.yaml, content: \"disable: [etcd-proxy]\\n\"}\n" +
				"runcmd: ['curl -sfL https://get.k3s.io | sh -s - server']\n",
			check: func(g Gomega, b *Boot) {
				g.Expect(b.EtcdProxyManifest).To(BeTrue())
				g.Expect(b.EtcdProxy).To(BeFalse())
			},
		},
		{
			name: "etcd-proxy skip file",
			data: "#cloud-config\nwrite_files:\n- {path: /var/lib/rancher/k3s/server/manifests/etcd-proxy.yaml, content: x}\n" +
				"- {path: /var/lib/rancher/k3s/server/manifests/etcd-proxy.yaml.skip, content: ''}\n" +
				"runcmd: ['curl -sfL https://get.k3s.io | sh -s - server']\n",
			check: func(g Gomega, b *Boot) {
				g.Expect(b.EtcdProxyManifest).To(BeTrue())
				g.Expect(b.EtcdProxy).To(BeFalse())
				g.Expect(b.Config).To(BeNil())
			},
		},
		{
			name: "environment exported by earlier commands reaches the installer",
			data: "#cloud-config\nruncmd:\n- export INSTALL_K3S_VERSION=v1.33.1+k3s1 K3S_URL=https://cp:6443\n" +
				"- INSTALL_K3S_CHANNEL=latest\n- curl -sfL https://get.k3s.io | sh -\n",
			check: func(g Gomega, b *Boot) {
				g.Expect(b.Role).To(Equal(RoleAgent))
				g.Expect(b.Version).To(Equal("v1.33.1+k3s1"))
				g.Expect(b.InstallCommands).To(Equal([]int{2}))
				g.Expect(b.HasSentinel).To(BeFalse())
			},
		},
		{
			name: "cloud-init write_files semantics: encodings, append, defer, modes",
			data: "#cloud-config\nwrite_files:\n" +
				"- {path: /a, content: aGk=, encoding: b64, permissions: 0600}\n" +
				"- {path: /a, content: ' there', append: true, owner: 'u:g'}\n" +
				"- {path: /b, content: deferred, defer: true}\n" +
				"- {path: /b, content: first}\n" +
				"- {path: /c, content: !!binary aGk=, permissions: 420}\n" +
				"- {path: /d/../e, encoding: GZ+B64, content: " + base64.StdEncoding.EncodeToString([]byte(gzipped(t, "z"))) + "}\n" +
				"- {path: /f, permissions: 'rw'}\n" +
				"runcmd:\n- [echo, \"it's\", $HOME]\n- &x echo aliased\n- *x\n",
			check: func(g Gomega, b *Boot) {
				g.Expect(b.Files["/a"]).To(Equal(File{Path: "/a", Owner: "u:g", Permissions: "0644", Content: []byte("hi there")}))
				g.Expect(string(b.Files["/b"].Content)).To(Equal("deferred"))
				g.Expect(b.Files["/c"].Permissions).To(Equal("0644"))
				g.Expect(string(b.Files["/c"].Content)).To(Equal("hi"))
				g.Expect(string(b.Files["/e"].Content)).To(Equal("z"))
				g.Expect(b.Files["/f"]).To(Equal(File{Path: "/f", Owner: "root:root", Permissions: "0644", Content: nil}))
				g.Expect(b.Commands).To(Equal([]string{`'echo' 'it'\''s' '$HOME'`, "echo aliased", "echo aliased"}))
				g.Expect(b.InstallCommands).To(BeNil())
			},
		},
		{
			name: "empty cloud-config", data: "#cloud-config\n",
			check: func(g Gomega, b *Boot) {
				g.Expect(b.Files).To(BeEmpty())
				g.Expect(b.Commands).To(BeNil())
				g.Expect(b.Role).To(BeEmpty())
			},
		},
		{
			name: "ignition without the bootstrap script runs nothing", format: FormatIgnition,
			data: `{"ignition":{"version":"3.0.0"},"storage":{"files":[{"path":"/etc/x","contents":{"source":"data:,hello%20world"},"mode":384,"user":{"id":1000}}]}}`,
			check: func(g Gomega, b *Boot) {
				g.Expect(b.Files).To(Equal(map[string]File{"/etc/x": {Path: "/etc/x", Owner: "1000:root", Permissions: "0600",
					Content: []byte("hello world")}}))
				g.Expect(b.Commands).To(BeNil())
			},
		},
		{
			name: "ignition appends and a custom unit running a script", format: FormatIgnition,
			data: `{"ignition":{"version":"3.4.0"},"storage":{"files":[` +
				`{"path":"/opt/run.sh","contents":{"source":"data:;base64,IyEvYmluL3NoCmVjaG8gYQo="},"append":[{"source":"data:,echo%20b%0A"}]}]},` +
				`"systemd":{"units":[{"name":"run.service","enabled":true,"contents":"[Service]\nExecStart=-/bin/bash /opt/run.sh\n[Install]\nWantedBy=multi-user.target\n"}]}}`,
			check: func(g Gomega, b *Boot) {
				g.Expect(string(b.Files["/opt/run.sh"].Content)).To(Equal("#!/bin/sh\necho a\necho b\n"))
				g.Expect(b.Commands).To(Equal([]string{"echo a", "echo b"}))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			data := []byte(tt.data)
			if rest, ok := strings.CutPrefix(tt.data, "gzip:"); ok {
				data = []byte(gzipped(t, rest))
			}
			b, err := Parse(tt.format, data)
			g.Expect(err).NotTo(HaveOccurred())
			tt.check(g, b)
		})
	}
}

func TestParse_errors(t *testing.T) {
	tests := []struct {
		name    string
		format  string
		data    string
		wantErr string
	}{
		{name: "unknown format", format: "shell", data: "x", wantErr: `unsupported bootstrap data format "shell"`},
		{name: "not cloud-config", data: "#!/bin/sh\necho hi\n", wantErr: `starts with "#!/bin/sh", not "#cloud-config"`},
		{name: "jinja line without cloud-config", data: "## template: jinja\nwrite_files: []\n", wantErr: `not "#cloud-config"`},
		{name: "other template type", data: "## template: basic\n#cloud-config\n", wantErr: `template type "basic"`},
		{name: "invalid YAML", data: "#cloud-config\nwrite_files: [\n", wantErr: "cloud-config: invalid YAML"},
		{name: "two documents", data: "#cloud-config\nruncmd: [a]\n---\nruncmd: [b]\n", wantErr: "more than one YAML document"},
		{name: "not a mapping", data: "#cloud-config\n- a\n", wantErr: "the document is a list, not a mapping"},
		{name: "write_files not a list", data: "#cloud-config\nwrite_files: {path: /a}\n", wantErr: "write_files is a mapping, not a list"},
		{name: "path missing", data: "#cloud-config\nwrite_files:\n- content: x\n", wantErr: "write_files[0]: path is empty"},
		{name: "invalid base64", data: "#cloud-config\nwrite_files:\n- {path: /a, encoding: base64, content: 'a!'}\n",
			wantErr: "write_files[0]: /a: content declared base64: invalid base64"},
		{name: "invalid gzip", data: "#cloud-config\nwrite_files:\n- {path: /a, encoding: gzip+base64, content: aGk=}\n",
			wantErr: "content declared gzip+base64: invalid gzip data"},
		{name: "unknown encoding", data: "#cloud-config\nwrite_files:\n- {path: /a, encoding: zstd, content: x}\n",
			wantErr: `unknown encoding "zstd"`},
		{name: "content that is not text", data: "#cloud-config\nwrite_files:\n- {path: /a, content: 0640}\n",
			wantErr: `content "0640" is read by cloud-init as a int`},
		{name: "runcmd entry read as a boolean", data: "#cloud-config\nruncmd:\n- echo\n- yes\n",
			wantErr: `runcmd[1]: "yes" is read by cloud-init as a bool`},
		{name: "runcmd entry that is a mapping", data: "#cloud-config\nruncmd:\n- a: b\n", wantErr: "runcmd[0] is a mapping"},
		{name: "config.yaml not a mapping", data: "#cloud-config\nwrite_files:\n- {path: /etc/rancher/k3s/config.yaml, content: '- a'}\n",
			wantErr: "/etc/rancher/k3s/config.yaml: is a list, not a mapping"},
		{name: "config.yaml invalid", data: "#cloud-config\nwrite_files:\n- {path: /etc/rancher/k3s/config.yaml, content: 'a: [b'}\n",
			wantErr: "/etc/rancher/k3s/config.yaml: invalid YAML"},
		{name: "ignition not JSON", format: FormatIgnition, data: "#cloud-config\n", wantErr: "ignition: invalid ignition config"},
		{name: "ignition spec 2", format: FormatIgnition, data: `{"ignition":{"version":"2.2.0"}}`, wantErr: "ignition: invalid ignition config"},
		{name: "ignition remote source", format: FormatIgnition,
			data:    `{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/a","contents":{"source":"https://example.com/a"}}]}}`,
			wantErr: `storage.files[0] (/a): contents: source with scheme "https" is not a data URL`},
		{name: "ignition script that no unit runs", format: FormatIgnition,
			data:    `{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/etc/cluster-api/bootstrap.sh","contents":{"source":"data:,x"}}]}}`,
			wantErr: "the bootstrap script /etc/cluster-api/bootstrap.sh is written but no enabled systemd unit runs it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := Parse(tt.format, []byte(tt.data))
			g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
		})
	}
}

func TestNodeNameFor(t *testing.T) {
	tests := []struct {
		name     string
		nodeName string
		jinja    bool
		want     string
	}{
		{name: "no node-name: the hostname", want: "host-1"},
		{name: "plain node-name", nodeName: "node-a", jinja: true, want: "node-a"},
		{name: "jinja hostname", nodeName: "{{ ds.meta_data.local_hostname }}", jinja: true, want: "host-1"},
		{name: "jinja v1 hostname within text", nodeName: "k3s-{{v1.local_hostname}}-x", jinja: true, want: "k3s-host-1-x"},
		{name: "unknown variable left as written", nodeName: "{{ ds.meta_data.instance_id }}", jinja: true,
			want: "{{ ds.meta_data.instance_id }}"},
		{name: "not rendered without jinja", nodeName: "{{ ds.meta_data.local_hostname }}",
			want: "{{ ds.meta_data.local_hostname }}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			b := &Boot{NodeName: tt.nodeName, Jinja: tt.jinja}
			g.Expect(b.NodeNameFor("host-1")).To(Equal(tt.want))
		})
	}
}
