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
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/k3s-io/cluster-api-k3s/internal/test/edgeagent"
)

// doc returns a cloud-config document with the jinja header our renderer writes, and body.
func doc(body string) []byte {
	return []byte("## template: jinja\n#cloud-config\n" + body)
}

// write is the handler's file write of content to path (H1).
func write(content, path string) string {
	return "echo " + base64.StdEncoding.EncodeToString([]byte(content)) + " | base64 -d > " + path
}

// script is the command the agent runs for lines (H4).
func script(lines ...string) string {
	return `sudo sh -c "` + strings.Join(lines, "; ") + `"`
}

func gzipped(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.String()
}

// TestTranslate checks each rule of the model (see the package documentation) on a small document.
func TestTranslate(t *testing.T) {
	gz := gzipped("compressed\n")
	tests := []struct {
		name    string
		doc     []byte
		opts    edgeagent.Options
		want    string
		wantErr string
	}{
		{name: "P3 default permissions: mkdir and write only",
			doc:  doc("write_files:\n  - path: /etc/motd\n    content: hi\n"),
			want: script("mkdir -p /etc", write("hi", "/etc/motd"))},
		{name: "P1 a block ends without its last line break: its last content loses its final one",
			doc:  doc("write_files:\n  - path: /a/b\n    content: |\n      one\n  - path: /a/c\n    content: |\n      two\n"),
			want: script("mkdir -p /a", write("one\n", "/a/b"), "mkdir -p /a", write("two", "/a/c"))},
		{name: "P3 chmod unless the string is 0644",
			doc: doc("write_files:\n  - path: /a/b\n    permissions: '0640'\n    content: c1\n" +
				"  - path: /a/c\n    permissions: '644'\n    content: c2\n  - path: /a/d\n    permissions: '0644'\n    content: c3\n"),
			want: script("mkdir -p /a", write("c1", "/a/b"), "chmod 0640 /a/b", "mkdir -p /a", write("c2", "/a/c"),
				"chmod 644 /a/c", "mkdir -p /a", write("c3", "/a/d"))},
		{name: "P3 root:root owner needs no chown",
			doc:  doc("write_files:\n  - path: /a/b\n    owner: root:root\n    content: x\n"),
			want: script("mkdir -p /a", write("x", "/a/b"))},
		{name: "H1 any other owner is a chown, which is rejected",
			doc:     doc("write_files:\n  - path: /a/b\n    owner: etcd:etcd\n    content: x\n"),
			wantErr: `unparsed command: chown ["etcd:etcd" "/a/b"]`},
		{name: "H1 owner root alone is not root:root",
			doc:     doc("write_files:\n  - path: /a/b\n    owner: root\n    content: x\n"),
			wantErr: "unparsed command: chown"},
		{name: "H1 append writes with >>, which is rejected",
			doc:     doc("write_files:\n  - path: /a/b\n    append: true\n    content: x\n"),
			wantErr: `unparsed command: /bin/sh ["-c" "cat >> /a/b /dev/stdin"]`},
		{name: "H1 a path with a space is rejected",
			doc:     doc("write_files:\n  - path: /a/b c\n    content: x\n"),
			wantErr: "unparsed command: /bin/sh"},
		{name: "H1 empty content runs cat on the agent's standard input",
			doc:  doc("write_files:\n  - path: /a/b\n    content: ''\n"),
			want: script("mkdir -p /a", "cat > /a/b /dev/stdin")},
		{name: "P2 base64 content is decoded",
			doc:  doc("write_files:\n  - path: /a/b\n    encoding: base64\n    content: aGk=\n"),
			want: script("mkdir -p /a", write("hi", "/a/b"))},
		{name: "P2 gzip+base64 content stays compressed",
			doc: doc("write_files:\n  - path: /a/b\n    encoding: gzip+base64\n    content: " +
				base64.StdEncoding.EncodeToString([]byte(gz)) + "\n"),
			want: script("mkdir -p /a", write(gz, "/a/b"))},
		{name: "P2 base64 with spaces fails the whole data",
			doc:     doc("write_files:\n  - path: /a/b\n    encoding: base64\n    content: aG k=\n"),
			wantErr: "error decoding content for /a/b"},
		{name: "P2 defer and unknown keys are ignored",
			doc:  doc("write_files:\n  - path: /a/b\n    defer: true\n    source: {uri: 'http://x'}\n    content: x\n"),
			want: script("mkdir -p /a", write("x", "/a/b"))},
		{name: "P1 jinja is not rendered",
			doc: doc("write_files:\n  - path: /etc/rancher/k3s/config.yaml\n    content: |\n" +
				"      node-name: '{{ ds.meta_data.local_hostname }}'\nruncmd:\n  - \"echo {{ v1.local_hostname }}\"\n"),
			want: script("mkdir -p /etc/rancher/k3s", write("node-name: '{{ ds.meta_data.local_hostname }}'",
				"/etc/rancher/k3s/config.yaml"), "echo {{ v1.local_hostname }}")},
		{name: "P1 other modules are ignored, in document order otherwise",
			doc:  doc("runcmd:\n  - \"echo first\"\nbootcmd:\n  - \"echo never\"\nwrite_files:\n  - path: /a/b\n    content: x\n"),
			want: script("echo first", "mkdir -p /a", write("x", "/a/b"))},
		{name: "P1 a block is named by its whole first line: flow-style runcmd is ignored",
			doc:  doc("runcmd: [\"echo ignored\"]\n"),
			want: script("")},
		{name: "P1 the document must be YAML",
			doc:     doc("runcmd:\n  - \"unterminated\n"),
			wantErr: "cloud-config is not valid yaml"},
		{name: "P1 a line over 64 KiB fails the whole data",
			doc:     doc("runcmd:\n  - \"echo " + strings.Repeat("x", 70000) + "\"\n"),
			wantErr: "token too long"},
		{name: "P4 string runcmd runs as written",
			doc:  doc("runcmd:\n  - \"export A=1\"\n  - \"echo $A > /tmp/a\"\n"),
			want: script("export A=1", "echo $A > /tmp/a")},
		{name: "P4 list runcmd: mkdir, chmod and /bin/sh -c are accepted",
			doc:  doc("runcmd:\n  - [mkdir, -p, /x]\n  - [chmod, '0700', /x]\n  - [/bin/sh, -c, 'echo hi']\n"),
			want: script("mkdir -p /x", "chmod 0700 /x", "echo hi")},
		{name: "H1 list runcmd of another program is rejected",
			doc:     doc("runcmd:\n  - [systemctl, restart, k3s]\n"),
			wantErr: `unparsed command: systemctl ["restart" "k3s"]`},
		{name: "P4 an empty list is an error",
			doc:     doc("runcmd:\n  - []\n"),
			wantErr: "empty runcmd list"},
		{name: "P4 kubeadm init gets --ignore-preflight-errors=all",
			doc:  doc("runcmd:\n  - \"kubeadm init --config /run/kubeadm/kubeadm.yaml\"\n"),
			want: script("kubeadm init --ignore-preflight-errors=all --config /run/kubeadm/kubeadm.yaml")},
		{name: `H2 config.toml.tmpl loses the backslash of \"`,
			doc: doc("write_files:\n  - path: /c/config.toml.tmpl\n    content: 'a = \\\"b\\\"'\n" +
				"  - path: /c/other.toml\n    content: 'a = \\\"b\\\"'\n"),
			want: script("mkdir -p /c", write(`a = "b"`, "/c/config.toml.tmpl"), "mkdir -p /c", write(`a = \"b\"`, "/c/other.toml"))},
		{name: "H3 the provider ID drop-in comes first",
			doc:  doc("runcmd:\n  - \"true\"\n"),
			opts: edgeagent.Options{ProviderID: "intel://host-1"},
			want: script("mkdir -p "+edgeagent.ProviderIDDir,
				write(`kubelet-arg+: ["--provider-id=intel://host-1"]`, edgeagent.ProviderIDFile),
				"chmod 0640 "+edgeagent.ProviderIDFile, "true")},
		{name: "Root moves the paths, not the content",
			doc:  doc("write_files:\n  - path: /etc/a\n    permissions: '0600'\n    content: /etc/a\nruncmd:\n  - \"cp /etc/a /usr/local/b\"\n"),
			opts: edgeagent.Options{Root: "/r"},
			want: script("mkdir -p /r/etc", write("/etc/a", "/r/etc/a"), "chmod 0600 /r/etc/a", "cp /r/etc/a /r/usr/local/b")},
		{name: "Root must stay one shell word",
			doc:     doc("runcmd:\n  - \"true\"\n"),
			opts:    edgeagent.Options{Root: "/r oot"},
			wantErr: "root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := edgeagent.Translate(tt.doc, tt.opts)
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}

// TestTranslateSecret checks the secret keys (S1).
func TestTranslateSecret(t *testing.T) {
	value := doc("runcmd:\n  - \"true\"\n")
	tests := []struct {
		name    string
		data    map[string][]byte
		wantErr string
	}{
		{name: "cloud-config", data: map[string][]byte{"format": []byte("cloud-config"), "value": value}},
		{name: "no format key", data: map[string][]byte{"value": value}},
		{name: "ignition", data: map[string][]byte{"format": []byte("ignition"), "value": value},
			wantErr: "unsupported bootstrap script format: ignition"},
		{name: "no value", data: map[string][]byte{"format": []byte("cloud-config")}, wantErr: "missing value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := edgeagent.TranslateSecret(tt.data, edgeagent.Options{})
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(script("true")))
		})
	}
}

