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

package release

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/cmd/clusterctl/client/config"
	"sigs.k8s.io/cluster-api/cmd/clusterctl/client/repository"
	yamlprocessor "sigs.k8s.io/cluster-api/cmd/clusterctl/client/yamlprocessor"
	capdv1 "sigs.k8s.io/cluster-api/test/infrastructure/docker/api/v1beta2"
	utilyaml "sigs.k8s.io/cluster-api/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	kjson "sigs.k8s.io/json"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	bootstrapwebhooks "github.com/k3s-io/cluster-api-k3s/bootstrap/webhooks"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	controlplanewebhooks "github.com/k3s-io/cluster-api-k3s/controlplane/webhooks"
	"github.com/k3s-io/cluster-api-k3s/internal/test/simplane"
	"github.com/k3s-io/cluster-api-k3s/internal/test/topologypatch"
	k3ssimv1 "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/api/v1beta1"
)

// generateClusterVariables are the variables `clusterctl generate cluster` sets from its arguments; docs/install.md
// documents them as the ones every template needs.
var generateClusterVariables = map[string]string{
	"CLUSTER_NAME":                "k3s-test",
	"NAMESPACE":                   "k3s-templates",
	"KUBERNETES_VERSION":          "v1.34.5+k3s1",
	"CONTROL_PLANE_MACHINE_COUNT": "3",
	"WORKER_MACHINE_COUNT":        "2",
}

// templateRequiredVariables are the further variables without a default of a template, documented with it.
var templateRequiredVariables = map[string]map[string]string{
	"cluster-template-airgapped.yaml": {"AIRGAPPED_NODE_IMAGE": "registry.test/k3s-airgapped-node:v1.34.5-k3s1"},
}

// TestClusterTemplates renders every cluster template of the release with clusterctl's template processor, given
// only the variables documented as required, like `clusterctl generate cluster --from`, adds the ClusterClasses a
// topology references from the release (as clusterctl does from a repository), and decodes the result strictly into
// the API types. Objects of this repository's kinds also pass the defaulting and validating webhooks, and every
// reference between the objects resolves.
func TestClusterTemplates(t *testing.T) {
	ctx := context.Background()
	rel := buildRelease(t)
	names, err := filepath.Glob(filepath.Join(rel.dir, "cluster-template*.yaml"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no cluster templates in the release (%v)", err)
	}
	scheme := templateScheme(t)
	for _, path := range names {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			given := map[string]string{}
			for k, v := range generateClusterVariables {
				given[k] = v
			}
			for k, v := range templateRequiredVariables[name] {
				given[k] = v
			}
			objs := renderTemplate(t, rel.dir, name, given)
			for _, o := range objs {
				if o.GetNamespace() != given["NAMESPACE"] {
					t.Errorf("%s %s is in namespace %q, want %q", o.GetKind(), o.GetName(), o.GetNamespace(), given["NAMESPACE"])
				}
				checkObject(ctx, t, scheme, o)
			}
			checkReferences(t, objs)
			checkTopologies(ctx, t, scheme, objs)
			if !slices.ContainsFunc(objs, func(o unstructured.Unstructured) bool { return o.GetKind() == "Cluster" }) {
				t.Errorf("the template creates no Cluster")
			}
		})
	}

	// The simulator flavor is the template of the in-process management plane (make demo, e2e sim backend).
	t.Run("cluster-template-sim.yaml is simplane's", func(t *testing.T) {
		released := renderTemplate(t, rel.dir, "cluster-template-sim.yaml", generateClusterVariables)
		isolateClusterctl(t, []string{"BOOT_DELAY_SECONDS"})
		raw, err := simplane.ClusterTemplate("", generateClusterVariables)
		if err != nil {
			t.Fatal(err)
		}
		embedded, err := utilyaml.ToUnstructured(raw)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(released, embedded) {
			t.Errorf("templates/cluster-template-sim.yaml and internal/test/simplane/templates/cluster-template.yaml differ")
		}
	})
}

