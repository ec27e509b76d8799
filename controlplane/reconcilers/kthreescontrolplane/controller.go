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
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	"sigs.k8s.io/cluster-api/util"
	capicontroller "sigs.k8s.io/cluster-api/util/controller"
	"sigs.k8s.io/cluster-api/util/finalizers"
	"sigs.k8s.io/cluster-api/util/paused"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/objpatch"
	"github.com/k3s-io/cluster-api-k3s/pkg/certs"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
	"github.com/k3s-io/cluster-api-k3s/pkg/workload"
)

// RBAC of the control-plane manager, one rule per need (docs/configuration.md):
// KThreesControlPlanes are watched and written only with merge patches (internal/objpatch, CAPI's paused and
// finalizer helpers), no update.
// +kubebuilder:rbac:groups=controlplane.cluster.x-k8s.io,resources=kthreescontrolplanes,verbs=get;list;watch;patch
// Status goes through a merge patch; finalizers/update lets Machines, KThreesConfigs and Secrets carry a
// blocking controller reference to their control plane (OwnerReferencesPermissionEnforcement).
// +kubebuilder:rbac:groups=controlplane.cluster.x-k8s.io,resources=kthreescontrolplanes/status,verbs=patch
// +kubebuilder:rbac:groups=controlplane.cluster.x-k8s.io,resources=kthreescontrolplanes/finalizers,verbs=update
// KThreesConfigs of new Machines are created, then kept with server-side apply and merge patches (adoption,
// field ownership); delete removes one left behind by a failed Machine creation.
// +kubebuilder:rbac:groups=bootstrap.cluster.x-k8s.io,resources=kthreesconfigs,verbs=get;list;watch;create;patch;delete
// The Cluster is read and watched, never written.
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=clusters,verbs=get;list;watch
// Machines are created with server-side apply (create is checked for an apply that creates), patched in place and
// deleted on scale down and remediation; their conditions are written with a status patch.
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=machines,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=machines/status,verbs=patch
// Infrastructure kinds are not known in advance: templates are read and patched (Cluster owner reference),
// InfraMachines are cloned with server-side apply, patched in place and deleted after a failed creation.
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=*,verbs=get;list;watch;create;patch;delete
// Secrets are read from the API server (not cached, so no list/watch): CAs, token and kubeconfig are created,
// the kubeconfig is updated on rotation, controller references are moved with a patch.
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;patch
// Events are created and, when repeated, patched by the event recorder.
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// CRDs are read (cached) for the contract labels that map a reference to the API version to use.
// +kubebuilder:rbac:groups=apiextensions.k8s.io,resources=customresourcedefinitions,verbs=get;list;watch

// Reconciler reconciles KThreesControlPlanes.
type Reconciler struct {
	// Client reads from the manager's cache (Secrets and ConfigMaps from the API server) and writes.
	Client client.Client
	// APIReader reads from the API server directly, where a stale cache would do harm.
	APIReader client.Reader
	// SecretReader reads the clusters' CA, token and kubeconfig Secrets, from a cache where it has them
	// (internal/secretcache); nil reads them through Client.
	SecretReader client.Reader
	// ClusterCache gives cached access to workload clusters and watches their Nodes.
	ClusterCache clustercache.ClusterCache
	// EtcdConnector reaches the etcd members of workload clusters; defaults to etcd.NewConnector(etcd.Config{}).
	EtcdConnector etcd.ClusterConnector
	// WatchFilterValue restricts the controller to objects with the cluster.x-k8s.io/watch-filter label value.
	WatchFilterValue string
	// RemoteConditionsGracePeriod is how long a lost workload-cluster connection is tolerated before the
	// conditions read from it turn Unknown.
	RemoteConditionsGracePeriod time.Duration
	// Recorder records events; defaults to the manager's recorder in SetupWithManager.
	Recorder record.EventRecorder
	// CertificateKeyAlgorithm is the key algorithm of the CAs the controller generates; empty is upstream's RSA-2048.
	CertificateKeyAlgorithm certs.KeyAlgorithm

	// workloadCluster and etcdClientGenerator open the workload cluster; tests replace them with mocks.
	workloadCluster     func(ctx context.Context, cluster client.ObjectKey) (workload.Cluster, error)
	etcdClientGenerator func(ctx context.Context, cluster client.ObjectKey) (etcd.ClientGenerator, error)
	// now is the clock; tests replace it.
	now func() time.Time

	controller capicontroller.Controller
	// machineDeleter deletes Machines and returns their resourceVersion after the deletion, for the stale-cache
	// guard.
	machineDeleter capicontroller.ClientWithDeleteResponse
	// ssaCache remembers server-side applies whose result is in place, so reconciles skip them.
	ssaCache *ssaCache
	// remember replaces rememberApplied when set; tests make it fail.
	remember func(intent, obj *unstructured.Unstructured) error
	// aggregateWrites delays status writes that only follow the Machines' provisioning (statuswrite.go).
	aggregateWrites *aggregateWrites
	// recordedExpiries remembers, by KThreesConfig UID, the certificates expiry last written and the
	// resourceVersion it was written over, so that a cache not showing the write yet does not cause a second one.
	recordedExpiries sync.Map
}

