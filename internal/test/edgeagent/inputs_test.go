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

package edgeagent_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"go.yaml.in/yaml/v3"
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
	edgewarnings "github.com/k3s-io/cluster-api-k3s/internal/edgeagent"
	"github.com/k3s-io/cluster-api-k3s/internal/test/edgeagent"
	"github.com/k3s-io/cluster-api-k3s/internal/test/topologypatch"
	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

// repoRoot is the repository root seen from this package's directory, where `go test` runs.
const repoRoot = "../../.."

// templateVariables are the clusterctl variables given to every template (as test/release does); the others keep
// their defaults.
var templateVariables = map[string]string{
	"CLUSTER_NAME":                "k3s-test",
	"NAMESPACE":                   "default",
	"KUBERNETES_VERSION":          "v1.34.5+k3s1",
	"CONTROL_PLANE_MACHINE_COUNT": "3",
	"WORKER_MACHINE_COUNT":        "2",
	"AIRGAPPED_NODE_IMAGE":        "registry.test/k3s-airgapped-node:v1.34.5-k3s1",
}

// templateNode is a node of a template: the input the KThreesConfig controller renders, and where its spec is.
type templateNode struct {
	name     string
	input    k3sconfig.NodeInput
	specPath *field.Path
}

// TestTemplates_EdgeAgent renders the bootstrap data of every node of templates/ (the control plane's as the init
// and as a joining server, the workers', and the servers of each cluster template's topology: its ClusterClass
// patched for it, files read from its Secrets) through k3sconfig.NodeData and bootstrapdata.Render as the controller
// does, and runs it as the edge agent does (expectRunsOnNode). The templates also get no edge-agent warning.
func TestTemplates_EdgeAgent(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(repoRoot, "templates", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no templates (%v)", err)
	}
	var nodes []templateNode
	for _, p := range paths {
		ns, err := templateNodes(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		nodes = append(nodes, ns...)
	}
	ns, err := topologyNodes(paths)
	if err != nil {
		t.Fatal(err)
	}
	nodes = append(nodes, ns...)
	if len(nodes) == 0 {
		t.Fatal("the templates hold no KThreesConfig spec")
	}
	for _, node := range nodes {
		t.Run(node.name, func(t *testing.T) {
			g := NewWithT(t)
			in := node.input
			g.Expect(edgewarnings.Warnings(&in.Spec, node.specPath, nil)).To(BeEmpty())
			g.Expect(in.Spec.Format).To(Or(BeEmpty(), Equal(bootstrapv1.CloudConfig)), "the edge agent reads cloud-config only")
			data, err := k3sconfig.NodeData(in)
			g.Expect(err).NotTo(HaveOccurred())
			doc, err := bootstrapdata.Render(in.Spec.Format, data)
			g.Expect(err).NotTo(HaveOccurred())
			spec := installSpec{role: roleOf(in.Role), version: in.Version,
				preCommands: in.Spec.PreK3sCommands, postCommands: in.Spec.PostK3sCommands}
			if in.Spec.AgentConfig.AirGapped {
				spec.script = in.Spec.AgentConfig.AirGappedInstallScriptPath
				if spec.script == "" {
					spec.script = bootstrapv1.DefaultAirGappedInstallScriptPath
				}
			}
			expectRunsOnNode(t, doc, data.Files, spec)
		})
	}
	t.Logf("%d template nodes translated and run", len(nodes))
}

// goldenCases are the inputs of the cloud-config golden files of pkg/k3sconfig (k3sconfig.GoldenCases, in its
// test package): the install each one must run, or why the edge agent rejects it.
var goldenCases = map[string]struct {
	install installSpec
	format  string
	wantErr string
}{
	"init-server":                    {install: goldenInstall("server", "")},
	"join-server":                    {install: goldenInstall("server", "")},
	"ipv6-endpoint":                  {install: goldenInstall("server", "")},
	"anonymous-auth-and-ciphers-set": {install: goldenInstall("server", "")},
	"air-gapped":                     {install: goldenInstall("server", "/usr/local/share/k3s/install.sh")},
	"worker":                         {install: installSpec{role: "agent", version: goldenVersion}},
	"files-from-secret":              {install: installSpec{role: "agent", version: goldenVersion}},
	// A path with a space, a double-quoted command and a trailing # comment: the webhooks warn about each.
	"special-characters": {wantErr: `unparsed command: /bin/sh ["-c" "cat > /etc/odd whitespace.txt /dev/stdin"]`},
	"ignition-init-server": {format: string(bootstrapv1.Ignition),
		wantErr: "unsupported bootstrap script format: ignition"},
}

// goldenVersion is the K3s version of the golden cases.
const goldenVersion = "v1.34.5+k3s1"

// goldenInstall is the install of the golden control-plane spec: its preK3sCommands export INSTALL_K3S_BIN_DIR and
// its postK3sCommands run kubectl.
func goldenInstall(role, script string) installSpec {
	return installSpec{role: role, version: goldenVersion, script: script,
		preCommands:  []string{"mkdir -p /var/lib/rancher/k3s/bin", "export INSTALL_K3S_BIN_DIR=/var/lib/rancher/k3s/bin"},
		postCommands: []string{"kubectl version --client"}}
}

// TestGolden_EdgeAgent runs every golden file of the cloud-config renderer (pkg/k3sconfig/testdata, which
// TestNodeData_golden keeps equal to the renderer's output) as the edge agent does. The expected files are read
// from the document with a YAML 1.2 parser, independently of the agent's block-by-block parsing.
func TestGolden_EdgeAgent(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(repoRoot, "pkg", "k3sconfig", "testdata", "*.golden"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden files (%v)", err)
	}
	ran := 0
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".golden")
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			c, ok := goldenCases[name]
			g.Expect(ok).To(BeTrue(), "add the golden case %s to goldenCases", name)
			doc, err := os.ReadFile(p)
			g.Expect(err).NotTo(HaveOccurred())
			if c.wantErr != "" {
				_, err := edgeagent.TranslateSecret(map[string][]byte{"format": []byte(or(c.format, edgeagent.CloudConfigFormat)),
					"value": doc}, edgeagent.Options{ProviderID: providerID})
				g.Expect(err).To(MatchError(ContainSubstring(c.wantErr)))
				return
			}
			ran++
			expectRunsOnNode(t, doc, documentFiles(g, doc), c.install)
		})
	}
	t.Logf("%d of %d golden files translated and run", ran, len(paths))
}

