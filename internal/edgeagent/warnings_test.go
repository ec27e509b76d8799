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

package edgeagent

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation/field"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

// spec returns a spec that the agents run as written, changed by mutate.
func spec(mutate ...func(*bootstrapv1.KThreesConfigSpec)) *bootstrapv1.KThreesConfigSpec {
	s := &bootstrapv1.KThreesConfigSpec{
		Files: []bootstrapv1.File{
			{Path: "/etc/a", Content: "a\n"},
			{Path: "/etc/rancher/k3s/registries.yaml", Owner: "root:root", Permissions: "0600", Content: `x: "y"`},
			{Path: "/etc/b", Encoding: bootstrapv1.Base64, Content: "aGk="},
			{Path: "/etc/c", Owner: "root:root", ContentFrom: &bootstrapv1.FileSource{
				Secret: bootstrapv1.SecretFileSource{Name: "s", Key: "k"}}},
		},
		PreK3sCommands:  []string{"mkdir -p /var/lib/rancher/k3s/bin", "export INSTALL_K3S_BIN_DIR=/var/lib/rancher/k3s/bin"},
		PostK3sCommands: []string{"echo '[Service]\\nEnvironmentFile=/etc/environment' > /etc/x.conf"},
	}
	for _, m := range mutate {
		m(s)
	}
	return s
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*bootstrapv1.KThreesConfigSpec)
		want   []string // each warning's prefix, in order
	}{
		{name: "runs as written", mutate: func(*bootstrapv1.KThreesConfigSpec) {}},
		{name: "owner other than root:root",
			mutate: func(s *bootstrapv1.KThreesConfigSpec) { s.Files[2].Owner = "etcd:etcd" },
			want:   []string{`spec.files[2].owner: "etcd:etcd" needs a chown`}},
		{name: "owner root alone",
			mutate: func(s *bootstrapv1.KThreesConfigSpec) { s.Files[0].Owner = "root" },
			want:   []string{`spec.files[0].owner: "root" needs a chown`}},
		{name: "owner of a contentFrom file",
			mutate: func(s *bootstrapv1.KThreesConfigSpec) { s.Files[3].Owner = "1000:1000" },
			want:   []string{`spec.files[3].owner:`}},
		{name: "path with a space",
			mutate: func(s *bootstrapv1.KThreesConfigSpec) { s.Files[0].Path = "/etc/odd name" },
			want:   []string{`spec.files[0].path: "/etc/odd name" has characters other than`}},
		{name: "gzip encodings",
			mutate: func(s *bootstrapv1.KThreesConfigSpec) {
				s.Files[0].Encoding = bootstrapv1.Gzip
				s.Files[2].Encoding = bootstrapv1.GzipBase64
			},
			want: []string{"spec.files[0].encoding:", "spec.files[2].encoding:"}},
		{name: "base64 the agents cannot decode",
			mutate: func(s *bootstrapv1.KThreesConfigSpec) { s.Files[2].Content = "aG k=" },
			want:   []string{"spec.files[2].content: not padded standard base64"}},
		{name: "base64 with line breaks decodes",
			mutate: func(s *bootstrapv1.KThreesConfigSpec) { s.Files[2].Content = "aG\nk=\n" }},
		{name: `config.toml.tmpl with \"`,
			mutate: func(s *bootstrapv1.KThreesConfigSpec) {
				s.Files[0].Path = "/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl"
				s.Files[0].Content = `a = "\"b\""`
			},
			want: []string{`spec.files[0].content: agents that run the bootstrap data without cloud-init (Open Edge Platform) replace \"`}},
		{name: `base64 config.toml.tmpl with \"`,
			mutate: func(s *bootstrapv1.KThreesConfigSpec) {
				s.Files[2].Path = "/c/config.toml.tmpl"
				s.Files[2].Content = "XCI=" // \"
			},
			want: []string{"spec.files[2].content:"}},
		{name: "a content line over 64 KiB",
			mutate: func(s *bootstrapv1.KThreesConfigSpec) { s.Files[0].Content = strings.Repeat("x", 70000) + "\n" },
			want:   []string{"spec.files[0].content: written as a cloud-config line of 70006 bytes"}},
		{name: "long content in short lines",
			mutate: func(s *bootstrapv1.KThreesConfigSpec) { s.Files[0].Content = strings.Repeat("x\n", 70000) }},
		{name: "commands that change",
			mutate: func(s *bootstrapv1.KThreesConfigSpec) {
				s.PreK3sCommands = []string{`echo "$HOSTNAME" > /etc/h`, "true", "printf '%s\\n' 'a: b' # yes"}
				s.PostK3sCommands = []string{"sleep 1 &"}
			},
			want: []string{
				`spec.preK3sCommands[0]: agents that run the bootstrap data without cloud-init (Open Edge Platform) ` +
					`join all commands into one sudo sh -c "…; …": a double quote ends that quoting; the agent's own ` +
					"shell expands $ and ` before any command runs, as the agent user",
				"spec.preK3sCommands[2]: ", "spec.postK3sCommands[0]: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got := Warnings(spec(tt.mutate), field.NewPath("spec"), nil)
			g.Expect(got).To(HaveLen(len(tt.want)), "%q", got)
			for i, prefix := range tt.want {
				g.Expect(got[i]).To(HavePrefix(prefix))
			}
		})
	}
}

// TestWarnings_invalidFields checks that a field with a validation error gets no further warning.
func TestWarnings_invalidFields(t *testing.T) {
	g := NewWithT(t)
	s := spec(func(s *bootstrapv1.KThreesConfigSpec) {
		s.Files[0].Owner = "a:b:c"
		s.Files[1].Owner = "etcd"
	})
	invalid := field.ErrorList{field.Invalid(field.NewPath("spec", "files").Index(0).Child("owner"), "a:b:c", "bad")}
	got := Warnings(s, field.NewPath("spec"), invalid)
	g.Expect(got).To(HaveLen(1))
	g.Expect(got[0]).To(HavePrefix("spec.files[1].owner: "))
}

func TestCommandProblem(t *testing.T) {
	tests := []struct {
		cmd  string
		want string // a part of the problem; "" for none
	}{
		{cmd: "mkdir -p /var/lib/rancher/k3s/bin"},
		{cmd: "sed -i '/kubelet-arg:/a\\- pod-manifest-path=/x' /etc/rancher/k3s/config.yaml"},
		{cmd: "echo a#b 'c # d'"},
		{cmd: "echo a\n# note\necho b"},
		{cmd: "find /x -name y -exec rm {} \\;"},
		{cmd: `echo "x"`, want: "a double quote"},
		{cmd: "echo $HOME", want: "expands $"},
		{cmd: "echo `date`", want: "expands $"},
		{cmd: `printf 'a\\b'`, want: "removes a backslash"},
		{cmd: "echo a # note", want: "# comment hides"},
		{cmd: "# only a comment", want: "# comment hides"},
		{cmd: "echo a;", want: "does not join"},
		{cmd: "echo a &&", want: "does not join"},
		{cmd: "sleep 1 &", want: "does not join"},
		{cmd: "echo a \\", want: "does not join"},
		{cmd: "echo a\n", want: "does not join"},
		{cmd: "; echo a", want: "does not join"},
		{cmd: "  ", want: "does not join"},
	}
	for _, tt := range tests {
		got := CommandProblem(tt.cmd)
		if tt.want == "" {
			NewWithT(t).Expect(got).To(BeEmpty(), "%q", tt.cmd)
		} else {
			NewWithT(t).Expect(got).To(ContainSubstring(tt.want), "%q", tt.cmd)
		}
	}
}
