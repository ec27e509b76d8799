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

package k3sconfig

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ignitionv3 "github.com/coreos/ignition/v2/config/v3_3"
	. "github.com/onsi/gomega"
	"github.com/vincent-petithory/dataurl"
	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	sigsyaml "sigs.k8s.io/yaml"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata"
	"github.com/k3s-io/cluster-api-k3s/pkg/cloudinit"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcdproxy"
	"github.com/k3s-io/cluster-api-k3s/pkg/ignition"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenCAFiles are the CA files of the init server, in upstream order, with fake PEM content.
var goldenCAFiles = func() []bootstrapdata.File {
	var files []bootstrapdata.File
	for _, name := range []string{"server-ca", "client-ca", "etcd/server-ca"} {
		files = append(files,
			bootstrapdata.File{Path: "/var/lib/rancher/k3s/server/tls/" + name + ".crt", Owner: "root:root", Permissions: "0640",
				Content: "-----BEGIN CERTIFICATE-----\nFAKE " + name + " CERTIFICATE\n-----END CERTIFICATE-----\n"},
			bootstrapdata.File{Path: "/var/lib/rancher/k3s/server/tls/" + name + ".key", Owner: "root:root", Permissions: "0600",
				Content: "-----BEGIN RSA PRIVATE KEY-----\nFAKE " + name + " KEY\n-----END RSA PRIVATE KEY-----\n"})
	}
	return files
}()

// goldenSpec is a typical webhook-defaulted control plane spec.
func goldenSpec() bootstrapv1.KThreesConfigSpec {
	return bootstrapv1.KThreesConfigSpec{
		Files: []bootstrapv1.File{{Path: "/etc/motd", Content: "managed by Cluster API\n"}},
		PreK3sCommands: []string{"mkdir -p /var/lib/rancher/k3s/bin",
			"export INSTALL_K3S_BIN_DIR=/var/lib/rancher/k3s/bin"},
		PostK3sCommands: []string{"kubectl version --client"},
		AgentConfig: bootstrapv1.KThreesAgentConfig{
			NodeName:    "{{ ds.meta_data.local_hostname }}",
			KubeletArgs: []string{"--max-pods=250"},
		},
		ServerConfig: bootstrapv1.KThreesServerConfig{
			TLSSan:                 []string{"api.example.com"},
			DisableComponents:      []string{"traefik", "servicelb"},
			KubeAPIServerArgs:      []string{"audit-log-maxage=30"},
			DisableCloudController: ptr.To(true),
			CloudProviderName:      ptr.To("external"),
		},
	}
}

// userFiles converts the spec's inline files as the controller does.
func userFiles(spec bootstrapv1.KThreesConfigSpec) []bootstrapdata.File {
	var files []bootstrapdata.File
	for _, f := range spec.Files {
		files = append(files, bootstrapdata.File{Path: f.Path, Owner: f.Owner, Permissions: f.Permissions,
			Encoding: string(f.Encoding), Content: f.Content})
	}
	return files
}

// goldenInput returns the NodeInput of role for spec, with the golden endpoint, token and version.
func goldenInput(role Role, spec bootstrapv1.KThreesConfigSpec) NodeInput {
	in := NodeInput{
		Role:                 role,
		Spec:                 spec,
		Version:              "v1.34.5+k3s1",
		ControlPlaneEndpoint: clusterv1.APIEndpoint{Host: "cp.example.com", Port: 6443},
		Token:                "0123456789abcdef0123456789abcdef",
		Files:                userFiles(spec),
	}
	if role == RoleInitServer {
		in.CAFiles = goldenCAFiles
	}
	return in
}

// GoldenCase is one golden case: the node input and the format of testdata/<Name>.golden. Exported for the
// external test package, which renders the cloud-config cases with the real cloud-init.
type GoldenCase struct {
	Name   string
	Format bootstrapv1.Format
	Input  func() NodeInput
}

