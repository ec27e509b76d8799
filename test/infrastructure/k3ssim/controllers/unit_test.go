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

package controllers

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

func TestSetsMasterLabel(t *testing.T) {
	for version, want := range map[string]bool{
		"v1.33.4+k3s1":     true,
		"v1.34.0-rc1+k3s1": true,
		"v1.34.1+k3s1":     false,
		"v1.35.0":          false,
		"v1.31.2":          true,
		"":                 false,
		"latest":           false,
	} {
		if got := setsMasterLabel(version); got != want {
			t.Errorf("setsMasterLabel(%q) = %v, want %v", version, got, want)
		}
	}
}

func TestParseTaints(t *testing.T) {
	g := NewWithT(t)
	g.Expect(parseTaints([]string{"a=b:NoSchedule", "c:NoExecute", "no-effect"})).To(Equal([]corev1.Taint{
		{Key: "a", Value: "b", Effect: corev1.TaintEffectNoSchedule},
		{Key: "c", Effect: corev1.TaintEffectNoExecute},
	}))
}

func TestTokenMatches(t *testing.T) {
	for _, tt := range []struct {
		node, cluster string
		want          bool
	}{
		{"secret", "secret", true},
		{"K10abcdef::server:secret", "secret", true},
		{"secret", "K10abcdef::server:secret", true},
		{"K10abcdef::node:secret", "secret", true},
		{"other", "secret", false},
		{"", "", false},
	} {
		if got := tokenMatches(tt.node, tt.cluster); got != tt.want {
			t.Errorf("tokenMatches(%q, %q) = %v, want %v", tt.node, tt.cluster, got, tt.want)
		}
	}
}

func TestSameServer(t *testing.T) {
	ep := clusterv1.APIEndpoint{Host: "127.0.0.1", Port: 20001}
	for server, want := range map[string]bool{
		"https://127.0.0.1:20001":  true,
		"https://127.0.0.1:20001/": true,
		"https://127.0.0.1:20002":  false,
		"http://127.0.0.1:20001":   false,
		"https://localhost:20001":  false,
		"https://127.0.0.1":        false,
		"::":                       false,
	} {
		if got := sameServer(server, ep); got != want {
			t.Errorf("sameServer(%q) = %v, want %v", server, got, want)
		}
	}
}

func TestNodeAddress(t *testing.T) {
	g := NewWithT(t)
	seen := map[string]bool{}
	for n := 1; n <= 100000; n += 7 {
		a := nodeAddress(n)
		g.Expect(seen).ToNot(HaveKey(a))
		seen[a] = true
	}
	g.Expect(nodeAddress(1)).To(Equal("10.10.0.3"))
}