// documentFiles returns the write_files entries of a cloud-config document.
func documentFiles(g Gomega, doc []byte) []bootstrapdata.File {
	var parsed struct {
		WriteFiles []map[string]string `yaml:"write_files"`
	}
	g.Expect(yaml.Unmarshal(doc, &parsed)).To(Succeed())
	files := make([]bootstrapdata.File, 0, len(parsed.WriteFiles))
	for _, f := range parsed.WriteFiles {
		files = append(files, bootstrapdata.File{Path: f["path"], Owner: f["owner"], Permissions: f["permissions"],
			Encoding: f["encoding"], Content: f["content"]})
	}
	return files
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// templateNodes substitutes the variables of a template like `clusterctl generate cluster` and returns the nodes
// of its KThreesControlPlane(Template) and KThreesConfigTemplate objects, their specs defaulted by the webhooks.
func templateNodes(path string) ([]templateNode, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out, err := yamlprocessor.NewSimpleProcessor().Process(raw, func(name string) (string, error) {
		if v, ok := templateVariables[name]; ok {
			return v, nil
		}
		return "", fmt.Errorf("variable %s not set", name)
	})
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	version := templateVariables["KUBERNETES_VERSION"]
	var nodes []templateNode
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
			nodes = append(nodes, templateNode{name + "/agent", nodeInput(k3sconfig.RoleAgent, tmpl.Spec.Template.Spec, version),
				field.NewPath("spec", "template", "spec")})
		}
	}
}

// topologyNodes returns the servers of every Cluster with a topology of the cluster templates among paths: the
// ClusterClass's KThreesControlPlaneTemplate patched for the Cluster as CAPI's topology controller does, defaulted by
// the webhook, with the content of contentFrom files read from the Secrets of the template.
func topologyNodes(paths []string) ([]templateNode, error) {
	ctx := context.Background()
	var nodes []templateNode
	for _, p := range paths {
		if !strings.HasPrefix(filepath.Base(p), "cluster-template") {
			continue
		}
		objs, err := topologypatch.RenderTemplate(p, func(name string) (string, error) {
			if v, ok := templateVariables[name]; ok {
				return v, nil
			}
			return "", fmt.Errorf("variable %s not set", name)
		})
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
				n.input.Files = files
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

func serverNodes(name string, spec bootstrapv1.KThreesConfigSpec, version string, specPath *field.Path) []templateNode {
	return []templateNode{
		{name + "/init-server", nodeInput(k3sconfig.RoleInitServer, spec, version), specPath},
		{name + "/join-server", nodeInput(k3sconfig.RoleJoinServer, spec, version), specPath},
	}
}

// nodeInput is what the controller renders for a node of the spec, with a fake endpoint, token and CAs.
func nodeInput(role k3sconfig.Role, spec bootstrapv1.KThreesConfigSpec, version string) k3sconfig.NodeInput {
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
