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
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/template"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	controlplanewebhooks "github.com/k3s-io/cluster-api-k3s/controlplane/webhooks"
	"github.com/k3s-io/cluster-api-k3s/internal/test/topologypatch"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

// Pod Security levels of the edge templates (cluster-template-edge-<level>.yaml).
var edgeLevels = []string{"restricted", "baseline", "privileged"}

const (
	// edgePSAPath is where the edge nodes get their admission configuration.
	edgePSAPath = "/var/lib/rancher/k3s/server/psa.yaml"
	// edgeCipherSuites are the TLS cipher suites of the edge API servers and kubelets.
	edgeCipherSuites = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384," +
		"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
)

// admissionConfiguration is the part of apiserver.config.k8s.io/v1 AdmissionConfiguration with the PodSecurity
// plugin's pod-security.admission.config.k8s.io/v1 PodSecurityConfiguration that the edge templates write; decoded
// strictly, so a misspelled field shows (TestEnv_EdgePodSecurity gives it to a real API server).
type admissionConfiguration struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Plugins    []struct {
		Name          string `json:"name"`
		Configuration struct {
			APIVersion string            `json:"apiVersion"`
			Kind       string            `json:"kind"`
			Defaults   map[string]string `json:"defaults"`
			Exemptions struct {
				Usernames      []string `json:"usernames"`
				RuntimeClasses []string `json:"runtimeClasses"`
				Namespaces     []string `json:"namespaces"`
			} `json:"exemptions"`
		} `json:"configuration"`
	} `json:"plugins"`
}

// edgeControlPlane renders the edge template of level with the ClusterClass k3s-edge like clusterctl generate
// cluster, with the extra variables, and returns its Cluster's control-plane template as CAPI's topology controller
// patches it, defaulted by the webhook, and the admission configuration the node would read.
func edgeControlPlane(t *testing.T, level string, extra map[string]string) (*controlplanev1.KThreesControlPlaneTemplate, []byte) {
	t.Helper()
	g := NewWithT(t)
	given := map[string]string{}
	for k, v := range generateClusterVariables {
		given[k] = v
	}
	for k, v := range extra {
		given[k] = v
	}
	objs := renderTemplate(t, buildRelease(t).dir, "cluster-template-edge-"+level+".yaml", given)
	cps, err := topologypatch.ControlPlanes(context.Background(), objs)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cps).To(HaveLen(1))
	g.Expect(cps[0].Cluster.Spec.Topology.ClassRef.Name).To(Equal("k3s-edge"))
	g.Expect(cps[0].Cluster.Spec.Topology.Variables).To(ContainElement(HaveField("Name", "podSecurityLevel")),
		"the template sets the level itself")

	tmpl := &controlplanev1.KThreesControlPlaneTemplate{}
	g.Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(cps[0].Template.Object, tmpl)).To(Succeed())
	g.Expect((&controlplanewebhooks.KThreesControlPlaneTemplate{}).Default(context.Background(), tmpl)).To(Succeed())
	spec := &tmpl.Spec.Template.Spec.KThreesConfigSpec
	g.Expect(spec.Files).To(HaveLen(1))
	g.Expect(spec.Files[0].Path).To(Equal(edgePSAPath))
	g.Expect(spec.Files[0].ContentFrom).NotTo(BeNil())
	secrets, err := topologypatch.SecretData(objs)
	g.Expect(err).NotTo(HaveOccurred())
	ref := spec.Files[0].ContentFrom.Secret
	g.Expect(ref.Name).To(Equal(given["CLUSTER_NAME"] + "-pod-security-admission"))
	g.Expect(ref.Key).To(Equal(level + ".yaml"))
	content, ok := secrets[ref.Name][ref.Key]
	g.Expect(ok).To(BeTrue(), "the template creates the Secret key %s/%s", ref.Name, ref.Key)
	return tmpl, content
}

