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
	"testing"

	. "github.com/onsi/gomega"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/yaml"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcdproxy"
)

// testCAFiles are CA files as the controller passes them for the init server.
var testCAFiles = []bootstrapdata.File{
	{Path: "/var/lib/rancher/k3s/server/tls/server-ca.crt", Owner: "root:root", Permissions: "0640", Content: "server-ca.crt"},
	{Path: "/var/lib/rancher/k3s/server/tls/server-ca.key", Owner: "root:root", Permissions: "0600", Content: "server-ca.key"},
}

func TestNodeData(t *testing.T) {
	userFiles := []bootstrapdata.File{
		{Path: "/etc/a", Content: "a"},
		{Path: "/etc/b", Owner: "root:root", Permissions: "0600", Encoding: "base64", Content: "Yg=="},
	}
	spec := bootstrapv1.KThreesConfigSpec{
		PreK3sCommands:  []string{"echo pre1", "echo pre2"},
		PostK3sCommands: []string{"echo post"},
	}
	tests := []struct {
		name      string
		role      Role
		spec      func(*bootstrapv1.KThreesConfigSpec)
		wantPaths []string
	}{
		{name: "init server: CA files, user files, etcd proxy, config", role: RoleInitServer,
			wantPaths: []string{testCAFiles[0].Path, testCAFiles[1].Path, "/etc/a", "/etc/b", etcdproxy.ManifestPath, ConfigPath}},
		{name: "join server: no CA files", role: RoleJoinServer,
			wantPaths: []string{"/etc/a", "/etc/b", etcdproxy.ManifestPath, ConfigPath}},
		{name: "agent: no CA files, no etcd proxy", role: RoleAgent,
			wantPaths: []string{"/etc/a", "/etc/b", ConfigPath}},
		{name: "etcd-proxy in disableComponents: the manifest is still written", role: RoleJoinServer,
			spec: func(s *bootstrapv1.KThreesConfigSpec) {
				s.ServerConfig.DisableComponents = []string{"etcd-proxy"}
			},
			wantPaths: []string{"/etc/a", "/etc/b", etcdproxy.ManifestPath, ConfigPath}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			s := *spec.DeepCopy()
			if tt.spec != nil {
				tt.spec(&s)
			}
			in := NodeInput{Role: tt.role, Spec: s, Version: "v1.34.5+k3s1", Token: "tok",
				ControlPlaneEndpoint: clusterv1.APIEndpoint{Host: "cp.example.com", Port: 6443},
				Files:                userFiles, CAFiles: testCAFiles}
			data, err := NodeData(in)
			g.Expect(err).NotTo(HaveOccurred())

			var paths []string
			for _, f := range data.Files {
				paths = append(paths, f.Path)
			}
			g.Expect(paths).To(Equal(tt.wantPaths))
			// User files are passed through untouched.
			g.Expect(data.Files).To(ContainElements(userFiles))

			// Provider files are root-owned, 0640, as text.
			cfgFile := data.Files[len(data.Files)-1]
			g.Expect(cfgFile.Owner).To(Equal("root:root"))
			g.Expect(cfgFile.Permissions).To(Equal("0640"))
			g.Expect(cfgFile.Encoding).To(BeEmpty())
			want, err := NodeConfig(in)
			g.Expect(err).NotTo(HaveOccurred())
			var got Config
			g.Expect(yaml.UnmarshalStrict([]byte(cfgFile.Content), &got)).To(Succeed())
			g.Expect(&got).To(Equal(want))
			if tt.role != RoleAgent {
				manifest := data.Files[len(data.Files)-2]
				g.Expect(manifest.Owner).To(Equal("root:root"))
				g.Expect(manifest.Permissions).To(Equal("0640"))
				wantManifest, err := etcdproxy.Manifest(etcdproxy.DefaultImage)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(manifest.Content).To(Equal(wantManifest))
			}

			install, err := InstallCommand(tt.role, "v1.34.5+k3s1", s.AgentConfig)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(data.Commands).To(Equal([]string{"echo pre1", "echo pre2", install, "echo post"}))
		})
	}
}

func TestNodeData_errors(t *testing.T) {
	tests := []struct {
		name    string
		in      NodeInput
		wantErr string
	}{
		{name: "unknown role", in: NodeInput{Role: "worker", Token: "t"}, wantErr: "unknown node role"},
		{name: "no token", in: NodeInput{Role: RoleInitServer}, wantErr: "token"},
		{name: "bad version", in: NodeInput{Role: RoleInitServer, Token: "t", Version: "v1 && reboot"}, wantErr: "version"},
		{name: "bad etcd proxy image", in: NodeInput{Role: RoleInitServer, Token: "t", Spec: bootstrapv1.KThreesConfigSpec{
			ServerConfig: bootstrapv1.KThreesServerConfig{EtcdProxyImage: "\xff"}}}, wantErr: "etcd proxy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := NodeData(tt.in)
			g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
		})
	}
}
