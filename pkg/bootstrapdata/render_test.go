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

package bootstrapdata

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/cloudinit"
	"github.com/k3s-io/cluster-api-k3s/pkg/ignition"
)

func TestRender(t *testing.T) {
	data := Data{
		Files:    []File{{Path: "/etc/a", Owner: "root:root", Permissions: "0640", Content: "a\n"}},
		Commands: []string{"echo hi"},
	}
	cloudConfig, err := cloudinit.Render(data)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	ignitionConfig, err := ignition.Render(data)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())

	tests := []struct {
		name    string
		format  bootstrapv1.Format
		want    []byte
		wantErr string
	}{
		{name: "empty format is cloud-config", format: "", want: cloudConfig},
		{name: "cloud-config", format: bootstrapv1.CloudConfig, want: cloudConfig},
		{name: "ignition", format: bootstrapv1.Ignition, want: ignitionConfig},
		{name: "unknown format", format: "butane", wantErr: `unsupported bootstrap data format "butane"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := Render(tt.format, data)
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}

func TestRender_errorsNameTheFormat(t *testing.T) {
	g := NewWithT(t)
	bad := Data{Files: []File{{Path: "relative", Encoding: "bogus"}}}
	_, err := Render(bootstrapv1.CloudConfig, bad)
	g.Expect(err).To(MatchError(HavePrefix("rendering cloud-config: ")))
	_, err = Render(bootstrapv1.Ignition, bad)
	g.Expect(err).To(MatchError(HavePrefix("rendering ignition: ")))
	g.Expect(strings.Contains(err.Error(), "relative")).To(BeTrue())
}
