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
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "sigs.k8s.io/cluster-api/util/yaml"
)

// releaseTemplatesDir is where the repository keeps the cluster templates of the release (hack/tools/release).
const releaseTemplatesDir = "templates"

// infrastructureGroup is the API group of infrastructure providers, CAPD's and the simulator's.
const infrastructureGroup = "infrastructure.cluster.x-k8s.io"

// simulatorKinds maps CAPD's kinds to the simulator's (API version v1beta1), with the spec an object of the
// simulator's kind gets.
var simulatorKinds = map[string]struct {
	kind string
	spec func() map[string]any
}{
	"DockerCluster":         {"K3sSimCluster", func() map[string]any { return map[string]any{} }},
	"DockerClusterTemplate": {"K3sSimClusterTemplate", func() map[string]any { return simTemplate(map[string]any{}) }},
	"DockerMachineTemplate": {"K3sSimMachineTemplate", func() map[string]any {
		return simTemplate(map[string]any{"bootDelaySeconds": int64(1)})
	}},
}

func simTemplate(spec map[string]any) map[string]any {
	return map[string]any{"template": map[string]any{"spec": spec}}
}

// ReleaseTemplate renders templates/cluster-template-<flavor>.yaml of the repository at repoRoot like clusterctl
// generate cluster --flavor from a repository: the ClusterClasses its Clusters' topologies use
// (templates/clusterclass-<class>.yaml) first, variables from vars, then the environment, then the templates'
// defaults (see RenderTemplate), and objects without a namespace put into vars["NAMESPACE"].
func ReleaseTemplate(repoRoot, flavor string, vars map[string]string) ([]byte, error) {
	render := func(name string) ([]unstructured.Unstructured, error) {
		path := filepath.Join(repoRoot, releaseTemplatesDir, name)
		data, err := os.ReadFile(path) //nolint:gosec // the repository's templates
		if err != nil {
			return nil, err
		}
		out, err := RenderTemplate(name, data, vars)
		if err != nil {
			return nil, err
		}
		return utilyaml.ToUnstructured(out)
	}
	objs, err := render("cluster-template-" + flavor + ".yaml")
	if err != nil {
		return nil, err
	}
	var classes []unstructured.Unstructured
	seen := map[string]bool{}
	for _, o := range objs {
		class, ok, _ := unstructured.NestedString(o.Object, "spec", "topology", "classRef", "name")
		if o.GetKind() != "Cluster" || !ok || seen[class] {
			continue
		}
		seen[class] = true
		classObjs, err := render("clusterclass-" + class + ".yaml")
		if err != nil {
			return nil, err
		}
		classes = append(classes, classObjs...)
	}
	objs = append(classes, objs...)
	for i := range objs {
		if objs[i].GetNamespace() == "" {
			objs[i].SetNamespace(vars["NAMESPACE"])
		}
	}
	return utilyaml.FromUnstructured(objs)
}

// ForSimulator turns a rendered template for Docker (CAPD) into one for the simulator: DockerCluster,
// DockerClusterTemplate and DockerMachineTemplate objects become K3sSimCluster, K3sSimClusterTemplate and
// K3sSimMachineTemplate objects with the simulator's defaults (machines boot after a second), and every reference to
// them (Cluster, ClusterClass, KThreesControlPlane, MachineDeployment) follows. Other objects stay as they are, such
// as a ConfigMap of CAPD's load balancer, which nothing then reads. A reference to another CAPD kind is an error.
func ForSimulator(data []byte) ([]byte, error) {
	objs, err := utilyaml.ToUnstructured(data)
	if err != nil {
		return nil, err
	}
	for i := range objs {
		o := objs[i].Object
		if sim, ok := simulatorKinds[objs[i].GetKind()]; ok && strings.HasPrefix(objs[i].GetAPIVersion(), infrastructureGroup+"/") {
			o["spec"] = sim.spec()
		}
		if err := toSimulatorRefs(o); err != nil {
			return nil, fmt.Errorf("%s %s: %w", objs[i].GetKind(), objs[i].GetName(), err)
		}
	}
	return utilyaml.FromUnstructured(objs)
}

// toSimulatorRefs replaces, in v and everything below it, each kind of CAPD that comes with the infrastructure API
// group (apiVersion or apiGroup) by the simulator's.
func toSimulatorRefs(v any) error {
	switch v := v.(type) {
	case map[string]any:
		kind, _ := v["kind"].(string)
		apiVersion, hasVersion := v["apiVersion"].(string)
		apiGroup, _ := v["apiGroup"].(string)
		if strings.HasPrefix(kind, "Docker") && (strings.HasPrefix(apiVersion, infrastructureGroup+"/") || apiGroup == infrastructureGroup) {
			sim, ok := simulatorKinds[kind]
			if !ok {
				return fmt.Errorf("the simulator has no kind for %s", kind)
			}
			v["kind"] = sim.kind
			if hasVersion {
				v["apiVersion"] = infrastructureGroup + "/v1beta1"
			}
		}
		for _, child := range v {
			if err := toSimulatorRefs(child); err != nil {
				return err
			}
		}
	case []any:
		for _, child := range v {
			if err := toSimulatorRefs(child); err != nil {
				return err
			}
		}
	}
	return nil
}
