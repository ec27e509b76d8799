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
	"path/filepath"
	"testing"

	cloudinittest "github.com/k3s-io/cluster-api-k3s/internal/test/cloudinit"
)

// TestRender_testdataRealCloudInit renders every example of testdata with the reconciler, as the command does, and
// checks the cloud-config documents with the real cloud-init.
func TestRender_testdataRealCloudInit(t *testing.T) {
	cloudinittest.Command(t)
	paths, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no examples in testdata (%v)", err)
	}
	var docs []cloudinittest.Doc
	for _, p := range paths {
		out, err := renderFile(t, p, Options{})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if out.Format != "cloud-config" {
			continue // Ignition: validated by Ignition's parser elsewhere
		}
		docs = append(docs, cloudinittest.Doc{Name: filepath.Base(p), Data: out.Value})
	}
	cloudinittest.Check(t, docs)
}
