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

package main

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The layout of the queue; the format itself is described in UPSTREAM.md.
const (
	patchesDir    = "patches"
	upstreamFile  = "UPSTREAM.md"
	indexHeading  = "## Patch index"
	noneYet       = "none yet"
	noUpstreamRef = "none"
)

// Sections every record has, in this order.
var sections = []string{"What changes", "Why", "Compatibility", "Tests", "Upstream PR description"}

// Fields of the header list, in this order.
var fields = []string{"Status", "Upstream", "Area"}

// Areas a record can belong to.
var areas = []string{"api", "bootstrap", "controlplane", "manager", "manifests"}

// Paragraph starts the upstream PR description needs, in this order, so the text can be filed as it is.
var prParts = []string{"Title:", "Summary:", "Motivation:", "Testing:"}

var (
	fileNameRE = regexp.MustCompile(`^(\d{4})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$`)
	titleRE    = regexp.MustCompile(`^# (\d{4}): (\S.*)$`)
	fieldRE    = regexp.MustCompile(`^- ([A-Za-z]+): ?(.*)$`)
	// A status other than "not proposed" carries a link: a URL or an owner/repo#N or #N reference.
	statusRE   = regexp.MustCompile(`^(not proposed|(proposed|merged|declined) \((https?://\S+|[\w.-]+/[\w.-]+#\d+|#\d+)\))$`)
	issueRefRE = regexp.MustCompile(`#\d+`)
	goRefRE    = regexp.MustCompile("^`go:([^:`]+):([A-Za-z_][A-Za-z0-9_]*)(/[^`]*)?`(?:(?:\\s|:\\s).*)?$")
	ginkgoRE   = regexp.MustCompile("^`ginkgo:([^:`]+):\"([^\"`]+)\"`(?:(?:\\s|:\\s).*)?$")
	noneYetRE  = regexp.MustCompile(`^none yet(?:$|: \S| — \S)`)
	funcRE     = regexp.MustCompile(`(?m)^func ([A-Za-z_][A-Za-z0-9_]*)\s*[\[(]`)
	testNameRE = regexp.MustCompile(`^(Test|Fuzz|Benchmark)([A-Z_0-9].*)?$`)
	indexRowRE = regexp.MustCompile(`^\[([^\]]+)\]\(([^)]+)\)$`)
)

// ginkgoContainers are the Ginkgo functions whose first argument is a spec or container text.
var ginkgoContainers = map[string]bool{
	"Describe": true, "FDescribe": true, "PDescribe": true, "XDescribe": true,
	"Context": true, "FContext": true, "PContext": true, "XContext": true,
	"When": true, "FWhen": true, "PWhen": true, "XWhen": true,
	"It": true, "FIt": true, "PIt": true, "XIt": true,
	"Specify": true, "FSpecify": true, "PSpecify": true, "XSpecify": true,
	"DescribeTable": true, "FDescribeTable": true, "PDescribeTable": true, "XDescribeTable": true,
	"DescribeTableSubtree": true, "Entry": true, "FEntry": true, "PEntry": true, "XEntry": true,
}

// Problem is one finding, located at a line of a file (line 0: the file as a whole).
type Problem struct {
	File    string
	Line    int
	Message string
}

func (p Problem) String() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Message)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
}

// Report is the result of Check.
type Report struct {
	Problems []Problem
	Records  int
	TestRefs int
}

// record is what the checker reads from one patches/NNNN-<slug>.md file.
type record struct {
	file      string // slash path relative to the root
	number    int
	title     string
	status    string
	area      string
	testRefs  int
	fieldLine map[string]int
}

// checker accumulates problems and caches what it read from test directories.
type checker struct {
	root     string
	problems []Problem
	funcs    map[string]map[string]bool // dir → functions declared in its _test.go files
	specs    map[string][]string        // dir → Ginkgo container and spec texts
	testRefs int
}

func (c *checker) addf(file string, line int, format string, args ...any) {
	c.problems = append(c.problems, Problem{File: file, Line: line, Message: fmt.Sprintf(format, args...)})
}