// TestEdgeTemplates checks what the edge templates give a node at each Pod Security level: the admission
// configuration of the level from the cluster's Secret, the K3s server arguments (the provider's defaults
// anonymous-auth=true and its cipher list replaced), the kubelet's static pod path and ciphers, the etcd-proxy
// disabled, and the installer settings of the ClusterClass variables.
func TestEdgeTemplates(t *testing.T) {
	for _, level := range edgeLevels {
		t.Run(level, func(t *testing.T) {
			g := NewWithT(t)
			tmpl, content := edgeControlPlane(t, level, nil)

			psa := &admissionConfiguration{}
			g.Expect(yaml.UnmarshalStrict(content, psa)).To(Succeed())
			g.Expect(psa.APIVersion).To(Equal("apiserver.config.k8s.io/v1"))
			g.Expect(psa.Kind).To(Equal("AdmissionConfiguration"))
			g.Expect(psa.Plugins).To(HaveLen(1))
			plugin := psa.Plugins[0]
			g.Expect(plugin.Name).To(Equal("PodSecurity"))
			g.Expect(plugin.Configuration.APIVersion).To(Equal("pod-security.admission.config.k8s.io/v1"))
			g.Expect(plugin.Configuration.Kind).To(Equal("PodSecurityConfiguration"))
			g.Expect(plugin.Configuration.Defaults).To(Equal(map[string]string{
				"enforce": level, "enforce-version": "latest", "audit": level, "audit-version": "latest",
				"warn": level, "warn-version": "latest"}))
			g.Expect(plugin.Configuration.Exemptions.Namespaces).To(Equal([]string{"kube-system"}))
			g.Expect(plugin.Configuration.Exemptions.Usernames).To(BeEmpty())
			g.Expect(plugin.Configuration.Exemptions.RuntimeClasses).To(BeEmpty())

			spec := tmpl.Spec.Template.Spec.KThreesConfigSpec
			for _, role := range []k3sconfig.Role{k3sconfig.RoleInitServer, k3sconfig.RoleJoinServer} {
				in := k3sconfig.NodeInput{Role: role, Spec: spec, Version: generateClusterVariables["KUBERNETES_VERSION"],
					Token: "0123456789abcdef0123456789abcdef"}
				in.ControlPlaneEndpoint.Host, in.ControlPlaneEndpoint.Port = "172.18.0.3", 6443
				cfg, err := k3sconfig.NodeConfig(in)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(cfg.KubeAPIServerArgs).To(Equal([]string{"admission-control-config-file=" + edgePSAPath,
					"anonymous-auth=false", "tls-cipher-suites=" + edgeCipherSuites}), "no provider default is added")
				g.Expect(cfg.KubeletArgs).To(ContainElements("pod-manifest-path=/var/lib/rancher/k3s/agent/pod-manifests",
					"tls-cipher-suites="+edgeCipherSuites))
				g.Expect(cfg.Disable).To(ConsistOf("traefik", "servicelb", "metrics-server", "etcd-proxy"))
				g.Expect(cfg.DisableCloudController).To(BeFalse(), "K3s's cloud controller initializes the Node")
				g.Expect(cfg.NodeName).To(BeEmpty(), "no jinja: edge agents do not render it")
			}
			// The defaults of the installer variables: online, K3s in /var/lib/rancher/k3s/bin.
			g.Expect(spec.AgentConfig.AirGapped).To(BeFalse())
			g.Expect(spec.PreK3sCommands).To(Equal([]string{"mkdir -p /var/lib/rancher/k3s/bin",
				"export INSTALL_K3S_BIN_DIR=/var/lib/rancher/k3s/bin"}))
		})
	}

	t.Run("air-gapped read-only install", func(t *testing.T) {
		g := NewWithT(t)
		tmpl, _ := edgeControlPlane(t, "restricted", map[string]string{"AIRGAPPED": "true",
			"AIRGAPPED_INSTALL_SCRIPT_PATH": "/usr/share/k3s/install.sh", "K3S_BIN_DIR": "/opt/k3s/bin",
			"K3S_BIN_DIR_READ_ONLY": "true"})
		spec := tmpl.Spec.Template.Spec.KThreesConfigSpec
		g.Expect(spec.AgentConfig.AirGapped).To(BeTrue())
		g.Expect(spec.AgentConfig.AirGappedInstallScriptPath).To(Equal("/usr/share/k3s/install.sh"))
		g.Expect(spec.PreK3sCommands).To(Equal([]string{"mkdir -p /opt/k3s/bin", "export INSTALL_K3S_BIN_DIR=/opt/k3s/bin",
			"export INSTALL_K3S_BIN_DIR_READ_ONLY=true"}))
		install, err := k3sconfig.InstallCommand(k3sconfig.RoleInitServer, "v1.34.5+k3s1", spec.AgentConfig)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(install).To(HavePrefix("INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_EXEC='server' sh /usr/share/k3s/install.sh && "))
	})
}