// GoldenCases are the golden cases, in the order of the tests.
func GoldenCases() []GoldenCase {
	return []GoldenCase{
		{Name: "init-server", Input: func() NodeInput { return goldenInput(RoleInitServer, goldenSpec()) }},
		{Name: "join-server", Input: func() NodeInput { return goldenInput(RoleJoinServer, goldenSpec()) }},
		{Name: "worker", Input: func() NodeInput {
			spec := bootstrapv1.KThreesConfigSpec{
				AgentConfig: bootstrapv1.KThreesAgentConfig{
					NodeName:      "{{ ds.meta_data.local_hostname }}",
					NodeLabels:    []string{"node.example.com/pool=workers"},
					NodeTaints:    []string{"dedicated=workers:NoSchedule"},
					KubeletArgs:   []string{"--cpu-manager-policy=static"},
					KubeProxyArgs: []string{"proxy-mode=ipvs"},
				},
				ServerConfig: bootstrapv1.KThreesServerConfig{DisableCloudController: ptr.To(true),
					CloudProviderName: ptr.To("external")},
			}
			return goldenInput(RoleAgent, spec)
		}},
		{Name: "air-gapped", Input: func() NodeInput {
			spec := goldenSpec()
			spec.AgentConfig.AirGapped = true
			spec.AgentConfig.AirGappedInstallScriptPath = "/usr/local/share/k3s/install.sh"
			spec.AgentConfig.PrivateRegistry = "/etc/rancher/k3s/registries.yaml"
			spec.ServerConfig.SystemDefaultRegistry = "registry.example.com:5000"
			return goldenInput(RoleInitServer, spec)
		}},
		{Name: "ipv6-endpoint", Input: func() NodeInput {
			spec := goldenSpec()
			spec.ServerConfig.ClusterCidr = "fd00:42::/56"
			spec.ServerConfig.ServiceCidr = "fd00:43::/112"
			spec.ServerConfig.AdvertiseAddress = "fd00:10::11"
			in := goldenInput(RoleJoinServer, spec)
			in.ControlPlaneEndpoint = clusterv1.APIEndpoint{Host: "fd00:10::1", Port: 6443}
			return in
		}},
		{Name: "files-from-secret", Input: func() NodeInput {
			in := goldenInput(RoleAgent, bootstrapv1.KThreesConfigSpec{})
			// Content read from secrets and inlined by the controller: text, base64 text, and raw bytes.
			in.Files = []bootstrapdata.File{
				{Path: "/etc/rancher/k3s/registries.yaml", Owner: "root:root", Permissions: "0600",
					Content: "mirrors:\n  docker.io:\n    endpoint:\n      - \"https://registry.example.com:5000\"\n"},
				{Path: "/var/lib/rancher/k3s/server/psa.yaml", Encoding: "base64",
					Content: "YXBpVmVyc2lvbjogYXBpc2VydmVyLmNvbmZpZy5rOHMuaW8vdjEKa2luZDogQWRtaXNzaW9uQ29uZmlndXJhdGlvbgo="},
				{Path: "/etc/keytab", Permissions: "0400", Content: "\x05\x02\x00\x00\x00\xff\xfe"},
			}
			return in
		}},
		{Name: "special-characters", Input: func() NodeInput {
			spec := goldenSpec()
			spec.ServerConfig.EtcdProxyImage = "registry.example.com:5000/mirror/socat:1.8.0.0-a+b&c"
			spec.Files = []bootstrapv1.File{
				{Path: "/etc/leading-space.txt", Content: "  starts with two spaces\nthen \"quotes\" and 'apostrophes'\n"},
				{Path: "/etc/shell.env", Content: "PATH=$PATH:/var/lib/rancher/k3s/bin\nHOME_DIR=\"$HOME\"\n"},
				{Path: "/etc/jinja.txt", Content: "host={{ ds.meta_data.local_hostname }}\n{% raw %}{{ literal }}{% endraw %}\n"},
				{Path: "/etc/odd whitespace.txt", Content: "\ttab first\ntrailing spaces   \r\nunicode: héllo ✓ — ü\n"},
				{Path: "/etc/yaml-lookalike.yaml", Content: "- yes\nkey: [a, b]\n# not a comment\n---\n"},
			}
			spec.PreK3sCommands = []string{`echo "$HOSTNAME" > /etc/hostname-copy`, "printf '%s\\n' 'a: b' # yes"}
			return goldenInput(RoleInitServer, spec)
		}},
		{Name: "anonymous-auth-and-ciphers-set", Input: func() NodeInput {
			spec := goldenSpec()
			spec.ServerConfig.KubeAPIServerArgs = []string{
				"--anonymous-auth=false",
				"tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
				"admission-control-config-file=/var/lib/rancher/k3s/server/psa.yaml",
			}
			return goldenInput(RoleJoinServer, spec)
		}},
		{Name: "ignition-init-server", Format: bootstrapv1.Ignition, Input: func() NodeInput {
			return goldenInput(RoleInitServer, goldenSpec())
		}},
	}
}

