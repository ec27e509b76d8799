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

package jinja

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// kind is the kind of a token.
type kind int

const (
	kindEOF kind = iota
	kindData
	kindVariableBegin
	kindVariableEnd
	kindBlockBegin
	kindBlockEnd
	kindName
	kindString
	kindInteger
	kindFloat
	kindOperator
)

// token is a token of the template; value is the text of names and operators and the data of kindData.
type token struct {
	kind  kind
	value string
	pos   int
}

// operators are Jinja2's operators, the two-character ones first so that the longest match wins.
var operators = []string{"//", "**", "==", "!=", ">=", "<=",
	"+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"}

// maxIntDigits is Python's limit on the digits of a decimal integer literal (sys.get_int_max_str_digits).
const maxIntDigits = 4300

// lexer produces Jinja2's tokens one at a time, as Jinja2's parser pulls them, so that the first error reported
// is the one Jinja2 reports.
type lexer struct {
	src   string
	pos   int
	state kind // kindData (between tags), kindVariableBegin or kindBlockBegin
	// brackets holds the closing brackets expected: inside brackets a tag's end delimiter is an operator.
	brackets []byte
	queue    []token
	// open is where an unclosed comment or raw block stops being an error: Jinja2 ends without one when no
	// character follows the opening tag, once it dropped the text's last line break.
	open int
}

// next returns the next token; at the end of the text it returns kindEOF, also inside an unclosed tag (the
// parser then reports what it expected).
func (l *lexer) next() token {
	if len(l.queue) > 0 {
		t := l.queue[0]
		l.queue = l.queue[1:]
		return t
	}
	if l.state == kindData {
		return l.root()
	}
	return l.tag()
}

// root reads template data up to the next delimiter.
func (l *lexer) root() token {
	start := l.pos
	for {
		i := strings.Index(l.src[l.pos:], "{")
		if i < 0 || l.pos+i+1 >= len(l.src) {
			l.pos = len(l.src)
			if start == len(l.src) {
				return token{kind: kindEOF, pos: len(l.src)}
			}
			return token{kind: kindData, value: l.src[start:], pos: start}
		}
		at := l.pos + i
		l.pos = at + 1
		if c := l.src[at+1]; c != '{' && c != '%' && c != '#' {
			continue
		}
		tags := l.delimiter(at)
		if at > start {
			l.queue = append(tags, l.queue...)
			return token{kind: kindData, value: l.src[start:at], pos: start}
		}
		if len(tags) == 0 {
			// A comment: nothing for the parser.
			start = l.pos
			continue
		}
		l.queue = append(l.queue, tags[1:]...)
		return tags[0]
	}
}

// delimiter reads the delimiter at at ("{{", "{%" or "{#") and returns its tokens: a begin token, the data of a
// raw block, or nothing for a comment.
func (l *lexer) delimiter(at int) []token {
	l.pos = at + 2
	if l.src[at+1] == '#' {
		l.skipSign()
		end := strings.Index(l.src[l.pos:], "#}")
		if end < 0 && l.pos >= l.open {
			l.pos = len(l.src)
			return nil
		}
		if end < 0 {
			l.fail(at, "missing end of comment tag: {# without a closing #}")
		}
		l.pos += end + 2
		return nil
	}
	if l.src[at+1] == '%' {
		if end, ok := l.rawBegin(at); ok {
			return l.raw(at, end)
		}
	}
	l.skipSign()
	if l.src[at+1] == '{' {
		l.state = kindVariableBegin
		return []token{{kind: kindVariableBegin, pos: at}}
	}
	l.state = kindBlockBegin
	return []token{{kind: kindBlockBegin, pos: at}}
}

// skipSign skips the whitespace control sign that may follow a begin delimiter.
func (l *lexer) skipSign() {
	if l.pos < len(l.src) && (l.src[l.pos] == '-' || l.src[l.pos] == '+') {
		l.pos++
	}
}

