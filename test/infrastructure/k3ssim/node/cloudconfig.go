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

package node

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata/model"
)

const (
	// cloudConfigHeader starts every cloud-config document (after the template line).
	cloudConfigHeader = "#cloud-config"
	// defaultOwner is the owner cloud-init and Ignition give a file when the data gives none.
	defaultOwner = "root:root"
	// defaultMode is the mode cloud-init and Ignition give a file when the data gives none.
	defaultMode = 0o644
	// maxAliasDepth bounds the alias chains followed in a YAML document.
	maxAliasDepth = 64
)

var (
	// templatePattern matches the template line cloud-init looks for on the first line of user data.
	templatePattern = regexp.MustCompile(`(?i)^##\s*template:\s*(.*?)\s*$`)

	// Plain scalars that YAML 1.1 (cloud-init's PyYAML) reads as something other than a string.
	yaml11Bool      = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	yaml11Null      = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	yaml11Int       = regexp.MustCompile(`^(?:[-+]?0b[01_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	yaml11Decimal   = regexp.MustCompile(`^[-+]?[1-9][0-9_]*$`)
	yaml11Float     = regexp.MustCompile(`^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	yaml11Timestamp = regexp.MustCompile(`^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$`)
)

// writeEntry is one write_files entry, content decoded.
type writeEntry struct {
	file     File
	appended bool
	deferred bool
}

// parseCloudConfig reads a cloud-config document as cloud-init does.
func parseCloudConfig(data []byte) (*Boot, error) {
	if isGzip(data) {
		d, err := gunzip(data)
		if err != nil {
			return nil, fmt.Errorf("cloud-config: compressed user data: %w", err)
		}
		data = d
	}
	b := &Boot{Format: FormatCloudConfig, Files: map[string]File{}}
	body := string(data)
	first, rest := firstLine(body)
	if m := templatePattern.FindStringSubmatch(first); m != nil {
		if !strings.EqualFold(m[1], "jinja") {
			return nil, fmt.Errorf("cloud-config: template type %q on the first line: cloud-init renders jinja templates only", m[1])
		}
		b.Jinja = true
		body = rest
		first, _ = firstLine(body)
	}
	if !strings.HasPrefix(first, cloudConfigHeader) {
		return nil, fmt.Errorf("cloud-config: the data starts with %q, not %q (after an optional \"## template: jinja\" "+
			"line), so cloud-init would not read it as cloud-config", truncate(first, 40), cloudConfigHeader)
	}

	root, err := decodeSingleYAML(body)
	if err != nil {
		return nil, fmt.Errorf("cloud-config: %w", err)
	}
	if root == nil || isNull(root) {
		return b, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("cloud-config: the document is a %s, not a mapping of modules", nodeKind(root))
	}
	if err := b.readWriteFiles(lookup(root, "write_files")); err != nil {
		return nil, fmt.Errorf("cloud-config: %w", err)
	}
	if err := b.readRuncmd(lookup(root, "runcmd")); err != nil {
		return nil, fmt.Errorf("cloud-config: %w", err)
	}
	return b, nil
}

// decodeSingleYAML parses a document that must hold at most one YAML document, returning its root (nil when empty).
func decodeSingleYAML(body string) (*yaml.Node, error) {
	var root *yaml.Node
	err := guard(func() error {
		dec := yaml.NewDecoder(strings.NewReader(body))
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("invalid YAML: %w", err)
		}
		var more yaml.Node
		switch err := dec.Decode(&more); {
		case err == nil:
			return errors.New("more than one YAML document: cloud-init reads exactly one")
		case !errors.Is(err, io.EOF):
			return fmt.Errorf("invalid YAML: %w", err)
		}
		if len(doc.Content) > 0 {
			root = resolve(doc.Content[0])
		}
		return nil
	})
	return root, err
}

// readWriteFiles applies the write_files entries: in order, then the deferred ones in order.
func (b *Boot) readWriteFiles(n *yaml.Node) error {
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return fmt.Errorf("write_files is a %s, not a list", nodeKind(n))
	}
	entries := make([]writeEntry, 0, len(n.Content))
	for i, item := range n.Content {
		e, err := readWriteEntry(resolve(item))
		if err != nil {
			return fmt.Errorf("write_files[%d]: %w", i, err)
		}
		entries = append(entries, e)
	}
	for _, deferred := range []bool{false, true} {
		for _, e := range entries {
			if e.deferred != deferred {
				continue
			}
			if old, ok := b.Files[e.file.Path]; ok && e.appended {
				e.file.Content = append(append([]byte(nil), old.Content...), e.file.Content...)
			}
			b.Files[e.file.Path] = e.file
		}
	}
	return nil
}

