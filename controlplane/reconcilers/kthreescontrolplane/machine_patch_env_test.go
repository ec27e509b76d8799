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
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/collections"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// The Machine conditions JSON patch against kube-apiserver and CAPI's Machine CRD: a write of CAPI's Machine
// controller between the control plane's read and its patch neither fails the patch nor is lost; where the lists
// changed shape, or the read is stale enough that the condition would be appended a second time, the API server
// refuses the patch with 422 (the test operation, or the v1beta2 list's unique type key) and it is built again on a
// live read. Each Machine ends with one condition of each type.
func TestEnv_MachineConditionsJSONPatch(t *testing.T) {
	ns, err := env.CreateNamespace(t.Context(), "machine-patch")
	NewWithT(t).Expect(err).ToNot(HaveOccurred())
	coreCondition := func(status metav1.ConditionStatus) metav1.Condition {
		return metav1.Condition{Type: clusterv1.MachineNodeReadyCondition, Status: status, Reason: "R", LastTransitionTime: metav1.Now()}
	}
	agent := func(status metav1.ConditionStatus) metav1.Condition {
		return metav1.Condition{Type: controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, Status: status, Reason: "R", LastTransitionTime: metav1.Now()}
	}
	for _, tc := range []struct {
		name string
		// read and meanwhile are the v1beta2 conditions the control plane read and those CAPI's Machine controller
		// wrote after that read.
		read, meanwhile []metav1.Condition
		wantRefused     bool
	}{
		{name: "the Machine controller wrote meanwhile", read: []metav1.Condition{coreCondition(metav1.ConditionFalse), agent(metav1.ConditionFalse)},
			meanwhile: []metav1.Condition{coreCondition(metav1.ConditionTrue), agent(metav1.ConditionFalse)}},
		{name: "first conditions of the control plane", read: []metav1.Condition{coreCondition(metav1.ConditionFalse)},
			meanwhile: []metav1.Condition{coreCondition(metav1.ConditionTrue)}},
		{name: "a condition was inserted before ours", read: []metav1.Condition{agent(metav1.ConditionFalse)},
			meanwhile: []metav1.Condition{coreCondition(metav1.ConditionTrue), agent(metav1.ConditionFalse)}, wantRefused: true},
		{name: "a stale read would append ours twice", read: []metav1.Condition{coreCondition(metav1.ConditionFalse)},
			meanwhile: []metav1.Condition{coreCondition(metav1.ConditionTrue), agent(metav1.ConditionFalse)}, wantRefused: true},
		{name: "no conditions yet: the lists are added", read: nil, meanwhile: nil},
		{name: "the Machine controller added its lists meanwhile", read: nil,
			meanwhile: []metav1.Condition{coreCondition(metav1.ConditionTrue)}, wantRefused: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx := t.Context()
			machine := envTestMachine(ns.Name)
			g.Expect(env.Client.Create(ctx, machine)).To(Succeed())
			t.Cleanup(func() { _ = env.Client.Delete(context.Background(), machine) })
			setStatus := func(list []metav1.Condition) {
				machine.Status.Conditions = list
				machine.Status.Deprecated = nil
				if len(list) > 0 {
					machine.Status.Deprecated = &clusterv1.MachineDeprecatedStatus{V1Beta1: &clusterv1.MachineV1Beta1DeprecatedStatus{}}
				}
				for _, c := range list {
					if c.Type == clusterv1.MachineNodeReadyCondition {
						v1beta1conditions.MarkTrue(machine, clusterv1.MachineNodeHealthyV1Beta1Condition)
					} else {
						v1beta1conditions.MarkFalse(machine, controlplanev1.DeprecatedV1Beta1MachineAgentHealthyCondition, "R", clusterv1.ConditionSeverityInfo, "waiting")
					}
				}
				g.Expect(env.Client.Status().Update(ctx, machine)).To(Succeed())
			}
			setStatus(tc.read)
			read := machine.DeepCopy()
			machine.Status.Phase = "Provisioned"
			setStatus(tc.meanwhile)

			var jsonPatchErr error
			jsonPatches := 0
			server, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
			g.Expect(err).ToNot(HaveOccurred())
			c := interceptor.NewClient(server, interceptor.Funcs{
				SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, o ...client.SubResourcePatchOption) error {
					err := c.SubResource(sub).Patch(ctx, obj, p, o...)
					if p.Type() == types.JSONPatchType {
						jsonPatches++
						if jsonPatches == 1 {
							jsonPatchErr = err
						}
					}
					return err
				},
			})
			r := &Reconciler{Client: c, APIReader: env.Client}
			cp := &controlPlane{KCP: &controlplanev1.KThreesControlPlane{}, Machines: collections.New()}
			m := read.DeepCopy()
			cp.setMachine(m)
			setAgentHealthy(m, healthResult{status: metav1.ConditionTrue, reason: controlplanev1.KThreesControlPlaneMachineAgentHealthyReason})

			// The write itself; when patchMachines writes (after CAPI's Machine controller) is TestMachineBehindItsNode's.
			g.Expect(r.patchMachineConditions(ctx, cp.KCP, read, m)).To(Succeed())

			if tc.wantRefused {
				g.Expect(apierrors.IsInvalid(jsonPatchErr)).To(BeTrue(), "refused with 422, got %v", jsonPatchErr)
				g.Expect(jsonPatches).To(Equal(2), "built again on a live read")
			} else {
				g.Expect(jsonPatchErr).ToNot(HaveOccurred())
			}
			got := &clusterv1.Machine{}
			g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(machine), got)).To(Succeed())
			g.Expect(got.Status.Phase).To(Equal("Provisioned"), "the Machine controller's write stays")
			hasCore := len(tc.meanwhile) > 0
			g.Expect(conditions.IsTrue(got, clusterv1.MachineNodeReadyCondition)).To(Equal(hasCore), "the Machine controller's condition stays")
			g.Expect(v1beta1conditions.IsTrue(got, clusterv1.MachineNodeHealthyV1Beta1Condition)).To(Equal(hasCore))
			g.Expect(conditions.IsTrue(got, controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition)).To(BeTrue())
			g.Expect(v1beta1conditions.IsTrue(got, controlplanev1.DeprecatedV1Beta1MachineAgentHealthyCondition)).To(BeTrue())
			want := 1
			if hasCore {
				want = 2
			}
			g.Expect(got.Status.Conditions).To(HaveLen(want), "one condition of each type")
			g.Expect(got.Status.Deprecated.V1Beta1.Conditions).To(HaveLen(want), "one v1beta1 condition of each type")
		})
	}
}

// envTestMachine is a Machine with the fields CAPI's CRD requires.
func envTestMachine(namespace string) *clusterv1.Machine {
	return &clusterv1.Machine{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, GenerateName: "m-"},
		Spec: clusterv1.MachineSpec{
			ClusterName: "c1", Version: envVersion,
			Bootstrap: clusterv1.Bootstrap{ConfigRef: clusterv1.ContractVersionedObjectReference{
				APIGroup: bootstrapv1.GroupVersion.Group, Kind: "KThreesConfig", Name: "c",
			}},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{
				APIGroup: "infrastructure.cluster.x-k8s.io", Kind: "GenericInfrastructureMachine", Name: "i",
			},
		},
	}
}
