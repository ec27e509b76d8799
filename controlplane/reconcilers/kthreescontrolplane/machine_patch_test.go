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
	"net/http"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/collections"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// A Machine condition patch writes only this controller's conditions, at their place in the lists the Machine had
// when it was read: the Machine controller's status writes that land between the read and the patch stay, and do
// not make the patch conflict (409). Where the lists changed shape meanwhile, the API server refuses the JSON patch
// and CAPI's patch helper writes the conditions on a live read.
func TestMachineConditionsPatchDoesNotConflictWithTheMachineController(t *testing.T) {
	agentHealthy := func(status metav1.ConditionStatus) metav1.Condition {
		return metav1.Condition{Type: controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, Status: status, Reason: "R",
			LastTransitionTime: metav1.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	}
	nodeReady := metav1.Condition{Type: clusterv1.MachineNodeReadyCondition, Status: metav1.ConditionTrue, Reason: "R",
		LastTransitionTime: metav1.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		name string
		// read is the Machine's condition list as the control plane read it; meanwhile is what the Machine
		// controller wrote after that read.
		read, meanwhile []metav1.Condition
		noLiveReader    bool
		// wantPatches are the patch requests, when more than the one JSON patch.
		wantPatches []types.PatchType
	}{
		{name: "the Machine controller wrote its status: the JSON patch applies",
			read: []metav1.Condition{nodeReady, agentHealthy(metav1.ConditionFalse)}, meanwhile: []metav1.Condition{nodeReady, agentHealthy(metav1.ConditionFalse)}},
		{name: "a condition was added before ours: the JSON patch is refused, and built again on a live read",
			read: []metav1.Condition{agentHealthy(metav1.ConditionFalse)}, meanwhile: []metav1.Condition{nodeReady, agentHealthy(metav1.ConditionFalse)},
			wantPatches: []types.PatchType{types.JSONPatchType, types.JSONPatchType}},
		{name: "refused without a live reader: the patch helper writes",
			read: []metav1.Condition{agentHealthy(metav1.ConditionFalse)}, meanwhile: []metav1.Condition{nodeReady, agentHealthy(metav1.ConditionFalse)},
			noLiveReader: true, wantPatches: []types.PatchType{types.JSONPatchType, types.MergePatchType}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx := t.Context()
			machine := &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: "m", Namespace: machinesTestNamespace}}
			machine.Status.Conditions = tc.read
			server := fake.NewClientBuilder().WithScheme(machinesTestScheme()).WithObjects(machine).
				WithStatusSubresource(&clusterv1.Machine{}).Build()
			g.Expect(server.Get(ctx, client.ObjectKeyFromObject(machine), machine)).To(Succeed())
			read := machine.DeepCopy()

			written := machine.DeepCopy()
			written.Status.Phase = "Provisioning"
			written.Status.Conditions = tc.meanwhile
			g.Expect(server.Status().Update(ctx, written)).To(Succeed())

			var patchTypes []types.PatchType
			var failed int
			c := interceptor.NewClient(server, interceptor.Funcs{
				SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, o ...client.SubResourcePatchOption) error {
					patchTypes = append(patchTypes, p.Type())
					err := c.SubResource(sub).Patch(ctx, obj, p, o...)
					if err != nil {
						failed++
						if _, isStatus := err.(apierrors.APIStatus); !isStatus {
							// The fake client fails a JSON patch test plainly; kube-apiserver answers 422
							// (TestEnv_MachineConditionsJSONPatch).
							err = apierrors.NewGenericServerResponse(http.StatusUnprocessableEntity, "patch", schema.GroupResource{}, "", err.Error(), 0, false)
						}
					}
					return err
				},
			})
			ctl := &recordingController{}
			r := &Reconciler{Client: c, APIReader: server, controller: ctl}
			if tc.noLiveReader {
				r.APIReader = nil
			}
			cp := &controlPlane{KCP: &controlplanev1.KThreesControlPlane{ObjectMeta: metav1.ObjectMeta{Name: "kcp"}}, Machines: collections.New()}
			m := read.DeepCopy()
			cp.setMachine(m)
			conditions.Set(m, metav1.Condition{
				Type: controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, Status: metav1.ConditionTrue, Reason: "Healthy",
			})

			g.Expect(r.patchMachines(ctx, cp)).Error().ToNot(HaveOccurred())

			got := &clusterv1.Machine{}
			g.Expect(server.Get(ctx, client.ObjectKeyFromObject(machine), got)).To(Succeed())
			g.Expect(got.Status.Phase).To(Equal("Provisioning"), "the Machine controller's write stays")
			g.Expect(conditions.IsTrue(got, clusterv1.MachineNodeReadyCondition)).To(Equal(len(tc.meanwhile) == 2))
			g.Expect(conditions.IsTrue(got, controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition)).To(BeTrue())
			g.Expect(got.Status.Conditions).To(HaveLen(len(tc.meanwhile)), "no duplicate")
			if tc.wantPatches != nil {
				g.Expect(patchTypes).To(Equal(tc.wantPatches))
				g.Expect(failed).To(Equal(1), "the refused JSON patch")
				return
			}
			g.Expect(patchTypes).To(Equal([]types.PatchType{types.JSONPatchType}))
			g.Expect(failed).To(Equal(0))
			g.Expect(ctl.deferred).To(Equal([]string{"kcp/Machine@" + got.ResourceVersion}), "the next reconcile waits for the write in the cache")
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
	// The Machine controller's first status write happened (controller-runtime's fake client, unlike kube-apiserver,
	// refuses a JSON patch that tests an absent list).
	machine.Status.Conditions = []metav1.Condition{{Type: clusterv1.MachineReadyCondition, Status: metav1.ConditionFalse, Reason: "R"}}
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
		cp := &controlPlane{KCP: &controlplanev1.KThreesControlPlane{}, Machines: collections.New(),
			health: &workloadHealth{nodeByProviderID: map[string]string{"sim://n1": "n1"}}}
		m := machine.DeepCopy()
		m.Status.NodeRef.Name = nodeRef
		cp.setMachine(m)
		conditions.Set(m, metav1.Condition{
			Type: controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, Status: metav1.ConditionTrue, Reason: "Healthy",
		})
		g.Expect(r.patchMachines(ctx, cp)).Error().ToNot(HaveOccurred())
	}

	patchHealthy("")
	g.Expect(patches).To(Equal(0), "no patch before the nodeRef")

	patchHealthy("n1")
	g.Expect(patches).To(Equal(1))
	got := &clusterv1.Machine{}
	g.Expect(server.Get(ctx, client.ObjectKeyFromObject(machine), got)).To(Succeed())
	g.Expect(conditions.IsTrue(got, controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition)).To(BeTrue())
}

