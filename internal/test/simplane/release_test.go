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
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "sigs.k8s.io/cluster-api/util/yaml"

	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
)

func TestReleaseTemplate_ForSimulator(t *testing.T) {
	root, err := envtest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"CLUSTER_NAME": "c1", "NAMESPACE": "ns", "KUBERNETES_VERSION": "v1.34.5+k3s1",
		"CONTROL_PLANE_MACHINE_COUNT": "1", "WORKER_MACHINE_COUNT": "0",
	}
	t.Run("topology", func(t *testing.T) {
		g := NewWithT(t)
		released, err := ReleaseTemplate(root, "edge-restricted", vars)
		g.Expect(err).NotTo(HaveOccurred())
		out, err := ForSimulator(released)
		g.Expect(err).NotTo(HaveOccurred())
		objs, err := utilyaml.ToUnstructured(out)
		g.Expect(err).NotTo(HaveOccurred())
		kinds := map[string]*unstructured.Unstructured{}
		for _, o := range objs {
			g.Expect(o.GetNamespace()).To(Equal("ns"), "%s %s", o.GetKind(), o.GetName())
			kinds[o.GetKind()] = &o
		}
		// The ClusterClass comes first, as clusterctl adds it.
		g.Expect(objs[0].GetKind()).To(Equal("ClusterClass"))
		g.Expect(kinds).To(HaveKey("KThreesControlPlaneTemplate"))
		g.Expect(kinds).To(HaveKey("Secret"))
		g.Expect(kinds).To(HaveKey("ConfigMap"))
		g.Expect(kinds).NotTo(HaveKey("DockerClusterTemplate"))
		g.Expect(kinds["K3sSimClusterTemplate"].GetAPIVersion()).To(Equal("infrastructure.cluster.x-k8s.io/v1beta1"))
		g.Expect(kinds["K3sSimClusterTemplate"].Object["spec"]).To(Equal(map[string]any{"template": map[string]any{"spec": map[string]any{}}}))
		g.Expect(kinds["K3sSimMachineTemplate"].Object["spec"]).To(HaveKeyWithValue("template",
			HaveKeyWithValue("spec", HaveKeyWithValue("bootDelaySeconds", BeNumerically("==", 1)))))
		class := kinds["ClusterClass"].Object
		ref, _, _ := unstructured.NestedStringMap(class, "spec", "infrastructure", "templateRef")
		g.Expect(ref).To(Equal(map[string]string{"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1",
			"kind": "K3sSimClusterTemplate", "name": "k3s-edge-cluster"}))
		ref, _, _ = unstructured.NestedStringMap(class, "spec", "controlPlane", "machineInfrastructure", "templateRef")
		g.Expect(ref["kind"]).To(Equal("K3sSimMachineTemplate"))
	})

	t.Run("no topology", func(t *testing.T) {
		g := NewWithT(t)
		released, err := ReleaseTemplate(root, "airgapped", map[string]string{"AIRGAPPED_NODE_IMAGE": "x", "NAMESPACE": "ns",
			"CLUSTER_NAME": "c1", "KUBERNETES_VERSION": "v1.34.5+k3s1", "CONTROL_PLANE_MACHINE_COUNT": "1", "WORKER_MACHINE_COUNT": "1"})
		g.Expect(err).NotTo(HaveOccurred())
		out, err := ForSimulator(released)
		g.Expect(err).NotTo(HaveOccurred())
		objs, err := utilyaml.ToUnstructured(out)
		g.Expect(err).NotTo(HaveOccurred())
		for _, o := range objs {
			g.Expect(o.GetKind()).NotTo(HavePrefix("Docker"))
			switch o.GetKind() {
			case "Cluster":
				ref, _, _ := unstructured.NestedStringMap(o.Object, "spec", "infrastructureRef")
				g.Expect(ref).To(Equal(map[string]string{"apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "K3sSimCluster", "name": "c1"}))
			case "MachineDeployment":
				kind, _, _ := unstructured.NestedString(o.Object, "spec", "template", "spec", "infrastructureRef", "kind")
				g.Expect(kind).To(Equal("K3sSimMachineTemplate"))
			case "K3sSimCluster":
				g.Expect(o.Object["spec"]).To(Equal(map[string]any{}))
			}
		}
	})

	t.Run("unknown CAPD kind", func(t *testing.T) {
		_, err := ForSimulator([]byte("apiVersion: infrastructure.cluster.x-k8s.io/v1beta2\nkind: DockerMachinePool\nmetadata:\n  name: p\n"))
		NewWithT(t).Expect(err).To(MatchError(ContainSubstring("no kind for DockerMachinePool")))
	})
}
