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

// Package managedfields drops metadata.managedFields from the JSON of list and watch responses before client-go
// decodes them. The managers' controllers never read managed fields from their caches (the control plane's cache
// dropped them after decoding already), and they are about half of every CAPI object's bytes: decoding a watch event
// costs in proportion to its bytes, so dropping them first halves what the providers spend on decoding the fleet's
// watch events.
package managedfields

// maxDepth is how deep the scanner nests before it takes a value as malformed and leaves it alone: client-go's
// decoder refuses deeper values too, and the scanner recurses once per level.
const maxDepth = 10000

// Member names the cut looks for; keys written with escapes are left alone (kube-apiserver never writes them so).
const (
	metadataKey      = "metadata"
	managedFieldsKey = "managedFields"
	watchObjectKey   = "object"
	listItemsKey     = "items"
)

// level says which members of an object the cut looks at.
type level int

const (
	// levelNone: nothing below is cut.
	levelNone level = iota
	// levelRoot: a response's value; an object (metadata), a watch event (object) or a list (items).
	levelRoot
	// levelObject: a watch event's object or a list's item (metadata).
	levelObject
	// levelItems: a list's items, each at levelObject.
	levelItems
	// levelMetadata: an object's metadata (managedFields is cut).
	levelMetadata
)

// AppendStripped appends value to dst without the managedFields member of the metadata the value carries: its own
// metadata, a watch event's object's, and a list's items'. A managedFields member anywhere else stays. A value that is
// not exactly one well-formed JSON value is appended unchanged, for the decoder to refuse as before.
func AppendStripped(dst, value []byte) []byte {
	s := scanner{data: value}
	end, ok := s.value(s.space(0), levelRoot)
	if !ok || s.space(end) != len(value) || len(s.cuts) == 0 {
		return append(dst, value...)
	}
	from := 0
	for _, c := range s.cuts {
		dst = append(dst, value[from:c.from]...)
		from = c.to
	}
	return append(dst, value[from:]...)
}

// cut is a byte range [from, to) of the value to leave out.
type cut struct{ from, to int }

// scanner validates one JSON value (RFC 8259) and records the cuts. Its methods take the index to start at and return
// the index after what they read, and false when the input is not well-formed there.
type scanner struct {
	data  []byte
	cuts  []cut
	depth int
}