// Check verifies the patch queue under root. The error is for failures to read the queue at all; everything wrong
// with its content is a Problem.
func Check(root string) (*Report, error) {
	c := &checker{root: root, funcs: map[string]map[string]bool{}, specs: map[string][]string{}}
	entries, err := os.ReadDir(filepath.Join(root, patchesDir))
	if err != nil {
		return nil, fmt.Errorf("failed to read the patch queue: %w", err)
	}
	var records []*record
	for _, e := range entries {
		name := path.Join(patchesDir, e.Name())
		m := fileNameRE.FindStringSubmatch(e.Name())
		if e.IsDir() || m == nil {
			c.addf(name, 0, "not a patch record: the directory holds only files named NNNN-<slug>.md (lower-case slug)")
			continue
		}
		content, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			return nil, fmt.Errorf("failed to read %s: %w", name, err)
		}
		number, _ := strconv.Atoi(m[1])
		records = append(records, c.checkRecord(name, number, string(content)))
	}
	c.checkNumbering(records)
	if err := c.checkIndex(records); err != nil {
		return nil, err
	}
	slices.SortStableFunc(c.problems, func(a, b Problem) int {
		if a.File != b.File {
			return strings.Compare(a.File, b.File)
		}
		return a.Line - b.Line
	})
	return &Report{Problems: c.problems, Records: len(records), TestRefs: c.testRefs}, nil
}

// checkRecord parses one record and checks its format and test references.
func (c *checker) checkRecord(file string, number int, content string) *record {
	rec := &record{file: file, number: number, fieldLine: map[string]int{}}
	lines := strings.Split(strings.ReplaceAll(content, "\r\n", "\n"), "\n")

	if m := titleRE.FindStringSubmatch(lines[0]); m == nil {
		c.addf(file, 1, "first line must be \"# %04d: <title>\"", number)
	} else {
		if n, _ := strconv.Atoi(m[1]); n != number {
			c.addf(file, 1, "title number %s does not match the file name's %04d", m[1], number)
		}
		rec.title = strings.TrimSpace(m[2])
		if strings.ContainsAny(rec.title, "|[]") {
			c.addf(file, 1, "title must not contain '|', '[' or ']' (it is a link text in the UPSTREAM.md table)")
		}
	}

	// Header fields: between the title and the first section.
	i := 1
	var order []string
	for ; i < len(lines) && !strings.HasPrefix(lines[i], "## "); i++ {
		line := strings.TrimRight(lines[i], " \t")
		if line == "" {
			continue
		}
		m := fieldRE.FindStringSubmatch(line)
		if m == nil || !slices.Contains(fields, m[1]) {
			c.addf(file, i+1, "unexpected line before the first section; the header is the list %s", fieldList())
			continue
		}
		if _, dup := rec.fieldLine[m[1]]; dup {
			c.addf(file, i+1, "field %q given twice", m[1])
			continue
		}
		rec.fieldLine[m[1]] = i + 1
		order = append(order, m[1])
		c.checkField(rec, m[1], strings.TrimSpace(m[2]), i+1)
	}
	for _, f := range fields {
		if _, ok := rec.fieldLine[f]; !ok {
			c.addf(file, 1, "missing field \"- %s:\"", f)
		}
	}
	if len(order) == len(fields) && !slices.Equal(order, fields) {
		c.addf(file, rec.fieldLine[order[0]], "fields must come in the order %s", fieldList())
	}

	// Sections.
	type section struct {
		name  string
		line  int
		lines []string
		first int // line number of lines[0]
	}
	var found []*section
	for ; i < len(lines); i++ {
		if name, ok := strings.CutPrefix(lines[i], "## "); ok {
			found = append(found, &section{name: strings.TrimSpace(name), line: i + 1, first: i + 2})
			continue
		}
		if len(found) > 0 {
			found[len(found)-1].lines = append(found[len(found)-1].lines, lines[i])
		}
	}
	byName := map[string]*section{}
	var names []string
	for _, s := range found {
		if !slices.Contains(sections, s.name) {
			c.addf(file, s.line, "unknown section %q; the sections are %s", s.name, sectionList())
			continue
		}
		if _, dup := byName[s.name]; dup {
			c.addf(file, s.line, "section %q given twice", s.name)
			continue
		}
		byName[s.name] = s
		names = append(names, s.name)
		if blank(s.lines) {
			c.addf(file, s.line, "section %q is empty", s.name)
		}
	}
	for _, name := range sections {
		if byName[name] == nil {
			c.addf(file, 0, "missing section \"## %s\"", name)
		}
	}
	if len(names) == len(sections) && !slices.Equal(names, sections) {
		c.addf(file, byName[names[0]].line, "sections must come in the order %s", sectionList())
	}
	if s := byName["Tests"]; s != nil && !blank(s.lines) {
		c.checkTests(rec, s.lines, s.first)
	}
	if s := byName["Upstream PR description"]; s != nil && !blank(s.lines) {
		c.checkPRDescription(file, s.line, s.lines)
	}
	return rec
}

