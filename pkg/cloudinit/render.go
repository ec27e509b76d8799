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

	"go.yaml.in/yaml/v3"

	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata/model"
)

// Header is the first two lines of every rendered document.
const Header = "## template: jinja\n#cloud-config\n"

// yamlIndent is the indentation of the rendered YAML.
const yamlIndent = 2

// Render renders data as a cloud-config document. Files become write_files entries, in order, and commands
// become runcmd entries, in order, each a single string. It returns an error when data cannot be represented:
// an empty path or one with a NUL character, an unknown encoding, or text other than file content that is not
// valid UTF-8. The document is parsed back before it is returned, and any difference is an error. File content
// that is not valid UTF-8 is written base64-encoded, and gzip content as gzip+base64, so that the bytes on
// the node are those given.
func Render(data model.Data) ([]byte, error) {
	files := make([]writeFile, 0, len(data.Files))
	for i := range data.Files {
		f, err := newWriteFile(data.Files[i])
		if err != nil {
			return nil, fmt.Errorf("file %d (%q): %w", i, data.Files[i].Path, err)
		}
		files = append(files, f)
	}
	for i, cmd := range data.Commands {
		if err := checkText(cmd); err != nil {
			return nil, fmt.Errorf("command %d: %w", i, err)
		}
	}

	doc := mapping()
	if len(files) > 0 {
		seq := sequence()
		for _, f := range files {
			seq.Content = append(seq.Content, f.node())
		}
		addPair(doc, "write_files", seq)
	}
	if len(data.Commands) > 0 {
		seq := sequence()
		for _, cmd := range data.Commands {
			seq.Content = append(seq.Content, doubleQuoted(cmd))
		}
		addPair(doc, "runcmd", seq)
	}

	var buf bytes.Buffer
	buf.WriteString(Header)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(yamlIndent)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encoding cloud-config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding cloud-config: %w", err)
	}
	out := buf.Bytes()
	if err := verify(out, files, data.Commands); err != nil {
		return nil, fmt.Errorf("rendered cloud-config does not parse back to its input: %w", err)
	}
	return out, nil
}