// rawBegin matches "{%" [-+] ws "raw" ws ("-%}" | "%}") at at and returns the end of the match.
func (l *lexer) rawBegin(at int) (int, bool) {
	p := at + 2
	if p < len(l.src) && (l.src[p] == '-' || l.src[p] == '+') {
		p++
	}
	p = l.skipSpaces(p)
	if !strings.HasPrefix(l.src[p:], "raw") {
		return 0, false
	}
	p = l.skipSpaces(p + 3)
	switch {
	case strings.HasPrefix(l.src[p:], "-%}"):
		return p + 3, true
	case strings.HasPrefix(l.src[p:], "%}"):
		return p + 2, true
	}
	return 0, false
}

// raw reads a raw block whose begin tag ends at from, up to the first "{%" [-+] ws "endraw" ws [-+] "%}".
func (l *lexer) raw(at, from int) []token {
	for p := from; ; {
		i := strings.Index(l.src[p:], "{%")
		if i < 0 && from >= l.open {
			l.pos = len(l.src)
			return nil
		}
		if i < 0 {
			l.fail(at, "missing end of raw directive: {% raw %} without {% endraw %}")
		}
		q := p + i + 2
		if q < len(l.src) && (l.src[q] == '-' || l.src[q] == '+') {
			q++
		}
		q = l.skipSpaces(q)
		if strings.HasPrefix(l.src[q:], "endraw") {
			r := l.skipSpaces(q + len("endraw"))
			if r < len(l.src) && (l.src[r] == '-' || l.src[r] == '+') {
				r++
			}
			if strings.HasPrefix(l.src[r:], "%}") {
				l.pos = r + 2
				return []token{{kind: kindData, value: l.src[from : p+i], pos: from}}
			}
		}
		p += i + 1
	}
}

// skipSpaces returns the position after the white space at p.
func (l *lexer) skipSpaces(p int) int {
	for p < len(l.src) {
		r, n := utf8.DecodeRuneInString(l.src[p:])
		if !isSpace(r) {
			break
		}
		p += n
	}
	return p
}

// tag reads the next token inside {{ }} or {% %}.
func (l *lexer) tag() token {
	for {
		if len(l.brackets) == 0 {
			if t, ok := l.tagEnd(); ok {
				return t
			}
		}
		if l.pos >= len(l.src) {
			return token{kind: kindEOF, pos: len(l.src)}
		}
		start := l.pos
		r, n := utf8.DecodeRuneInString(l.src[start:])
		switch {
		case isSpace(r):
			l.pos = l.skipSpaces(start)
			continue
		case r < utf8.RuneSelf && isDigit(byte(r)):
			return l.number()
		case isNameRune(r):
			return l.name()
		case r == '\'' || r == '"':
			if t, ok := l.str(); ok {
				return t
			}
		default:
			if t, ok := l.operator(); ok {
				return t
			}
		}
		if r == utf8.RuneError && n == 1 {
			l.fail(start, "not valid UTF-8")
		}
		l.fail(start, fmt.Sprintf("unexpected character %q", r))
	}
}

// tagEnd matches the end delimiter of the current tag: "}}" or "-}}" of an expression, "%}", "-%}" or "+%}" of
// a statement.
func (l *lexer) tagEnd() (token, bool) {
	rest := l.src[l.pos:]
	end := "}}"
	signs := "-"
	k := kindVariableEnd
	if l.state == kindBlockBegin {
		end, signs, k = "%}", "-+", kindBlockEnd
	}
	n := 0
	switch {
	case strings.HasPrefix(rest, end):
		n = len(end)
	case rest != "" && strings.IndexByte(signs, rest[0]) >= 0 && strings.HasPrefix(rest[1:], end):
		n = 1 + len(end)
	default:
		return token{}, false
	}
	t := token{kind: k, pos: l.pos}
	l.pos += n
	l.state = kindData
	return t, true
}

