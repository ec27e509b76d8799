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

import (
	"reflect"
	"testing"
)

// These run without cloud-init: they pick the documents the other tests give it.

func TestParseCorpusEntry(t *testing.T) {
	got, err := parseCorpusEntry([]byte("go test fuzz v1\nstring(\"a\\nb\")\nbyte('\\x1c')\n[]byte(\"\\xff\")\nuint8(7)\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{"a\nb", uint8(0x1c), []byte{0xff}, uint8(7)}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
	for _, bad := range []string{"", "go test fuzz v2\n", "go test fuzz v1\nint(1)\n", "go test fuzz v1\nstring(\"a)\n"} {
		if _, err := parseCorpusEntry([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestIsCloudConfig(t *testing.T) {
	for doc, want := range map[string]bool{
		"## template: jinja\n#cloud-config\n{}\n": true,
		"#cloud-config\r\nruncmd: []\n":           true,
		"## template: jinja\n{}\n":                false,
		`{"ignition":{"version":"3.3.0"}}`:        false,
		"":                                        false,
	} {
		if got := IsCloudConfig([]byte(doc)); got != want {
			t.Errorf("IsCloudConfig(%q) = %v, want %v", doc, got, want)
		}
	}
}
