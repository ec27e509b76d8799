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
	"regexp"
	"strings"
)

// This file reads shell command lines well enough to find what they run: words (quotes removed, expansions kept as
// written), variable assignments, redirections, pipelines and && / || chains. It does not expand anything.

// word is a shell word: text with its quotes removed, and raw as written.
type word struct {
	text, raw string
}

// token is a word or an operator.
type token struct {
	word *word
	op   string
}

// assignment is NAME=value.
type assignment struct {
	name, value string
}

// redirect is a redirection operator and its target word.
type redirect struct {
	op, target string
}

// simpleCommand is assignments, then words, with the redirections found anywhere among them.
type simpleCommand struct {
	assigns   []assignment
	words     []string
	redirects []redirect
}

// pipeline is commands joined by |, with the operator (&& or ||, "" for the first) that joins it to the previous
// pipeline of its chain.
type pipeline struct {
	op   string
	cmds []simpleCommand
}

// chain is pipelines joined by && and ||; chains are separated by ;, & and line breaks.
type chain []pipeline

// operators are the shell operators, longest first.
var operators = []string{"&>>", "&&", "||", ";;", ">>", ">|", ">&", "<&", "<<", "<>", "&>", "|", "&", ";", "<", ">", "(", ")"}

// reservedWords are the shell reserved words that may start a command; they are skipped.
var reservedWords = map[string]bool{"!": true, "{": true, "}": true, "if": true, "then": true, "else": true,
	"elif": true, "fi": true, "do": true, "done": true, "while": true, "until": true}

// namePattern matches a shell variable name; assignmentPattern a word that assigns one.
var (
	namePattern       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	assignmentPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)
)

// errUnterminated reports an unterminated quote or expansion.
var errUnterminated = errors.New("unterminated quote or expansion")

// parseShell splits a command line into chains.
func parseShell(s string) ([]chain, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	var (
		chains []chain
		cur    chain
		pipe   pipeline
		sc     simpleCommand
	)
	endCommand := func() {
		if len(sc.assigns)+len(sc.words)+len(sc.redirects) > 0 {
			pipe.cmds = append(pipe.cmds, sc)
		}
		sc = simpleCommand{}
	}
	endPipeline := func(nextOp string) {
		endCommand()
		if len(pipe.cmds) > 0 {
			cur = append(cur, pipe)
			pipe = pipeline{}
		}
		if len(cur) > 0 {
			pipe.op = nextOp
		}
	}
	endChain := func() {
		endPipeline("")
		if len(cur) > 0 {
			chains = append(chains, cur)
		}
		cur = nil
		pipe = pipeline{}
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.word != nil {
			switch {
			case len(sc.words) == 0 && assignmentPattern.MatchString(t.word.raw):
				name, value, _ := strings.Cut(t.word.text, "=")
				sc.assigns = append(sc.assigns, assignment{name: name, value: value})
			case len(sc.words) == 0 && len(sc.assigns) == 0 && reservedWords[t.word.raw]:
			default:
				sc.words = append(sc.words, t.word.text)
			}
			continue
		}
		switch t.op {
		case "|":
			endCommand()
		case "&&", "||":
			endPipeline(t.op)
		case ";", "&", ";;", "(", ")":
			endChain()
		default: // redirections
			r := redirect{op: t.op}
			if i+1 < len(toks) && toks[i+1].word != nil {
				r.target = toks[i+1].word.text
				i++
			}
			sc.redirects = append(sc.redirects, r)
		}
	}
	endChain()
	return chains, nil
}

