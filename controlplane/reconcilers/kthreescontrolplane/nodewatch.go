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
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/util/workqueue"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/k3s-io/cluster-api-k3s/pkg/workload"
)

// watchWorkloadNodes starts, once per connection, a watch on the workload cluster's Nodes so that Node changes
// reconcile the control plane without polling. A cluster that is not connected yet is not an error: the
// ClusterCache source reconciles the control plane when it connects.
func (r *Reconciler) watchWorkloadNodes(ctx context.Context, cp *controlPlane) error {
	cluster := client.ObjectKeyFromObject(cp.Cluster)
	err := r.ClusterCache.Watch(ctx, cluster, clustercache.NewWatcher(clustercache.WatcherOptions{
		Name:         controllerName + "-watchNodes",
		Watcher:      r.controller,
		Kind:         &corev1.Node{},
		EventHandler: r.nodeEventHandler(cluster),
		Predicates:   []predicate.TypedPredicate[client.Object]{nodeChangedForControlPlane()},
	}))
	if err != nil && !errors.Is(err, clustercache.ErrClusterNotConnected) {
		return fmt.Errorf("failed to watch the Nodes of the workload cluster: %w", err)
	}
	return nil
}

// nodeEventHandler enqueues the watched cluster's control plane for a Node event. A Node turning Ready also lets
// that reconcile run at once, ahead of CAPI's per-object rate limit (one reconcile a second): the control plane
// becomes Available on this event, and while a server starts CAPI core writes its Machine about once a second, so
// the next free slot is up to a second away. A Node turns Ready once per start, so this cannot become a storm; a
// watch's initial list does not count.
func (r *Reconciler) nodeEventHandler(cluster client.ObjectKey) handler.EventHandler {
	toControlPlane := r.nodeToKThreesControlPlane(cluster)
	enqueue := func(ctx context.Context, node client.Object, turnedReady bool, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		for _, req := range toControlPlane(ctx, node) {
			if turnedReady {
				r.liftRateLimit(req)
			}
			q.Add(req)
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, e.Object, !e.IsInInitialList && nodeReadyStatus(e.Object) == corev1.ConditionTrue, q)
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, e.ObjectNew, nodeReadyStatus(e.ObjectOld) != corev1.ConditionTrue && nodeReadyStatus(e.ObjectNew) == corev1.ConditionTrue, q)
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, e.Object, false, q)
		},
		GenericFunc: func(ctx context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, e.Object, false, q)
		},
	}
}

// liftRateLimit lets the next reconcile of req run at once instead of in its next slot of CAPI's per-object rate
// limit; for rare events the control plane must act on without delay.
func (r *Reconciler) liftRateLimit(req reconcile.Request) {
	if r.controller != nil {
		r.controller.DeferNextReconcile(req, time.Time{})
	}
}

// nodeChangedForControlPlane passes the Node events the control plane reacts to: Nodes appearing or going away,
// readiness, role labels, taints (unreachable) and K3s's etcd removal annotations. Kubelet's periodic status
// updates change none of these, so at a thousand clusters they do not turn into reconciles.
func nodeChangedForControlPlane() predicate.Funcs {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			oldNode, okOld := e.ObjectOld.(*corev1.Node)
			newNode, okNew := e.ObjectNew.(*corev1.Node)
			if !okOld || !okNew {
				return true
			}
			return nodeReadyStatus(oldNode) != nodeReadyStatus(newNode) ||
				!equality.Semantic.DeepEqual(oldNode.Labels, newNode.Labels) ||
				!equality.Semantic.DeepEqual(oldNode.Spec.Taints, newNode.Spec.Taints) ||
				oldNode.Annotations[workload.AnnotationEtcdRemove] != newNode.Annotations[workload.AnnotationEtcdRemove] ||
				oldNode.Annotations[workload.AnnotationEtcdRemovedNodeName] != newNode.Annotations[workload.AnnotationEtcdRemovedNodeName] ||
				!oldNode.DeletionTimestamp.Equal(newNode.DeletionTimestamp)
		},
	}
}

// nodeReadyStatus is the status of the Node's Ready condition, "" when it has none or o is not a Node.
func nodeReadyStatus(o client.Object) corev1.ConditionStatus {
	n, ok := o.(*corev1.Node)
	if !ok {
		return ""
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return ""
}

// nodeToKThreesControlPlane maps the Nodes of one workload cluster, whose watch it serves, to that cluster's control
// plane. It does not rely on the cluster annotations CAPI's Machine controller puts on Nodes: those come after the
// Machine's nodeRef, and the control plane judges a new server from the moment its Node is Ready.
func (r *Reconciler) nodeToKThreesControlPlane(cluster client.ObjectKey) handler.MapFunc {
	return func(ctx context.Context, _ client.Object) []reconcile.Request {
		c := &clusterv1.Cluster{}
		if err := r.Client.Get(ctx, cluster, c); err != nil {
			return nil
		}
		return r.ClusterToKThreesControlPlane(ctx, c)
	}
}