func (s *scanner) space(i int) int {
	for i < len(s.data) {
		switch s.data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func (s *scanner) value(i int, lvl level) (int, bool) {
	if i >= len(s.data) {
		return i, false
	}
	switch c := s.data[i]; {
	case c == '{' || c == '[':
		if s.depth >= maxDepth {
			return i, false
		}
		s.depth++
		var end int
		var ok bool
		switch {
		case c == '{':
			end, ok = s.object(i, lvl)
		case lvl == levelItems:
			end, ok = s.array(i, levelObject)
		default:
			end, ok = s.array(i, levelNone)
		}
		s.depth--
		return end, ok
	case c == '"':
		return s.str(i)
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number(i)
	default:
		return s.literal(i)
	}
}

// memberLevel is the level of a member's value: what is cut below it.
func memberLevel(lvl level, key []byte) (next level, cutIt bool) {
	switch lvl {
	case levelRoot:
		switch string(key) {
		case metadataKey:
			return levelMetadata, false
		case watchObjectKey:
			return levelObject, false
		case listItemsKey:
			return levelItems, false
		}
	case levelObject:
		if string(key) == metadataKey {
			return levelMetadata, false
		}
	case levelMetadata:
		return levelNone, string(key) == managedFieldsKey
	}
	return levelNone, false
}

// object reads an object. A member to cut is left out with the comma before it, or with the comma after it when no
// member before it is kept, so that what remains is well-formed.
func (s *scanner) object(i int, lvl level) (int, bool) {
	i = s.space(i + 1)
	if i < len(s.data) && s.data[i] == '}' {
		return i + 1, true
	}
	kept := false   // a member before this one stays
	pending := -1   // start of a cut member with none kept before it, waiting for the comma after it
	lastComma := -1 // index of the comma before this member
	for {
		keyStart := i
		keyEnd, ok := s.str(i)
		if !ok {
			return i, false
		}
		next, cutIt := memberLevel(lvl, s.data[keyStart+1:keyEnd-1])
		i = s.space(keyEnd)
		if i >= len(s.data) || s.data[i] != ':' {
			return i, false
		}
		valueStart := s.space(i + 1)
		if i, ok = s.value(valueStart, next); !ok {
			return i, false
		}
		valueEnd := i
		// A managedFields that is not a list (or null) is left for the decoder to refuse, as before.
		cutIt = cutIt && (s.data[valueStart] == '[' || s.data[valueStart] == 'n')
		switch {
		case cutIt && kept:
			s.cuts = append(s.cuts, cut{from: lastComma, to: valueEnd})
		case cutIt:
			pending = keyStart
		default:
			kept = true
		}
		i = s.space(i)
		if i >= len(s.data) {
			return i, false
		}
		switch s.data[i] {
		case ',':
			if pending >= 0 {
				s.cuts = append(s.cuts, cut{from: pending, to: i + 1})
				pending = -1
			}
			lastComma = i
			i = s.space(i + 1)
		case '}':
			if pending >= 0 {
				s.cuts = append(s.cuts, cut{from: pending, to: valueEnd})
			}
			return i + 1, true
		default:
			return i, false
		}
	}
}

// array reads an array whose elements are at lvl.
func (s *scanner) array(i int, lvl level) (int, bool) {
	i = s.space(i + 1)
	if i < len(s.data) && s.data[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = s.value(i, lvl); !ok {
			return i, false
		}
		i = s.space(i)
		if i >= len(s.data) {
			return i, false
		}
		switch s.data[i] {
		case ',':
			i = s.space(i + 1)
		case ']':
			return i + 1, true
		default:
			return i, false
		}
	}
}

// str reads a string: no control characters, only JSON's escapes.
func (s *scanner) str(i int) (int, bool) {
	if i >= len(s.data) || s.data[i] != '"' {
		return i, false
	}
	for i++; i < len(s.data); i++ {
		switch c := s.data[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		case c == '\\':
			i++
			if i >= len(s.data) {
				return i, false
			}
			switch s.data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for k := 0; k < 4; k++ {
					i++
					if i >= len(s.data) || !isHex(s.data[i]) {
						return i, false
					}
				}
			default:
				return i, false
			}
		}
	}
	return i, false
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (s *scanner) number(i int) (int, bool) {
	if s.data[i] == '-' {
		i++
	}
	switch {
	case i < len(s.data) && s.data[i] == '0':
		i++
	case i < len(s.data) && s.data[i] >= '1' && s.data[i] <= '9':
		i = s.digits(i)
	default:
		return i, false
	}
	if i < len(s.data) && s.data[i] == '.' {
		if i+1 >= len(s.data) || !isDigit(s.data[i+1]) {
			return i, false
		}
		i = s.digits(i + 1)
	}
	if i < len(s.data) && (s.data[i] == 'e' || s.data[i] == 'E') {
		i++
		if i < len(s.data) && (s.data[i] == '+' || s.data[i] == '-') {
			i++
		}
		if i >= len(s.data) || !isDigit(s.data[i]) {
			return i, false
		}
		i = s.digits(i)
	}
	return i, true
}

func (s *scanner) digits(i int) int {
	for i < len(s.data) && isDigit(s.data[i]) {
		i++
	}
	return i
}

func (s *scanner) literal(i int) (int, bool) {
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(s.data)-i >= len(lit) && string(s.data[i:i+len(lit)]) == lit {
			return i + len(lit), true
		}
	}
	return i, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }
