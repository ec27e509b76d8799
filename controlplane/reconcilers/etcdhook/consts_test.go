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

package etcdhook

import (
	"testing"

	. "github.com/onsi/gomega"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// The hook is upstream's key and value, so a controller swap in either direction finishes Machines being deleted.
func TestHookIsUpstreams(t *testing.T) {
	g := NewWithT(t)
	g.Expect(controlplanev1.EtcdRemovalHookAnnotation).To(Equal("pre-terminate.delete.hook.machine.cluster.x-k8s.io"))
	g.Expect(controlplanev1.EtcdRemovalHookValue).To(Equal("k3s"))
}
