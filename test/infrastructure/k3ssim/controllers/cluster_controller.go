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

package controllers

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/cluster-api/util/finalizers"
	"sigs.k8s.io/cluster-api/util/patch"
	"sigs.k8s.io/cluster-api/util/paused"
	"sigs.k8s.io/cluster-api/util/predicates"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	infrav1 "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/api/v1beta1"
	"github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/mux"
)

// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=k3ssimclusters;k3ssimclusters/status;k3ssimclusters/finalizers,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=clusters;clusters/status,verbs=get;list;watch

// clusterReconciler reserves the endpoints of K3sSimClusters.
type clusterReconciler struct {
	client           client.Client
	sim              *Simulator
	watchFilterValue string
}

// setupWithManager registers the controller. It uses controller-runtime's builder, not Cluster API's: Cluster
// API's rate-limits reconciles of an object to one a second, which would slow simulated clusters down for no gain.
func (r *clusterReconciler) setupWithManager(ctx context.Context, mgr ctrl.Manager, options controller.Options) error {
	predicateLog := ctrl.LoggerFrom(ctx).WithValues("controller", "k3ssimcluster")
	err := ctrl.NewControllerManagedBy(mgr).
		For(&infrav1.K3sSimCluster{}).
		Named("k3ssimcluster").
		WithOptions(options).
		Watches(&clusterv1.Cluster{}, handler.EnqueueRequestsFromMapFunc(
			util.ClusterToInfrastructureMapFunc(ctx, infrav1.GroupVersion.WithKind("K3sSimCluster"), mgr.GetClient(), &infrav1.K3sSimCluster{}))).
		WithEventFilter(predicates.ResourceHasFilterLabel(mgr.GetScheme(), predicateLog, r.watchFilterValue)).
		Complete(r)
	if err != nil {
		return fmt.Errorf("failed to set up the K3sSimCluster controller: %w", err)
	}
	return nil
}

func (r *clusterReconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, reterr error) {
	simCluster := &infrav1.K3sSimCluster{}
	if err := r.client.Get(ctx, req.NamespacedName, simCluster); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !simCluster.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.reconcileDelete(ctx, simCluster)
	}
	cluster, err := util.GetOwnerCluster(ctx, r.client, simCluster.ObjectMeta)
	if err != nil {
		return ctrl.Result{}, err
	}
	if cluster == nil {
		ctrl.LoggerFrom(ctx).Info("Waiting for the Cluster controller to set the owner reference")
		return ctrl.Result{}, nil
	}
	ctx = ctrl.LoggerInto(ctx, ctrl.LoggerFrom(ctx).WithValues("Cluster", klog.KObj(cluster)))
	if added, err := finalizers.EnsureFinalizer(ctx, r.client, simCluster, infrav1.ClusterFinalizer); err != nil || added {
		return ctrl.Result{}, err
	}
	helper, err := patch.NewHelper(simCluster, r.client)
	if err != nil {
		return ctrl.Result{}, err
	}
	defer func() {
		if err := helper.Patch(ctx, simCluster, patch.WithOwnedConditions{Conditions: []string{
			infrav1.ReadyCondition, clusterv1.PausedCondition,
		}}); err != nil {
			reterr = errors.Join(reterr, fmt.Errorf("failed to patch the K3sSimCluster: %w", err))
		}
	}()
	if isPaused, requeue, err := paused.EnsurePausedCondition(ctx, r.client, cluster, simCluster); err != nil || isPaused || requeue {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, r.reconcileNormal(simCluster)
}

// reconcileNormal reserves the listener and publishes the endpoint and failure domains.
func (r *clusterReconciler) reconcileNormal(simCluster *infrav1.K3sSimCluster) error {
	port, err := r.sim.reserveCluster(client.ObjectKeyFromObject(simCluster), simCluster.Spec.ControlPlaneEndpoint.Port)
	if err != nil {
		conditions.Set(simCluster, metav1.Condition{
			Type: infrav1.ReadyCondition, Status: metav1.ConditionFalse, Reason: clusterv1.NotReadyReason,
			Message: fmt.Sprintf("Failed to reserve an endpoint: %v", err),
		})
		return err
	}
	simCluster.Spec.ControlPlaneEndpoint = clusterv1.APIEndpoint{Host: mux.Host, Port: port}
	simCluster.Status.FailureDomains = simCluster.Spec.FailureDomains
	simCluster.Status.Initialization.Provisioned = ptr.To(true)
	conditions.Set(simCluster, metav1.Condition{
		Type: infrav1.ReadyCondition, Status: metav1.ConditionTrue, Reason: infrav1.EndpointReservedReason,
	})
	return nil
}

// reconcileDelete drops the cluster's listener and objects, then the finalizer.
func (r *clusterReconciler) reconcileDelete(ctx context.Context, simCluster *infrav1.K3sSimCluster) error {
	if !controllerutil.ContainsFinalizer(simCluster, infrav1.ClusterFinalizer) {
		return nil
	}
	if err := r.sim.releaseCluster(client.ObjectKeyFromObject(simCluster)); err != nil {
		return err
	}
	orig := simCluster.DeepCopy()
	controllerutil.RemoveFinalizer(simCluster, infrav1.ClusterFinalizer)
	if err := r.client.Patch(ctx, simCluster, client.MergeFrom(orig)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("failed to remove the finalizer of the K3sSimCluster: %w", err)
	}
	return nil
}
