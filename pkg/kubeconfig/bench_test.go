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

package kubeconfig

import (
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// BenchmarkReconcile_Fresh measures the steady-state reconcile of an up-to-date kubeconfig secret: one Get and a
// certificate expiry check, no CA lookup and no write.
func BenchmarkReconcile_Fresh(b *testing.B) {
	g := NewWithT(b)
	c := fake.NewClientBuilder().WithScheme(newScheme(b)).WithObjects(caSecrets(b)...).Build()
	res, err := Reconcile(b.Context(), c, testCluster, testEndpoint, testOwner)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(res.Created).To(BeTrue())

	b.ReportAllocs()
	for b.Loop() {
		res, err := Reconcile(b.Context(), c, testCluster, testEndpoint, testOwner)
		if err != nil || res != (Result{}) {
			b.Fatalf("unexpected result %+v, error %v", res, err)
		}
	}
}