// renderTemplate processes a template of the release directory like `clusterctl generate cluster --from` with the
// given variables and no others (neither the environment nor a clusterctl configuration), adding the ClusterClasses
// referenced by a topology from clusterclass-<name>.yaml.
func renderTemplate(t *testing.T, dir, name string, given map[string]string) []unstructured.Unstructured {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	processor := yamlprocessor.NewSimpleProcessor()
	variables, err := processor.GetVariableMap(raw)
	if err != nil {
		t.Fatalf("clusterctl cannot read the variables of %s: %v", name, err)
	}
	for v, defaultValue := range variables {
		if _, ok := given[v]; !ok && defaultValue == nil {
			t.Errorf("variable %s has no default and is not documented as required", v)
		}
	}

	reader := config.NewMemoryReader()
	for k, v := range given {
		reader.Set(k, v)
	}
	configClient, err := config.New(context.Background(), "", config.InjectReader(reader))
	if err != nil {
		t.Fatal(err)
	}
	newTemplate := func(raw []byte) repository.Template {
		tmpl, err := repository.NewTemplate(repository.TemplateInput{
			RawArtifact: raw, ConfigVariablesClient: configClient.Variables(), Processor: processor, TargetNamespace: given["NAMESPACE"],
		})
		if err != nil {
			t.Fatalf("clusterctl cannot render %s: %v", name, err)
		}
		return tmpl
	}
	tmpl := newTemplate(raw)

	var classes []repository.Template
	for _, o := range tmpl.Objs() {
		class, found, _ := unstructured.NestedString(o.Object, "spec", "topology", "classRef", "name")
		if o.GetKind() != "Cluster" || !found {
			continue
		}
		classRaw, err := os.ReadFile(filepath.Join(dir, "clusterclass-"+class+".yaml"))
		if err != nil {
			t.Fatalf("the release has no clusterclass-%s.yaml for the ClusterClass %s the template uses: %v", class, class, err)
		}
		classes = append(classes, newTemplate(classRaw))
	}
	if len(classes) > 0 {
		if tmpl, err = repository.MergeTemplates(append(classes, tmpl)...); err != nil {
			t.Fatal(err)
		}
	}
	out, err := tmpl.Yaml()
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(out, []byte("${")); i >= 0 {
		t.Errorf("a variable is left in the rendered template: %q", excerpt(string(out), i))
	}
	return tmpl.Objs()
}

// checkObject decodes o strictly (unknown or duplicate fields are errors) into its API type and runs this
// repository's defaulting and validation webhooks on it.
func checkObject(ctx context.Context, t *testing.T, scheme *runtime.Scheme, o unstructured.Unstructured) {
	t.Helper()
	typed, err := scheme.New(o.GroupVersionKind())
	if err != nil {
		t.Errorf("%s %s: not a kind of CAPI, CAPD or this repository: %v", o.GetKind(), o.GetName(), err)
		return
	}
	data, err := json.Marshal(o.Object)
	if err != nil {
		t.Fatal(err)
	}
	strictErrs, err := kjson.UnmarshalStrict(data, typed)
	if err != nil || len(strictErrs) > 0 {
		t.Errorf("%s %s does not decode into %T: %v %v", o.GetKind(), o.GetName(), typed, err, strictErrs)
		return
	}

	var warnings admission.Warnings
	switch obj := typed.(type) {
	case *bootstrapv1.KThreesConfigTemplate:
		w := &bootstrapwebhooks.KThreesConfigTemplate{}
		err = w.Default(ctx, obj)
		if err == nil {
			warnings, err = w.ValidateCreate(ctx, obj)
		}
	case *controlplanev1.KThreesControlPlane:
		w := &controlplanewebhooks.KThreesControlPlane{}
		err = w.Default(ctx, obj)
		if err == nil {
			warnings, err = w.ValidateCreate(ctx, obj)
		}
	case *controlplanev1.KThreesControlPlaneTemplate:
		w := &controlplanewebhooks.KThreesControlPlaneTemplate{}
		err = w.Default(ctx, obj)
		if err == nil {
			warnings, err = w.ValidateCreate(ctx, obj)
		}
	}
	if err != nil {
		t.Errorf("%s %s is rejected by its webhook: %v", o.GetKind(), o.GetName(), err)
	}
	if len(warnings) > 0 {
		t.Errorf("%s %s gets warnings from its webhook: %v", o.GetKind(), o.GetName(), warnings)
	}
}

