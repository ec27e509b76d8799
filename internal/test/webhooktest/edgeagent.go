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

package webhooktest

import (
	"github.com/onsi/gomega"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

// EdgeAgentCase is a change of a KThreesConfigSpec and the fields, relative to the spec, that get a warning for
// agents that run the bootstrap data without cloud-init (internal/edgeagent).
type EdgeAgentCase struct {
	Name   string
	Mutate func(*bootstrapv1.KThreesConfigSpec)
	Fields []string
}

// EdgeAgentCases are the cases every webhook of a kind with a KThreesConfigSpec is tested with.
func EdgeAgentCases() []EdgeAgentCase {
	return []EdgeAgentCase{
		{Name: "runs as written", Mutate: func(s *bootstrapv1.KThreesConfigSpec) {
			s.Files = []bootstrapv1.File{{Path: "/etc/a", Owner: "root:root", Permissions: "0600", Content: "a"}}
			s.PreK3sCommands = []string{"mkdir -p /var/lib/rancher/k3s/bin", "export INSTALL_K3S_BIN_DIR=/var/lib/rancher/k3s/bin"}
		}},
		{Name: "file owner other than root:root", Mutate: func(s *bootstrapv1.KThreesConfigSpec) {
			s.Files = []bootstrapv1.File{{Path: "/etc/a", Content: "a"}, {Path: "/etc/b", Owner: "etcd:etcd", Content: "b"}}
		}, Fields: []string{"files[1].owner"}},
		{Name: "commands the joined sh -c changes", Mutate: func(s *bootstrapv1.KThreesConfigSpec) {
			s.PreK3sCommands = []string{"true", "echo a # note"}
			s.PostK3sCommands = []string{`echo "$HOME"`}
		}, Fields: []string{"preK3sCommands[1]", "postK3sCommands[0]"}},
		{Name: "path with a space and gzip content", Mutate: func(s *bootstrapv1.KThreesConfigSpec) {
			s.Files = []bootstrapv1.File{{Path: "/etc/odd name", Content: "a"},
				{Path: "/etc/z", Encoding: bootstrapv1.GzipBase64, Content: "H4sIAAAAAAAA/w=="}}
		}, Fields: []string{"files[0].path", "files[1].encoding"}},
	}
}

// ExpectEdgeAgentWarnings checks that warnings are one edge-agent warning for each of fields, in order, under
// specPath (e.g. "spec.kthreesConfigSpec").
func ExpectEdgeAgentWarnings(g gomega.Gomega, warnings []string, specPath string, fields []string) {
	g.Expect(warnings).To(gomega.HaveLen(len(fields)), "warnings: %q", warnings)
	for i, f := range fields {
		g.Expect(warnings[i]).To(gomega.HavePrefix(specPath+"."+f+": "), "warnings: %q", warnings)
		g.Expect(warnings[i]).To(gomega.ContainSubstring("without cloud-init"))
	}
}
