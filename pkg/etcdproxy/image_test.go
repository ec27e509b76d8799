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

package etcdproxy

import (
	"testing"

	. "github.com/onsi/gomega"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

func TestImage(t *testing.T) {
	tests := []struct {
		name string
		sc   bootstrapv1.KThreesServerConfig
		want string
	}{
		{name: "default", want: "alpine/socat:1.8.0.0"},
		{name: "system default registry prefixes the default",
			sc:   bootstrapv1.KThreesServerConfig{SystemDefaultRegistry: "registry.example.com:5000"},
			want: "registry.example.com:5000/alpine/socat:1.8.0.0"},
		{name: "a trailing slash on the registry is not doubled",
			sc:   bootstrapv1.KThreesServerConfig{SystemDefaultRegistry: "registry.example.com/mirror/"},
			want: "registry.example.com/mirror/alpine/socat:1.8.0.0"},
		{name: "etcdProxyImage wins and is not prefixed",
			sc: bootstrapv1.KThreesServerConfig{EtcdProxyImage: "example.com/socat:1.8.0.0+a&b",
				SystemDefaultRegistry: "registry.example.com"},
			want: "example.com/socat:1.8.0.0+a&b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(Image(tt.sc)).To(Equal(tt.want))
		})
	}
}