// checkField validates one header field's value.
func (c *checker) checkField(rec *record, name, value string, line int) {
	switch name {
	case "Status":
		rec.status = value
		if !statusRE.MatchString(value) {
			c.addf(rec.file, line, "status %q: want \"not proposed\", \"proposed (<link>)\", \"merged (<link>)\" or \"declined (<link>)\"", value)
		}
	case "Upstream":
		if value != noUpstreamRef && !issueRefRE.MatchString(value) {
			c.addf(rec.file, line, "upstream %q: want issue/PR references such as #218, or %q", value, noUpstreamRef)
		}
	case "Area":
		rec.area = value
		if !slices.Contains(areas, value) {
			c.addf(rec.file, line, "area %q: want one of %s", value, strings.Join(areas, ", "))
		}
	}
}

// checkTests checks the Tests section: a list of test references, or a single "none yet" item.
func (c *checker) checkTests(rec *record, lines []string, first int) {
	noneLine := 0
	refs := 0
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		n := first + i
		if line == "" {
			continue
		}
		item, ok := strings.CutPrefix(line, "- ")
		if !ok {
			c.addf(rec.file, n, "the Tests section holds only list items (\"- `go:<dir>:<TestName>`\", \"- `ginkgo:<dir>:\\\"<text>\\\"`\" or \"- %s\")", noneYet)
			continue
		}
		switch {
		case noneYetRE.MatchString(item):
			noneLine = n
		case strings.HasPrefix(item, "`go:"):
			refs++
			c.checkGoRef(rec.file, n, item)
		case strings.HasPrefix(item, "`ginkgo:"):
			refs++
			c.checkGinkgoRef(rec.file, n, item)
		default:
			c.addf(rec.file, n, "unrecognised test reference %q; want `go:<dir>:<TestName>`, `ginkgo:<dir>:\"<text>\"` or %q (optionally followed by \": <why>\")", item, noneYet)
		}
	}
	if noneLine > 0 && refs > 0 {
		c.addf(rec.file, noneLine, "%q together with test references: drop one of them", noneYet)
	}
	rec.testRefs = refs
}

// checkGoRef checks `go:<dir>:<Name>[/<subtest>]`: a top-level Test, Fuzz or Benchmark function declared in a
// _test.go file of dir (any build tag; the subtest is not checked).
func (c *checker) checkGoRef(file string, line int, item string) {
	m := goRefRE.FindStringSubmatch(item)
	if m == nil {
		c.addf(file, line, "malformed Go test reference %q; want `go:<dir>:<TestName>` or `go:<dir>:<TestName>/<subtest>`", item)
		return
	}
	dir, name := m[1], m[2]
	c.testRefs++
	if !testNameRE.MatchString(name) || name == "TestMain" {
		c.addf(file, line, "%s is not a test: name a top-level Test, Fuzz or Benchmark function", name)
		return
	}
	funcs, err := c.testFuncs(dir)
	if err != nil {
		c.addf(file, line, "go:%s:%s: %v", dir, name, err)
		return
	}
	if !funcs[name] {
		c.addf(file, line, "go:%s:%s: no \"func %s(\" in %s/*_test.go", dir, name, name, dir)
	}
}

// checkGinkgoRef checks `ginkgo:<dir>:"<text>"`: text is part of the text of a Ginkgo container or spec
// (Describe, Context, When, It, Specify, DescribeTable, Entry) in a _test.go file of dir.
func (c *checker) checkGinkgoRef(file string, line int, item string) {
	m := ginkgoRE.FindStringSubmatch(item)
	if m == nil {
		c.addf(file, line, "malformed Ginkgo spec reference %q; want `ginkgo:<dir>:\"<spec text>\"`", item)
		return
	}
	dir, text := m[1], m[2]
	c.testRefs++
	specs, err := c.specTexts(dir)
	if err != nil {
		c.addf(file, line, "ginkgo:%s: %v", dir, err)
		return
	}
	for _, s := range specs {
		if strings.Contains(s, text) {
			return
		}
	}
	c.addf(file, line, "ginkgo:%s:%q: no Describe/Context/It/Entry text in %s/*_test.go contains it", dir, text, dir)
}

// checkPRDescription checks that the upstream PR text has its parts, each starting a line, in order.
func (c *checker) checkPRDescription(file string, line int, lines []string) {
	next := 0
	for _, l := range lines {
		if next < len(prParts) && strings.HasPrefix(l, prParts[next]) {
			next++
		}
	}
	if next < len(prParts) {
		c.addf(file, line, "upstream PR description lacks a paragraph starting with %q (the parts are %s, in this order)",
			prParts[next], strings.Join(prParts, " "))
	}
}