// number reads a float or an integer literal as Jinja2's patterns do: a float needs a fraction or an exponent
// and cannot directly follow a dot; integers are binary, octal, hexadecimal or decimal, with single underscores
// between digits.
func (l *lexer) number() token {
	start := l.pos
	if start == 0 || l.src[start-1] != '.' {
		if end := l.float(start); end > 0 {
			l.pos = end
			return token{kind: kindFloat, pos: start}
		}
	}
	l.pos = l.integer(start)
	return token{kind: kindInteger, pos: start}
}

// digits matches (\d+_)*\d+ at p and returns its end, or -1; Python's \d matches any Unicode digit, and
// foreign reports whether one was outside ASCII.
func (l *lexer) digits(p int) (end int, foreign bool) {
	end = -1
	for p < len(l.src) {
		r, n := utf8.DecodeRuneInString(l.src[p:])
		switch {
		case unicode.IsDigit(r):
			p += n
			end, foreign = p, foreign || r >= utf8.RuneSelf
			continue
		case r == '_' && end == p && p+1 < len(l.src):
			if r2, _ := utf8.DecodeRuneInString(l.src[p+1:]); unicode.IsDigit(r2) {
				p++
				continue
			}
		}
		break
	}
	return end, foreign
}

// float returns the end of the float literal at p, or 0. A float with digits outside ASCII matches Jinja2's
// pattern but Python cannot convert it.
func (l *lexer) float(p int) int {
	p, foreign := l.digits(p)
	if p < 0 {
		return 0
	}
	fraction, ff := -1, false
	if p < len(l.src) && l.src[p] == '.' {
		fraction, ff = l.digits(p + 1)
	}
	end := 0
	for _, q := range []int{fraction, p} {
		if q < 0 || q >= len(l.src) || l.src[q] != 'e' && l.src[q] != 'E' {
			continue
		}
		r := q + 1
		if r < len(l.src) && (l.src[r] == '+' || l.src[r] == '-') {
			r++
		}
		if e, fe := l.digits(r); e > 0 {
			end, foreign = e, foreign || fe || q == fraction && ff
			break
		}
	}
	if end == 0 && fraction > 0 {
		end, foreign = fraction, foreign || ff
	}
	if end > 0 && foreign {
		l.fail(p, "a float literal with digits outside ASCII, which Python cannot convert")
	}
	return end
}

// integer returns the end of the integer literal at p (which starts with a digit).
func (l *lexer) integer(p int) int {
	src := l.src
	if src[p] == '0' && p+1 < len(src) {
		var ok func(byte) bool
		switch src[p+1] {
		case 'b', 'B':
			ok = func(c byte) bool { return c == '0' || c == '1' }
		case 'o', 'O':
			ok = func(c byte) bool { return c >= '0' && c <= '7' }
		case 'x', 'X':
			ok = isHexDigit
		}
		if ok != nil {
			q := p + 2
			for {
				if q < len(src) && ok(src[q]) {
					q++
				} else if q+1 < len(src) && src[q] == '_' && ok(src[q+1]) {
					q += 2
				} else {
					break
				}
			}
			if q > p+2 {
				return q
			}
		}
	}
	if src[p] == '0' {
		q := p + 1
		for q < len(src) && (src[q] == '0' || src[q] == '_' && q+1 < len(src) && src[q+1] == '0') {
			q++
		}
		return q
	}
	// Decimal: Python's \d matches any Unicode digit, and int() converts them.
	q, count := p, 0
	for q < len(src) {
		r, n := utf8.DecodeRuneInString(src[q:])
		if unicode.IsDigit(r) {
			q, count = q+n, count+1
			continue
		}
		if r == '_' && q+1 < len(src) {
			if r2, n2 := utf8.DecodeRuneInString(src[q+1:]); unicode.IsDigit(r2) {
				q, count = q+1+n2, count+1
				continue
			}
		}
		break
	}
	if count > maxIntDigits {
		l.fail(p, fmt.Sprintf("an integer of %d digits exceeds Python's limit of %d", count, maxIntDigits))
	}
	return q
}

