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

// An external test package: internal/test/cloudinit imports this package.
package k3sconfig_test

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	cloudinittest "github.com/k3s-io/cluster-api-k3s/internal/test/cloudinit"
	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

// jinjaCases are specs with jinja in every kind of value the renderer writes. wantField is the field of the
// error ("" for a spec cloud-init renders) and wantDetail substrings of its detail.
var jinjaCases = []struct {
	name       string
	spec       bootstrapv1.KThreesConfigSpec
	wantField  string
	wantDetail []string
}{
	{name: "instance data in a file, a command and the node name", spec: bootstrapv1.KThreesConfigSpec{
		Files:          []bootstrapv1.File{{Path: "/etc/a", Content: "host: {{ ds.meta_data.local_hostname }}\n{% if true %}x{% endif %}\n"}},
		PreK3sCommands: []string{"echo '{{ v1.instance_id }}' {{ 'q' }}"},
		AgentConfig:    bootstrapv1.KThreesAgentConfig{NodeName: "{{ ds.meta_data.local_hostname }}", KubeletArgs: []string{"provider-id=x://{{ v1.instance_id }}"}},
	}},
	{name: "a helm values file", spec: bootstrapv1.KThreesConfigSpec{Files: []bootstrapv1.File{
		{Path: "/etc/a", Content: "a"}, {Path: "/etc/b", Content: "b"},
		{Path: "/var/lib/rancher/k3s/server/manifests/values.yaml", Content: "image: x\nreplicas: {{ .Values.replicas }}\n"},
	}}, wantField: "spec.files[2].content", wantDetail: []string{`line 2, column 14: unexpected "."`,
		"encoding: base64", "{% raw %}…{% endraw %}", "none of the data"}},
	{name: "a helm values file in a raw block", spec: bootstrapv1.KThreesConfigSpec{Files: []bootstrapv1.File{
		{Path: "/etc/values.yaml", Content: "{% raw %}replicas: {{ .Values.replicas }}\n{% endraw %}"},
	}}},
	{name: "a helm values file base64-encoded", spec: bootstrapv1.KThreesConfigSpec{Files: []bootstrapv1.File{
		{Path: "/etc/values.yaml", Encoding: bootstrapv1.Base64, Content: "e3sgLlZhbHVlcy5yZXBsaWNhcyB9fQo="},
	}}},
	{name: "a statement left open in a file", spec: bootstrapv1.KThreesConfigSpec{Files: []bootstrapv1.File{
		{Path: "/etc/a", Content: "a\n{% if v1.region %}\nb\n"},
	}}, wantField: "spec.files[0].content", wantDetail: []string{"line 2, column 1: {% if %} is not closed"}},
	{name: "a comment left open at the end of a file", spec: bootstrapv1.KThreesConfigSpec{Files: []bootstrapv1.File{
		{Path: "/etc/a", Content: "a {#"},
	}}, wantField: "spec.files[0].content", wantDetail: []string{"missing end of comment tag"}},
	{name: "jinja in a path", spec: bootstrapv1.KThreesConfigSpec{Files: []bootstrapv1.File{
		{Path: "/etc/{{ .x }}", Content: "a"},
	}}, wantField: "spec.files[0].path", wantDetail: []string{"line 1, column 9:"}},
	{name: "a shell array length in a command", spec: bootstrapv1.KThreesConfigSpec{
		PreK3sCommands: []string{"true", `a=(1 2); echo "${#a[@]}"`},
	}, wantField: "spec.preK3sCommands[1]", wantDetail: []string{"line 1, column 17: missing end of comment tag", "{% raw %}"}},
	{name: "double quotes inside jinja in a command", spec: bootstrapv1.KThreesConfigSpec{
		PostK3sCommands: []string{`echo {{ "x" }}`},
	}, wantField: "spec.postK3sCommands[0]", wantDetail: []string{"line 1, column 9:", `\" and \\ in double quotes`}},
	{name: "a node name with single quotes inside jinja", spec: bootstrapv1.KThreesConfigSpec{
		AgentConfig: bootstrapv1.KThreesAgentConfig{NodeName: "{{ v1.local_hostname | replace('-', '.') }}"},
	}, wantField: "spec.agentConfig.nodeName", wantDetail: []string{"'' in single quotes"}},
	{name: "a node name with double quotes inside jinja", spec: bootstrapv1.KThreesConfigSpec{
		AgentConfig: bootstrapv1.KThreesAgentConfig{NodeName: `{{ v1.local_hostname | replace("-", ".") }}`},
	}},
	{name: "an unknown filter in a kubelet argument", spec: bootstrapv1.KThreesConfigSpec{
		AgentConfig: bootstrapv1.KThreesAgentConfig{KubeletArgs: []string{"a=b", "node-ip={{ v1.local_ipv4 | ip }}"}},
	}, wantField: "spec.agentConfig.kubeletArgs[1]", wantDetail: []string{`line 1, column 28: no filter named "ip"`}},
	{name: "a statement in the node name quotes config.yaml", spec: bootstrapv1.KThreesConfigSpec{
		AgentConfig: bootstrapv1.KThreesAgentConfig{NodeName: "{% if true %}n{% endif %}", NodeLabels: []string{`zone={{ "a" }}`}},
	}, wantField: "spec.agentConfig.nodeLabels[0]", wantDetail: []string{`\" and \\ in double quotes`}},
	{name: "a cloud provider name", spec: bootstrapv1.KThreesConfigSpec{
		ServerConfig: bootstrapv1.KThreesServerConfig{CloudProviderName: ptrTo("{{ }}")},
	}, wantField: "spec.serverConfig.cloudProviderName", wantDetail: []string{"line 1, column 4:"}},
	{name: "a server argument", spec: bootstrapv1.KThreesConfigSpec{
		ServerConfig: bootstrapv1.KThreesServerConfig{KubeAPIServerArgs: []string{"advertise-address={{ v1.public_ipv4 }"}},
	}, wantField: "spec.serverConfig.kubeAPIServerArgs[0]", wantDetail: []string{`line 1, column 37: unexpected "}"`}},
}