// lex splits s into words and operators. Line breaks separate commands; comments are dropped.
func lex(s string) ([]token, error) {
	var (
		toks      []token
		text, raw strings.Builder
		inWord    bool
	)
	flush := func() {
		if inWord {
			toks = append(toks, token{word: &word{text: text.String(), raw: raw.String()}})
		}
		text.Reset()
		raw.Reset()
		inWord = false
	}
	add := func(t, r string) {
		text.WriteString(t)
		raw.WriteString(r)
		inWord = true
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			flush()
			i++
		case c == '\n':
			flush()
			toks = append(toks, token{op: ";"})
			i++
		case c == '#' && !inWord:
			if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
				i += j
			} else {
				i = len(s)
			}
		case c == '\\':
			switch {
			case i+1 >= len(s):
				add(`\`, `\`)
				i++
			case s[i+1] == '\n':
				i += 2
			default:
				add(s[i+1:i+2], s[i:i+2])
				i += 2
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errUnterminated
			}
			add(s[i+1:i+1+j], s[i:i+2+j])
			i += j + 2
		case c == '"':
			end, value, err := scanDoubleQuoted(s, i)
			if err != nil {
				return nil, err
			}
			add(value, s[i:end])
			i = end
		case c == '$' && i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '{'):
			end, err := skipExpansion(s, i)
			if err != nil {
				return nil, err
			}
			add(s[i:end], s[i:end])
			i = end
		case c == '$' && i+1 < len(s) && s[i+1] == '\'':
			end, value, err := scanANSIQuoted(s, i)
			if err != nil {
				return nil, err
			}
			add(value, s[i:end])
			i = end
		case c == '`':
			end, err := skipBackticks(s, i)
			if err != nil {
				return nil, err
			}
			add(s[i:end], s[i:end])
			i = end
		case strings.IndexByte("|&;<>()", c) >= 0:
			if (c == '<' || c == '>') && inWord && isDigits(raw.String()) {
				text.Reset() // an IO number, e.g. 2>
				raw.Reset()
				inWord = false
			}
			flush()
			for _, op := range operators {
				if strings.HasPrefix(s[i:], op) {
					toks = append(toks, token{op: op})
					i += len(op)
					break
				}
			}
		default:
			add(s[i:i+1], s[i:i+1])
			i++
		}
	}
	flush()
	return toks, nil
}

// scanDoubleQuoted reads the double-quoted string starting at s[start] and returns the index after it and its
// value: backslash escapes only $ ` " \ and line breaks; expansions are kept as written.
func scanDoubleQuoted(s string, start int) (int, string, error) {
	var b strings.Builder
	for i := start + 1; i < len(s); {
		switch c := s[i]; {
		case c == '"':
			return i + 1, b.String(), nil
		case c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0:
			if s[i+1] != '\n' {
				b.WriteByte(s[i+1])
			}
			i += 2
		case c == '$' && i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '{'):
			end, err := skipExpansion(s, i)
			if err != nil {
				return 0, "", err
			}
			b.WriteString(s[i:end])
			i = end
		case c == '`':
			end, err := skipBackticks(s, i)
			if err != nil {
				return 0, "", err
			}
			b.WriteString(s[i:end])
			i = end
		default:
			b.WriteByte(c)
			i++
		}
	}
	return 0, "", errUnterminated
}

// scanANSIQuoted reads the $'...' string starting at s[start] and returns the index after it and its value, with
// backslash escapes kept as written except \' and \\.
func scanANSIQuoted(s string, start int) (int, string, error) {
	var b strings.Builder
	for i := start + 2; i < len(s); {
		switch c := s[i]; {
		case c == '\'':
			return i + 1, b.String(), nil
		case c == '\\' && i+1 < len(s):
			if s[i+1] == '\'' || s[i+1] == '\\' {
				b.WriteByte(s[i+1])
			} else {
				b.WriteString(s[i : i+2])
			}
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return 0, "", errUnterminated
}

// skipExpansion returns the index after the $( ) or ${ } expansion starting at s[start], nested quotes and
// expansions included.
func skipExpansion(s string, start int) (int, error) {
	open := s[start+1]
	closing := byte(')')
	if open == '{' {
		closing = '}'
	}
	depth := 1
	for i := start + 2; i < len(s); {
		switch c := s[i]; {
		case c == '\\':
			i += 2
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return 0, errUnterminated
			}
			i += j + 2
		case c == '"':
			end, _, err := scanDoubleQuoted(s, i)
			if err != nil {
				return 0, err
			}
			i = end
		case c == '`':
			end, err := skipBackticks(s, i)
			if err != nil {
				return 0, err
			}
			i = end
		case c == '$' && i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '{'):
			end, err := skipExpansion(s, i)
			if err != nil {
				return 0, err
			}
			i = end
		case c == open:
			depth++
			i++
		case c == closing:
			depth--
			i++
			if depth == 0 {
				return i, nil
			}
		default:
			i++
		}
	}
	return 0, errUnterminated
}

// skipBackticks returns the index after the `...` command substitution starting at s[start].
func skipBackticks(s string, start int) (int, error) {
	for i := start + 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '`':
			return i + 1, nil
		}
	}
	return 0, errUnterminated
}

// isDigits reports whether s is a non-empty string of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
