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

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"

	"github.com/k3s-io/cluster-api-k3s/pkg/workload"
)

func TestSetupNodeChangedForControlPlane(t *testing.T) {
	base := func() *corev1.Node {
		return &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name: "n1", ResourceVersion: "1",
				Labels:      map[string]string{workload.LabelNodeRoleControlPlane: "true"},
				Annotations: map[string]string{clusterv1.MachineAnnotation: "m1"},
			},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}},
		}
	}
	tests := []struct {
		name   string
		change func(*corev1.Node)
		want   bool
	}{
		{name: "kubelet heartbeat: resourceVersion, heartbeat time and images only", want: false, change: func(n *corev1.Node) {
			n.ResourceVersion = "2"
			n.Status.Conditions[0].LastHeartbeatTime = metav1.Now()
			n.Status.Images = []corev1.ContainerImage{{Names: []string{"k3s"}}}
		}},
		{name: "NotReady", want: true, change: func(n *corev1.Node) { n.Status.Conditions[0].Status = corev1.ConditionFalse }},
		{name: "role label removed", want: true, change: func(n *corev1.Node) { n.Labels = nil }},
		{name: "unreachable taint", want: true, change: func(n *corev1.Node) {
			n.Spec.Taints = []corev1.Taint{{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}}
		}},
		{name: "etcd member removal requested", want: true, change: func(n *corev1.Node) { n.Annotations[workload.AnnotationEtcdRemove] = "true" }},
		{name: "etcd member removed", want: true, change: func(n *corev1.Node) { n.Annotations[workload.AnnotationEtcdRemovedNodeName] = "n1" }},
		{name: "being deleted", want: true, change: func(n *corev1.Node) { n.DeletionTimestamp = ptr.To(metav1.Now()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			oldNode, newNode := base(), base()
			tt.change(newNode)
			g.Expect(nodeChangedForControlPlane().Update(event.UpdateEvent{ObjectOld: oldNode, ObjectNew: newNode})).To(Equal(tt.want))
		})
	}
	g := NewWithT(t)
	g.Expect(nodeChangedForControlPlane().Create(event.CreateEvent{Object: base()})).To(BeTrue())
	g.Expect(nodeChangedForControlPlane().Delete(event.DeleteEvent{Object: base()})).To(BeTrue())
}

func TestSetupClusterChangedForControlPlane(t *testing.T) {
	endpoint := clusterv1.APIEndpoint{Host: "10.0.0.1", Port: 6443}
	cluster := func(provisioned bool, ep clusterv1.APIEndpoint) *clusterv1.Cluster {
		c := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns"}}
		c.Spec.ControlPlaneEndpoint = ep
		c.Status.Initialization.InfrastructureProvisioned = ptr.To(provisioned)
		return c
	}
	for _, tc := range []struct {
		name          string
		before, after *clusterv1.Cluster
		pass          bool
	}{
		{name: "infrastructure provisioned, endpoint not yet set: nothing to do", before: cluster(false, clusterv1.APIEndpoint{}), after: cluster(true, clusterv1.APIEndpoint{}), pass: false},
		{name: "endpoint set after provisioning: ready for Machines", before: cluster(true, clusterv1.APIEndpoint{}), after: cluster(true, endpoint), pass: true},
		{name: "provisioned with a user-set endpoint: ready for Machines", before: cluster(false, endpoint), after: cluster(true, endpoint), pass: true},
		{name: "endpoint set before provisioning: nothing to do", before: cluster(false, clusterv1.APIEndpoint{}), after: cluster(false, endpoint), pass: false},
		{name: "endpoint moved while ready", before: cluster(true, endpoint), after: cluster(true, clusterv1.APIEndpoint{Host: "10.0.0.2", Port: 6443}), pass: true},
		{name: "status change the control plane does not use", before: cluster(true, endpoint), after: func() *clusterv1.Cluster {
			c := cluster(true, endpoint)
			c.Status.Phase = "Provisioned"
			return c
		}(), pass: false},
		{name: "failure domains", before: cluster(true, endpoint), after: func() *clusterv1.Cluster {
			c := cluster(true, endpoint)
			c.Status.FailureDomains = []clusterv1.FailureDomain{{Name: "fd1", ControlPlane: ptr.To(true)}}
			return c
		}(), pass: true},
		{name: "unpaused", before: func() *clusterv1.Cluster {
			c := cluster(true, endpoint)
			c.Spec.Paused = ptr.To(true)
			return c
		}(), after: cluster(true, endpoint), pass: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			p := clusterChangedForControlPlane(machinesTestScheme(), logr.Discard())
			g.Expect(p.Update(event.UpdateEvent{ObjectOld: tc.before, ObjectNew: tc.after})).To(Equal(tc.pass))
		})
	}
}

