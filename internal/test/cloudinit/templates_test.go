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
	"testing"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	cloudinittest "github.com/k3s-io/cluster-api-k3s/internal/test/cloudinit"
	"github.com/k3s-io/cluster-api-k3s/internal/test/templatenodes"
	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

// repoRoot is the repository root seen from this package's directory, where `go test` runs.
const repoRoot = "../../.."

// TestTemplates_RealCloudInit renders the bootstrap data of every KThreesConfig spec of templates/ — the control
// plane's (as the init server and as a joining server) and the workers', and the control plane of each cluster
// template's topology (its ClusterClass patched for it, files read from its Secrets) — through k3sconfig.NodeData and
// bootstrapdata.Render as the controller does, checks each document with the real cloud-init, and checks the
// config.yaml it writes against NodeConfig.
func TestTemplates_RealCloudInit(t *testing.T) {
	cloudinittest.Command(t)
	cases, err := templatenodes.All(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	var docs []cloudinittest.Doc
	inputs := map[string]k3sconfig.NodeInput{}
	for _, c := range cases {
		if c.Input.Spec.Format == bootstrapv1.Ignition {
			continue // validated by Ignition's parser elsewhere
		}
		data, err := k3sconfig.NodeData(c.Input)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		out, err := bootstrapdata.Render(c.Input.Spec.Format, data)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		docs = append(docs, cloudinittest.Doc{Name: c.Name, Data: out})
		inputs[c.Name] = c.Input
	}
	if len(docs) == 0 {
		t.Fatal("the templates hold no KThreesConfig spec")
	}
	results := cloudinittest.Check(t, docs)
	for _, d := range docs {
		res, ok := results[d.Name]
		if !ok {
			continue // reported by Check
		}
		t.Run(d.Name+"/config.yaml", func(t *testing.T) {
			want, err := k3sconfig.NodeConfig(inputs[d.Name])
			if err != nil {
				t.Fatal(err)
			}
			cloudinittest.ExpectConfig(t, res, want)
		})
	}
}
