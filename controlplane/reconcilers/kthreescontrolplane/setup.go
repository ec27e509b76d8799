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

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	capicontroller "sigs.k8s.io/cluster-api/util/controller"
	"sigs.k8s.io/cluster-api/util/predicates"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/ownwrites"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
)

// SetupWithManager registers the controller with its watches: KThreesControlPlanes, their Machines, their
// Clusters, the ClusterCache's connection events and (once connected) the workload clusters' Nodes.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, options controller.Options) error {
	if r.Client == nil || r.APIReader == nil || r.ClusterCache == nil {
		return errors.New("the KThreesControlPlane reconciler needs a Client, an APIReader and a ClusterCache")
	}
	if r.EtcdConnector == nil {
		r.EtcdConnector = etcd.NewConnector(etcd.Config{})
	}
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorderFor("k3s-control-plane-controller")
	}
	scheme := mgr.GetScheme()
	machineDeleter, err := capicontroller.NewClientWithDeleteResponse(&clusterv1.Machine{},
		schema.GroupResource{Group: clusterv1.GroupVersion.Group, Resource: "machines"}, scheme, mgr.GetConfig(), mgr.GetHTTPClient())
	if err != nil {
		return fmt.Errorf("failed to create the Machine deletion client: %w", err)
	}
	r.machineDeleter = machineDeleter
	predicateLog := ctrl.LoggerFrom(ctx).WithValues("controller", controllerName)

	c, err := capicontroller.NewControllerManagedBy(mgr, predicateLog).
		For(&controlplanev1.KThreesControlPlane{}, builder.WithPredicates(ownwrites.IgnoreStatusUpdates())).
		Named(controllerName).
		WithOptions(options).
		Owns(&clusterv1.Machine{}).
		Watches(&clusterv1.Machine{}, r.machineCaughtUpHandler()).
		Watches(&clusterv1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.ClusterToKThreesControlPlane), clusterChangedForControlPlane(scheme, predicateLog)).
		WatchesRawSource(r.ClusterCache.GetClusterSource(controllerName, r.ClusterToKThreesControlPlane,
			clustercache.WatchForProbeFailure(r.remoteConditionsGracePeriod()))).
		WithEventFilter(predicates.ResourceHasFilterLabel(scheme, predicateLog, r.WatchFilterValue)).
		Build(ctx, r)
	if err != nil {
		return fmt.Errorf("failed to set up the KThreesControlPlane controller: %w", err)
	}
	r.controller = c
	return nil
}

// ClusterToKThreesControlPlane maps a Cluster to the KThreesControlPlane its controlPlaneRef names.
func (r *Reconciler) ClusterToKThreesControlPlane(_ context.Context, o client.Object) []ctrl.Request {
	cluster, ok := o.(*clusterv1.Cluster)
	if !ok {
		return nil
	}
	ref := cluster.Spec.ControlPlaneRef
	if !ref.IsDefined() || ref.Kind != "KThreesControlPlane" || ref.APIGroup != controlplanev1.GroupVersion.Group {
		return nil
	}
	return []ctrl.Request{{NamespacedName: client.ObjectKey{Namespace: cluster.Namespace, Name: ref.Name}}}
}

// clusterChangedForControlPlane passes Cluster events that can unblock a control plane: pause toggles, the
// infrastructure provisioned with a valid control-plane endpoint (creation or transition), endpoint, failure
// domains and topology version changes. CAPI's Cluster controller sets the endpoint a moment after it reports the
// infrastructure provisioned; a control plane can do nothing with one without the other, and reconciling on the
// first would, under CAPI's per-object rate limit, hold back the reconcile of the second by a second.
func clusterChangedForControlPlane(scheme *runtime.Scheme, log logr.Logger) predicate.Predicate {
	return predicate.Or(
		predicates.ClusterPausedTransitions(scheme, log),
		predicates.ClusterCreateInfraProvisioned(scheme, log),
		predicates.ClusterTopologyVersionChanged(scheme, log),
		predicate.Funcs{
			CreateFunc:  func(event.CreateEvent) bool { return false },
			DeleteFunc:  func(event.DeleteEvent) bool { return false },
			GenericFunc: func(event.GenericEvent) bool { return false },
			UpdateFunc: func(e event.UpdateEvent) bool {
				oldCluster, okOld := e.ObjectOld.(*clusterv1.Cluster)
				newCluster, okNew := e.ObjectNew.(*clusterv1.Cluster)
				if !okOld || !okNew {
					return false
				}
				if readyForMachines(oldCluster) != readyForMachines(newCluster) {
					return true
				}
				return (readyForMachines(newCluster) && oldCluster.Spec.ControlPlaneEndpoint != newCluster.Spec.ControlPlaneEndpoint) ||
					!equality.Semantic.DeepEqual(oldCluster.Status.FailureDomains, newCluster.Status.FailureDomains)
			},
		},
	)
}

// readyForMachines reports whether the Cluster's infrastructure is provisioned and its control-plane endpoint known,
// which the control plane needs before it creates certificates, the kubeconfig and Machines.
func readyForMachines(cluster *clusterv1.Cluster) bool {
	return ptr.Deref(cluster.Status.Initialization.InfrastructureProvisioned, false) && cluster.Spec.ControlPlaneEndpoint.IsValid()
}

// isNotFound reports whether err is a NotFound API error, or an aggregate of only such errors (as patch helpers
// return).
func isNotFound(err error) bool {
	if apierrors.IsNotFound(err) {
		return true
	}
	var agg kerrors.Aggregate
	if !errors.As(err, &agg) || len(agg.Errors()) == 0 {
		return false
	}
	for _, e := range agg.Errors() {
		if !isNotFound(e) {
			return false
		}
	}
	return true
}

// remoteConditionsGracePeriod is how long a lost connection is tolerated before conditions turn Unknown.
func (r *Reconciler) remoteConditionsGracePeriod() time.Duration {
	if r.RemoteConditionsGracePeriod > 0 {
		return r.RemoteConditionsGracePeriod
	}
	return 5 * time.Minute
}