func TestNodeData_golden(t *testing.T) {
	for _, tt := range GoldenCases() {
		t.Run(tt.Name, func(t *testing.T) {
			g := NewWithT(t)
			in := tt.Input()
			data, err := NodeData(in)
			g.Expect(err).NotTo(HaveOccurred())
			out, err := bootstrapdata.Render(tt.Format, data)
			g.Expect(err).NotTo(HaveOccurred())

			golden := filepath.Join("testdata", tt.Name+".golden")
			if *update {
				g.Expect(os.WriteFile(golden, out, 0o600)).To(Succeed())
			}
			want, err := os.ReadFile(golden)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(out)).To(Equal(string(want)), "run go test ./pkg/k3sconfig -run TestNodeData_golden -update to accept")

			var written map[string][]byte
			if tt.Format == bootstrapv1.Ignition {
				written = expectIgnitionRoundTrip(g, data, out)
			} else {
				written = expectCloudConfigRoundTrip(g, data, out)
			}
			expectNodeFiles(g, in, written)
		})
	}
}

// expectCloudConfigRoundTrip parses a cloud-config document with YAML 1.2 (go.yaml.in/yaml/v3) and YAML 1.1
// (sigs.k8s.io/yaml, untyped, like cloud-init's PyYAML) rules, checks that the commands and every file read
// back exactly, and returns the bytes each file path gets.
func expectCloudConfigRoundTrip(g Gomega, data bootstrapdata.Data, out []byte) map[string][]byte {
	g.Expect(bytes.HasPrefix(out, []byte(cloudinit.Header))).To(BeTrue())
	var doc struct {
		WriteFiles []map[string]string `yaml:"write_files"`
		Runcmd     []string            `yaml:"runcmd"`
	}
	g.Expect(yaml.Unmarshal(out, &doc)).To(Succeed())
	var untyped map[string]any
	g.Expect(sigsyaml.Unmarshal(out, &untyped)).To(Succeed())
	g.Expect(untyped["runcmd"]).To(HaveLen(len(data.Commands)))
	for i, cmd := range untyped["runcmd"].([]any) {
		g.Expect(cmd).To(Equal(doc.Runcmd[i]), "runcmd[%d] must be the same string for YAML 1.1", i)
	}
	for i, entry := range untyped["write_files"].([]any) {
		for key, value := range entry.(map[string]any) {
			g.Expect(value).To(Equal(doc.WriteFiles[i][key]), "write_files[%d].%s must be the same string for YAML 1.1", i, key)
		}
	}
	g.Expect(doc.Runcmd).To(Equal(data.Commands))

	written := map[string][]byte{}
	g.Expect(doc.WriteFiles).To(HaveLen(len(data.Files)))
	for i, want := range data.Files {
		got := doc.WriteFiles[i]
		g.Expect(got["path"]).To(Equal(want.Path))
		g.Expect(got["owner"]).To(Equal(want.Owner))
		g.Expect(got["permissions"]).To(Equal(want.Permissions))
		wantBytes, wantGzip, err := want.Decode()
		g.Expect(err).NotTo(HaveOccurred())
		gotBytes, gotGzip, err := bootstrapdata.File{Encoding: got["encoding"], Content: got["content"]}.Decode()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(gotGzip).To(Equal(wantGzip))
		g.Expect(string(gotBytes)).To(Equal(string(wantBytes)), "content of %s", want.Path)
		if got["encoding"] == want.Encoding {
			g.Expect(got["content"]).To(Equal(want.Content), "content of %s", want.Path)
		}
		written[want.Path] = gotBytes
	}
	return written
}

