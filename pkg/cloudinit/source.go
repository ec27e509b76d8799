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
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Source is a value as it stands in a rendered document, which is the text cloud-init's jinja reads: the value
// itself in a literal block scalar (its indentation changes no jinja), or the value's escapes in a quoted
// scalar, where a " or \ inside a jinja tag is a backslash jinja cannot read.
type Source struct {
	// Text is what jinja reads of the value.
	Text string
	// quote is 0 for the value itself, '"' for a double-quoted scalar and '\'' for a single-quoted one.
	quote byte
	// of is the source Text quotes, when it quotes another source rather than the value (a value inside a file
	// whose content is quoted in turn).
	of *Source
}

// Quoted reports whether Text is the value with quoting escapes.
func (s Source) Quoted() bool { return s.quote != 0 }

// ContentSource returns the source of file content as Render writes it: a literal block, or a double-quoted
// scalar for content a block cannot carry (see literal).
func ContentSource(content string) Source {
	return sourceOf(content, literal(content))
}

// StringSource returns the source of a command, which Render always double-quotes.
func StringSource(s string) Source {
	return sourceOf(s, doubleQuoted(s))
}

// PathSource returns the source of a file path: plain when unambiguous, double-quoted otherwise.
func PathSource(p string) Source {
	return sourceOf(p, pathScalar(p))
}

// Within returns the source of s as part of file content written in the style of content (a key of a YAML file
// that Render writes as one scalar): s quoted again when that content is double-quoted.
func Within(s Source, content Source) Source {
	if !content.Quoted() {
		return s
	}
	outer := StringSource(s.Text)
	outer.of = &s
	return outer
}

// SingleQuotedSource returns the source of a value whose single-quoted scalar has the inside text (its quotes
// doubled).
func SingleQuotedSource(text string) Source {
	return Source{Text: text, quote: '\''}
}

// DoubleQuotedSource returns the source of a value whose double-quoted scalar has the inside text.
func DoubleQuotedSource(text string) Source {
	return Source{Text: text, quote: '"'}
}

// sourceOf encodes n alone and reads the style the encoder chose (it falls back from a block to double quotes).
func sourceOf(value string, n *yaml.Node) Source {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(yamlIndent)
	if enc.Encode(n) != nil || enc.Close() != nil {
		return Source{Text: value}
	}
	out := strings.TrimSuffix(buf.String(), "\n")
	if len(out) >= 2 && out[0] == '"' && out[len(out)-1] == '"' {
		return Source{Text: out[1 : len(out)-1], quote: '"'}
	}
	return Source{Text: value}
}

// ValueOffset returns the byte offset in the value of the character at offset off of Text (an escape counts
// as the character it stands for).
func (s Source) ValueOffset(off int) int {
	v := 0
	switch s.quote {
	case 0:
		v = off
	case '\'':
		v = off - strings.Count(s.Text[:min(off, len(s.Text))], "''")
	default:
		for i := 0; i < off && i < len(s.Text); {
			n, size := unescape(s.Text[i:])
			i += n
			v += size
		}
	}
	if s.of != nil {
		return s.of.ValueOffset(v)
	}
	return v
}

// unescape returns the length of the character or escape that starts text, a double-quoted YAML scalar, and the
// length of the UTF-8 character it stands for.
func unescape(text string) (int, int) {
	if text[0] != '\\' || len(text) < 2 {
		_, n := utf8.DecodeRuneInString(text)
		return n, n
	}
	hex := map[byte]int{'x': 2, 'u': 4, 'U': 8}[text[1]]
	if hex > 0 && len(text) >= 2+hex {
		if r, err := strconv.ParseUint(text[2:2+hex], 16, 32); err == nil {
			if n := utf8.RuneLen(rune(r)); n > 0 {
				return 2 + hex, n
			}
			return 2 + hex, 3 // a surrogate, written as U+FFFD
		}
	}
	switch text[1] {
	case 'N', '_':
		return 2, 2
	case 'L', 'P':
		return 2, 3
	}
	return 2, 1
}
