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
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// When CAPI's Machine controller writes a control-plane Machine's first status, its nodeRef or a new status of its
// NodeReady condition, the control plane reconciles at once; other Machine updates are left to the Owns watch.
func TestMachineCaughtUpHandler(t *testing.T) {
	machine := func(nodeReady metav1.ConditionStatus, ownerAPIVersion string) *clusterv1.Machine {
		m := &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "m"}}
		m.Status.NodeRef.Name = "n1"
		if ownerAPIVersion != "" {
			m.OwnerReferences = []metav1.OwnerReference{{APIVersion: ownerAPIVersion, Kind: "KThreesControlPlane",
				Name: "kcp", UID: "uid-kcp", Controller: ptr.To(true)}}
		}
		if nodeReady != "" {
			m.Status.Conditions = []metav1.Condition{{Type: clusterv1.MachineNodeReadyCondition, Status: nodeReady, Reason: "R"}}
		}
		return m
	}
	current := controlplanev1.GroupVersion.String()
	controlPlane := reconcile.Request{NamespacedName: client.ObjectKey{Namespace: "ns", Name: "kcp"}}
	tests := []struct {
		name     string
		old, new *clusterv1.Machine
		lifts    bool
	}{
		{name: "NodeReady turned True", old: machine(metav1.ConditionFalse, current), new: machine(metav1.ConditionTrue, current), lifts: true},
		{name: "first status (NodeReady appeared)", old: machine("", current), new: machine(metav1.ConditionFalse, current), lifts: true},
		{name: "nodeRef set", old: func() *clusterv1.Machine {
			m := machine(metav1.ConditionUnknown, current)
			m.Status.NodeRef.Name = ""
			return m
		}(), new: machine(metav1.ConditionUnknown, current), lifts: true},
		{name: "owned through an older API version", old: machine(metav1.ConditionFalse, "controlplane.cluster.x-k8s.io/v1beta1"),
			new: machine(metav1.ConditionTrue, "controlplane.cluster.x-k8s.io/v1beta1"), lifts: true},
		{name: "another change", old: machine(metav1.ConditionTrue, current), new: machine(metav1.ConditionTrue, current)},
		{name: "a Machine of another owner", old: machine(metav1.ConditionFalse, "example.com/v1"), new: machine(metav1.ConditionTrue, "example.com/v1")},
		{name: "a Machine without owner", old: machine(metav1.ConditionFalse, ""), new: machine(metav1.ConditionTrue, "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ctl := &recordingController{}
			r := &Reconciler{controller: ctl}
			q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
			defer q.ShutDown()

			r.machineCaughtUpHandler().Update(context.Background(), event.UpdateEvent{ObjectOld: tt.old, ObjectNew: tt.new}, q)

			if tt.lifts {
				g.Expect(ctl.lifted).To(Equal([]reconcile.Request{controlPlane}))
				g.Expect(q.Len()).To(Equal(1))
				return
			}
			g.Expect(ctl.lifted).To(BeEmpty())
			g.Expect(q.Len()).To(BeZero(), "the Owns watch enqueues the other events")
		})
	}
}
