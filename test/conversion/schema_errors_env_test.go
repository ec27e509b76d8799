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

package conversion

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// schemaErrorCases are objects of a version other than the storage version with a field of the wrong type. The API
// server converts them to v1beta3 before any schema check; the conversion webhook answers with the field errors
// the schema of their own version gives.
var schemaErrorCases = []struct {
	name     string
	manifest string
	// wantMessage is what the error must say: the field path and the schema's complaint.
	wantMessage string
}{
	{
		name: "KThreesControlPlane v1beta2, nodeLabels a string",
		manifest: `
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KThreesControlPlane
metadata:
  name: cp-bad-labels
spec:
  version: v1.29.6+k3s1
  machineTemplate:
    infrastructureRef:
      apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
      kind: DockerMachineTemplate
      name: cp-template
  kthreesConfigSpec:
    agentConfig:
      nodeLabels: "a=b"
`,
		wantMessage: `spec.kthreesConfigSpec.agentConfig.nodeLabels: Invalid value: "string": spec.kthreesConfigSpec.agentConfig.nodeLabels in body must be of type array: "string"`,
	},
	{
		name: "KThreesConfig v1beta1, files an object",
		manifest: `
apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
kind: KThreesConfig
metadata:
  name: config-bad-files
spec:
  files:
    path: /etc/x
`,
		wantMessage: `spec.files: Invalid value: "object": spec.files in body must be of type array: "object"`,
	},
}

// TestSchemaErrorsOfOtherVersions: the error names the field, and the API server answers 500 Internal Error (a
// conversion webhook failure is always that); before, the message was the Go decoder's ("json: cannot unmarshal
// string into Go struct field ...").
func TestSchemaErrorsOfOtherVersions(t *testing.T) {
	for _, tc := range schemaErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx, cancel := context.WithTimeout(t.Context(), caseTimeout)
			defer cancel()
			ns, err := env.CreateNamespace(ctx, "schema")
			g.Expect(err).NotTo(HaveOccurred())
			obj := parseManifest(t, tc.manifest)
			obj.SetNamespace(ns.Name)

			err = env.Client.Create(ctx, obj)
			g.Expect(err).To(HaveOccurred())
			g.Expect(err.Error()).To(ContainSubstring(tc.wantMessage))
			g.Expect(err.Error()).NotTo(ContainSubstring("cannot unmarshal"))
			g.Expect(apierrors.IsInternalError(err)).To(BeTrue(), "reason %s: %v", apierrors.ReasonForError(err), err)
		})
	}
}
