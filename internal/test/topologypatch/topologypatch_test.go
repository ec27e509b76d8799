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

package topologypatch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "sigs.k8s.io/cluster-api/util/yaml"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata"
)

// objects are a ClusterClass with patches of each kind the edge ClusterClass uses, its control-plane template, a
// Cluster and a Secret.
const objects = `
apiVersion: cluster.x-k8s.io/v1beta2
kind: ClusterClass
metadata:
  name: c
spec:
  controlPlane:
    templateRef: {apiVersion: controlplane.cluster.x-k8s.io/v1beta3, kind: KThreesControlPlaneTemplate, name: cp}
  infrastructure:
    templateRef: {apiVersion: infrastructure.cluster.x-k8s.io/v1beta2, kind: DockerClusterTemplate, name: infra}
  variables:
    - name: level
      required: true
      schema: {openAPIV3Schema: {type: string, default: restricted}}
    - name: flag
      required: true
      schema: {openAPIV3Schema: {type: boolean, default: false}}
    - name: dir
      required: true
      schema: {openAPIV3Schema: {type: string, default: /opt/bin}}
  patches:
    - name: secret
      definitions:
        - selector: {apiVersion: controlplane.cluster.x-k8s.io/v1beta3, kind: KThreesControlPlaneTemplate, matchResources: {controlPlane: true}}
          jsonPatches:
            - op: add
              path: /spec/template/spec/kthreesConfigSpec/files
              valueFrom:
                template: |
                  - path: /etc/psa.yaml
                    contentFrom:
                      secret:
                        name: {{ .builtin.cluster.name }}-psa
                        key: {{ .level }}.yaml
    - name: flag
      enabledIf: "{{ .flag }}"
      definitions:
        - selector: {apiVersion: controlplane.cluster.x-k8s.io/v1beta3, kind: KThreesControlPlaneTemplate, matchResources: {controlPlane: true}}
          jsonPatches:
            - {op: add, path: /spec/template/spec/kthreesConfigSpec/agentConfig/airGapped, value: true}
    - name: commands
      definitions:
        - selector: {apiVersion: controlplane.cluster.x-k8s.io/v1beta3, kind: KThreesControlPlaneTemplate, matchResources: {controlPlane: true}}
          jsonPatches:
            - op: replace
              path: /spec/template/spec/kthreesConfigSpec/preK3sCommands
              valueFrom:
                template: |
                  - export DIR={{ .dir }}
                  - echo {{ .builtin.controlPlane.version }} {{ .builtin.controlPlane.replicas }}
    - name: other kinds only
      definitions:
        - selector: {apiVersion: infrastructure.cluster.x-k8s.io/v1beta2, kind: DockerClusterTemplate, matchResources: {infrastructureCluster: true}}
          jsonPatches:
            - {op: add, path: /spec/template/spec/x, value: 1}
---
apiVersion: controlplane.cluster.x-k8s.io/v1beta3
kind: KThreesControlPlaneTemplate
metadata:
  name: cp
spec:
  template:
    spec:
      kthreesConfigSpec:
        files:
          - path: /etc/psa.yaml
            contentFrom: {secret: {name: placeholder, key: restricted.yaml}}
        preK3sCommands: ["true"]
        agentConfig: {nodeName: node-1}
---
apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata:
  name: edge-1
  namespace: ns
spec:
  topology:
    classRef: {name: c}
    version: v1.34.5+k3s1
    controlPlane: {replicas: 1}
    variables:
      - {name: level, value: baseline}
      - {name: flag, value: true}
---
apiVersion: v1
kind: Secret
metadata:
  name: edge-1-psa
  namespace: ns
data:
  a: YWJj
stringData:
  baseline.yaml: "kind: AdmissionConfiguration\n"
  a: overrides
`

func TestControlPlanes(t *testing.T) {
	g := NewWithT(t)
	objs, err := utilyaml.ToUnstructured([]byte(objects))
	g.Expect(err).NotTo(HaveOccurred())
	cps, err := ControlPlanes(context.Background(), objs)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cps).To(HaveLen(1))
	g.Expect(cps[0].Cluster.Name).To(Equal("edge-1"))

	spec := cps[0].Template.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["kthreesConfigSpec"]
	g.Expect(spec).To(Equal(map[string]any{
		"files": []any{map[string]any{"path": "/etc/psa.yaml",
			"contentFrom": map[string]any{"secret": map[string]any{"name": "edge-1-psa", "key": "baseline.yaml"}}}},
		// The default of dir, and the control plane's builtin variables.
		"preK3sCommands": []any{"export DIR=/opt/bin", "echo v1.34.5+k3s1 1"},
		"agentConfig":    map[string]any{"nodeName": "node-1", "airGapped": true},
	}))
	// The input is not changed.
	file, _, _ := unstructured.NestedSlice(objs[1].Object, "spec", "template", "spec", "kthreesConfigSpec", "files")
	g.Expect(file[0]).To(HaveKeyWithValue("contentFrom", map[string]any{"secret": map[string]any{"name": "placeholder", "key": "restricted.yaml"}}))

	secrets, err := SecretData(objs)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(secrets).To(Equal(map[string]map[string][]byte{
		"edge-1-psa": {"a": []byte("overrides"), "baseline.yaml": []byte("kind: AdmissionConfiguration\n")},
	}))
}

