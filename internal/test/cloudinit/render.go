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
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Rendering is what `cloud-init devel render` made of one document.
type Rendering struct {
	// Out is the rendered document; Stderr holds cloud-init's warnings and, on failure, its error.
	Out, Stderr []byte
	// Err is set when cloud-init did not render the document.
	Err error
}

// CompileError reports whether cloud-init failed because Jinja2 could not compile the template (a syntax or
// assertion error, or Python refusing the generated code), rather than while rendering it.
func (r Rendering) CompileError() bool {
	for _, marker := range []string{"TemplateSyntaxError", "TemplateAssertionError", "SyntaxError:", "RecursionError", "IndentationError"} {
		if bytes.Contains(r.Stderr, []byte(marker)) {
			return true
		}
	}
	return false
}

// Render runs only `cloud-init devel render` on each document, with the instance data of Check, Parallel at a
// time; the results are in the order of docs. Documents are rendered as they are: give them the
// "## template: jinja" line.
func Render(t testing.TB, docs [][]byte) []Rendering {
	t.Helper()
	cmd := Command(t)
	dir := t.TempDir()
	instance, err := writeInstanceData(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]Rendering, len(docs))
	var wg sync.WaitGroup
	local := make(chan struct{}, Parallel)
	for i, doc := range docs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local <- struct{}{}
			defer func() { <-local }()
			src := filepath.Join(dir, fmt.Sprintf("render-%04d.yaml", i))
			if err := os.WriteFile(src, doc, 0o600); err != nil {
				out[i].Err = err
				return
			}
			out[i].Out, out[i].Stderr, out[i].Err = run(cmd, "devel", "render", src, "--instance-data", instance)
		}()
	}
	wg.Wait()
	return out
}
