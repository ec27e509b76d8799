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

package ignition

import (
	"path"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	. "github.com/onsi/gomega"

	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata/model"
)

// fuzzEncodings are the encodings the fuzz target picks from; the last one is invalid.
var fuzzEncodings = []string{"", model.EncodingBase64, model.EncodingGzip, model.EncodingGzipBase64, "bogus"}

// FuzzIgnitionRender renders random files and commands and checks that the config passes Ignition's
// validation and that every file and the script read back exactly, or that Render refuses input Ignition
// cannot write.
func FuzzIgnitionRender(f *testing.F) {
	f.Add("/etc/rancher/k3s/config.yaml", "token: abc\n", uint8(0), "root:root", "0640", "echo pre", "echo post")
	f.Add("/etc/a b", " leading space\n\t{{ x }}\n", uint8(0), "1000:1000", "644", `echo "$HOME"`, "a: b")
	f.Add("/etc/b64", "aGVsbG8=\n", uint8(1), "core", "0600", "", "\x00\xff")
	f.Add("/etc/gz", "\x1f\x8b", uint8(2), "", "", "", "")
	f.Add("relative", "x", uint8(4), ":", "9", "", "")
	f.Fuzz(func(t *testing.T, p, content string, enc uint8, owner, permissions, cmd1, cmd2 string) {
		g := NewWithT(t)
		in := model.Data{
			Files: []model.File{
				{Path: p, Owner: owner, Permissions: permissions, Encoding: fuzzEncodings[int(enc)%len(fuzzEncodings)],
					Content: content},
				{Path: "/etc/second", Content: cmd2 + content},
			},
			Commands: []string{cmd1, cmd2},
		}
		out, err := Render(in)
		if !writable(in) {
			g.Expect(err).To(HaveOccurred(), "input Ignition cannot write must be refused")
			return
		}
		g.Expect(err).NotTo(HaveOccurred())
		expectRoundTrip(g, in, out)
	})
}

// writable reports whether Render must accept in.
func writable(in model.Data) bool {
	for _, f := range in.Files {
		p := f.Path
		if p == "" || !path.IsAbs(p) || path.Clean(p) != p || !utf8.ValidString(p) || strings.ContainsRune(p, 0) ||
			p == ScriptPath || p == unitPath {
			return false
		}
		if !validOwner(f.Owner) {
			return false
		}
		if f.Permissions != "" {
			if mode, err := strconv.ParseUint(f.Permissions, 8, 32); err != nil || mode > 0o7777 {
				return false
			}
		}
		if _, _, err := f.Decode(); err != nil {
			return false
		}
	}
	return true
}

// validOwner reports whether owner is empty, user or user:group, with numeric parts that fit an id.
func validOwner(owner string) bool {
	if owner == "" {
		return true
	}
	if !utf8.ValidString(owner) {
		return false
	}
	user, group, hasGroup := strings.Cut(owner, ":")
	parts := []string{user}
	if hasGroup {
		parts = append(parts, group)
	}
	for _, part := range parts {
		if part == "" {
			return false
		}
		if strings.Trim(part, "0123456789") == "" {
			if _, err := strconv.ParseInt(part, 10, 32); err != nil {
				return false
			}
		}
	}
	return true
}
