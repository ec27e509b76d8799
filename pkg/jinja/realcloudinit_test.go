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

// An external test package: internal/test/cloudinit imports the bootstrap data packages, which import this one.
package jinja_test

import (
	"path/filepath"
	"strings"
	"testing"

	cloudinittest "github.com/k3s-io/cluster-api-k3s/internal/test/cloudinit"
	"github.com/k3s-io/cluster-api-k3s/pkg/jinja"
)

// batchSize is how many entries that render share one cloud-init run.
const batchSize = 20

// TestCorpus_RealCloudInit renders every entry of FuzzCheck's corpus in a "## template: jinja" document with the
// real cloud-init and expects the verdict of Check: cloud-init renders the entry exactly when Check accepts it.
// Two prefixes of entry names mark the documented exceptions, asserted as such:
//
//   - runtime-*: Check accepts, and cloud-init fails while rendering with the test's instance data (a value
//     decides, not the syntax);
//   - strict-*: Check rejects, and cloud-init renders because the construct sits in a branch that is skipped.
//
// Entries named valid-* must render and invalid-* must not. Entries that Check accepts even as part of a longer
// document (CheckPart) are rendered in batches, one entry per line; a batch that fails is rendered entry by entry.
func TestCorpus_RealCloudInit(t *testing.T) {
	cloudinittest.Command(t)
	corpus, err := cloudinittest.ReadCorpus(filepath.Join("testdata", "fuzz", "FuzzCheck"))
	if err != nil {
		t.Fatal(err)
	}
	names := cloudinittest.SortedNames(corpus)
	texts := map[string]string{}
	for _, name := range names {
		if args := corpus[name]; len(args) != 1 {
			t.Fatalf("%s: %d arguments, want 1", name, len(args))
		} else if s, ok := args[0].(string); !ok {
			t.Fatalf("%s: argument is %T, want string", name, args[0])
		} else {
			texts[name] = s
		}
	}

	renders := renderCorpus(t, names, texts)
	var accepted, rendered, agree int
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			err := jinja.Check(texts[name])
			r := renders[name]
			if err == nil {
				accepted++
			}
			if r.Err == nil {
				rendered++
			}
			switch prefix, _, _ := strings.Cut(name, "-"); {
			case prefix == "runtime":
				if err != nil || r.Err == nil || r.CompileError() {
					t.Errorf("want Check to accept and cloud-init to fail while rendering; Check: %v, cloud-init: %v\n%s", err, r.Err, r.Stderr)
				}
			case prefix == "strict":
				if err == nil || r.Err != nil {
					t.Errorf("want Check to reject and cloud-init to render; Check: %v, cloud-init: %v\n%s", err, r.Err, r.Stderr)
				}
			case (err == nil) != (r.Err == nil):
				t.Errorf("Check: %v, but cloud-init: %v\n%s", err, r.Err, r.Stderr)
			case prefix == "valid" && err != nil, prefix == "invalid" && err == nil:
				t.Errorf("the entry is named %s-*, but Check: %v and cloud-init agrees", prefix, err)
			default:
				agree++
			}
		})
	}
	t.Logf("%d entries: Check accepts %d, cloud-init renders %d, %d agree (the rest are runtime-* and strict-*)",
		len(names), accepted, rendered, agree)
}

// renderCorpus renders the entries with cloud-init, batching those that render together.
func renderCorpus(t *testing.T, names []string, texts map[string]string) map[string]cloudinittest.Rendering {
	// The text line keeps an entry that renders nothing (a set, a skipped branch) from an empty document, which
	// cloud-init reports as a failure.
	const header = "## template: jinja\nrendered:\n"
	var single, batched []string
	for _, name := range names {
		if jinja.CheckPart(texts[name]) == nil && !strings.HasPrefix(name, "runtime-") {
			batched = append(batched, name)
		} else {
			single = append(single, name)
		}
	}
	var batches [][]string
	for len(batched) > 0 {
		n := min(batchSize, len(batched))
		batches, batched = append(batches, batched[:n]), batched[n:]
	}
	docs := make([][]byte, 0, len(batches)+len(single))
	for _, b := range batches {
		var doc strings.Builder
		doc.WriteString(header)
		for _, name := range b {
			doc.WriteString(texts[name] + "\n")
		}
		docs = append(docs, []byte(doc.String()))
	}
	for _, name := range single {
		docs = append(docs, []byte(header+texts[name]))
	}
	results := cloudinittest.Render(t, docs)
	out := map[string]cloudinittest.Rendering{}
	for i, b := range batches {
		if results[i].Err != nil {
			single = append(single, b...) // find which entry fails
			continue
		}
		for _, name := range b {
			out[name] = results[i]
		}
	}
	for i, name := range single[:len(docs)-len(batches)] {
		out[name] = results[len(batches)+i]
	}
	if rest := single[len(docs)-len(batches):]; len(rest) > 0 {
		retry := make([][]byte, len(rest))
		for i, name := range rest {
			retry[i] = []byte(header + texts[name])
		}
		for i, r := range cloudinittest.Render(t, retry) {
			out[rest[i]] = r
		}
	}
	t.Logf("%d entries in %d cloud-init runs", len(names), len(docs)+len(single)-(len(docs)-len(batches)))
	return out
}