// The control plane's Machine conditions wait while CAPI's Machine controller has yet to write what the control plane
// saw of the Node, for a readiness change of the last machineCatchUpWindow.
func TestMachineBehindItsNode(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	node := func(status corev1.ConditionStatus, changed time.Duration) *corev1.Node {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Spec: corev1.NodeSpec{ProviderID: "sim://n1"}}
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: status, LastTransitionTime: metav1.NewTime(now.Add(-changed))}}
		return n
	}
	machine := func(nodeRef bool, nodeReady metav1.ConditionStatus) *clusterv1.Machine {
		m := &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: "m"}, Spec: clusterv1.MachineSpec{ProviderID: "sim://n1"}}
		if nodeRef {
			m.Status.NodeRef.Name = "n1"
		}
		if nodeReady != "" {
			m.Status.Conditions = []metav1.Condition{{Type: clusterv1.MachineNodeReadyCondition, Status: nodeReady, Reason: "R"}}
		}
		return m
	}
	tests := []struct {
		name    string
		machine *clusterv1.Machine
		node    *corev1.Node
		behind  bool
		retry   time.Duration
	}{
		{name: "not reconciled by the Machine controller yet", machine: machine(false, ""), behind: true},
		{name: "no Node yet", machine: machine(false, metav1.ConditionUnknown), behind: false},
		{name: "Node found by provider ID before the nodeRef", machine: machine(false, metav1.ConditionUnknown), node: node(corev1.ConditionFalse, time.Second), behind: true},
		{name: "Node turned Ready, the Machine does not show it yet", machine: machine(true, metav1.ConditionFalse), node: node(corev1.ConditionTrue, time.Second),
			behind: true, retry: machineCatchUpWindow - time.Second},
		{name: "the Machine shows the Node Ready", machine: machine(true, metav1.ConditionTrue), node: node(corev1.ConditionTrue, time.Second), behind: false},
		{name: "the Machine shows the Node NotReady", machine: machine(true, metav1.ConditionFalse), node: node(corev1.ConditionFalse, time.Second), behind: false},
		{name: "the readiness changed longer ago than the catch-up window", machine: machine(true, metav1.ConditionFalse), node: node(corev1.ConditionTrue, machineCatchUpWindow+time.Second), behind: false},
		{name: "a Node clock ahead of ours", machine: machine(true, metav1.ConditionFalse), node: node(corev1.ConditionTrue, -time.Minute), behind: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			health := &workloadHealth{nodes: map[string]*corev1.Node{}, nodeByProviderID: map[string]string{}}
			if tt.node != nil {
				health.nodes[tt.node.Name] = tt.node
				health.nodeByProviderID[tt.node.Spec.ProviderID] = tt.node.Name
			}
			cp := &controlPlane{health: health, reconcileTime: now}
			behind, retry := machineBehindItsNode(cp, tt.machine)
			NewWithT(t).Expect(behind).To(Equal(tt.behind))
			NewWithT(t).Expect(retry).To(Equal(tt.retry))
		})
	}
}
