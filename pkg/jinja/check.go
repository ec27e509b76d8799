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
	"strings"
	"unicode/utf8"
)

// SyntaxError is why cloud-init cannot render a text.
type SyntaxError struct {
	// Offset is the byte offset of the error in the text.
	Offset int
	// Line and Column locate Offset: 1-based, columns in characters, lines broken by \n, \r\n or \r.
	Line, Column int
	// Msg says what is wrong.
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// maxDepth bounds the nesting of statements and expressions. Each level costs Jinja2 at least one Python stack
// frame and Python stops at 1000, so deeper text cannot compile; the bound also keeps the checker's own stack
// small on hostile input.
const maxDepth = 1000

// Check returns nil when cloud-init can render text as a whole jinja template (see the package comment for what
// that covers), or a *SyntaxError for the first problem.
func Check(text string) error {
	end := len(text)
	switch {
	case strings.HasSuffix(text, "\r\n"):
		end -= 2
	case strings.HasSuffix(text, "\n") || strings.HasSuffix(text, "\r"):
		end--
	}
	return check(text, end)
}

// CheckPart is Check for a part of a template that more text follows, such as one value of a cloud-config
// document: a comment or raw block still open at its end is an error (Check lets it pass at the very end, as
// Jinja2 does), and so is a statement left open, even if a later part could close it.
func CheckPart(text string) error {
	return check(text, len(text)+1)
}

// check checks text; from open on, an unclosed comment or raw block is no error.
func check(text string, open int) error {
	if !utf8.ValidString(text) {
		off := 0
		for off < len(text) {
			r, n := utf8.DecodeRuneInString(text[off:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			off += n
		}
		return locate(text, &SyntaxError{Offset: off, Msg: "not valid UTF-8, which cloud-init cannot read"})
	}
	p := &parser{lex: lexer{src: text, state: kindData, open: open}, blocks: map[string]bool{}}
	if err := p.run(); err != nil {
		return locate(text, err)
	}
	return nil
}

// locate fills in the line and column of e.
func locate(text string, e *SyntaxError) *SyntaxError {
	e.Line, e.Column = Position(text, e.Offset)
	return e
}

// Position returns the line and column of the byte offset in text, as SyntaxError counts them.
func Position(text string, offset int) (line, column int) {
	head := text[:max(0, min(offset, len(text)))]
	line = 1 + strings.Count(head, "\n") + strings.Count(head, "\r") - strings.Count(head, "\r\n")
	if i := strings.LastIndexAny(head, "\r\n"); i >= 0 {
		head = head[i+1:]
	}
	return line, 1 + utf8.RuneCountInString(head)
}

// run parses the whole template and recovers the error raised by fail.
func (p *parser) run() (err *SyntaxError) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*SyntaxError)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	p.cur = token{kind: kindData}
	p.next()
	p.subparse(nil)
	return nil
}

// fail stops the check with an error at pos.
func (p *parser) fail(pos int, format string, args ...any) {
	panic(&SyntaxError{Offset: pos, Msg: fmt.Sprintf(format, args...)})
}

// describe names a token in messages.
func describe(t token) string {
	switch t.kind {
	case kindEOF:
		return "the end of the text"
	case kindData:
		return "template text"
	case kindVariableBegin:
		return `"{{"`
	case kindVariableEnd:
		return `"}}"`
	case kindBlockBegin:
		return `"{%"`
	case kindBlockEnd:
		return `"%}"`
	case kindString:
		return "a string"
	case kindInteger, kindFloat:
		return "a number"
	}
	return fmt.Sprintf("%q", t.value)
}