// testDir validates a directory named by a test reference and returns its path on disk.
func (c *checker) testDir(dir string) (string, error) {
	if path.IsAbs(dir) || path.Clean(dir) != dir || dir == ".." || strings.HasPrefix(dir, "../") {
		return "", fmt.Errorf("directory %q must be a clean path relative to the repository root", dir)
	}
	p := filepath.Join(c.root, filepath.FromSlash(dir))
	if st, err := os.Stat(p); err != nil || !st.IsDir() {
		return "", fmt.Errorf("directory %s does not exist", dir)
	}
	return p, nil
}

// testFiles returns the _test.go files of dir with their content.
func (c *checker) testFiles(dir string) (map[string][]byte, error) {
	p, err := c.testDir(dir)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, fmt.Errorf("failed to read directory %s: %w", dir, err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(p, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("failed to read %s/%s: %w", dir, e.Name(), err)
		}
		files[e.Name()] = b
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("directory %s has no _test.go files", dir)
	}
	return files, nil
}

// testFuncs returns the names of the functions declared at the start of a line in dir's _test.go files.
func (c *checker) testFuncs(dir string) (map[string]bool, error) {
	if funcs, ok := c.funcs[dir]; ok {
		return funcs, nil
	}
	files, err := c.testFiles(dir)
	if err != nil {
		return nil, err
	}
	funcs := map[string]bool{}
	for _, content := range files {
		for _, m := range funcRE.FindAllSubmatch(content, -1) {
			funcs[string(m[1])] = true
		}
	}
	c.funcs[dir] = funcs
	return funcs, nil
}

// specTexts returns the string-literal first arguments of Ginkgo container and spec calls in dir's _test.go files.
// Build tags do not matter: the files are parsed, not compiled.
func (c *checker) specTexts(dir string) ([]string, error) {
	if specs, ok := c.specs[dir]; ok {
		return specs, nil
	}
	files, err := c.testFiles(dir)
	if err != nil {
		return nil, err
	}
	var specs []string
	fset := token.NewFileSet()
	for _, name := range slices.Sorted(maps.Keys(files)) {
		f, err := parser.ParseFile(fset, name, files[name], parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("failed to parse %s/%s: %w", dir, name, err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 || !ginkgoContainers[calleeName(call.Fun)] {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					specs = append(specs, s)
				}
			}
			return true
		})
	}
	c.specs[dir] = specs
	return specs, nil
}

