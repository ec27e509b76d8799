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

import "testing"

func TestSource(t *testing.T) {
	tests := []struct {
		name   string
		src    Source
		text   string
		quoted bool
		// at is an offset in text, want its offset in the value.
		at, want int
	}{
		{"content in a literal block is the value", ContentSource("a\n{{ x }}\n"), "a\n{{ x }}\n", false, 4, 4},
		{"content with a statement is double-quoted", ContentSource("é\n{% if x %}\"{% endif %}"), `é\n{% if x %}\"{% endif %}`, true, 16, 14},
		{"commands are double-quoted", StringSource(`echo {{ "x" }} \ é`), `echo {{ \"x\" }} \\ é`, true, 8, 8},
		{"a control character is a hex escape", StringSource("\x01{{"), `\x01{{`, true, 4, 1},
		{"a plain path is the value", PathSource("/etc/a"), "/etc/a", false, 2, 2},
		{"a path with braces is double-quoted", PathSource("/etc/{{ x }}"), "/etc/{{ x }}", true, 5, 5},
		{"single quotes are doubled", SingleQuotedSource("{{ ''a'' }}"), "{{ ''a'' }}", true, 6, 5},
		{"a value inside quoted content is escaped again", Within(SingleQuotedSource("{{ \"a\" }}"), StringSource("{%")), `{{ \"a\" }}`, true, 5, 4},
		{"a value inside a literal block stays", Within(DoubleQuotedSource(`\"`), ContentSource("a")), `\"`, true, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.src.Text != tt.text || tt.src.Quoted() != tt.quoted {
				t.Fatalf("source %q (quoted %v), want %q (quoted %v)", tt.src.Text, tt.src.Quoted(), tt.text, tt.quoted)
			}
			if got := tt.src.ValueOffset(tt.at); got != tt.want {
				t.Errorf("ValueOffset(%d) = %d, want %d", tt.at, got, tt.want)
			}
		})
	}
}
