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

package kthreescontrolplane

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/collections"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/cluster-api/util/patch"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// A Machine condition patch merges into the Machine as the API server has it, not as the cache has it: the Machine
// controller's status writes land between the control plane's read and its patch, and a patch built on the cached
// copy would conflict (409) and be retried.
func TestMachineConditionsPatchReadsTheMachineLive(t *testing.T) {
	for _, tc := range []struct {
		name         string
		live         bool
		wantConflict bool
	}{
		{name: "patch helper on the cached client conflicts", live: false, wantConflict: true},
		{name: "patch helper reading live does not", live: true, wantConflict: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx := t.Context()
			machine := &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: "m", Namespace: machinesTestNamespace}}
			server := fake.NewClientBuilder().WithScheme(machinesTestScheme()).WithObjects(machine).
				WithStatusSubresource(&clusterv1.Machine{}).Build()
			g.Expect(server.Get(ctx, client.ObjectKeyFromObject(machine), machine)).To(Succeed())
			staleCache := machine.DeepCopy()

			// The Machine controller writes the Machine's status after the control plane read it.
			written := machine.DeepCopy()
			written.Status.Phase = "Provisioning"
			g.Expect(server.Status().Update(ctx, written)).To(Succeed())

			conflicts := 0
			cached := interceptor.NewClient(server, interceptor.Funcs{
				Get: func(_ context.Context, _ client.WithWatch, _ client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
					staleCache.DeepCopyInto(obj.(*clusterv1.Machine))
					return nil
				},
				SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, o ...client.SubResourcePatchOption) error {
					err := c.SubResource(sub).Patch(ctx, obj, p, o...)
					if err != nil {
						conflicts++
					}
					return err
				},
			})
			r := &Reconciler{Client: cached}
			if tc.live {
				r.APIReader = server
			}
			cp := &controlPlane{Machines: collections.New(), machinePatchHelpers: map[string]*patch.Helper{}}
			m := staleCache.DeepCopy()
			g.Expect(cp.setMachine(m, r.machineConditionsClient())).To(Succeed())
			conditions.Set(m, metav1.Condition{
				Type: controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, Status: metav1.ConditionTrue, Reason: "Healthy",
			})
			err := r.patchMachines(ctx, cp)
			if tc.wantConflict {
				g.Expect(err).To(HaveOccurred())
				g.Expect(conflicts).To(BeNumerically(">", 0))
				return
			}
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(conflicts).To(Equal(0))
			got := &clusterv1.Machine{}
			g.Expect(server.Get(ctx, client.ObjectKeyFromObject(machine), got)).To(Succeed())
			g.Expect(got.Status.Phase).To(Equal("Provisioning"), "the Machine controller's write stays")
			g.Expect(conditions.IsTrue(got, controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition)).To(BeTrue())
		})
	}
}

// Conditions of a Machine whose Node the control plane found (by provider ID) before CAPI's Machine controller set
// its nodeRef are written once the nodeRef is there: that controller is about to write the Machine, and a patch
// racing it would conflict.
func TestMachineConditionsWaitForTheNodeRef(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	machine := &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: "m", Namespace: machinesTestNamespace}}
	machine.Spec.ProviderID = "sim://n1"
	server := fake.NewClientBuilder().WithScheme(machinesTestScheme()).WithObjects(machine).
		WithStatusSubresource(&clusterv1.Machine{}).Build()
	patches := 0
	c := interceptor.NewClient(server, interceptor.Funcs{
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, o ...client.SubResourcePatchOption) error {
			patches++
			return c.SubResource(sub).Patch(ctx, obj, p, o...)
		},
	})
	r := &Reconciler{Client: c, APIReader: c}

	patchHealthy := func(nodeRef string) {
		g.Expect(server.Get(ctx, client.ObjectKeyFromObject(machine), machine)).To(Succeed())
		cp := &controlPlane{Machines: collections.New(), machinePatchHelpers: map[string]*patch.Helper{},
			health: &workloadHealth{nodeByProviderID: map[string]string{"sim://n1": "n1"}}}
		m := machine.DeepCopy()
		m.Status.NodeRef.Name = nodeRef
		g.Expect(cp.setMachine(m, r.machineConditionsClient())).To(Succeed())
		conditions.Set(m, metav1.Condition{
			Type: controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, Status: metav1.ConditionTrue, Reason: "Healthy",
		})
		g.Expect(r.patchMachines(ctx, cp)).To(Succeed())
	}

	patchHealthy("")
	g.Expect(patches).To(Equal(0), "no patch before the nodeRef")

	patchHealthy("n1")
	g.Expect(patches).To(Equal(1))
	got := &clusterv1.Machine{}
	g.Expect(server.Get(ctx, client.ObjectKeyFromObject(machine), got)).To(Succeed())
	g.Expect(conditions.IsTrue(got, controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition)).To(BeTrue())
}