func TestControlPlanes_errors(t *testing.T) {
	g := NewWithT(t)
	objs, err := utilyaml.ToUnstructured([]byte(objects))
	g.Expect(err).NotTo(HaveOccurred())

	copyObjs := func() []unstructured.Unstructured {
		out := make([]unstructured.Unstructured, len(objs))
		for i := range objs {
			out[i] = *objs[i].DeepCopy()
		}
		return out
	}
	// A patch whose path does not exist.
	broken := copyObjs()
	unstructured.RemoveNestedField(broken[1].Object, "spec", "template", "spec", "kthreesConfigSpec", "preK3sCommands")
	_, err = ControlPlanes(context.Background(), broken)
	g.Expect(err).To(MatchError(ContainSubstring("patch commands")))

	// A patch CAPI's ClusterClass webhook refuses: an array element in a replace operation.
	broken = copyObjs()
	patches, _, _ := unstructured.NestedSlice(broken[0].Object, "spec", "patches")
	patches[2].(map[string]any)["definitions"].([]any)[0].(map[string]any)["jsonPatches"].([]any)[0].(map[string]any)["path"] =
		"/spec/template/spec/kthreesConfigSpec/preK3sCommands/0"
	g.Expect(unstructured.SetNestedSlice(broken[0].Object, patches, "spec", "patches")).To(Succeed())
	_, err = ControlPlanes(context.Background(), broken)
	g.Expect(err).To(MatchError(ContainSubstring("elements in arrays can not be accessed in a replace operation")))

	// No ClusterClass.
	_, err = ControlPlanes(context.Background(), objs[1:])
	g.Expect(err).To(MatchError(ContainSubstring("no ClusterClass c")))
}

func TestRenderTemplate(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(dir, "cluster-template-x.yaml"), []byte(
		"apiVersion: cluster.x-k8s.io/v1beta2\nkind: Cluster\nmetadata:\n  name: ${NAME}\nspec:\n  topology:\n    classRef: {name: c}\n"), 0o600)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(dir, "clusterclass-c.yaml"), []byte(
		"apiVersion: cluster.x-k8s.io/v1beta2\nkind: ClusterClass\nmetadata:\n  name: c\n  annotations: {a: '${A:=default}'}\n"), 0o600)).To(Succeed())
	lookup := func(name string) (string, error) {
		if name == "NAME" {
			return "edge-1", nil
		}
		return "", fmt.Errorf("%s not set", name)
	}
	objs, err := RenderTemplate(filepath.Join(dir, "cluster-template-x.yaml"), lookup)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(objs).To(HaveLen(2))
	g.Expect(objs[0].GetName()).To(Equal("edge-1"))
	g.Expect(objs[1].GetKind()).To(Equal("ClusterClass"))
	g.Expect(objs[1].GetAnnotations()).To(Equal(map[string]string{"a": "default"}))

	g.Expect(os.Remove(filepath.Join(dir, "clusterclass-c.yaml"))).To(Succeed())
	_, err = RenderTemplate(filepath.Join(dir, "cluster-template-x.yaml"), lookup)
	g.Expect(err).To(HaveOccurred())
}

func TestFiles(t *testing.T) {
	g := NewWithT(t)
	secrets := map[string]map[string][]byte{"s": {"k": []byte("from secret")}}
	files, err := Files([]bootstrapv1.File{
		{Path: "/a", Content: "inline", Permissions: "0600"},
		{Path: "/b", Owner: "root:root", Encoding: bootstrapv1.Base64, ContentFrom: &bootstrapv1.FileSource{
			Secret: bootstrapv1.SecretFileSource{Name: "s", Key: "k"}}},
	}, secrets)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(Equal([]bootstrapdata.File{{Path: "/a", Permissions: "0600", Content: "inline"},
		{Path: "/b", Owner: "root:root", Encoding: "base64", Content: "from secret"}}))

	_, err = Files([]bootstrapv1.File{{Path: "/c", ContentFrom: &bootstrapv1.FileSource{
		Secret: bootstrapv1.SecretFileSource{Name: "s", Key: "missing"}}}}, secrets)
	g.Expect(err).To(MatchError(ContainSubstring(`no key "missing" in Secret s`)))
}