// readWriteEntry reads one write_files entry.
func readWriteEntry(n *yaml.Node) (writeEntry, error) {
	if n == nil || n.Kind != yaml.MappingNode {
		return writeEntry{}, fmt.Errorf("is a %s, not a mapping", nodeKind(n))
	}
	p := scalarValue(lookup(n, "path"))
	p, err := cleanPath(p)
	if err != nil {
		return writeEntry{}, err
	}
	e := writeEntry{file: File{Path: p, Owner: defaultOwner, Permissions: fmt.Sprintf("%04o", defaultMode)}}
	if owner := scalarValue(lookup(n, "owner")); owner != "" {
		e.file.Owner = owner
	}
	e.file.Permissions = cloudPermissions(lookup(n, "permissions"))
	e.appended = cloudBool(lookup(n, "append"))
	e.deferred = cloudBool(lookup(n, "defer"))

	content, err := cloudContent(lookup(n, "content"), scalarValue(lookup(n, "encoding")))
	if err != nil {
		return writeEntry{}, fmt.Errorf("%s: %w", p, err)
	}
	e.file.Content = content
	return e, nil
}

// cloudContent decodes the content of a write_files entry declared with encoding (any of cloud-init's names).
func cloudContent(n *yaml.Node, encoding string) ([]byte, error) {
	var raw []byte
	if n != nil && !isNull(n) {
		if n.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("content is a %s, not text", nodeKind(n))
		}
		switch t := scalarType(n); t {
		case "str":
			raw = []byte(n.Value)
		case "binary":
			b, err := decodeBase64([]byte(n.Value), "!!binary")
			if err != nil {
				return nil, err
			}
			raw = b
		default:
			return nil, fmt.Errorf("content %q is read by cloud-init as a %s, not text; quote it", truncate(n.Value, 40), t)
		}
	}
	var gzipped bool
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "", "text/plain":
	case "b64", "base64":
		b, err := decodeBase64(raw, encoding)
		if err != nil {
			return nil, err
		}
		raw = b
	case "gz", "gzip":
		gzipped = true
	case "gz+base64", "gzip+base64", "gz+b64", "gzip+b64":
		b, err := decodeBase64(raw, encoding)
		if err != nil {
			return nil, err
		}
		raw, gzipped = b, true
	default:
		return nil, fmt.Errorf("unknown encoding %q: cloud-init knows b64, base64, gz, gzip, gz+base64, gzip+base64, "+
			"gz+b64 and gzip+b64", encoding)
	}
	if gzipped {
		out, err := gunzip(raw)
		if err != nil {
			return nil, fmt.Errorf("content declared %s: %w", encoding, err)
		}
		raw = out
	}
	return raw, nil
}

// decodeBase64 decodes base64 content declared with encoding; white space and missing padding are accepted.
func decodeBase64(raw []byte, encoding string) ([]byte, error) {
	b, _, err := model.File{Encoding: model.EncodingBase64, Content: string(raw)}.Decode()
	if err != nil {
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // drop the model's own "content is declared base64" prefix
		}
		return nil, fmt.Errorf("content declared %s: %w", encoding, err)
	}
	return b, nil
}

// readRuncmd reads the runcmd entries: strings as they are, lists of words quoted as cloud-init quotes them.
func (b *Boot) readRuncmd(n *yaml.Node) error {
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return fmt.Errorf("runcmd is a %s, not a list", nodeKind(n))
	}
	for i, item := range n.Content {
		item = resolve(item)
		switch {
		case item != nil && item.Kind == yaml.ScalarNode:
			if err := checkCommandText(item); err != nil {
				return fmt.Errorf("runcmd[%d]: %w", i, err)
			}
			b.Commands = append(b.Commands, item.Value)
		case item != nil && item.Kind == yaml.SequenceNode:
			words := make([]string, 0, len(item.Content))
			for j, w := range item.Content {
				w = resolve(w)
				if w == nil || w.Kind != yaml.ScalarNode {
					return fmt.Errorf("runcmd[%d][%d] is a %s, not a word", i, j, nodeKind(w))
				}
				if err := checkCommandText(w); err != nil {
					return fmt.Errorf("runcmd[%d][%d]: %w", i, j, err)
				}
				words = append(words, shellQuote(w.Value))
			}
			b.Commands = append(b.Commands, strings.Join(words, " "))
		default:
			return fmt.Errorf("runcmd[%d] is a %s, not a command", i, nodeKind(item))
		}
	}
	return nil
}

