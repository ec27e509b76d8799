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

package envtest

import (
	"testing"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// TestCAPIConversions reads the webhook conversion CAPI's deployment sets on its core CRDs.
func TestCAPIConversions(t *testing.T) {
	g := NewWithT(t)
	root, err := RepoRoot()
	g.Expect(err).NotTo(HaveOccurred())
	dir, err := ModuleDir(t.Context(), root, capiModule)
	g.Expect(err).NotTo(HaveOccurred())

	conversions, err := capiConversions(dir)
	g.Expect(err).NotTo(HaveOccurred())
	for _, plural := range []string{
		"clusters", "clusterclasses", "machines", "machinesets", "machinedeployments", "machinehealthchecks",
		"machinepools",
	} {
		name := plural + ".cluster.x-k8s.io"
		g.Expect(conversions).To(HaveKey(name))
		conv := conversions[name]
		g.Expect(conv.Strategy).To(Equal(apiextensionsv1.WebhookConverter), name)
		g.Expect(conv.Webhook.ClientConfig.Service.Path).To(HaveValue(Equal("/convert")), name)
	}
}
