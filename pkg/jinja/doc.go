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

// Package jinja decides whether cloud-init can render a text as a jinja template: Check reports the first error
// that Jinja2 would raise while compiling it, with its line and column.
//
// Cloud-init renders a "## template: jinja" document with Jinja2 (3.1 on Debian 12 and Ubuntu 24.04), trim_blocks,
// the "do" extension and an undefined type that prints CI_MISSING_JINJA_VAR/<name>. A document Jinja2 cannot
// compile is not rendered at all: the node applies none of it. Bootstrap data holds user text (file content,
// commands, node names), and any "{{", "{%" or "{#" in it is jinja, so a Helm values file ({{ .Values.x }}) or
// a shell array length (${#a[@]}) loses the whole node.
//
// Check models Jinja2's lexer and parser: the three delimiters with whitespace control (- and +), raw blocks,
// comments, string literals and their escapes, numbers, names, operators with balanced brackets, the full
// expression grammar (filters, tests, calls, subscripts, slices, conditional expressions, literals), every
// statement Jinja2 knows with its end tag (if/elif/else, for/else, set and block set, macro, call, filter, with,
// block, autoescape, print, do), and the checks of its compile step: known filter and test names, assignment
// targets, the special loop and caller names, required blocks and block names used twice.
//
// Check judges a whole template; CheckPart judges one value of a document, which more text follows: there, a
// comment or raw block left open at the end is an error too, and the webhooks require each value to be complete
// jinja (pkg/k3sconfig checks every value as the renderer writes it, escapes included).
//
// What the verdict means:
//
//   - An error means cloud-init cannot render the text, wherever the node runs.
//   - Stricter than Jinja2 on purpose: an unknown filter or test is an error even where Jinja2 checks it only
//     when it runs ({% if %}, a conditional expression) or drops it as constant (false and x|f), and include,
//     import, from and extends are errors, because cloud-init renders without a template loader; such text cannot
//     run, only be skipped.
//   - Accepted although rendering may still fail at run time: what depends on the instance data or on values
//     (an attribute of an undefined variable, {{ x - 1 }} with x undefined, a division by zero, a namespace
//     assignment to a non-namespace), and the limits of Python that Jinja2 hits while compiling generated code,
//     except for nesting deeper than Python's recursion limit allows: about 20 nested for loops or 70 nested
//     parentheses already fail, a keyword argument given twice fails unless Jinja2 folds the call into a
//     constant, and a \N{...} escape needs a Unicode name Python knows. Identifiers outside ASCII follow Go's
//     Unicode tables, which differ slightly from Python's. Text that merely reads as jinja is not caught: Helm's
//     {{- if .Values.x }} is the attribute Values of a variable named "if", which fails only on the node.
//
// TestCorpus_RealCloudInit renders the fuzz corpus of this package (testdata/fuzz/FuzzCheck) with the real
// cloud-init (internal/test/cloudinit) and expects the same verdict on every entry.
package jinja
