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

package main

import (
	"testing"

	. "github.com/onsi/gomega"
	"github.com/spf13/pflag"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

func Test_options(t *testing.T) {
	tests := []struct {
		name            string
		args            []string
		wantLeader      bool
		wantConcurrency int
		wantMetrics     string
	}{
		{name: "defaults: secure diagnostics", args: nil, wantConcurrency: 10, wantMetrics: ":8443"},
		{name: "upstream's manifest args keep working", args: []string{"--metrics-addr=127.0.0.1:8080", "--enable-leader-election"}, wantLeader: true, wantConcurrency: 10, wantMetrics: "127.0.0.1:8080"},
		{name: "upstream's --concurrency overrides the per-controller flag", args: []string{"--concurrency=3", "--kthreesconfig-concurrency=50"}, wantConcurrency: 3, wantMetrics: ":8443"},
		{name: "CAPI-style flags", args: []string{"--leader-elect", "--kthreesconfig-concurrency=50"}, wantLeader: true, wantConcurrency: 50, wantMetrics: ":8443"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			o := &options{}
			o.addFlags(fs)
			g.Expect(fs.Parse(tt.args)).To(Succeed())
			mgrOptions, err := o.ManagerOptions(scheme, leaderElectionID)
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(mgrOptions.LeaderElection).To(Equal(tt.wantLeader))
			g.Expect(mgrOptions.LeaderElectionID).To(Equal("6b2b21b1.k8s.io"))
			g.Expect(mgrOptions.Metrics.BindAddress).To(Equal(tt.wantMetrics))
			g.Expect(o.ConcurrencyOr(o.configConcurrency)).To(Equal(tt.wantConcurrency))
		})
	}
}

// TestScheme checks the manager's scheme knows every kind its controllers watch, CRDs for CAPI's CRD migrator
// included (the manager fails at start otherwise).
func TestScheme(t *testing.T) {
	g := NewWithT(t)
	for _, gvk := range []schema.GroupVersionKind{
		apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"),
		clusterv1.GroupVersion.WithKind("Machine"),
		bootstrapv1.GroupVersion.WithKind("KThreesConfig"),
		bootstrapv1.GroupVersion.WithKind("KThreesConfigTemplate"),
	} {
		g.Expect(scheme.Recognizes(gvk)).To(BeTrue(), gvk.String())
	}
}
