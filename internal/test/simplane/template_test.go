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

package simplane

import (
	"bytes"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/yaml"
)

func TestRenderTemplate(t *testing.T) {
	t.Setenv("FROM_ENV", "env")
	tests := []struct {
		name    string
		in      string
		vars    map[string]string
		want    string
		wantErr string
	}{
		{name: "variables", in: "a: ${A}\nb: ${B}", vars: map[string]string{"A": "1", "B": "two"}, want: "a: 1\nb: two"},
		{name: "default used when unset", in: "d: ${D:=5}", want: "d: 5"},
		{name: "value wins over default", in: "d: ${D:=5}", vars: map[string]string{"D": "7"}, want: "d: 7"},
		{name: "environment after vars", in: "e: ${FROM_ENV}", want: "e: env"},
		{name: "empty default", in: "x: '${X:=}'", want: "x: ''"},
		{name: "missing variables are listed", in: "${M1} ${M2}", wantErr: "[M1 M2]"},
		{name: "lowercase is not a variable", in: "${lower}", want: "${lower}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := RenderTemplate("t", []byte(tt.in), tt.vars)
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				return
			}
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(string(got)).To(Equal(tt.want))
		})
	}
}

// TestClusterTemplates renders every flavor with the variables the e2e suite and the demo pass, and checks that
// the result is YAML naming the cluster.
func TestClusterTemplates(t *testing.T) {
	vars := map[string]string{
		"CLUSTER_NAME": "c1", "NAMESPACE": "ns", "KUBERNETES_VERSION": "v1.34.5+k3s1",
		"CONTROL_PLANE_MACHINE_COUNT": "3", "WORKER_MACHINE_COUNT": "2",
	}
	for _, flavor := range []string{"", "topology"} {
		t.Run("flavor "+flavor, func(t *testing.T) {
			g := NewWithT(t)
			out, err := ClusterTemplate(flavor, vars)
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(string(out)).To(ContainSubstring("name: c1"))
			g.Expect(string(out)).ToNot(ContainSubstring("${"))
			docs := 0
			decoder := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
			for {
				obj := map[string]any{}
				if err := decoder.Decode(&obj); err != nil {
					break
				}
				g.Expect(obj).To(HaveKey("kind"))
				docs++
			}
			g.Expect(docs).To(BeNumerically(">=", 6))
		})
	}
	_, err := ClusterTemplate("no-such-flavor", vars)
	NewWithT(t).Expect(err).To(HaveOccurred())
}
