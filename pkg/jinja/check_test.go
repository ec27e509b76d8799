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
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name, text string
		// want is a substring of the error with its position ("line 1, column 4: ..."); "" means accepted.
		want string
	}{
		{"plain text", "a } b %} c #} d { e", ""},
		{"instance data", "{{ ds.meta_data.local_hostname | lower }}", ""},
		{"undefined variable renders as CI_MISSING_JINJA_VAR", "{{ nope }}", ""},
		{"raw block", "{% raw %}{{ .Values.x }}{% endraw %}", ""},
		{"helm expression", "a: 1\nreplicas: {{ .Values.replicas }}", `line 2, column 14: unexpected ".", expected an expression`},
		{"shell array length", "n=${#a[@]}", "line 1, column 4: missing end of comment tag"},
		{"empty expression", "{{ }}", `line 1, column 4: unexpected "}}", expected an expression`},
		{"unclosed expression", "x {{ a", `line 1, column 3: "{{" is not closed by "}}"`},
		{"unclosed statement", "{% if a %}\n{% for b in c %}{% endfor %}", "line 1, column 1: {% if %} is not closed: expected {% elif %} or {% else %} or {% endif %}"},
		{"nesting mistake", "{% for a in b %}\n{% if a %}{% endfor %}", "line 2, column 11: unexpected {% endfor %}: the innermost open statement is {% if %} at line 2, column 1, which ends with {% endif %}"},
		{"end tag of no open statement", "{% if a %}{% endfor %}", "unexpected {% endfor %}: no statement it belongs to is open (the innermost"},
		{"stray end tag", "{% endif %}", "no statement it belongs to is open"},
		{"loop controls are not enabled", "{% for a in b %}{% break %}{% endfor %}", "does not enable Jinja's loop controls"},
		{"unknown filter", "{{ a | quote }}", `line 1, column 8: no filter named "quote"`},
		{"unknown test even in an if", "{% if a is b %}{% endif %}", `no test named "b"`},
		{"no template loader", "{% include 'x' %}", "needs a template loader"},
		{"string escapes", `{{ "\x41\u00e9\N{DIGIT ONE}\q" }}`, ""},
		{"truncated escape", `{{ "\x4" }}`, `line 1, column 5: truncated \xXX escape`},
		{"escape beyond Unicode", `{{ "\U0010FFFF" ~ "\U00110000" }}`, `line 1, column 20: illegal Unicode character`},
		{"string with the end delimiter", `{{ "}}" ~ '%}' }}`, ""},
		{"unterminated string", `{{ "a }}`, "line 1, column 4: unexpected character '\"'"},
		{"brackets hide the end delimiter", "{{ (a }}", `unexpected "}", expected ")"`},
		{"columns count characters", "é{{ .x }}", "line 1, column 5:"},
		{"lines end at \\r\\n and \\r", "a\r\nb\rc {{ . }}", "line 3, column 6:"},
		{"assignment to a constant", "{% set none = 1 %}", "line 1, column 8: cannot assign"},
		{"the loop variable", "{% for a in b %}{% set (c, loop) = d %}{% endfor %}", `cannot assign the special "loop" variable`},
		{"loop outside a loop", "{% set loop = 1 %}", ""},
		{"caller without default", "{% macro m(caller) %}{{ caller() }}{% endmacro %}", `a "caller" parameter needs a default`},
		{"caller with default", "{% macro m(caller=none) %}{{ caller() }}{% endmacro %}", ""},
		{"required block", "{% block b required %} {# c #} {% endblock %}", ""},
		{"required block with text", "{% block b required %} x {% endblock %}", "a required block may only contain white space"},
		{"huge integer", "{{ 1" + strings.Repeat("0", maxIntDigits) + " }}", "exceeds Python's limit"},
		{"deep nesting", "{{ " + strings.Repeat("(", maxDepth) + "1" + strings.Repeat(")", maxDepth) + " }}", "nested more than 1000 levels"},
		{"not UTF-8", "ab\xff", "line 1, column 3: not valid UTF-8"},
		{"comment open at the very end", "a {#\n", ""},
		{"raw block open at the very end", "a {% raw %}", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.text)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Check(%q) = %v, want nil", tt.text, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Check(%q) = %v, want an error containing %q", tt.text, err, tt.want)
			}
		})
	}
}

func TestCheckPart(t *testing.T) {
	tests := []struct {
		name, text string
		wantErr    bool
	}{
		{"complete jinja", "{{ a }}{# c #}{% raw %}x{% endraw %}", false},
		{"comment open at the end", "a {#", true},
		{"raw block open at the end", "a {% raw %}", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckPart(tt.text); (err != nil) != tt.wantErr {
				t.Errorf("CheckPart(%q) = %v, want error %v", tt.text, err, tt.wantErr)
			}
		})
	}
}

func TestSyntaxError(t *testing.T) {
	var se *SyntaxError
	if err := Check("x\n  {{ 1 + }}"); !errors.As(err, &se) || se.Line != 2 || se.Column != 10 || se.Offset != 11 {
		t.Fatalf("Check = %#v, want a *SyntaxError at line 2, column 10, offset 11", err)
	}
}