// expectIgnitionRoundTrip parses an Ignition config with Ignition's parser, expects no error nor warning,
// checks that every file and the bootstrap script read back exactly, and returns the bytes each file path gets.
func expectIgnitionRoundTrip(g Gomega, data bootstrapdata.Data, out []byte) map[string][]byte {
	cfg, rpt, err := ignitionv3.Parse(out)
	g.Expect(err).NotTo(HaveOccurred(), rpt.String())
	g.Expect(rpt.Entries).To(BeEmpty(), rpt.String())
	written := map[string][]byte{}
	for _, f := range cfg.Storage.Files {
		du, err := dataurl.DecodeString(*f.Contents.Source)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(f.Contents.Compression).To(BeNil())
		written[f.Path] = du.Data
	}
	g.Expect(cfg.Storage.Files).To(HaveLen(len(data.Files) + 1))
	for _, want := range data.Files {
		wantBytes, _, err := want.Decode()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(written[want.Path])).To(Equal(string(wantBytes)), "content of %s", want.Path)
	}
	g.Expect(string(written[ignition.ScriptPath])).To(Equal(ignition.Script(data.Commands)))
	g.Expect(cfg.Systemd.Units).To(ConsistOf(HaveField("Name", ignition.UnitName)))
	return written
}

// expectNodeFiles checks what the node gets: config.yaml parses to the expected config, servers get the etcd
// proxy manifest with the expected image, and the user files are written.
func expectNodeFiles(g Gomega, in NodeInput, written map[string][]byte) {
	want, err := NodeConfig(in)
	g.Expect(err).NotTo(HaveOccurred())
	var got Config
	g.Expect(sigsyaml.UnmarshalStrict(written[ConfigPath], &got)).To(Succeed())
	g.Expect(&got).To(Equal(want))

	manifest, isServer := written[etcdproxy.ManifestPath]
	g.Expect(isServer).To(Equal(in.Role != RoleAgent))
	if isServer {
		var ds appsv1.DaemonSet
		g.Expect(sigsyaml.UnmarshalStrict(manifest, &ds)).To(Succeed())
		g.Expect(ds.Spec.Template.Spec.Containers[0].Image).To(Equal(etcdproxy.Image(in.Spec.ServerConfig)))
	}
	for _, f := range in.Files {
		g.Expect(written).To(HaveKey(f.Path))
	}
}

func TestNodeData_goldenFilesAreUsed(t *testing.T) {
	g := NewWithT(t)
	entries, err := os.ReadDir("testdata")
	g.Expect(err).NotTo(HaveOccurred())
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".golden") {
			names = append(names, strings.TrimSuffix(e.Name(), ".golden"))
		}
	}
	g.Expect(names).To(ConsistOf("init-server", "join-server", "worker", "air-gapped", "ipv6-endpoint",
		"files-from-secret", "special-characters", "anonymous-auth-and-ciphers-set", "ignition-init-server"),
		fmt.Sprintf("stale golden files in testdata: %v", names))
}
