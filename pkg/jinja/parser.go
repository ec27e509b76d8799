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
	"slices"
	"strings"
)

// parser follows Jinja2's parser (jinja2/parser.py) token by token, and applies the checks of its compile step.
type parser struct {
	lex    lexer
	cur    token
	pushed []token
	// tag is the position of the "{{" or "{%" of the tag being read, and inTag whether one is being read.
	tag   int
	inTag bool
	// open are the statements whose body is being read, innermost last.
	open []openStatement
	// depth is the nesting of statements and expressions (see maxDepth).
	depth int
	// loops counts the for loops around the current token: none of them may assign the name "loop".
	loops int
	// blocks are the block names seen; a name may be used once.
	blocks map[string]bool
	// callers are the macros and call blocks around the current token, and the blocks that hide them.
	callers []*callerScope
}

// openStatement is a statement whose body is being read.
type openStatement struct {
	name string
	pos  int
	ends []string
}

// callerScope records how a macro or call block body uses the name "caller" (nil scope: a block, which Jinja2
// does not look into).
type callerScope struct {
	loads, others bool
}

// next makes the next token current and returns the previous one.
func (p *parser) next() token {
	prev := p.cur
	if len(p.pushed) > 0 {
		p.cur, p.pushed = p.pushed[0], p.pushed[1:]
	} else if p.cur.kind != kindEOF {
		p.cur = p.lex.next()
	}
	switch p.cur.kind {
	case kindVariableBegin, kindBlockBegin:
		p.tag, p.inTag = p.cur.pos, true
	case kindVariableEnd, kindBlockEnd:
		p.inTag = false
	}
	return prev
}

// look returns the token after the current one.
func (p *parser) look() token {
	if len(p.pushed) == 0 {
		p.pushed = append(p.pushed, p.lex.next())
	}
	return p.pushed[0]
}

// isName reports whether the current token is the name value.
func (p *parser) isName(value string) bool {
	return p.cur.kind == kindName && p.cur.value == value
}

// isOp reports whether the current token is the operator op.
func (p *parser) isOp(op string) bool {
	return p.cur.kind == kindOperator && p.cur.value == op
}

// skipName consumes the current token when it is the name value.
func (p *parser) skipName(value string) bool {
	if p.isName(value) {
		p.next()
		return true
	}
	return false
}

// skipOp consumes the current token when it is the operator op.
func (p *parser) skipOp(op string) bool {
	if p.isOp(op) {
		p.next()
		return true
	}
	return false
}

// expect consumes a token of kind k (and value, when not empty) or fails.
func (p *parser) expect(k kind, value, what string) token {
	if p.cur.kind == k && (value == "" || p.cur.value == value) {
		return p.next()
	}
	p.unexpected(what)
	return token{}
}

// unexpected fails at the current token, which is not what was expected.
func (p *parser) unexpected(what string) {
	if p.cur.kind == kindEOF && p.inTag {
		end := "}}"
		if p.lex.src[p.tag+1] == '%' {
			end = "%}"
		}
		p.fail(p.tag, "%q is not closed by %q", p.lex.src[p.tag:p.tag+2], end)
	}
	p.fail(p.cur.pos, "unexpected %s, expected %s", describe(p.cur), what)
}