func ptrTo[T any](v T) *T { return &v }

func TestValidateKThreesConfigSpec_jinja(t *testing.T) {
	for _, tt := range jinjaCases {
		t.Run(tt.name, func(t *testing.T) {
			errs := k3sconfig.ValidateKThreesConfigSpec(&tt.spec, field.NewPath("spec"))
			if tt.wantField == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected errors: %v", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].Field != tt.wantField || errs[0].Type != field.ErrorTypeInvalid {
				t.Fatalf("errors %v, want one Invalid error on %s", errs, tt.wantField)
			}
			for _, want := range tt.wantDetail {
				if !strings.Contains(errs[0].Detail, want) {
					t.Errorf("detail %q does not contain %q", errs[0].Detail, want)
				}
			}
			ignition := tt.spec
			ignition.Format = bootstrapv1.Ignition
			if errs := k3sconfig.ValidateKThreesConfigSpec(&ignition, field.NewPath("spec")); len(errs) > 0 && !strings.Contains(tt.wantField, "nodeName") {
				t.Errorf("Ignition data is not rendered as jinja, but: %v", errs)
			}
		})
	}
}

func TestValidateKThreesConfigSpec_jinjaLongValue(t *testing.T) {
	content := strings.Repeat("x", 1000) + "{{ .Values.x }}"
	spec := bootstrapv1.KThreesConfigSpec{Files: []bootstrapv1.File{{Path: "/etc/a", Content: content}}}
	errs := k3sconfig.ValidateKThreesConfigSpec(&spec, field.NewPath("spec"))
	if len(errs) != 1 || len(errs[0].Error()) > 1000 || !strings.Contains(errs[0].Error(), "line 1, column 1004") {
		t.Fatalf("errors %v, want one error with an excerpt of the value", errs)
	}
	other := bootstrapv1.KThreesConfigSpec{Files: []bootstrapv1.File{{Path: "/etc/a", Content: content + " "}}}
	if newErrs, _ := k3sconfig.Ratchet(k3sconfig.ValidateKThreesConfigSpec(&other, field.NewPath("spec")), errs); len(newErrs) != 1 {
		t.Errorf("a changed long value with the same error is tolerated: %v", newErrs)
	}
}

// TestValidateKThreesConfigSpec_jinjaRealCloudInit renders the bootstrap data of a joining server for every spec
// of jinjaCases with the real cloud-init: it must render exactly the specs that the validation accepts.
func TestValidateKThreesConfigSpec_jinjaRealCloudInit(t *testing.T) {
	cloudinittest.Command(t)
	docs := make([][]byte, len(jinjaCases))
	for i, tt := range jinjaCases {
		var files []bootstrapdata.File
		for _, f := range tt.spec.Files {
			files = append(files, bootstrapdata.File{Path: f.Path, Encoding: string(f.Encoding), Content: f.Content})
		}
		data, err := k3sconfig.NodeData(k3sconfig.NodeInput{Role: k3sconfig.RoleJoinServer, Spec: tt.spec, Token: "t",
			ControlPlaneEndpoint: clusterv1.APIEndpoint{Host: "192.0.2.1", Port: 6443}, Files: files})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if docs[i], err = bootstrapdata.Render(bootstrapv1.CloudConfig, data); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
	}
	for i, r := range cloudinittest.Render(t, docs) {
		t.Run(jinjaCases[i].name, func(t *testing.T) {
			if rejected := jinjaCases[i].wantField != ""; rejected != (r.Err != nil) {
				t.Errorf("rejected: %v, but cloud-init: %v\n%s\n--- document:\n%s", rejected, r.Err, r.Stderr, docs[i])
			}
		})
	}
}