func TestSetupNodeToKThreesControlPlane(t *testing.T) {
	cluster := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "c1", Namespace: "ns"}}
	cluster.Spec.ControlPlaneRef = clusterv1.ContractVersionedObjectReference{
		APIGroup: controlplanev1.GroupVersion.Group, Kind: "KThreesControlPlane", Name: "kcp1",
	}
	r := &Reconciler{Client: fake.NewClientBuilder().WithScheme(statusTestScheme()).WithObjects(cluster).Build()}
	// A new server's Node, before CAPI's Machine controller annotated it with its cluster.
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}

	tests := []struct {
		name    string
		cluster client.ObjectKey
		want    []reconcile.Request
	}{
		{name: "the watched cluster's control plane", cluster: client.ObjectKeyFromObject(cluster),
			want: []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: "ns", Name: "kcp1"}}}},
		{name: "a cluster that is gone maps to nothing", cluster: client.ObjectKey{Namespace: "ns", Name: "gone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			NewWithT(t).Expect(r.nodeToKThreesControlPlane(tt.cluster)(context.Background(), node)).To(Equal(tt.want))
		})
	}
}

func TestSetupNodeEventHandlerLiftsTheRateLimitWhenANodeTurnsReady(t *testing.T) {
	cluster := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "c1", Namespace: "ns"}}
	cluster.Spec.ControlPlaneRef = clusterv1.ContractVersionedObjectReference{
		APIGroup: controlplanev1.GroupVersion.Group, Kind: "KThreesControlPlane", Name: "kcp1",
	}
	controlPlane := reconcile.Request{NamespacedName: client.ObjectKey{Namespace: "ns", Name: "kcp1"}}
	node := func(ready corev1.ConditionStatus) *corev1.Node {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
		if ready != "" {
			n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}}
		}
		return n
	}
	tests := []struct {
		name  string
		send  func(h handler.EventHandler, q workqueue.TypedRateLimitingInterface[reconcile.Request])
		lifts bool
	}{
		{name: "NotReady to Ready", lifts: true, send: func(h handler.EventHandler, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			h.Update(context.Background(), event.UpdateEvent{ObjectOld: node(corev1.ConditionFalse), ObjectNew: node(corev1.ConditionTrue)}, q)
		}},
		{name: "no Ready condition to Ready", lifts: true, send: func(h handler.EventHandler, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			h.Update(context.Background(), event.UpdateEvent{ObjectOld: node(""), ObjectNew: node(corev1.ConditionTrue)}, q)
		}},
		{name: "registered Ready", lifts: true, send: func(h handler.EventHandler, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			h.Create(context.Background(), event.CreateEvent{Object: node(corev1.ConditionTrue)}, q)
		}},
		{name: "Ready Node of a watch's initial list", send: func(h handler.EventHandler, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			h.Create(context.Background(), event.CreateEvent{Object: node(corev1.ConditionTrue), IsInInitialList: true}, q)
		}},
		{name: "Ready to NotReady", send: func(h handler.EventHandler, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			h.Update(context.Background(), event.UpdateEvent{ObjectOld: node(corev1.ConditionTrue), ObjectNew: node(corev1.ConditionFalse)}, q)
		}},
		{name: "still Ready (a label changed)", send: func(h handler.EventHandler, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			h.Update(context.Background(), event.UpdateEvent{ObjectOld: node(corev1.ConditionTrue), ObjectNew: node(corev1.ConditionTrue)}, q)
		}},
		{name: "registered NotReady", send: func(h handler.EventHandler, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			h.Create(context.Background(), event.CreateEvent{Object: node(corev1.ConditionFalse)}, q)
		}},
		{name: "deleted", send: func(h handler.EventHandler, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			h.Delete(context.Background(), event.DeleteEvent{Object: node(corev1.ConditionTrue)}, q)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ctl := &recordingController{}
			r := &Reconciler{Client: fake.NewClientBuilder().WithScheme(statusTestScheme()).WithObjects(cluster).Build(), controller: ctl}
			q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
			defer q.ShutDown()

			tt.send(r.nodeEventHandler(client.ObjectKeyFromObject(cluster)), q)

			g.Expect(q.Len()).To(Equal(1), "every Node event enqueues the control plane")
			got, _ := q.Get()
			g.Expect(got).To(Equal(controlPlane))
			if tt.lifts {
				g.Expect(ctl.lifted).To(Equal([]reconcile.Request{controlPlane}))
			} else {
				g.Expect(ctl.lifted).To(BeEmpty())
			}
		})
	}
}
