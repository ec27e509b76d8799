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

// Package templatenodes lists the nodes of the cluster templates in templates/: for every KThreesConfig spec there
// (the control plane's as the init and as a joining server, the workers'), and for the control plane of each
// cluster template's topology (its ClusterClass patched for it as CAPI's topology controller does, files read from
// its Secrets), the input the KThreesConfig controller would render, with the spec defaulted by the webhooks. The
// tests that run the rendered data through real cloud-init and through the edge agent's path share it.
package templatenodes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/cmd/clusterctl/client/yamlprocessor"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	bootstrapwebhooks "github.com/k3s-io/cluster-api-k3s/bootstrap/webhooks"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	controlplanewebhooks "github.com/k3s-io/cluster-api-k3s/controlplane/webhooks"
	"github.com/k3s-io/cluster-api-k3s/internal/test/topologypatch"
	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

// Variables are the clusterctl variables given to every template: those `clusterctl generate cluster` sets and the
// ones a template documents as required (as in test/release); the others keep their defaults.
var Variables = map[string]string{
	"CLUSTER_NAME":                "k3s-test",
	"NAMESPACE":                   "default",
	"KUBERNETES_VERSION":          "v1.34.5+k3s1",
	"CONTROL_PLANE_MACHINE_COUNT": "3",
	"WORKER_MACHINE_COUNT":        "2",
	"AIRGAPPED_NODE_IMAGE":        "registry.test/k3s-airgapped-node:v1.34.5-k3s1",
}

// Node is a node of a template: the input the KThreesConfig controller renders, and where its spec is in the object.
type Node struct {
	Name     string
	Input    k3sconfig.NodeInput
	SpecPath *field.Path
}

// All returns the nodes of every template in <repoRoot>/templates.
func All(repoRoot string) ([]Node, error) {
	paths, err := filepath.Glob(filepath.Join(repoRoot, "templates", "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no templates in %s", filepath.Join(repoRoot, "templates"))
	}
	var nodes []Node
	for _, p := range paths {
		ns, err := templateNodes(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		nodes = append(nodes, ns...)
	}
	ns, err := topologyNodes(paths)
	if err != nil {
		return nil, err
	}
	return append(nodes, ns...), nil
}

func variable(name string) (string, error) {
	if v, ok := Variables[name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("variable %s not set", name)
}

// templateNodes substitutes the variables of a template like `clusterctl generate cluster` and returns the nodes
// of its KThreesControlPlane(Template) and KThreesConfigTemplate objects, their specs defaulted by the webhooks.
func templateNodes(path string) ([]Node, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out, err := yamlprocessor.NewSimpleProcessor().Process(raw, variable)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	version := Variables["KUBERNETES_VERSION"]
	var nodes []Node
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return nodes, nil
			}
			return nil, err
		}
		name := fmt.Sprintf("%s/%s %s", filepath.Base(path), u.GetKind(), u.GetName())
		switch u.GetKind() {
		case "KThreesControlPlane":
			kcp := &controlplanev1.KThreesControlPlane{}
			if err := fromUnstructured(u, kcp); err != nil {
				return nil, err
			}
			if err := (&controlplanewebhooks.KThreesControlPlane{}).Default(ctx, kcp); err != nil {
				return nil, err
			}
			nodes = append(nodes, serverNodes(name, kcp.Spec.KThreesConfigSpec, kcp.Spec.Version,
				field.NewPath("spec", "kthreesConfigSpec"))...)
		case "KThreesControlPlaneTemplate":
			tmpl := &controlplanev1.KThreesControlPlaneTemplate{}
			if err := fromUnstructured(u, tmpl); err != nil {
				return nil, err
			}
			if err := (&controlplanewebhooks.KThreesControlPlaneTemplate{}).Default(ctx, tmpl); err != nil {
				return nil, err
			}
			nodes = append(nodes, serverNodes(name, tmpl.Spec.Template.Spec.KThreesConfigSpec, version,
				field.NewPath("spec", "template", "spec", "kthreesConfigSpec"))...)
		case "KThreesConfigTemplate":
			tmpl := &bootstrapv1.KThreesConfigTemplate{}
			if err := fromUnstructured(u, tmpl); err != nil {
				return nil, err
			}
			if err := (&bootstrapwebhooks.KThreesConfigTemplate{}).Default(ctx, tmpl); err != nil {
				return nil, err
			}
			nodes = append(nodes, Node{name + "/agent", NodeInput(k3sconfig.RoleAgent, tmpl.Spec.Template.Spec, version),
				field.NewPath("spec", "template", "spec")})
		}
	}
}

