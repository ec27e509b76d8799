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
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

var (
	// plainPathPattern matches absolute paths that every YAML parser reads as the same string when unquoted.
	plainPathPattern = regexp.MustCompile(`^/[A-Za-z0-9._/+@-]*$`)

	// plainOwnerPattern matches user:group names that every YAML parser reads as the same string when unquoted;
	// the colon and the leading letters keep them from looking like numbers, booleans or null.
	plainOwnerPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*:[A-Za-z_][A-Za-z0-9_.-]*$`)
)

// strTag is the YAML tag of strings.
const strTag = "!!str"

// mapping returns an empty block mapping.
func mapping() *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode}
}

// sequence returns an empty block sequence.
func sequence() *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode}
}

// addPair appends key: value to the mapping m.
func addPair(m *yaml.Node, key string, value *yaml.Node) {
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, value)
}

// scalar returns a string scalar written in style; the encoder falls back to a quoted style when the value
// cannot be written in the requested one.
func scalar(value string, style yaml.Style) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: strTag, Value: value, Style: style}
}

// doubleQuoted returns a double-quoted string scalar, which can carry any text.
func doubleQuoted(value string) *yaml.Node {
	return scalar(value, yaml.DoubleQuotedStyle)
}

// singleQuoted returns a single-quoted string scalar (double-quoted when single quotes cannot carry it).
func singleQuoted(value string) *yaml.Node {
	return scalar(value, yaml.SingleQuotedStyle)
}

// literal returns a literal block scalar, or a double-quoted one when a block cannot carry the value exactly:
// the encoder itself falls back for trailing spaces, carriage returns or control characters, a value starting
// with a tab would make a block whose indentation parsers cannot determine, and jinja that removes whitespace
// would join lines of the document (see jinjaStripsWhitespace).
func literal(value string) *yaml.Node {
	if strings.HasPrefix(value, "\t") || jinjaStripsWhitespace(value) {
		return doubleQuoted(value)
	}
	return scalar(value, yaml.LiteralStyle)
}

// jinjaStripsWhitespace reports whether cloud-init's jinja rendering would remove line breaks or indentation
// around s: it renders with trim_blocks, which drops the line break after a statement ({% %}) or a comment
// ({# #}), and whitespace control ({{- -}}, {%- -%}) drops all whitespace on one side. In a block scalar that
// whitespace is the document's: the next line (a file's path, a command) would join the content. A double-quoted
// scalar is one line whose breaks are \n escapes, which jinja leaves alone.
func jinjaStripsWhitespace(s string) bool {
	return strings.Contains(s, "{%") || strings.Contains(s, "{#") || strings.Contains(s, "{{-") || strings.Contains(s, "-}}")
}

// pathScalar returns a path: plain when that is unambiguous, double-quoted otherwise.
func pathScalar(p string) *yaml.Node {
	if plainPathPattern.MatchString(p) {
		return scalar(p, 0)
	}
	return doubleQuoted(p)
}

// ownerScalar returns an owner: plain for user:group names such as root:root, double-quoted otherwise (a lone
// user name such as "yes", or ids such as "1:1", would not stay strings for a YAML 1.1 parser).
func ownerScalar(owner string) *yaml.Node {
	if plainOwnerPattern.MatchString(owner) {
		return scalar(owner, 0)
	}
	return doubleQuoted(owner)
}
