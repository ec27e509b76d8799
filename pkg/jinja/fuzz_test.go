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
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheck checks what must hold for any text: no panic, an error located inside the text, CheckPart at least as
// strict as Check, and the fixes the webhooks suggest always work (a raw block around text that does not end one,
// or base64). Its corpus (testdata/fuzz/FuzzCheck) is also the input of TestCorpus_RealCloudInit, which expects
// the verdict of the real cloud-init on every entry.
func FuzzCheck(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		err := Check(text)
		part := CheckPart(text)
		for _, e := range []error{err, part} {
			var se *SyntaxError
			if e == nil {
				continue
			}
			if !errors.As(e, &se) {
				t.Fatalf("error %v is not a *SyntaxError", e)
			}
			if se.Offset < 0 || se.Offset > len(text) || se.Line < 1 || se.Column < 1 || se.Msg == "" {
				t.Fatalf("error %+v is not located in the text (%d bytes)", se, len(text))
			}
		}
		if err != nil && part == nil {
			t.Fatalf("CheckPart accepts what Check rejects: %v", err)
		}
		if !utf8.ValidString(text) {
			if err == nil {
				t.Fatal("text that is not UTF-8 is accepted")
			}
			return
		}
		if !strings.Contains(text, "endraw") {
			if e := CheckPart("{% raw %}" + text + "{% endraw %}"); e != nil {
				t.Fatalf("the text in a raw block is rejected: %v", e)
			}
		}
		if e := CheckPart(base64.StdEncoding.EncodeToString([]byte(text))); e != nil {
			t.Fatalf("the base64-encoded text is rejected: %v", e)
		}
	})
}
