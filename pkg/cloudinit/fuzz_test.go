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
	"unicode/utf8"

	. "github.com/onsi/gomega"

	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata/model"
)

// fuzzEncodings are the encodings the fuzz target picks from; the last one is invalid.
var fuzzEncodings = []string{"", model.EncodingBase64, model.EncodingGzip, model.EncodingGzipBase64, "bogus"}

// SeedArgs are the arguments of FuzzCloudInitRender. Exported for the external test package.
type SeedArgs struct {
	Path, Content      string
	Enc                uint8
	Owner, Permissions string
	Command1, Command2 string
}

// fuzzSeeds are the seed inputs given in code; testdata/fuzz/FuzzCloudInitRender holds more.
var fuzzSeeds = []SeedArgs{
	{"/etc/rancher/k3s/config.yaml", "token: abc\n", 0, "root:root", "0640", "echo pre", "echo post"},
	{"/a", " leading space\n\ttab\ntrailing  \n", 0, "", "", `echo "$HOME"`, "a: b"},
	{"/b c", "{{ ds.meta_data.local_hostname }}\r\n", 1, "yes", "0o644", "- x", "multi\nline"},
	{"/c", "\xff\xfe\x00", 2, "1:1", "", "", "\u2028\u0085"},
	{"", "x", 4, "", "", "", ""},
}

// FuzzCloudInitRender renders random files and commands and checks that the document parses as YAML (with
// YAML 1.1 and 1.2 rules) and that every file and command reads back exactly, or that Render refuses input
// that cannot be represented.
func FuzzCloudInitRender(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.Path, s.Content, s.Enc, s.Owner, s.Permissions, s.Command1, s.Command2)
	}
	f.Fuzz(func(t *testing.T, path, content string, enc uint8, owner, permissions, cmd1, cmd2 string) {
		g := NewWithT(t)
		in := fuzzInput(SeedArgs{path, content, enc, owner, permissions, cmd1, cmd2})
		out, err := Render(in)
		if !representable(in) {
			g.Expect(err).To(HaveOccurred(), "input that cannot be represented must be refused")
			return
		}
		g.Expect(err).NotTo(HaveOccurred())
		expectRoundTrip(g, in, out)
	})
}

// fuzzInput is the data FuzzCloudInitRender renders from its arguments: two files and two commands.
func fuzzInput(a SeedArgs) model.Data {
	encoding := fuzzEncodings[int(a.Enc)%len(fuzzEncodings)]
	return model.Data{
		Files: []model.File{
			{Path: a.Path, Owner: a.Owner, Permissions: a.Permissions, Encoding: encoding, Content: a.Content},
			{Path: "/etc/second", Content: a.Command1 + a.Content},
		},
		Commands: []string{a.Command1, a.Command2},
	}
}

// representable reports whether Render must accept in: every path non-empty without NUL, every text field
// and command valid UTF-8, every encoding known, and base64 content text.
func representable(in model.Data) bool {
	for _, f := range in.Files {
		if f.Path == "" || strings.ContainsRune(f.Path, 0) || !model.IsKnownEncoding(f.Encoding) {
			return false
		}
		if !utf8.ValidString(f.Path) || !utf8.ValidString(f.Owner) || !utf8.ValidString(f.Permissions) {
			return false
		}
		if (f.Encoding == model.EncodingBase64 || f.Encoding == model.EncodingGzipBase64) && !utf8.ValidString(f.Content) {
			return false
		}
	}
	for _, cmd := range in.Commands {
		if !utf8.ValidString(cmd) {
			return false
		}
	}
	return true
}
