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
	"k8s.io/utils/ptr"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

func Test_DefaultKThreesConfigSpec(t *testing.T) {
	tests := []struct {
		name string
		in   *bootstrapv1.KThreesConfigSpec
		want *bootstrapv1.KThreesConfigSpec
	}{
		{name: "nil spec", in: nil, want: nil},
		{
			name: "empty spec gets server defaults only",
			in:   &bootstrapv1.KThreesConfigSpec{},
			want: &bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{
				DisableCloudController: ptr.To(true),
				CloudProviderName:      ptr.To("external"),
			}},
		},
		{
			name: "explicit values are kept",
			in: &bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{
				DisableCloudController: ptr.To(false),
				CloudProviderName:      ptr.To(""),
			}},
			want: &bootstrapv1.KThreesConfigSpec{ServerConfig: bootstrapv1.KThreesServerConfig{
				DisableCloudController: ptr.To(false),
				CloudProviderName:      ptr.To(""),
			}},
		},
		{
			name: "render-time fields are not defaulted",
			in: &bootstrapv1.KThreesConfigSpec{
				AgentConfig: bootstrapv1.KThreesAgentConfig{AirGapped: true},
			},
			want: &bootstrapv1.KThreesConfigSpec{
				AgentConfig: bootstrapv1.KThreesAgentConfig{AirGapped: true},
				ServerConfig: bootstrapv1.KThreesServerConfig{
					DisableCloudController: ptr.To(true),
					CloudProviderName:      ptr.To("external"),
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			DefaultKThreesConfigSpec(tt.in)
			g.Expect(tt.in).To(Equal(tt.want))
		})
	}
}
