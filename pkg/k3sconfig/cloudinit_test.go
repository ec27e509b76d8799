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
// this package.
package k3sconfig_test

import (
	"testing"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	cloudinittest "github.com/k3s-io/cluster-api-k3s/internal/test/cloudinit"
	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

// TestNodeData_goldenRealCloudInit renders every cloud-config golden case with the real cloud-init (jinja with
// instance data, then schema validation) and checks the config.yaml it writes against NodeConfig.
func TestNodeData_goldenRealCloudInit(t *testing.T) {
	cloudinittest.Command(t)
	var docs []cloudinittest.Doc
	inputs := map[string]k3sconfig.NodeInput{}
	for _, c := range k3sconfig.GoldenCases() {
		if c.Format == bootstrapv1.Ignition {
			continue // Ignition's own parser validates those (TestNodeData_golden)
		}
		in := c.Input()
		data, err := k3sconfig.NodeData(in)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		out, err := bootstrapdata.Render(c.Format, data)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		docs = append(docs, cloudinittest.Doc{Name: c.Name, Data: out})
		inputs[c.Name] = in
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
