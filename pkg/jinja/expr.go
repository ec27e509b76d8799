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

import "slices"

// exprKind is what the checks need to know of an expression.
type exprKind int

const (
	exprOther exprKind = iota
	exprName
	exprConst
	exprTuple
	exprCall
	exprNSRef
)

// expr is a parsed expression, reduced to its kind, the name of a name, and the items of a tuple.
type expr struct {
	kind  exprKind
	name  string
	items []*expr
	pos   int
}

// canAssign follows Jinja2's Node.can_assign: names other than the constants, tuples of such, namespace
// attributes.
func (e *expr) canAssign() bool {
	switch e.kind {
	case exprName:
		return !constantNames[e.name]
	case exprNSRef:
		return true
	case exprTuple:
		for _, i := range e.items {
			if !i.canAssign() {
				return false
			}
		}
		return true
	}
	return false
}

// names returns the names e assigns: itself or the names of its items.
func (e *expr) names() []string {
	switch e.kind {
	case exprName:
		return []string{e.name}
	case exprTuple:
		var out []string
		for _, i := range e.items {
			out = append(out, i.names()...)
		}
		return out
	}
	return nil
}

// assignTarget reads the target of an assignment (parse_assign_target): a namespace attribute (ns.attr, when
// namespace is set), a single name (nameOnly), or a tuple of names.
func (p *parser) assignTarget(tuple, nameOnly bool, extraEnd []string, namespace bool) *expr {
	var target *expr
	switch {
	case namespace && p.cur.kind == kindName && p.look().kind == kindOperator && p.look().value == ".":
		t := p.next()
		p.next()
		p.expect(kindName, "", "an attribute name")
		target = &expr{kind: exprNSRef, pos: t.pos}
	case nameOnly:
		t := p.expect(kindName, "", "a name")
		target = &expr{kind: exprName, name: t.value, pos: t.pos}
	case tuple:
		target = p.parseTuple(true, true, extraEnd, false)
	default:
		target = p.parsePrimary()
	}
	if !target.canAssign() {
		p.fail(target.pos, "cannot assign to this expression (only names, tuples of names and namespace attributes)")
	}
	return target
}

// parseExpression reads an expression, with conditional expressions (a if b else c) when condexpr is set.
func (p *parser) parseExpression(condexpr bool) *expr {
	p.enter()
	defer p.leave()
	if !condexpr {
		return p.parseOr()
	}
	e := p.parseOr()
	for p.skipName("if") {
		p.parseOr()
		if p.skipName("else") {
			p.parseExpression(true)
		}
		e = &expr{pos: e.pos}
	}
	return e
}

// parseBinary reads operands joined by the operators (or names) of ops, with operand reading the next level.
func (p *parser) parseBinary(operand func() *expr, names []string, ops ...string) *expr {
	e := operand()
	for p.cur.kind == kindOperator && slices.Contains(ops, p.cur.value) || p.cur.kind == kindName && slices.Contains(names, p.cur.value) {
		p.next()
		operand()
		e = &expr{pos: e.pos}
	}
	return e
}

func (p *parser) parseOr() *expr {
	return p.parseBinary(p.parseAnd, []string{"or"})
}

func (p *parser) parseAnd() *expr {
	return p.parseBinary(p.parseNot, []string{"and"})
}

func (p *parser) parseNot() *expr {
	if p.isName("not") {
		t := p.next()
		p.enter()
		defer p.leave()
		p.parseNot()
		return &expr{pos: t.pos}
	}
	return p.parseCompare()
}

func (p *parser) parseCompare() *expr {
	e := p.parseMath1()
	for {
		switch {
		case p.cur.kind == kindOperator && slices.Contains([]string{"==", "!=", "<", "<=", ">", ">="}, p.cur.value):
			p.next()
		case p.isName("in"):
			p.next()
		case p.isName("not") && p.look().kind == kindName && p.look().value == "in":
			p.next()
			p.next()
		default:
			return e
		}
		p.parseMath1()
		e = &expr{pos: e.pos}
	}
}

func (p *parser) parseMath1() *expr {
	return p.parseBinary(p.parseConcat, nil, "+", "-")
}

func (p *parser) parseConcat() *expr {
	return p.parseBinary(p.parseMath2, nil, "~")
}

func (p *parser) parseMath2() *expr {
	return p.parseBinary(p.parsePow, nil, "*", "/", "//", "%")
}