// topologyNodes returns the servers of every Cluster with a topology of the cluster templates among paths: the
// ClusterClass's KThreesControlPlaneTemplate patched for the Cluster as CAPI's topology controller does, defaulted by
// the webhook, with the content of contentFrom files read from the Secrets of the template.
func topologyNodes(paths []string) ([]Node, error) {
	ctx := context.Background()
	var nodes []Node
	for _, p := range paths {
		if !strings.HasPrefix(filepath.Base(p), "cluster-template") {
			continue
		}
		objs, err := topologypatch.RenderTemplate(p, variable)
		if err != nil {
			return nil, err
		}
		controlPlanes, err := topologypatch.ControlPlanes(ctx, objs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		secrets, err := topologypatch.SecretData(objs)
		if err != nil {
			return nil, err
		}
		for _, cp := range controlPlanes {
			tmpl := &controlplanev1.KThreesControlPlaneTemplate{}
			if err := fromUnstructured(cp.Template, tmpl); err != nil {
				return nil, err
			}
			if err := (&controlplanewebhooks.KThreesControlPlaneTemplate{}).Default(ctx, tmpl); err != nil {
				return nil, err
			}
			spec := tmpl.Spec.Template.Spec.KThreesConfigSpec
			files, err := topologypatch.Files(spec.Files, secrets)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			name := fmt.Sprintf("%s/topology %s", filepath.Base(p), cp.Cluster.Name)
			for _, n := range serverNodes(name, spec, cp.Cluster.Spec.Topology.Version,
				field.NewPath("spec", "template", "spec", "kthreesConfigSpec")) {
				n.Input.Files = files
				nodes = append(nodes, n)
			}
		}
	}
	return nodes, nil
}

// fromUnstructured converts u into obj, which must be of u's API version (the templates use the hub, v1beta3).
func fromUnstructured(u *unstructured.Unstructured, obj runtime.Object) error {
	gv := u.GroupVersionKind().GroupVersion()
	if gv != bootstrapv1.GroupVersion && gv != controlplanev1.GroupVersion {
		return fmt.Errorf("%s %s: API version %s is not v1beta3", u.GetKind(), u.GetName(), u.GetAPIVersion())
	}
	return runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, obj, true)
}

func serverNodes(name string, spec bootstrapv1.KThreesConfigSpec, version string, specPath *field.Path) []Node {
	return []Node{
		{name + "/init-server", NodeInput(k3sconfig.RoleInitServer, spec, version), specPath},
		{name + "/join-server", NodeInput(k3sconfig.RoleJoinServer, spec, version), specPath},
	}
}

// NodeInput is what the controller renders for a node of the spec, with a fake endpoint, token and CAs.
func NodeInput(role k3sconfig.Role, spec bootstrapv1.KThreesConfigSpec, version string) k3sconfig.NodeInput {
	in := k3sconfig.NodeInput{
		Role:                 role,
		Spec:                 spec,
		Version:              version,
		ControlPlaneEndpoint: clusterv1.APIEndpoint{Host: "172.18.0.3", Port: 6443},
		Token:                "0123456789abcdef0123456789abcdef",
	}
	for _, f := range spec.Files {
		in.Files = append(in.Files, bootstrapdata.File{Path: f.Path, Owner: f.Owner, Permissions: f.Permissions,
			Encoding: string(f.Encoding), Content: f.Content})
	}
	if role == k3sconfig.RoleInitServer {
		for _, ca := range []string{"server-ca", "client-ca", "etcd/server-ca"} {
			in.CAFiles = append(in.CAFiles,
				bootstrapdata.File{Path: "/var/lib/rancher/k3s/server/tls/" + ca + ".crt", Owner: "root:root", Permissions: "0640",
					Content: "-----BEGIN CERTIFICATE-----\nFAKE\n-----END CERTIFICATE-----\n"},
				bootstrapdata.File{Path: "/var/lib/rancher/k3s/server/tls/" + ca + ".key", Owner: "root:root", Permissions: "0600",
					Content: "-----BEGIN EC PRIVATE KEY-----\nFAKE\n-----END EC PRIVATE KEY-----\n"})
		}
	}
	return in
}
