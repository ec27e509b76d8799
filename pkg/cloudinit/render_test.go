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

package cloudinit

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata/model"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		in   model.Data
		// want lists substrings the document must contain, in order.
		want []string
	}{
		{
			name: "empty data is an empty document",
			in:   model.Data{},
			want: []string{Header + "{}\n"},
		},
		{
			name: "file fields in upstream order, permissions single-quoted, commands double-quoted",
			in: model.Data{
				Files: []model.File{{Path: "/etc/a.conf", Owner: "root:root", Permissions: "0640",
					Encoding: "base64", Content: "aGk="}},
				Commands: []string{"echo pre", "curl -sfL https://get.k3s.io | sh -s - server && echo ok"},
			},
			want: []string{
				"write_files:\n  - path: /etc/a.conf\n    encoding: \"base64\"\n    owner: root:root\n    permissions: '0640'\n    content: |-\n      aGk=\n",
				"runcmd:\n  - \"echo pre\"\n  - \"curl -sfL https://get.k3s.io | sh -s - server && echo ok\"\n",
			},
		},
		{
			name: "multi-line content is a literal block",
			in:   model.Data{Files: []model.File{{Path: "/a", Content: "line 1\nline 2\n"}}},
			want: []string{"    content: |\n      line 1\n      line 2\n"},
		},
		{
			name: "content starting with a space keeps it (indentation indicator)",
			in:   model.Data{Files: []model.File{{Path: "/a", Content: "  indented\nnext\n"}}},
			want: []string{"    content: |2\n        indented\n      next\n"},
		},
		{
			name: "trailing spaces and carriage returns force double quotes",
			in:   model.Data{Files: []model.File{{Path: "/a", Content: "a  \r\nb"}}},
			want: []string{`    content: "a  \r\nb"`},
		},
		{
			name: "values a YAML 1.1 parser would not read as strings are quoted",
			in: model.Data{
				Files:    []model.File{{Path: "/a b", Owner: "yes", Permissions: "0640", Content: "on"}},
				Commands: []string{"yes", "123", "a: b", "- item"},
			},
			want: []string{`path: "/a b"`, `owner: "yes"`, `permissions: '0640'`, "content: |-\n      on",
				`- "yes"`, `- "123"`, `- "a: b"`, `- "- item"`},
		},
		{
			name: "jinja expressions are written as they are",
			in: model.Data{Files: []model.File{{Path: "/etc/rancher/k3s/config.yaml",
				Content: "node-name: '{{ ds.meta_data.local_hostname }}'\n"}}},
			want: []string{"node-name: '{{ ds.meta_data.local_hostname }}'\n"},
		},
		{
			name: "jinja statements, comments and whitespace control make content one double-quoted line",
			in: model.Data{Files: []model.File{
				{Path: "/a", Content: "{% if true %}\nx\n{% endif %}\n"},
				{Path: "/b", Content: "{# c #}\n"},
				{Path: "/c", Content: "a {{- v }}\n"},
				{Path: "/d", Content: "{{ v -}}\nb\n"},
				{Path: "/e", Content: "{{ v }}\nb\n"},
			}},
			want: []string{`content: "{% if true %}\nx\n{% endif %}\n"`, `content: "{# c #}\n"`, `content: "a {{- v }}\n"`,
				`content: "{{ v -}}\nb\n"`, "content: |\n      {{ v }}\n      b\n"},
		},
		{
			name: "content that is not UTF-8 is written base64-encoded",
			in:   model.Data{Files: []model.File{{Path: "/bin/blob", Content: "\xff\x00\xfe"}}},
			want: []string{"encoding: \"base64\"\n    content: |-\n      /wD+\n"},
		},
		{
			name: "gzip content is written gzip+base64",
			in:   model.Data{Files: []model.File{{Path: "/a.gz", Encoding: "gzip", Content: "\x1f\x8b\x08"}}},
			want: []string{"encoding: \"gzip+base64\"\n    content: |-\n      H4sI\n"},
		},
		{
			name: "commands with quotes, dollars and newlines stay single strings",
			in:   model.Data{Commands: []string{`echo "$HOME" 'x'`, "a\nb"}},
			want: []string{`  - "echo \"$HOME\" 'x'"`, `  - "a\nb"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			out, err := Render(tt.in)
			g.Expect(err).NotTo(HaveOccurred())
			rest := string(out)
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				g.Expect(i).To(BeNumerically(">=", 0), "missing (or out of order) %q in:\n%s", w, out)
				rest = rest[i+len(w):]
			}
			expectRoundTrip(g, tt.in, out)
		})
	}
}

func TestRender_errors(t *testing.T) {
	tests := []struct {
		name    string
		in      model.Data
		wantErr string
	}{
		{name: "empty path", in: model.Data{Files: []model.File{{Content: "x"}}}, wantErr: "path must not be empty"},
		{name: "NUL in path", in: model.Data{Files: []model.File{{Path: "/a\x00b"}}}, wantErr: "NUL"},
		{name: "path not UTF-8", in: model.Data{Files: []model.File{{Path: "/\xff"}}}, wantErr: "path: must be valid UTF-8"},
		{name: "owner not UTF-8", in: model.Data{Files: []model.File{{Path: "/a", Owner: "\xff"}}}, wantErr: "owner"},
		{name: "permissions not UTF-8", in: model.Data{Files: []model.File{{Path: "/a", Permissions: "\xff"}}},
			wantErr: "permissions"},
		{name: "unknown encoding", in: model.Data{Files: []model.File{{Path: "/a", Encoding: "b64"}}},
			wantErr: `unknown encoding "b64"`},
		{name: "base64 content that is not text", in: model.Data{Files: []model.File{{Path: "/a", Encoding: "base64",
			Content: "\xff"}}}, wantErr: "declared base64 but is not text"},
		{name: "command not UTF-8", in: model.Data{Commands: []string{"ok", "\xff"}}, wantErr: "command 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := Render(tt.in)
			g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
		})
	}
}
