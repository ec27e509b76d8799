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

// An external test package: internal/test/cloudinit reads documents with the simulator's parser, which imports
// this package (through pkg/bootstrapdata).
package cloudinit_test

import (
	"fmt"
	"path/filepath"
	"testing"

	cloudinittest "github.com/k3s-io/cluster-api-k3s/internal/test/cloudinit"
	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata/model"
	"github.com/k3s-io/cluster-api-k3s/pkg/cloudinit"
)

// TestRender_fuzzSeedsRealCloudInit renders the seeds of FuzzCloudInitRender (in code and in testdata/fuzz) that
// Render accepts, and checks each document with the real cloud-init. Seeds may use any jinja variable.
func TestRender_fuzzSeedsRealCloudInit(t *testing.T) {
	cloudinittest.Command(t)
	inputs := map[string]model.Data{}
	var names []string
	for i, s := range cloudinit.FuzzSeedArgs {
		name := fmt.Sprintf("code-seed-%d", i)
		inputs[name] = cloudinit.FuzzInput(s)
		names = append(names, name)
	}
	corpus, err := cloudinittest.ReadCorpus(filepath.Join("testdata", "fuzz", "FuzzCloudInitRender"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range cloudinittest.SortedNames(corpus) {
		a, err := seedArgs(corpus[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		inputs[name] = cloudinit.FuzzInput(a)
		names = append(names, name)
	}

	var docs []cloudinittest.Doc
	for _, name := range names {
		out, err := cloudinit.Render(inputs[name])
		if err != nil {
			continue // refused input: no document (FuzzCloudInitRender checks the refusal)
		}
		docs = append(docs, cloudinittest.Doc{Name: name, Data: out, AllowMissingVariables: true})
	}
	if len(docs) == 0 {
		t.Fatal("no seed renders a document")
	}
	cloudinittest.Check(t, docs)
}

// seedArgs converts the arguments of a corpus entry.
func seedArgs(args []any) (cloudinit.SeedArgs, error) {
	var a cloudinit.SeedArgs
	if len(args) != 7 {
		return a, fmt.Errorf("%d arguments, want 7", len(args))
	}
	strs := make([]string, 0, 6)
	for i, v := range args {
		if i == 2 {
			b, ok := v.(uint8)
			if !ok {
				return a, fmt.Errorf("argument 2 is %T, want byte", v)
			}
			a.Enc = b
			continue
		}
		s, ok := v.(string)
		if !ok {
			return a, fmt.Errorf("argument %d is %T, want string", i, v)
		}
		strs = append(strs, s)
	}
	a.Path, a.Content, a.Owner, a.Permissions, a.Command1, a.Command2 = strs[0], strs[1], strs[2], strs[3], strs[4], strs[5]
	return a, nil
}
