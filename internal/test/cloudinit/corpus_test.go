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

package cloudinit_test

import (
	"path/filepath"
	"testing"

	cloudinittest "github.com/k3s-io/cluster-api-k3s/internal/test/cloudinit"
)

// TestParseCorpus_RealCloudInit checks the cloud-config seeds of the simulator parser's fuzz target (bootstrap data
// rendered by the provider's code, and one rendered by upstream's provider) with the real cloud-init.
func TestParseCorpus_RealCloudInit(t *testing.T) {
	cloudinittest.Command(t)
	corpus, err := cloudinittest.ReadCorpus(filepath.Join(repoRoot, "test", "infrastructure", "k3ssim", "node", "testdata", "fuzz", "FuzzParse"))
	if err != nil {
		t.Fatal(err)
	}
	var docs []cloudinittest.Doc
	for _, name := range cloudinittest.SortedNames(corpus) {
		args := corpus[name]
		if len(args) != 2 {
			t.Fatalf("%s: %d arguments, want 2", name, len(args))
		}
		data, ok := args[1].([]byte)
		if !ok {
			t.Fatalf("%s: argument 1 is %T, want []byte", name, args[1])
		}
		if cloudinittest.IsCloudConfig(data) {
			docs = append(docs, cloudinittest.Doc{Name: name, Data: data})
		}
	}
	if len(docs) == 0 {
		t.Fatal("no cloud-config seed in the corpus")
	}
	cloudinittest.Check(t, docs)
}
