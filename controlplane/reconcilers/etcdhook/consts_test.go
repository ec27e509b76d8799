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

// The external test package may import kthreescontrolplane even if that package one day imports this one.
package etcdhook_test

import (
	"testing"

	. "github.com/onsi/gomega"

	"github.com/k3s-io/cluster-api-k3s/controlplane/reconcilers/etcdhook"
	"github.com/k3s-io/cluster-api-k3s/controlplane/reconcilers/kthreescontrolplane"
)

// The hook the KThreesControlPlane controller puts on Machines is the one this controller finishes.
func TestHookConstantsMatchTheControlPlaneController(t *testing.T) {
	g := NewWithT(t)
	g.Expect(etcdhook.EtcdRemovalHookAnnotation).To(Equal(kthreescontrolplane.EtcdRemovalHookAnnotation))
	g.Expect(etcdhook.EtcdRemovalHookValue).To(Equal(kthreescontrolplane.EtcdRemovalHookValue))
	g.Expect(etcdhook.EtcdRemovalHookAnnotation).To(Equal("pre-terminate.delete.hook.machine.cluster.x-k8s.io"))
	g.Expect(etcdhook.EtcdRemovalHookValue).To(Equal("k3s"))
}

// One connector serves both controllers: the interfaces have the same method set.
var (
	_ etcdhook.EtcdConnector            = kthreescontrolplane.EtcdConnector(nil)
	_ kthreescontrolplane.EtcdConnector = etcdhook.EtcdConnector(nil)
)