// Reconcile moves a KThreesControlPlane towards its desired state and reports its status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, reterr error) {
	log := ctrl.LoggerFrom(ctx)

	kcp := &controlplanev1.KThreesControlPlane{}
	if err := r.Client.Get(ctx, req.NamespacedName, kcp); err != nil {
		if apierrors.IsNotFound(err) {
			if r.controller != nil {
				r.controller.ClearConsistencyStore(req.NamespacedName, "")
			}
			r.forgetDeferredWrite(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("failed to get KThreesControlPlane: %w", err)
	}

	cluster, err := util.GetOwnerCluster(ctx, r.Client, kcp.ObjectMeta)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("failed to get the owner Cluster: %w", err)
	}
	if cluster == nil {
		// CAPI's Cluster controller sets the owner reference; that update triggers the next reconcile.
		log.V(4).Info("Waiting for the Cluster controller to set the owner reference")
		return ctrl.Result{}, nil
	}
	log = log.WithValues("Cluster", klog.KObj(cluster))
	ctx = ctrl.LoggerInto(ctx, log)

	if objpatch.IsPaused(cluster, kcp) {
		r.forgetDeferredWrite(req.NamespacedName)
		_, _, err := paused.EnsurePausedCondition(ctx, r.Client, cluster, kcp)
		return ctrl.Result{}, err
	}

	if kcp.DeletionTimestamp.IsZero() {
		// Added before anything is created, so nothing can be left behind. The reconcile goes on from the patched
		// object: the watch ignores the controller's own finalizer and status writes (internal/ownwrites).
		if _, err := finalizers.EnsureFinalizer(ctx, r.Client, kcp, controlplanev1.KThreesControlPlaneFinalizer); err != nil {
			return ctrl.Result{}, err
		}
	}

	patchHelper, err := objpatch.NewHelper(kcp, r.Client)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("failed to create a patch helper: %w", err)
	}
	before := kcp.DeepCopy()
	// Written by the final patch, not with a patch of its own.
	objpatch.SetNotPausedCondition(kcp)

	cp, err := r.newControlPlane(ctx, cluster, kcp)
	if err != nil {
		// The final patch is not reached: the Paused condition goes now.
		if patchErr := r.patchPausedCondition(ctx, patchHelper, kcp); patchErr != nil {
			err = kerrors.NewAggregate([]error{err, patchErr})
		}
		return ctrl.Result{}, err
	}

	defer func() {
		// Status is computed from what this reconcile saw and did, and written even when it failed.
		if err := r.updateStatus(ctx, cp); err != nil {
			reterr = kerrors.NewAggregate([]error{reterr, err})
		}
		setConditions(cp)
		machinesWait, err := r.patchMachines(ctx, cp)
		if err != nil {
			reterr = kerrors.NewAggregate([]error{reterr, err})
		}
		wait, err := r.patchControlPlane(ctx, patchHelper, before, cp)
		if err != nil {
			reterr = kerrors.NewAggregate([]error{reterr, err})
		}
		for _, w := range []time.Duration{wait, machinesWait} {
			if w > 0 && reterr == nil && (res.RequeueAfter == 0 || w < res.RequeueAfter) {
				res.RequeueAfter = w
			}
		}
	}()

	if !kcp.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, cp)
	}
	return r.reconcile(ctx, cp)
}

// patchKThreesControlPlane writes what the reconcile changed: the status (conditions included) with one patch, the
// rest (finalizers, annotations) with another, each only when it changed.
func patchKThreesControlPlane(ctx context.Context, patchHelper *objpatch.Helper, kcp *controlplanev1.KThreesControlPlane) error {
	if err := patchHelper.Patch(ctx, kcp, objpatch.WithStatusObservedGeneration()); err != nil {
		return fmt.Errorf("failed to patch KThreesControlPlane: %w", err)
	}
	return nil
}

// clock returns the reconciler's current time.
func (r *Reconciler) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}