// TestEdgeHAProxyConfig executes the CAPD load balancer configuration of the edge ClusterClass the way CAPD does (a
// Go template with JoinHostPort and the load balancer's data) and checks that the API servers are checked with TCP
// connections, which anonymous-auth=false does not refuse, not with an HTTP request to /healthz.
func TestEdgeHAProxyConfig(t *testing.T) {
	g := NewWithT(t)
	objs := renderTemplate(t, buildRelease(t).dir, "cluster-template-edge-restricted.yaml", generateClusterVariables)
	var config string
	for _, o := range objs {
		if o.GetKind() == "ConfigMap" && o.GetName() == "k3s-edge-haproxy" {
			config, _, _ = unstructured.NestedString(o.Object, "data", "value")
		}
	}
	g.Expect(config).NotTo(BeEmpty())
	tmpl, err := template.New("haproxy").Funcs(template.FuncMap{"JoinHostPort": net.JoinHostPort}).Parse(config)
	g.Expect(err).NotTo(HaveOccurred())
	type backend struct {
		Address string
		Weight  int
	}
	for _, ipv6 := range []bool{false, true} {
		out := &bytes.Buffer{}
		g.Expect(tmpl.Execute(out, map[string]any{"FrontendControlPlanePort": "6443", "BackendControlPlanePort": "6443",
			"IPv6": ipv6, "BackendServers": map[string]backend{"k3s-test-cp-1": {Address: "172.18.0.4", Weight: 100}}})).To(Succeed())
		g.Expect(out.String()).To(ContainSubstring("bind *:6443\n"))
		g.Expect(out.String()).To(ContainSubstring("  server k3s-test-cp-1 172.18.0.4:6443 weight 100 check resolvers docker"))
		g.Expect(out.String()).NotTo(ContainSubstring("httpchk"))
		g.Expect(strings.Contains(out.String(), "bind :::6443")).To(Equal(ipv6))
	}
}

// TestEnv_EdgePodSecurity starts a kube-apiserver with the admission configuration each edge template writes
// (--admission-control-config-file, as K3s passes it) and creates pods of each Pod Security Standard, in an ordinary
// namespace and in kube-system (exempt): the API server admits exactly those the level allows. Needs the envtest
// binaries (make test-release).
func TestEnv_EdgePodSecurity(t *testing.T) {
	ctx := context.Background()
	pods := map[string]corev1.PodSpec{
		"restricted": {Containers: []corev1.Container{{Name: "c", Image: "registry.test/pause:3.10",
			SecurityContext: &corev1.SecurityContext{RunAsNonRoot: ptr.To(true), AllowPrivilegeEscalation: ptr.To(false),
				Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}}}}},
		"baseline": {Containers: []corev1.Container{{Name: "c", Image: "registry.test/pause:3.10"}}},
		"privileged": {HostNetwork: true, Containers: []corev1.Container{{Name: "c", Image: "registry.test/pause:3.10",
			SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}},
	}
	// allowed[level] are the pods the level admits outside kube-system.
	allowed := map[string][]string{
		"restricted": {"restricted"},
		"baseline":   {"restricted", "baseline"},
		"privileged": {"restricted", "baseline", "privileged"},
	}
	for _, level := range edgeLevels {
		t.Run(level, func(t *testing.T) {
			g := NewWithT(t)
			_, content := edgeControlPlane(t, level, nil)
			path := filepath.Join(t.TempDir(), "psa.yaml")
			g.Expect(os.WriteFile(path, content, 0o600)).To(Succeed())
			env := startAPIServer(ctx, t, map[string]string{"admission-control-config-file": path})
			c, err := client.New(env.Config, client.Options{})
			g.Expect(err).NotTo(HaveOccurred())

			g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "workloads"}})).To(Succeed())
			for _, ns := range []string{"workloads", metav1.NamespaceSystem} {
				// No controller manager creates the default ServiceAccount, which pod admission needs.
				err := c.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns}})
				g.Expect(err == nil || apierrors.IsAlreadyExists(err)).To(BeTrue(), "%v", err)
				for name, spec := range pods {
					pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: spec}
					err := c.Create(ctx, pod, client.DryRunAll)
					if ns == metav1.NamespaceSystem || slices.Contains(allowed[level], name) {
						g.Expect(err).NotTo(HaveOccurred(), "the %s pod in %s", name, ns)
						continue
					}
					g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "the %s pod in %s: %v", name, ns, err)
					g.Expect(err.Error()).To(ContainSubstring(`violates PodSecurity "` + level + `:latest"`))
				}
			}
		})
	}
}
