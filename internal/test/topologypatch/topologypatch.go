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

// Package topologypatch applies the inline patches of a ClusterClass to its control-plane template for a Cluster,
// the way CAPI's topology controller does, so that tests can check what the control plane of a Cluster with a
// topology gets without running CAPI. CAPI's own inline patch generator decides which patches and definitions apply
// (selectors, enabledIf) and computes their values (variables, value templates); the variables are the Cluster's
// topology variables, defaulted from the ClusterClass's schemas (top-level defaults only), and CAPI's builtin
// variables of the Cluster and the control plane. The ClusterClass must pass CAPI's validating webhook (template
// references, variable schemas, patch paths and templates). External patches are not supported.
package topologypatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	jsonpatch "github.com/evanphx/json-patch/v5"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	runtimehooksv1 "sigs.k8s.io/cluster-api/api/runtime/hooks/v1alpha1"
	"sigs.k8s.io/cluster-api/cmd/clusterctl/client/yamlprocessor"
	"sigs.k8s.io/cluster-api/core/reconcilers/topology/cluster/patches/inline"
	patchvariables "sigs.k8s.io/cluster-api/core/reconcilers/topology/cluster/patches/variables"
	capiwebhooks "sigs.k8s.io/cluster-api/core/webhooks/admission"
	"sigs.k8s.io/cluster-api/feature"
	utilyaml "sigs.k8s.io/cluster-api/util/yaml"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata"
)

// ControlPlaneTemplate returns a copy of template, the control-plane template of class
// (spec.controlPlane.templateRef), with the class's inline patches applied, in order, for cluster.
func ControlPlaneTemplate(ctx context.Context, class *clusterv1.ClusterClass, cluster *clusterv1.Cluster,
	template *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	if !cluster.Spec.Topology.IsDefined() {
		return nil, fmt.Errorf("the Cluster %s has no topology", cluster.Name)
	}
	if err := ValidateClusterClass(ctx, class); err != nil {
		return nil, err
	}
	if ref := class.Spec.ControlPlane.TemplateRef; ref.Kind != template.GetKind() || ref.Name != template.GetName() {
		return nil, fmt.Errorf("%s %s is not the control-plane template of ClusterClass %s (%s %s)",
			template.GetKind(), template.GetName(), class.Name, ref.Kind, ref.Name)
	}

	definitions := map[string]bool{}
	for _, v := range class.Spec.Variables {
		definitions[v.Name] = true
	}
	topology := *cluster.Spec.Topology.DeepCopy()
	topology.Variables = Variables(class, cluster)
	global, err := patchvariables.Global(topology, cluster, definitions)
	if err != nil {
		return nil, err
	}
	controlPlane := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"version": topology.Version}}}
	controlPlane.SetName(cluster.Name)
	if topology.ControlPlane.Replicas != nil {
		if err := unstructured.SetNestedField(controlPlane.Object, int64(*topology.ControlPlane.Replicas), "spec", "replicas"); err != nil {
			return nil, err
		}
	}
	local, err := patchvariables.ControlPlane(&topology.ControlPlane, controlPlane, nil, definitions)
	if err != nil {
		return nil, err
	}

	patched := template.DeepCopy()
	for i := range class.Spec.Patches {
		p := &class.Spec.Patches[i]
		if p.External != nil {
			return nil, fmt.Errorf("patch %s of ClusterClass %s is external, which is not supported", p.Name, class.Name)
		}
		raw, err := json.Marshal(patched.Object)
		if err != nil {
			return nil, err
		}
		req := &runtimehooksv1.GeneratePatchesRequest{
			Variables: global,
			Items: []runtimehooksv1.GeneratePatchesRequestItem{{
				UID: "control-plane",
				HolderReference: runtimehooksv1.HolderReference{APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster",
					Namespace: cluster.Namespace, Name: cluster.Name, FieldPath: "spec.controlPlaneRef"},
				Object:    runtime.RawExtension{Raw: raw, Object: patched},
				Variables: local,
			}},
		}
		resp, err := inline.NewGenerator(p).Generate(ctx, nil, req)
		if err != nil {
			return nil, fmt.Errorf("patch %s: %w", p.Name, err)
		}
		for _, item := range resp.Items {
			if item.PatchType != runtimehooksv1.JSONPatchType {
				return nil, fmt.Errorf("patch %s: unexpected patch type %s", p.Name, item.PatchType)
			}
			ops, err := jsonpatch.DecodePatch(item.Patch)
			if err != nil {
				return nil, fmt.Errorf("patch %s: %w", p.Name, err)
			}
			if raw, err = ops.Apply(raw); err != nil {
				return nil, fmt.Errorf("patch %s: %s: %w", p.Name, item.Patch, err)
			}
		}
		next := &unstructured.Unstructured{}
		if err := next.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("patch %s: %w", p.Name, err)
		}
		// Like CAPI, keep only what the patches did to the spec.
		spec, ok := next.Object["spec"]
		if !ok {
			return nil, errors.New("patch " + p.Name + " removed the spec")
		}
		patched.Object["spec"] = spec
	}
	return patched, nil
}

// enableTopology turns on CAPI's ClusterTopology feature gate, without which its ClusterClass webhook refuses
// every ClusterClass.
var enableTopology = sync.OnceValue(func() error {
	return feature.MutableGates.Set(string(feature.ClusterTopology) + "=true")
})

// ValidateClusterClass runs CAPI's validating webhook for a new ClusterClass.
func ValidateClusterClass(ctx context.Context, class *clusterv1.ClusterClass) error {
	if err := enableTopology(); err != nil {
		return err
	}
	if _, err := (&capiwebhooks.ClusterClass{}).ValidateCreate(ctx, class); err != nil {
		return fmt.Errorf("CAPI refuses ClusterClass %s: %w", class.Name, err)
	}
	return nil
}