// enter counts one level of nesting; leave undoes it.
func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.fail(p.cur.pos, "nested more than %d levels deep, which Python cannot compile", maxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

// subparse reads template data, expressions and statements until the end of the text or, when ends is set, a
// statement named in ends, which it leaves current. In a required block (required) only white space may appear.
func (p *parser) subparse(ends []string, required ...bool) {
	for p.cur.kind != kindEOF {
		strict := len(required) > 0 && required[0]
		switch p.cur.kind {
		case kindData:
			if strict && strings.TrimFunc(p.cur.value, isSpace) != "" {
				p.fail(p.cur.pos, "a required block may only contain white space and comments")
			}
			p.next()
		case kindVariableBegin:
			if strict {
				p.fail(p.cur.pos, "a required block may only contain white space and comments")
			}
			p.next()
			p.parseTuple(false, true, nil, false)
			p.expect(kindVariableEnd, "", `"}}"`)
		case kindBlockBegin:
			begin := p.next()
			if p.cur.kind == kindName && slices.Contains(ends, p.cur.value) {
				return
			}
			if strict {
				p.fail(begin.pos, "a required block may only contain white space and comments")
			}
			p.parseStatement(begin.pos)
			p.expect(kindBlockEnd, "", `"%}"`)
		default:
			p.unexpected("template text or a tag")
		}
	}
}

// parseStatements reads the body of the statement opened at pos, named name, up to one of ends, which it
// consumes when drop is set.
func (p *parser) parseStatements(name string, pos int, ends []string, drop bool, required ...bool) {
	p.skipOp(":")
	p.expect(kindBlockEnd, "", `"%}"`)
	p.open = append(p.open, openStatement{name: name, pos: pos, ends: ends})
	p.subparse(ends, required...)
	if p.cur.kind == kindEOF {
		p.fail(pos, "{%% %s %%} is not closed: expected {%% %s %%}", name, strings.Join(ends, " %} or {% "))
	}
	p.open = p.open[:len(p.open)-1]
	if drop {
		p.next()
	}
}

// parseStatement reads the statement whose "{%" is at pos.
func (p *parser) parseStatement(pos int) {
	p.enter()
	defer p.leave()
	if p.cur.kind != kindName {
		p.unexpected("a tag name")
	}
	switch name := p.cur.value; name {
	case "for":
		p.parseFor(pos)
	case "if":
		p.parseIf(pos)
	case "block":
		p.parseBlock(pos)
	case "print":
		p.next()
		for i := 0; p.cur.kind != kindBlockEnd; i++ {
			if i > 0 {
				p.expect(kindOperator, ",", `","`)
			}
			p.parseExpression(true)
		}
	case "macro":
		p.next()
		p.assignTarget(false, true, nil, false)
		p.parseMacroBody(name, pos, p.parseSignature())
	case "call":
		p.next()
		var params []param
		if p.isOp("(") {
			params = p.parseSignature()
		}
		at := p.cur.pos
		if p.parseExpression(true).kind != exprCall {
			p.fail(at, "{%% call %%} needs a macro call, such as {%% call m() %%}")
		}
		p.parseMacroBody(name, pos, params)
	case "set":
		p.parseSet(pos)
	case "with":
		p.next()
		for i := 0; p.cur.kind != kindBlockEnd; i++ {
			if i > 0 {
				p.expect(kindOperator, ",", `","`)
			}
			p.nameEvents(p.assignTarget(true, false, nil, false), false)
			p.expect(kindOperator, "=", `"="`)
			p.parseExpression(true)
		}
		p.parseStatements(name, pos, []string{"endwith"}, true)
	case "autoescape":
		p.next()
		p.parseExpression(true)
		p.parseStatements(name, pos, []string{"endautoescape"}, true)
	case "filter":
		p.next()
		p.parseFilter(nil, true)
		p.parseStatements(name, pos, []string{"endfilter"}, true)
	case "do":
		p.next()
		p.parseTuple(false, true, nil, false)
	case "include", "import", "from", "extends":
		p.fail(pos, "{%% %s %%} needs a template loader, and cloud-init renders without one", name)
	default:
		p.unknownTag(pos, name)
	}
}

// unknownTag fails on a tag that is no statement here.
func (p *parser) unknownTag(pos int, name string) {
	inner := ""
	if len(p.open) > 0 {
		in := p.open[len(p.open)-1]
		inner = fmt.Sprintf("the innermost open statement is {%% %s %%} at %s, which ends with {%% %s %%}",
			in.name, position(p.lex.src, in.pos), in.ends[len(in.ends)-1])
	}
	switch {
	case slices.ContainsFunc(p.open, func(o openStatement) bool { return slices.Contains(o.ends, name) }):
		p.fail(pos, "unexpected {%% %s %%}: %s", name, inner)
	case name == "else" || name == "elif" || strings.HasPrefix(name, "end"):
		if inner != "" {
			inner = " (" + inner + ")"
		}
		p.fail(pos, "unexpected {%% %s %%}: no statement it belongs to is open%s", name, inner)
	case name == "break" || name == "continue":
		p.fail(pos, "unknown tag {%% %s %%}: cloud-init does not enable Jinja's loop controls", name)
	}
	p.fail(pos, "unknown tag {%% %s %%}", name)
}

// position formats pos as "line L, column C".
func position(src string, pos int) string {
	e := locate(src, &SyntaxError{Offset: pos})
	return fmt.Sprintf("line %d, column %d", e.Line, e.Column)
}

func (p *parser) parseFor(pos int) {
	p.next()
	p.loops++
	defer func() { p.loops-- }()
	p.storeNames(p.assignTarget(true, false, []string{"in"}, false))
	p.expect(kindName, "in", `"in"`)
	p.parseTuple(false, false, []string{"recursive"}, false)
	if p.skipName("if") {
		p.parseExpression(true)
	}
	p.skipName("recursive")
	p.parseStatements("for", pos, []string{"endfor", "else"}, false)
	if p.next().value == "else" {
		p.parseStatements("for", pos, []string{"endfor"}, true)
	}
}

func (p *parser) parseIf(pos int) {
	p.next()
	for {
		p.parseTuple(false, false, nil, false)
		p.parseStatements("if", pos, []string{"elif", "else", "endif"}, false)
		switch p.next().value {
		case "elif":
			continue
		case "else":
			p.parseStatements("if", pos, []string{"endif"}, true)
		}
		return
	}
}

func (p *parser) parseBlock(pos int) {
	p.next()
	name := p.expect(kindName, "", "a block name")
	if p.blocks[name.value] {
		p.fail(name.pos, "block %q is defined twice", name.value)
	}
	p.blocks[name.value] = true
	p.skipName("scoped")
	required := p.skipName("required")
	if p.isOp("-") {
		p.fail(p.cur.pos, "a block name must be an identifier (no hyphen; use an underscore)")
	}
	p.callers = append(p.callers, nil)
	p.parseStatements("block", pos, []string{"endblock"}, true, required)
	p.callers = p.callers[:len(p.callers)-1]
	p.skipName(name.value)
}

func (p *parser) parseSet(pos int) {
	p.next()
	p.storeNames(p.assignTarget(true, false, nil, true))
	if p.skipOp("=") {
		p.parseTuple(false, true, nil, false)
		return
	}
	p.parseFilter(nil, false)
	p.parseStatements("set", pos, []string{"endset"}, true)
}

// param is a parameter of a macro or call block.
type param struct {
	name       string
	pos        int
	hasDefault bool
}

// parseSignature reads "(name[=default], ...)". Python refuses a parameter named twice in the code Jinja2
// generates.
func (p *parser) parseSignature() []param {
	var params []param
	p.expect(kindOperator, "(", `"("`)
	for p.cur.kind != kindOperator || p.cur.value != ")" {
		if len(params) > 0 {
			p.expect(kindOperator, ",", `","`)
		}
		t := p.assignTarget(false, true, nil, false)
		p.nameEvents(t, false)
		pr := param{name: t.name, pos: t.pos}
		if p.skipOp("=") {
			pr.hasDefault = true
			p.parseExpression(true)
		} else if len(params) > 0 && params[len(params)-1].hasDefault {
			p.fail(t.pos, "parameter %q without a default follows one with a default", t.name)
		}
		if slices.ContainsFunc(params, func(o param) bool { return o.name == pr.name }) {
			p.fail(t.pos, "parameter %q is named twice", t.name)
		}
		params = append(params, pr)
	}
	p.next()
	return params
}

// parseMacroBody reads the body of a macro or call block. Jinja2 refuses a "caller" parameter without a
// default when the body calls caller().
func (p *parser) parseMacroBody(name string, pos int, params []param) {
	scope := &callerScope{}
	p.callers = append(p.callers, scope)
	p.parseStatements(name, pos, []string{"end" + name}, true)
	p.callers = p.callers[:len(p.callers)-1]
	if !scope.loads || scope.others {
		return
	}
	for i := len(params) - 1; i >= 0; i-- {
		if params[i].name == "caller" {
			if !params[i].hasDefault {
				p.fail(params[i].pos, `a "caller" parameter needs a default when the body uses caller`)
			}
			return
		}
	}
}

// nameEvents records the names of target for the caller rule: loaded (load) or assigned.
func (p *parser) nameEvents(target *expr, load bool) {
	for _, n := range target.names() {
		if n != "caller" {
			continue
		}
		for i := len(p.callers) - 1; i >= 0 && p.callers[i] != nil; i-- {
			if load && !p.callers[i].others {
				p.callers[i].loads = true
			} else if !load {
				p.callers[i].others = true
			}
		}
	}
}

// storeNames records the names assigned by a for or set target: inside a for loop, Jinja2 refuses to assign
// "loop".
func (p *parser) storeNames(target *expr) {
	if p.loops > 0 && slices.Contains(target.names(), "loop") {
		p.fail(target.pos, `cannot assign the special "loop" variable inside a for loop`)
	}
	p.nameEvents(target, false)
}