// checkReferences checks that the references between the template's objects name objects of the template.
func checkReferences(t *testing.T, objs []unstructured.Unstructured) {
	t.Helper()
	present := map[string]bool{}
	for _, o := range objs {
		present[o.GetKind()+"/"+o.GetName()] = true
	}
	refs := map[string][]string{ // kind → paths of {kind, name} references
		"Cluster":             {"spec.infrastructureRef", "spec.controlPlaneRef"},
		"KThreesControlPlane": {"spec.machineTemplate.spec.infrastructureRef"},
		"MachineDeployment":   {"spec.template.spec.bootstrap.configRef", "spec.template.spec.infrastructureRef"},
		"ClusterClass": {
			"spec.infrastructure.templateRef", "spec.controlPlane.templateRef", "spec.controlPlane.machineInfrastructure.templateRef",
		},
	}
	// References by name only, to objects of one kind.
	localRefs := map[string]map[string]string{ // kind → path → referenced kind
		"DockerClusterTemplate": {"spec.template.spec.loadBalancer.customHAProxyConfigTemplateRef": "ConfigMap"},
	}
	checked := 0
	for _, o := range objs {
		for path, kind := range localRefs[o.GetKind()] {
			if ref, ok := nested(o.Object, strings.Split(path, ".")); ok {
				checked++
				if key := kind + "/" + fmt.Sprint(ref["name"]); !present[key] {
					t.Errorf("%s %s: %s references %s, which the template does not create", o.GetKind(), o.GetName(), path, key)
				}
			}
		}
		paths := refs[o.GetKind()]
		if o.GetKind() == "ClusterClass" {
			workers, _, _ := unstructured.NestedSlice(o.Object, "spec", "workers", "machineDeployments")
			for i := range workers {
				paths = append(paths, fmt.Sprintf("spec.workers.machineDeployments.%d.bootstrap.templateRef", i),
					fmt.Sprintf("spec.workers.machineDeployments.%d.infrastructure.templateRef", i))
			}
		}
		for _, path := range paths {
			ref, ok := nested(o.Object, strings.Split(path, "."))
			if !ok {
				continue // optional references (e.g. a Cluster with a topology)
			}
			checked++
			key := fmt.Sprint(ref["kind"]) + "/" + fmt.Sprint(ref["name"])
			if !present[key] {
				t.Errorf("%s %s: %s references %s, which the template does not create", o.GetKind(), o.GetName(), path, key)
			}
		}
	}
	if checked == 0 {
		t.Errorf("no references between the template's objects found")
	}
}

// checkTopologies checks the control plane of every Cluster with a topology as CAPI's topology controller would
// create it: its ClusterClass's KThreesControlPlaneTemplate with the ClusterClass's patches applied for the Cluster
// (topology variables defaulted from the ClusterClass) passes the webhooks without warnings, and every Secret key
// its files read with contentFrom is created by the template.
func checkTopologies(ctx context.Context, t *testing.T, scheme *runtime.Scheme, objs []unstructured.Unstructured) {
	t.Helper()
	controlPlanes, err := topologypatch.ControlPlanes(ctx, objs)
	if err != nil {
		t.Fatalf("the ClusterClass's patches do not apply: %v", err)
	}
	secrets, err := topologypatch.SecretData(objs)
	if err != nil {
		t.Fatal(err)
	}
	for _, cp := range controlPlanes {
		checkObject(ctx, t, scheme, *cp.Template)
		tmpl := &controlplanev1.KThreesControlPlaneTemplate{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(cp.Template.Object, tmpl); err != nil {
			t.Fatal(err)
		}
		for i, f := range tmpl.Spec.Template.Spec.KThreesConfigSpec.Files {
			if f.ContentFrom == nil {
				continue
			}
			ref := f.ContentFrom.Secret
			if _, ok := secrets[ref.Name][ref.Key]; !ok {
				t.Errorf("Cluster %s: files[%d] (%s) reads key %q of Secret %s, which the template does not create",
					cp.Cluster.Name, i, f.Path, ref.Key, ref.Name)
			}
		}
	}
}

// nested returns the map at path, where numeric elements index lists.
func nested(obj map[string]any, path []string) (map[string]any, bool) {
	var cur any = obj
	for _, p := range path {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case []any:
			var i int
			if _, err := fmt.Sscanf(p, "%d", &i); err != nil || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	m, ok := cur.(map[string]any)
	return m, ok
}

func templateScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, clusterv1.AddToScheme, bootstrapv1.AddToScheme, controlplanev1.AddToScheme, capdv1.AddToScheme, k3ssimv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	return scheme
}
