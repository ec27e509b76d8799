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
	"fmt"

	"go.yaml.in/yaml/v3"
)

// verify parses the rendered document back and checks that every write_files field and every runcmd entry is
// a string equal to what was rendered. It guards against any encoder corner case producing a document that
// would write different bytes on the node.
func verify(out []byte, files []writeFile, commands []string) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(out, &doc); err != nil {
		return fmt.Errorf("parsing: %w", err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("document is not a mapping")
	}
	gotFiles := value(root, "write_files")
	if err := verifySequenceLen(gotFiles, len(files), "write_files"); err != nil {
		return err
	}
	for i, f := range files {
		entry := gotFiles.Content[i]
		want := map[string]string{"path": f.path, "encoding": f.encoding, "owner": f.owner,
			"permissions": f.permissions, "content": f.content}
		for key, w := range want {
			v := value(entry, key)
			if v == nil && w == "" && key != "path" && key != "content" {
				continue
			}
			if err := verifyString(v, w); err != nil {
				return fmt.Errorf("write_files[%d].%s: %w", i, key, err)
			}
		}
	}
	gotCmds := value(root, "runcmd")
	if err := verifySequenceLen(gotCmds, len(commands), "runcmd"); err != nil {
		return err
	}
	for i, cmd := range commands {
		if err := verifyString(gotCmds.Content[i], cmd); err != nil {
			return fmt.Errorf("runcmd[%d]: %w", i, err)
		}
	}
	return nil
}

// value returns the value of key in the mapping m, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// verifySequenceLen checks that seq is a sequence of n items (a missing sequence counts as empty).
func verifySequenceLen(seq *yaml.Node, n int, name string) error {
	switch {
	case seq == nil && n == 0:
		return nil
	case seq == nil || seq.Kind != yaml.SequenceNode:
		return fmt.Errorf("%s is not a sequence", name)
	case len(seq.Content) != n:
		return fmt.Errorf("%s has %d items, want %d", name, len(seq.Content), n)
	}
	return nil
}

// verifyString checks that n is a string scalar equal to want.
func verifyString(n *yaml.Node, want string) error {
	switch {
	case n == nil:
		return fmt.Errorf("missing")
	case n.Kind != yaml.ScalarNode || n.ShortTag() != strTag:
		return fmt.Errorf("not a string (tag %s)", n.ShortTag())
	case n.Value != want:
		return fmt.Errorf("parsed as %q, want %q", n.Value, want)
	}
	return nil
}