// Variables returns the Cluster's topology variables followed by the defaults of the ClusterClass's variables
// that the Cluster does not set, as CAPI's Cluster webhook defaults them (top-level defaults only).
func Variables(class *clusterv1.ClusterClass, cluster *clusterv1.Cluster) []clusterv1.ClusterVariable {
	vars := append([]clusterv1.ClusterVariable(nil), cluster.Spec.Topology.Variables...)
	set := map[string]bool{}
	for _, v := range vars {
		set[v.Name] = true
	}
	for _, v := range class.Spec.Variables {
		if def := v.Schema.OpenAPIV3Schema.Default; def != nil && !set[v.Name] {
			vars = append(vars, clusterv1.ClusterVariable{Name: v.Name, Value: *def.DeepCopy()})
		}
	}
	return vars
}

// ControlPlane is the control plane of a Cluster with a topology.
type ControlPlane struct {
	// Cluster is the Cluster.
	Cluster *clusterv1.Cluster
	// Template is its ClusterClass's control-plane template, patched for it.
	Template *unstructured.Unstructured
}

// ControlPlanes returns the control plane of every Cluster with a topology among objs, whose ClusterClass and
// control-plane template must be among objs too (found by name; a rendered ClusterClass file may have no
// namespace).
func ControlPlanes(ctx context.Context, objs []unstructured.Unstructured) ([]ControlPlane, error) {
	find := func(kind, name string) *unstructured.Unstructured {
		for i := range objs {
			if objs[i].GetKind() == kind && objs[i].GetName() == name {
				return &objs[i]
			}
		}
		return nil
	}
	var out []ControlPlane
	for i := range objs {
		if objs[i].GetKind() != "Cluster" {
			continue
		}
		cluster := &clusterv1.Cluster{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(objs[i].Object, cluster); err != nil {
			return nil, err
		}
		if !cluster.Spec.Topology.IsDefined() {
			continue
		}
		u := find("ClusterClass", cluster.Spec.Topology.ClassRef.Name)
		if u == nil {
			return nil, fmt.Errorf("the Cluster %s: no ClusterClass %s", cluster.Name, cluster.Spec.Topology.ClassRef.Name)
		}
		class := &clusterv1.ClusterClass{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, class); err != nil {
			return nil, err
		}
		ref := class.Spec.ControlPlane.TemplateRef
		template := find(ref.Kind, ref.Name)
		if template == nil {
			return nil, fmt.Errorf("ClusterClass %s: no control-plane template %s %s", class.Name, ref.Kind, ref.Name)
		}
		patched, err := ControlPlaneTemplate(ctx, class, cluster, template)
		if err != nil {
			return nil, fmt.Errorf("the Cluster %s: %w", cluster.Name, err)
		}
		out = append(out, ControlPlane{Cluster: cluster, Template: patched})
	}
	return out, nil
}

// SecretData returns the data of the Secrets among objs by name, then key: data decoded, stringData merged over
// it as the API server merges it.
func SecretData(objs []unstructured.Unstructured) (map[string]map[string][]byte, error) {
	out := map[string]map[string][]byte{}
	for _, o := range objs {
		if o.GetKind() != "Secret" || o.GetAPIVersion() != "v1" {
			continue
		}
		secret := &corev1.Secret{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, secret); err != nil {
			return nil, err
		}
		data := map[string][]byte{}
		for k, v := range secret.Data {
			data[k] = v
		}
		for k, v := range secret.StringData {
			data[k] = []byte(v)
		}
		out[secret.Name] = data
	}
	return out, nil
}

// RenderTemplate substitutes the variables of the cluster template at path with lookup, like clusterctl generate
// cluster, and adds the objects of the ClusterClasses that its Clusters' topologies use, read from
// clusterclass-<name>.yaml next to it, as clusterctl adds them from a provider repository.
func RenderTemplate(path string, lookup func(string) (string, error)) ([]unstructured.Unstructured, error) {
	render := func(p string) ([]unstructured.Unstructured, error) {
		raw, err := os.ReadFile(p) //nolint:gosec // test templates
		if err != nil {
			return nil, err
		}
		out, err := yamlprocessor.NewSimpleProcessor().Process(raw, lookup)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(p), err)
		}
		return utilyaml.ToUnstructured(out)
	}
	objs, err := render(path)
	if err != nil {
		return nil, err
	}
	classes := map[string]bool{}
	for _, o := range objs {
		class, ok, _ := unstructured.NestedString(o.Object, "spec", "topology", "classRef", "name")
		if o.GetKind() != "Cluster" || !ok || classes[class] {
			continue
		}
		classes[class] = true
		classObjs, err := render(filepath.Join(filepath.Dir(path), "clusterclass-"+class+".yaml"))
		if err != nil {
			return nil, err
		}
		objs = append(objs, classObjs...)
	}
	return objs, nil
}

// Files returns files as the KThreesConfig controller hands them to the renderer: with the content of contentFrom
// files read from secrets (see SecretData).
func Files(files []bootstrapv1.File, secrets map[string]map[string][]byte) ([]bootstrapdata.File, error) {
	out := make([]bootstrapdata.File, 0, len(files))
	for i, f := range files {
		content := f.Content
		if f.ContentFrom != nil {
			ref := f.ContentFrom.Secret
			value, ok := secrets[ref.Name][ref.Key]
			if !ok {
				return nil, fmt.Errorf("files[%d] (%s): no key %q in Secret %s", i, f.Path, ref.Key, ref.Name)
			}
			content = string(value)
		}
		out = append(out, bootstrapdata.File{Path: f.Path, Owner: f.Owner, Permissions: f.Permissions,
			Encoding: string(f.Encoding), Content: content})
	}
	return out, nil
}
