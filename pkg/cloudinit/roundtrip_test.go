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
	"bytes"
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata/model"
)

// parsedDoc is a cloud-config document as cloud-init reads it (only the modules the renderer writes).
type parsedDoc struct {
	WriteFiles []parsedFile `json:"write_files,omitempty" yaml:"write_files,omitempty"`
	Runcmd     []string     `json:"runcmd,omitempty" yaml:"runcmd,omitempty"`
}

// parsedFile is one write_files entry.
type parsedFile struct {
	Path        string `json:"path" yaml:"path"`
	Encoding    string `json:"encoding,omitempty" yaml:"encoding,omitempty"`
	Owner       string `json:"owner,omitempty" yaml:"owner,omitempty"`
	Permissions string `json:"permissions,omitempty" yaml:"permissions,omitempty"`
	Content     string `json:"content" yaml:"content"`
}

// parseCloudConfig parses a rendered document twice: with go.yaml.in/yaml/v3, and untyped with
// sigs.k8s.io/yaml, which resolves scalars with YAML 1.1 rules like cloud-init's PyYAML (yes, on, 0640 and
// 1:30 are not strings there). Every value must be a string for both, and both must read the same document.
func parseCloudConfig(g Gomega, out []byte) parsedDoc {
	g.Expect(bytes.HasPrefix(out, []byte(Header))).To(BeTrue(), "document must start with the jinja and #cloud-config lines")
	var v3doc parsedDoc
	dec := yaml.NewDecoder(bytes.NewReader(out))
	dec.KnownFields(true)
	g.Expect(dec.Decode(&v3doc)).To(Succeed())
	v11doc, err := parseYAML11(out)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v11doc).To(Equal(v3doc), "YAML 1.1 and YAML 1.2 parsers must read the same document")
	return v3doc
}

// parseYAML11 parses a rendered document without type hints, with YAML 1.1 scalar resolution, and returns an
// error when any write_files field or runcmd entry is not a string.
func parseYAML11(out []byte) (parsedDoc, error) {
	var raw map[string]any
	if err := sigsyaml.Unmarshal(out, &raw); err != nil {
		return parsedDoc{}, err
	}
	var doc parsedDoc
	if raw == nil {
		return doc, nil
	}
	files, _ := raw["write_files"].([]any)
	if raw["write_files"] != nil && files == nil {
		return doc, fmt.Errorf("write_files is %T, not a list", raw["write_files"])
	}
	for i, item := range files {
		entry, ok := item.(map[string]any)
		if !ok {
			return doc, fmt.Errorf("write_files[%d] is %T, not a mapping", i, item)
		}
		var f parsedFile
		for key, dst := range map[string]*string{"path": &f.Path, "encoding": &f.Encoding, "owner": &f.Owner,
			"permissions": &f.Permissions, "content": &f.Content} {
			v, present := entry[key]
			if !present {
				continue
			}
			s, ok := v.(string)
			if !ok {
				return doc, fmt.Errorf("write_files[%d].%s is %T (%v), not a string", i, key, v, v)
			}
			*dst = s
		}
		doc.WriteFiles = append(doc.WriteFiles, f)
	}
	cmds, _ := raw["runcmd"].([]any)
	if raw["runcmd"] != nil && cmds == nil {
		return doc, fmt.Errorf("runcmd is %T, not a list", raw["runcmd"])
	}
	for i, item := range cmds {
		s, ok := item.(string)
		if !ok {
			return doc, fmt.Errorf("runcmd[%d] is %T (%v), not a string", i, item, item)
		}
		doc.Runcmd = append(doc.Runcmd, s)
	}
	return doc, nil
}

// expectRoundTrip checks that out, rendered from in, parses back to the same files (same bytes on the node)
// and the same commands.
func expectRoundTrip(g Gomega, in model.Data, out []byte) {
	doc := parseCloudConfig(g, out)
	g.Expect(doc.WriteFiles).To(HaveLen(len(in.Files)))
	for i, want := range in.Files {
		got := doc.WriteFiles[i]
		g.Expect(got.Path).To(Equal(want.Path))
		g.Expect(got.Owner).To(Equal(want.Owner))
		g.Expect(got.Permissions).To(Equal(want.Permissions))
		if got.Encoding == want.Encoding {
			g.Expect(got.Content).To(Equal(want.Content), "content of %q", want.Path)
			continue
		}
		// Re-encoded by the renderer: the decoded bytes must be the same.
		wantBytes, wantGzip, err := want.Decode()
		g.Expect(err).NotTo(HaveOccurred())
		gotBytes, gotGzip, err := model.File{Encoding: got.Encoding, Content: got.Content}.Decode()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(gotGzip).To(Equal(wantGzip))
		g.Expect(gotBytes).To(Equal(wantBytes), "content of %q", want.Path)
	}
	g.Expect(doc.Runcmd).To(HaveLen(len(in.Commands)))
	for i, cmd := range in.Commands {
		g.Expect(doc.Runcmd[i]).To(Equal(cmd))
	}
	// Commands stay single strings: parseCloudConfig already refused any runcmd item that is not a string (a
	// list such as "- - x" included). A line-based check would misfire on file content that looks like a list.
}

func Test_parseYAML11(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		wantErr string
	}{
		{name: "strings", doc: "write_files:\n- path: /a\n  permissions: '0640'\n  content: x\nruncmd:\n- \"yes\"\n"},
		{name: "YAML 1.1 boolean command", doc: "runcmd:\n- yes\n", wantErr: "runcmd[0] is bool"},
		{name: "octal permissions", doc: "write_files:\n- path: /a\n  permissions: 0640\n", wantErr: "permissions is"},
		{name: "null owner", doc: "write_files:\n- path: /a\n  owner: ~\n", wantErr: "owner is <nil>"},
		{name: "list command", doc: "runcmd:\n- [echo, hi]\n", wantErr: "runcmd[0] is []interface {}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := parseYAML11([]byte(Header + tt.doc))
			if tt.wantErr == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
		})
	}
}
