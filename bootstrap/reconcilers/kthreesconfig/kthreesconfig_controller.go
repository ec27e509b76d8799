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

package kthreesconfig

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util"
	capicontroller "sigs.k8s.io/cluster-api/util/controller"
	"sigs.k8s.io/cluster-api/util/paused"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/objpatch"
	"github.com/k3s-io/cluster-api-k3s/pkg/certs"
)

// InitLocker serialises the initialisation of a cluster's first control-plane node.
type InitLocker interface {
	Lock(ctx context.Context, cluster *clusterv1.Cluster, machine *clusterv1.Machine) bool
	Unlock(ctx context.Context, cluster *clusterv1.Cluster) bool
}

// RBAC of the bootstrap manager, one rule per need (docs/configuration.md):
// KThreesConfigs are watched and written only with merge patches (internal/objpatch, CAPI's paused helper), no
// update.
// +kubebuilder:rbac:groups=bootstrap.cluster.x-k8s.io,resources=kthreesconfigs,verbs=get;list;watch;patch
// Status goes through a merge patch; finalizers/update lets the data and CA Secrets carry a blocking controller
// reference to their KThreesConfig (OwnerReferencesPermissionEnforcement).
// +kubebuilder:rbac:groups=bootstrap.cluster.x-k8s.io,resources=kthreesconfigs/status,verbs=patch
// +kubebuilder:rbac:groups=bootstrap.cluster.x-k8s.io,resources=kthreesconfigs/finalizers,verbs=update
// Owners and the Cluster are read from the cache and watched; the bootstrap provider never writes them.
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=clusters;machines;machinepools,verbs=get;list;watch
// Secrets: metadata watch (join token, files' contentFrom), reads, creation of the data, CA and token Secrets, and
// update of a data Secret left over by an interrupted reconcile. Secrets are never patched or deleted here (owner
// references let the garbage collector remove them).
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update
// The init lock ConfigMap (<cluster>-lock): read, created to lock, deleted to unlock.
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;create;delete
// Events are created and, when repeated, patched by the event recorder.
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// Reconciler reconciles KThreesConfigs.
type Reconciler struct {
	// Client reads from the manager's cache and writes to the API server.
	Client client.Client
	// APIReader reads from the API server directly; used where a stale cache would do harm (secrets a config
	// reads, which are not cached).
	APIReader client.Reader
	// WatchFilterValue restricts the controller to objects with the cluster.x-k8s.io/watch-filter label value.
	WatchFilterValue string
	// InitLock serialises cluster initialisation; defaults to upstream's ConfigMap mutex (<cluster>-lock).
	InitLock InitLocker
	// Recorder records events; defaults to the manager's recorder in SetupWithManager.
	Recorder record.EventRecorder
	// CertificateKeyAlgorithm is the key algorithm of the CAs the controller generates when no control plane did;
	// empty is upstream's RSA-2048.
	CertificateKeyAlgorithm certs.KeyAlgorithm

	// controller makes the next reconcile of a config wait until the cache shows the config's last write; set by
	// SetupWithManager.
	controller capicontroller.Controller
}

// Reconcile moves a KThreesConfig towards having its bootstrap data secret.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, reterr error) {
	log := ctrl.LoggerFrom(ctx)

	config := &bootstrapv1.KThreesConfig{}
	if err := r.Client.Get(ctx, req.NamespacedName, config); err != nil {
		if apierrors.IsNotFound(err) {
			if r.controller != nil {
				r.controller.ClearConsistencyStore(req.NamespacedName, "")
			}
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("failed to get KThreesConfig: %w", err)
	}

	owner, err := getConfigOwner(ctx, r.Client, config)
	if err != nil {
		if apierrors.IsNotFound(err) {
			// The owner is not in the cache yet; its creation triggers a reconcile through the Machine watch.
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("failed to get the owner of KThreesConfig: %w", err)
	}
	if owner == nil {
		log.V(4).Info("Waiting for an owner Machine or MachinePool to set its OwnerRef")
		return ctrl.Result{}, nil
	}
	log = log.WithValues(owner.Kind(), klog.KObj(owner.Object()))

	cluster, err := util.GetClusterByName(ctx, r.Client, config.Namespace, owner.ClusterName())
	if err != nil {
		if apierrors.IsNotFound(err) || errors.Is(err, util.ErrNoCluster) {
			// The Cluster watch reconciles this config once the Cluster exists.
			log.V(4).Info("Waiting for the Cluster of the owner")
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("failed to get the Cluster of KThreesConfig: %w", err)
	}
	log = log.WithValues("Cluster", klog.KObj(cluster))
	ctx = ctrl.LoggerInto(ctx, log)

	if objpatch.IsPaused(cluster, config) {
		_, _, err := paused.EnsurePausedCondition(ctx, r.Client, cluster, config)
		return ctrl.Result{}, err
	}
	patchHelper, err := objpatch.NewHelper(config, r.Client)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("failed to create a patch helper: %w", err)
	}
	// Written by the final patch, not with a patch of its own.
	objpatch.SetNotPausedCondition(config)

	defer func() {
		setReadyCondition(config)
		if err := r.patchKThreesConfig(ctx, patchHelper, config, reterr == nil); err != nil {
			reterr = kerrors.NewAggregate([]error{reterr, err})
		}
	}()

	if !config.DeletionTimestamp.IsZero() {
		// Nothing to clean up: the bootstrap secret is garbage-collected through its owner reference.
		return ctrl.Result{}, nil
	}
	return r.reconcileNormal(ctx, &scope{config: config, owner: owner, cluster: cluster})
}

// patchKThreesConfig writes what the reconcile changed: the status (conditions included) with one patch locked to
// the config as read, the rest (spec.version) with another, each only when it changed. After a write, the next
// reconcile waits until the cache shows it, so that it does not compute the status from an older copy (whose
// patch would conflict).
func (r *Reconciler) patchKThreesConfig(ctx context.Context, patchHelper *objpatch.Helper, config *bootstrapv1.KThreesConfig, observed bool) error {
	var opts []objpatch.Option
	if observed {
		opts = append(opts, objpatch.WithStatusObservedGeneration())
	}
	if err := patchHelper.Patch(ctx, config, opts...); err != nil {
		return fmt.Errorf("failed to patch KThreesConfig: %w", err)
	}
	if rv := patchHelper.WrittenResourceVersion(); rv != "" && r.controller != nil {
		r.controller.DeferNextReconcileUntilCacheUpToDate(config, capicontroller.StructuredObject(bootstrapv1.GroupVersion, "KThreesConfig"), rv)
	}
	return nil
}

// scope is what one reconcile of a KThreesConfig works on.
type scope struct {
	config  *bootstrapv1.KThreesConfig
	owner   *configOwner
	cluster *clusterv1.Cluster
}