// checkCommandText returns an error when cloud-init would not read the scalar n as a string: it then fails the
// whole runcmd module and runs no command at all.
func checkCommandText(n *yaml.Node) error {
	if t := scalarType(n); t != "str" {
		return fmt.Errorf("%q is read by cloud-init as a %s, not a command, and cloud-init would then run no command "+
			"at all; quote it", truncate(n.Value, 40), t)
	}
	return nil
}

// cloudPermissions returns the mode cloud-init gives a file for the permissions n: an integer as it is (a plain
// decimal scalar is a decimal integer in YAML 1.1), a string read as octal, the default when absent or invalid
// (cloud-init then logs a warning and uses the default).
func cloudPermissions(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || isNull(n) {
		return fmt.Sprintf("%04o", defaultMode)
	}
	v := strings.TrimSpace(n.Value)
	if scalarType(n) == "int" && yaml11Decimal.MatchString(v) {
		if mode, err := strconv.ParseUint(strings.ReplaceAll(strings.TrimPrefix(v, "+"), "_", ""), 10, 32); err == nil {
			return fmt.Sprintf("%04o", mode)
		}
		return fmt.Sprintf("%04o", defaultMode)
	}
	v = strings.ReplaceAll(v, "_", "")
	if s, ok := strings.CutPrefix(strings.ToLower(v), "0o"); ok {
		v = s
	}
	mode, err := strconv.ParseUint(v, 8, 32)
	if err != nil {
		return fmt.Sprintf("%04o", defaultMode)
	}
	return fmt.Sprintf("%04o", mode)
}

// cloudBool returns the boolean cloud-init reads from n: true, yes, on or 1 in any case.
func cloudBool(n *yaml.Node) bool {
	switch strings.ToLower(strings.TrimSpace(scalarValue(n))) {
	case "true", "yes", "on", "1", "y":
		return true
	}
	return false
}

// scalarType returns the type cloud-init's YAML 1.1 parser gives the scalar n: "str", "binary", "bool", "int",
// "float", "null", "timestamp", or the explicit tag.
func scalarType(n *yaml.Node) string {
	if n.Style&yaml.TaggedStyle != 0 {
		return strings.TrimPrefix(n.ShortTag(), "!!")
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return "str"
	}
	switch v := n.Value; {
	case yaml11Null.MatchString(v):
		return "null"
	case yaml11Bool.MatchString(v):
		return "bool"
	case yaml11Int.MatchString(v):
		return "int"
	case yaml11Float.MatchString(v):
		return "float"
	case yaml11Timestamp.MatchString(v):
		return "timestamp"
	}
	return "str"
}

// lookup returns the value of key in the mapping m (the last one when repeated, as PyYAML keeps it), nil when absent.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	var found *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := resolve(m.Content[i]); k != nil && k.Kind == yaml.ScalarNode && k.Value == key {
			found = m.Content[i+1]
		}
	}
	return resolve(found)
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for range maxAliasDepth {
		if n == nil || n.Kind != yaml.AliasNode {
			return n
		}
		n = n.Alias
	}
	return nil
}

// scalarValue returns the value of a scalar node, "" for anything else.
func scalarValue(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || isNull(n) {
		return ""
	}
	return n.Value
}

// isNull reports whether n is a null scalar.
func isNull(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && scalarType(n) == "null"
}

// nodeKind names the kind of n for error messages.
func nodeKind(n *yaml.Node) string {
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "mapping"
	case n.Kind == yaml.SequenceNode:
		return "list"
	case isNull(n):
		return "null"
	default:
		return "scalar"
	}
}

// shellQuote quotes s as cloud-init quotes the words of a runcmd list: in single quotes.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// firstLine splits s after its first line, returning the line without its line break.
func firstLine(s string) (line, rest string) {
	line, rest, _ = strings.Cut(s, "\n")
	return strings.TrimSuffix(line, "\r"), rest
}

// truncate shortens s to n bytes for error messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// guard runs parse and turns a panic of a third-party parser into an error, so that no input crashes Parse.
func guard(parse func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parser failure on malformed input: %v", r)
		}
	}()
	return parse()
}