// calleeName returns the function name of a call: Describe(...) and ginkgo.Describe(...) both give "Describe".
func calleeName(fun ast.Expr) string {
	switch f := fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

// checkNumbering requires the records to be numbered 0001..N, each number once.
func (c *checker) checkNumbering(records []*record) {
	byNumber := map[int][]string{}
	maxNumber := 0
	for _, r := range records {
		byNumber[r.number] = append(byNumber[r.number], r.file)
		maxNumber = max(maxNumber, r.number)
	}
	if _, ok := byNumber[0]; ok {
		for _, f := range byNumber[0] {
			c.addf(f, 0, "number 0000 is not used: records start at 0001")
		}
	}
	for n := 1; n <= maxNumber; n++ {
		files := byNumber[n]
		switch {
		case len(files) == 0:
			c.addf(patchesDir, 0, "number %04d is missing: records are numbered 0001..%04d without gaps", n, maxNumber)
		case len(files) > 1:
			for _, f := range files {
				c.addf(f, 0, "number %04d is used by %d records: %s", n, len(files), strings.Join(files, ", "))
			}
		}
	}
}

// indexRow is one row of the UPSTREAM.md index table.
type indexRow struct {
	line                      int
	number                    int
	title, link, area, status string
}

// checkIndex compares the index table of UPSTREAM.md with the records.
func (c *checker) checkIndex(records []*record) error {
	content, err := os.ReadFile(filepath.Join(c.root, upstreamFile))
	if errors.Is(err, fs.ErrNotExist) {
		c.addf(upstreamFile, 0, "missing: it holds the index of the patch records")
		return nil
	}
	if err != nil {
		return fmt.Errorf("failed to read %s: %w", upstreamFile, err)
	}
	rows, headingLine := c.parseIndex(string(content))
	if headingLine == 0 {
		return nil
	}

	// A row matches the record it links; failing that, a record with its number.
	byFile := map[string]*record{}
	byNumber := map[int]*record{}
	for _, r := range records {
		byFile[r.file] = r
		if byNumber[r.number] == nil {
			byNumber[r.number] = r
		}
	}
	listed := map[*record]bool{}
	seen := map[int]bool{}
	last := 0
	for _, row := range rows {
		if seen[row.number] {
			c.addf(upstreamFile, row.line, "index row %04d given twice", row.number)
			continue
		}
		seen[row.number] = true
		if row.number < last {
			c.addf(upstreamFile, row.line, "index row %04d is out of order: rows go by number", row.number)
		}
		last = row.number
		r := byFile[row.link]
		if r == nil || r.number != row.number {
			r = byNumber[row.number]
		}
		if r == nil {
			c.addf(upstreamFile, row.line, "index row %04d has no record in %s/", row.number, patchesDir)
			continue
		}
		listed[r] = true
		if row.link != r.file {
			c.addf(upstreamFile, row.line, "index row %04d links %q, want %q", row.number, row.link, r.file)
		}
		if r.title != "" && row.title != r.title {
			c.addf(upstreamFile, row.line, "index row %04d title %q differs from %s: %q", row.number, row.title, r.file, r.title)
		}
		if r.area != "" && row.area != r.area {
			c.addf(upstreamFile, row.line, "index row %04d area %q differs from %s: %q", row.number, row.area, r.file, r.area)
		}
		if r.status != "" && row.status != r.status {
			c.addf(upstreamFile, row.line, "index row %04d status %q differs from %s: %q", row.number, row.status, r.file, r.status)
		}
	}
	for _, r := range records {
		if !listed[r] {
			c.addf(upstreamFile, headingLine, "index has no row for %s", r.file)
		}
	}
	return nil
}

// parseIndex returns the rows of the first table after the index heading and the heading's line; the line is 0 when
// there is no usable table, which is reported, and the rows are then not compared.
func (c *checker) parseIndex(content string) ([]indexRow, int) {
	lines := strings.Split(strings.ReplaceAll(content, "\r\n", "\n"), "\n")
	heading := slices.IndexFunc(lines, func(l string) bool { return strings.TrimRight(l, " \t") == indexHeading })
	if heading < 0 {
		c.addf(upstreamFile, 0, "no %q section with the index table of the patch records", indexHeading)
		return nil, 0
	}
	i := heading + 1
	for i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "|") {
		if strings.HasPrefix(lines[i], "## ") {
			break
		}
		i++
	}
	if i >= len(lines) || !strings.HasPrefix(strings.TrimSpace(lines[i]), "|") {
		c.addf(upstreamFile, heading+1, "the %q section has no table", indexHeading)
		return nil, 0
	}
	if header := cells(lines[i]); !slices.Equal(lowerAll(header), []string{"#", "title", "area", "status"}) {
		c.addf(upstreamFile, i+1, "index table header must be \"| # | title | area | status |\"")
		return nil, 0
	}
	i += 2 // header and separator
	var rows []indexRow
	for ; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "|"); i++ {
		cs := cells(lines[i])
		if len(cs) != 4 {
			c.addf(upstreamFile, i+1, "index row must have 4 cells (number, [title](patches/NNNN-<slug>.md), area, status)")
			continue
		}
		n, err := strconv.Atoi(cs[0])
		if err != nil || len(cs[0]) != 4 {
			c.addf(upstreamFile, i+1, "index row number %q: want four digits", cs[0])
			continue
		}
		m := indexRowRE.FindStringSubmatch(cs[1])
		if m == nil {
			c.addf(upstreamFile, i+1, "index row %04d title must be a link [<title>](patches/NNNN-<slug>.md)", n)
			continue
		}
		rows = append(rows, indexRow{line: i + 1, number: n, title: m[1], link: m[2], area: cs[2], status: cs[3]})
	}
	return rows, heading + 1
}

// cells splits a Markdown table row into its trimmed cells.
func cells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(row, "|")
	row = strings.TrimSuffix(row, "|")
	parts := strings.Split(row, "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func lowerAll(s []string) []string {
	out := make([]string, len(s))
	for i := range s {
		out[i] = strings.ToLower(s[i])
	}
	return out
}

func blank(lines []string) bool {
	return !slices.ContainsFunc(lines, func(l string) bool { return strings.TrimSpace(l) != "" })
}

func fieldList() string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = "\"- " + f + ":\""
	}
	return strings.Join(out, ", ")
}

func sectionList() string {
	out := make([]string, len(sections))
	for i, s := range sections {
		out[i] = "\"## " + s + "\""
	}
	return strings.Join(out, ", ")
}