// name reads a name, which must be an identifier.
func (l *lexer) name() token {
	start := l.pos
	for l.pos < len(l.src) {
		r, n := utf8.DecodeRuneInString(l.src[l.pos:])
		if !isNameRune(r) {
			break
		}
		l.pos += n
	}
	v := l.src[start:l.pos]
	if !isIdentifier(v) {
		l.fail(start, fmt.Sprintf("invalid character in identifier %q", v))
	}
	return token{kind: kindName, value: v, pos: start}
}

// str reads a string literal and checks its escapes; it reports false for an unterminated string, which is then
// an unexpected quote character.
func (l *lexer) str() (token, bool) {
	start := l.pos
	quote := l.src[start]
	for p := start + 1; p < len(l.src); {
		switch l.src[p] {
		case '\\':
			if p+1 >= len(l.src) {
				return token{}, false
			}
			_, n := utf8.DecodeRuneInString(l.src[p+1:])
			p += 1 + n
		case quote:
			l.checkEscapes(start+1, p)
			l.pos = p + 1
			return token{kind: kindString, pos: start}, true
		default:
			p++
		}
	}
	return token{}, false
}

// checkEscapes checks the escapes of the string content src[from:to] as Python's unicode-escape codec decodes
// them (after Jinja2 replaced every character outside ASCII by its own escape, so that a backslash before such a
// character is a literal backslash).
func (l *lexer) checkEscapes(from, to int) {
	s := l.src[:to]
	for p := from; p < to; p++ {
		if s[p] != '\\' {
			continue
		}
		at := p
		p++
		need, what := 0, ""
		switch s[p] {
		case 'x':
			need, what = 2, `\xXX`
		case 'u':
			need, what = 4, `\uXXXX`
		case 'U':
			need, what = 8, `\UXXXXXXXX`
		case 'N':
			// The name itself is not checked: Go has no table of Unicode character names.
			end := strings.IndexByte(s[p:], '}')
			if p+1 >= to || s[p+1] != '{' || end < 3 {
				l.fail(at, `malformed \N character escape`)
			}
			p += end
			continue
		default:
			if s[p] >= utf8.RuneSelf {
				_, n := utf8.DecodeRuneInString(s[p:])
				p += n - 1
			}
			continue
		}
		if p+need >= to || strings.IndexFunc(s[p+1:p+1+need], func(r rune) bool { return r > 0x7f || !isHexDigit(byte(r)) }) >= 0 {
			l.fail(at, "truncated "+what+" escape")
		}
		if s[p] == 'U' {
			if v, _ := strconv.ParseUint(s[p+1:p+9], 16, 32); v > unicode.MaxRune {
				l.fail(at, "illegal Unicode character "+s[at:p+9])
			}
		}
		p += need
	}
}

// operator reads an operator and keeps brackets balanced.
func (l *lexer) operator() (token, bool) {
	for _, op := range operators {
		if !strings.HasPrefix(l.src[l.pos:], op) {
			continue
		}
		t := token{kind: kindOperator, value: op, pos: l.pos}
		switch op {
		case "(":
			l.brackets = append(l.brackets, ')')
		case "[":
			l.brackets = append(l.brackets, ']')
		case "{":
			l.brackets = append(l.brackets, '}')
		case ")", "]", "}":
			if len(l.brackets) == 0 {
				l.fail(l.pos, fmt.Sprintf("unexpected %q", op))
			}
			want := l.brackets[len(l.brackets)-1]
			if want != op[0] {
				l.fail(l.pos, fmt.Sprintf("unexpected %q, expected %q", op, string(want)))
			}
			l.brackets = l.brackets[:len(l.brackets)-1]
		}
		l.pos += len(op)
		return t, true
	}
	return token{}, false
}

// fail stops the check with an error at pos.
func (l *lexer) fail(pos int, msg string) {
	panic(&SyntaxError{Offset: pos, Msg: msg})
}
