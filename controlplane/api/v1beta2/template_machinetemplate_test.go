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

package v1beta2

import (
	"encoding/json"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion"
)

// The template's machineTemplate is a value, as upstream declares it: these tests pin its conversion and wire form.

func TestKThreesControlPlaneTemplateMachineTemplateRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		spec     string
		wantData bool
	}{
		{
			name: "no machineTemplate",
			spec: `{"kthreesConfigSpec": {"serverConfig": {"tlsSan": ["0.0.0.0"]}}}`,
		},
		{
			name: "metadata and whole-second timeouts only",
			spec: `{"machineTemplate": {"metadata": {"labels": {"a": "b"}}, "nodeDrainTimeout": "5m0s"}}`,
		},
		{
			name:     "infrastructure reference, kept as conversion data",
			spec:     `{"machineTemplate": {"infrastructureRef": {"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1", "kind": "DockerMachineTemplate", "name": "cp"}}}`,
			wantData: true,
		},
		{
			name:     "sub-second timeout, kept as conversion data",
			spec:     `{"machineTemplate": {"nodeDeletionTimeout": "1.5s"}}`,
			wantData: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			src := decodeTemplate(g, tt.spec)

			hub := &controlplanev1.KThreesControlPlaneTemplate{}
			g.Expect(src.ConvertTo(hub)).To(Succeed())
			_, hasData := hub.GetAnnotations()[apiconversion.DataAnnotation]
			g.Expect(hasData).To(Equal(tt.wantData), "conversion data on the hub")

			// Through the wire, as the API server stores the hub and converts it back.
			hubJSON, err := json.Marshal(hub)
			g.Expect(err).NotTo(HaveOccurred())
			stored := &controlplanev1.KThreesControlPlaneTemplate{}
			g.Expect(json.Unmarshal(hubJSON, stored)).To(Succeed())
			back := &KThreesControlPlaneTemplate{}
			g.Expect(back.ConvertFrom(stored)).To(Succeed())

			want, err := json.Marshal(src.Spec)
			g.Expect(err).NotTo(HaveOccurred())
			got, err := json.Marshal(back.Spec)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(got)).To(Equal(string(want)))
			// Upstream's value field always serializes, so v1beta2 readers always see machineTemplate.
			g.Expect(string(got)).To(ContainSubstring(`"machineTemplate":{`))
		})
	}
}

func TestKThreesControlPlaneTemplateWithoutMachineTemplateIsSettable(t *testing.T) {
	tests := []struct {
		name string
		get  func(g Gomega) *KThreesControlPlaneTemplate
	}{
		{
			name: "decoded",
			get: func(g Gomega) *KThreesControlPlaneTemplate {
				return decodeTemplate(g, `{"kthreesConfigSpec": {}}`)
			},
		},
		{
			name: "converted from a hub without one",
			get: func(g Gomega) *KThreesControlPlaneTemplate {
				tpl := &KThreesControlPlaneTemplate{}
				g.Expect(tpl.ConvertFrom(&controlplanev1.KThreesControlPlaneTemplate{})).To(Succeed())
				return tpl
			},
		},
		{
			name: "zero value",
			get:  func(Gomega) *KThreesControlPlaneTemplate { return &KThreesControlPlaneTemplate{} },
		},
	}
	ref := corev1.ObjectReference{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta1", Kind: "DockerMachineTemplate", Name: "cp"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			tpl := tt.get(g)
			// Consumers written against upstream assign into the machine template without allocating it.
			g.Expect(func() { tpl.Spec.Template.Spec.MachineTemplate.InfrastructureRef = ref }).NotTo(Panic())
			g.Expect(tpl.Spec.Template.Spec.MachineTemplate.InfrastructureRef).To(Equal(ref))
		})
	}
}

// decodeTemplate decodes a v1beta2 template with the given spec.template.spec, as the API server hands it over.
func decodeTemplate(g Gomega, spec string) *KThreesControlPlaneTemplate {
	manifest := `{"apiVersion": "controlplane.cluster.x-k8s.io/v1beta2", "kind": "KThreesControlPlaneTemplate",
		"metadata": {"name": "tpl", "namespace": "ns"}, "spec": {"template": {"spec": ` + spec + `}}}`
	tpl := &KThreesControlPlaneTemplate{}
	g.Expect(yaml.Unmarshal([]byte(manifest), tpl)).To(Succeed())
	return tpl
}