func (p *parser) parsePow() *expr {
	return p.parseBinary(func() *expr { return p.parseUnary(true) }, nil, "**")
}

// parseUnary reads a signed operand, its subscripts and calls, and, when filters is set, its filters and tests.
func (p *parser) parseUnary(filters bool) *expr {
	p.enter()
	defer p.leave()
	var e *expr
	if p.isOp("-") || p.isOp("+") {
		t := p.next()
		p.parseUnary(false)
		e = &expr{pos: t.pos}
	} else {
		e = p.parsePrimary()
	}
	e = p.parsePostfix(e)
	if filters {
		e = p.parseFilterExpr(e)
	}
	return e
}

// parsePrimary reads a name, a constant, adjacent strings, a parenthesized expression or tuple, a list or a dict.
func (p *parser) parsePrimary() *expr {
	p.enter()
	defer p.leave()
	t := p.cur
	switch {
	case t.kind == kindName:
		p.next()
		if constantNames[t.value] {
			return &expr{kind: exprConst, pos: t.pos}
		}
		e := &expr{kind: exprName, name: t.value, pos: t.pos}
		p.nameEvents(e, true)
		return e
	case t.kind == kindString:
		for p.cur.kind == kindString {
			p.next()
		}
		return &expr{kind: exprConst, pos: t.pos}
	case t.kind == kindInteger || t.kind == kindFloat:
		p.next()
		return &expr{kind: exprConst, pos: t.pos}
	case p.isOp("("):
		p.next()
		e := p.parseTuple(false, true, nil, true)
		p.expect(kindOperator, ")", `")"`)
		return e
	case p.isOp("["):
		p.next()
		p.parseItems("]", func() { p.parseExpression(true) })
		return &expr{pos: t.pos}
	case p.isOp("{"):
		p.next()
		p.parseItems("}", func() {
			p.parseExpression(true)
			p.expect(kindOperator, ":", `":"`)
			p.parseExpression(true)
		})
		return &expr{pos: t.pos}
	}
	p.unexpected("an expression")
	return nil
}

// parseItems reads the comma-separated items of a list or dict up to close, which may follow a last comma.
func (p *parser) parseItems(close string, item func()) {
	for n := 0; !p.isOp(close); n++ {
		if n > 0 {
			p.expect(kindOperator, ",", `","`)
			if p.isOp(close) {
				break
			}
		}
		item()
	}
	p.next()
}

// parseTuple reads expressions separated by commas (parse_tuple): one expression without a comma, otherwise a
// tuple. simplified reads only primaries (assignment targets), condexpr allows conditional expressions,
// extraEnd names that end the tuple, and parens allows the empty tuple.
func (p *parser) parseTuple(simplified, condexpr bool, extraEnd []string, parens bool) *expr {
	start := p.cur.pos
	var items []*expr
	tuple := false
	for {
		if len(items) > 0 {
			p.expect(kindOperator, ",", `","`)
		}
		if p.tupleEnd(extraEnd) {
			break
		}
		if simplified {
			items = append(items, p.parsePrimary())
		} else {
			items = append(items, p.parseExpression(condexpr))
		}
		if !p.isOp(",") {
			break
		}
		tuple = true
	}
	if !tuple {
		if len(items) > 0 {
			return items[0]
		}
		if !parens {
			p.unexpected("an expression")
		}
	}
	return &expr{kind: exprTuple, items: items, pos: start}
}

// tupleEnd reports whether the current token ends a tuple.
func (p *parser) tupleEnd(extraEnd []string) bool {
	switch {
	case p.cur.kind == kindVariableEnd || p.cur.kind == kindBlockEnd || p.isOp(")"):
		return true
	case p.cur.kind == kindName:
		return slices.Contains(extraEnd, p.cur.value)
	}
	return false
}

// parsePostfix reads the subscripts (.name, .0, [...]) and calls that follow e.
func (p *parser) parsePostfix(e *expr) *expr {
	for {
		switch {
		case p.isOp(".") || p.isOp("["):
			e = p.parseSubscript(e)
		case p.isOp("("):
			e = p.parseCall(e)
		default:
			return e
		}
	}
}

// parseFilterExpr reads the filters, tests and calls that follow e.
func (p *parser) parseFilterExpr(e *expr) *expr {
	for {
		switch {
		case p.isOp("|"):
			e = p.parseFilter(e, false)
		case p.isName("is"):
			e = p.parseTest(e)
		case p.isOp("("):
			e = p.parseCall(e)
		default:
			return e
		}
	}
}