func TestRebase(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/etc/a", "/r/etc/a"},
		{"mkdir -p /var/lib/x && echo ok > /run/y", "mkdir -p /r/var/lib/x && echo ok > /r/run/y"},
		{"export INSTALL_K3S_BIN_DIR=/var/lib/rancher/k3s/bin", "export INSTALL_K3S_BIN_DIR=/r/var/lib/rancher/k3s/bin"},
		{"PATH=/usr/local/bin:/opt/bin", "PATH=/r/usr/local/bin:/r/opt/bin"},
		{"cat /etc/a /dev/stdin", "cat /r/etc/a /dev/stdin"},
		{"/bin/sh /usr/bin/env /usr/lib/x /usr/share/y /proc/1 /sys/z", "/bin/sh /usr/bin/env /usr/lib/x /usr/share/y /proc/1 /sys/z"},
		{"/usr/libexec2/x /binary", "/r/usr/libexec2/x /r/binary"},
		{"curl -sfL https://get.k3s.io/x", "curl -sfL https://get.k3s.io/x"},
		{"a/b ./c echo a/etc", "a/b ./c echo a/etc"},
		{"'/etc/a' \"/etc/b\" (/etc/c)", "'/r/etc/a' \"/r/etc/b\" (/r/etc/c)"},
	}
	for _, tt := range tests {
		NewWithT(t).Expect(edgeagent.Rebase(tt.in, "/r")).To(Equal(tt.want), tt.in)
	}
}
