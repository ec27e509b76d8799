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

// FuzzCloudInitRender renders random files and commands and checks that the document parses as YAML (with
// YAML 1.1 and 1.2 rules) and that every file and command reads back exactly, or that Render refuses input
// that cannot be represented.
func FuzzCloudInitRender(f *testing.F) {
	f.Add("/etc/rancher/k3s/config.yaml", "token: abc\n", uint8(0), "root:root", "0640", "echo pre", "echo post")
	f.Add("/a", " leading space\n\ttab\ntrailing  \n", uint8(0), "", "", `echo "$HOME"`, "a: b")
	f.Add("/b c", "{{ ds.meta_data.local_hostname }}\r\n", uint8(1), "yes", "0o644", "- x", "multi\nline")
	f.Add("/c", "\xff\xfe\x00", uint8(2), "1:1", "", "", "\u2028\u0085")
	f.Add("", "x", uint8(4), "", "", "", "")
	f.Fuzz(func(t *testing.T, path, content string, enc uint8, owner, permissions, cmd1, cmd2 string) {
		g := NewWithT(t)
		encoding := fuzzEncodings[int(enc)%len(fuzzEncodings)]
		in := model.Data{
			Files: []model.File{
				{Path: path, Owner: owner, Permissions: permissions, Encoding: encoding, Content: content},
				{Path: "/etc/second", Content: cmd1 + content},
			},
			Commands: []string{cmd1, cmd2},
		}
		out, err := Render(in)
		if !representable(in) {
			g.Expect(err).To(HaveOccurred(), "input that cannot be represented must be refused")
			return
		}
		g.Expect(err).NotTo(HaveOccurred())
		expectRoundTrip(g, in, out)
	})
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