func (p *parser) parseSubscript(e *expr) *expr {
	if p.next().value == "." {
		attr := p.next()
		if attr.kind != kindName && attr.kind != kindInteger {
			p.fail(attr.pos, "unexpected %s after \".\", expected a name or a number", describe(attr))
		}
		return &expr{pos: e.pos}
	}
	for n := 0; !p.isOp("]"); n++ {
		if n > 0 {
			p.expect(kindOperator, ",", `","`)
		}
		p.parseSubscribed()
	}
	p.next()
	return &expr{pos: e.pos}
}

// parseSubscribed reads an index or a slice [start:stop:step] with optional parts.
func (p *parser) parseSubscribed() {
	if !p.isOp(":") {
		p.parseExpression(true)
		if !p.isOp(":") {
			return
		}
	}
	p.next()
	if !p.isOp(":") && !p.isOp("]") && !p.isOp(",") {
		p.parseExpression(true)
	}
	if p.skipOp(":") && !p.isOp("]") && !p.isOp(",") {
		p.parseExpression(true)
	}
}

// parseCallArgs reads "(args)": positional arguments, then keyword arguments, *args and **kwargs, in Jinja2's
// order.
func (p *parser) parseCallArgs() {
	open := p.expect(kindOperator, "(", `"("`)
	var kwargs, dynArgs, dynKwargs bool
	ensure := func(ok bool) {
		if !ok {
			p.fail(open.pos, "invalid argument order in call: positional arguments, keyword arguments, *args, **kwargs")
		}
	}
	for n := 0; !p.isOp(")"); n++ {
		if n > 0 {
			p.expect(kindOperator, ",", `","`)
			if p.isOp(")") {
				break
			}
		}
		switch {
		case p.isOp("*"):
			ensure(!dynArgs && !dynKwargs)
			p.next()
			dynArgs = true
		case p.isOp("**"):
			ensure(!dynKwargs)
			p.next()
			dynKwargs = true
		case p.cur.kind == kindName && p.look().kind == kindOperator && p.look().value == "=":
			ensure(!dynKwargs)
			p.next()
			p.next()
			kwargs = true
		default:
			ensure(!dynArgs && !dynKwargs && !kwargs)
		}
		p.parseExpression(true)
	}
	p.next()
}

func (p *parser) parseCall(e *expr) *expr {
	p.parseCallArgs()
	return &expr{kind: exprCall, pos: e.pos}
}

// parseFilter reads "| name(args)" filters; inline reads one filter without a leading "|" ({% filter %}).
func (p *parser) parseFilter(e *expr, inline bool) *expr {
	for p.isOp("|") || inline {
		if !inline {
			p.next()
		}
		inline = false
		name := p.dottedName()
		if !filters[name.value] {
			p.fail(name.pos, "no filter named %q (Jinja2 3.1 filters: abs, default, join, lower, replace, trim, upper, ...)", name.value)
		}
		if p.isOp("(") {
			p.parseCallArgs()
		}
		pos := 0
		if e != nil {
			pos = e.pos
		}
		e = &expr{pos: pos}
	}
	return e
}

// parseTest reads "is [not] name [argument | (args)]".
func (p *parser) parseTest(e *expr) *expr {
	p.next()
	p.skipName("not")
	name := p.dottedName()
	if !tests[name.value] {
		p.fail(name.pos, "no test named %q (Jinja2 3.1 tests: defined, none, number, string, eq, ...)", name.value)
	}
	switch k := p.cur.kind; {
	case p.isOp("("):
		p.parseCallArgs()
	case k == kindName && !p.isName("else") && !p.isName("or") && !p.isName("and"),
		k == kindString, k == kindInteger, k == kindFloat, p.isOp("["), p.isOp("{"):
		if p.isName("is") {
			p.fail(p.cur.pos, "tests cannot be chained with a second \"is\"")
		}
		p.parsePostfix(p.parsePrimary())
	}
	return &expr{pos: e.pos}
}

// dottedName reads a filter or test name, which may be dotted.
func (p *parser) dottedName() token {
	t := p.expect(kindName, "", "a name")
	for p.skipOp(".") {
		t.value += "." + p.expect(kindName, "", "a name").value
	}
	return t
}
