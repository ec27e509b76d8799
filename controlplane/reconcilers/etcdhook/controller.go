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

package etcdhook

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	"sigs.k8s.io/cluster-api/util"
	"sigs.k8s.io/cluster-api/util/annotations"
	"sigs.k8s.io/cluster-api/util/conditions"
	capicontroller "sigs.k8s.io/cluster-api/util/controller"
	"sigs.k8s.io/cluster-api/util/predicates"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcdproxy"
	"github.com/k3s-io/cluster-api-k3s/pkg/workload"
)

// RBAC of the etcd hook controller (merged with the KThreesControlPlane controller's into one role):
// Machines are watched; the pre-terminate hook annotation is removed with a merge patch.
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=machines,verbs=get;list;watch;patch
// The Machine's Cluster and control plane are read from the cache.
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=clusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=controlplane.cluster.x-k8s.io,resources=kthreescontrolplanes,verbs=get;list;watch
// The etcd CA Secret is read from the API server (Secrets are not cached).
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// Events are created and, when repeated, patched by the event recorder.
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

const (
	// DefaultRemovalTimeout is how long K3s is given to remove a member before the controller stops waiting.
	DefaultRemovalTimeout = 5 * time.Minute

	controllerName = "kthreescontrolplane-etcdhook"
	// kthreesControlPlaneKind is the kind of the Machines' owner this controller cares for.
	kthreesControlPlaneKind = "KThreesControlPlane"
	// removalPollInterval paces the checks while K3s removes the member; Node changes also trigger them.
	removalPollInterval = 5 * time.Second
	// unreachablePollInterval paces the checks while the workload cluster is unreachable; connecting again triggers
	// a check through the Node watch.
	unreachablePollInterval = 15 * time.Second

	// Event reasons.
	eventEtcdMemberRemoved        = "EtcdMemberRemoved"
	eventEtcdMemberRemovalSkipped = "EtcdMemberRemovalSkipped"
	eventEtcdMemberNotRemoved     = "EtcdMemberRemovalTimedOut"
)

// Reconciler finishes the etcd pre-terminate hook of deleting control-plane Machines.
type Reconciler struct {
	// Client reads Machines, Clusters and KThreesControlPlanes from the manager's cache and patches Machines.
	Client client.Client
	// ClusterCache gives access to workload clusters and watches their Nodes.
	ClusterCache clustercache.ClusterCache
	// EtcdConnector reaches the etcd members of workload clusters; defaults to etcd.NewConnector(etcd.Config{}).
	EtcdConnector etcd.ClusterConnector
	// Recorder records events; defaults to the manager's recorder in SetupWithManager.
	Recorder record.EventRecorder
	// WatchFilterValue restricts the controller to objects with the cluster.x-k8s.io/watch-filter label value.
	WatchFilterValue string
	// RemovalTimeout is how long, from when CAPI starts waiting for the hook, K3s is given to remove the member
	// before it is removed through the etcd API or the hook is dropped anyway; DefaultRemovalTimeout when zero.
	RemovalTimeout time.Duration

	// workloadCluster and etcdClientGenerator open the workload cluster; tests replace them with mocks.
	workloadCluster     func(ctx context.Context, cluster client.ObjectKey) (workload.Cluster, error)
	etcdClientGenerator func(ctx context.Context, cluster client.ObjectKey) (etcd.ClientGenerator, error)
	// now is the clock; tests replace it.
	now func() time.Time

	controller capicontroller.Controller
	// requested remembers, by Machine UID, the removals already asked of K3s, so that waiting does not patch the
	// Node again and again. Lost on restart, which only costs one more (harmless) request.
	requested sync.Map
}

// SetupWithManager registers the controller: deleting control-plane Machines of KThreesControlPlanes that carry
// the hook, and (once connected, see Reconcile) the Nodes of their workload clusters.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, options controller.Options) error {
	if r.Client == nil || r.ClusterCache == nil {
		return errors.New("the etcd hook reconciler needs a Client and a ClusterCache")
	}
	if r.EtcdConnector == nil {
		r.EtcdConnector = etcd.NewConnector(etcd.Config{})
	}
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorderFor("k3s-control-plane-etcd-hook-controller")
	}
	predicateLog := ctrl.LoggerFrom(ctx).WithValues("controller", controllerName)
	c, err := capicontroller.NewControllerManagedBy(mgr, predicateLog).
		// Only deleting Machines have anything to do; the others' status updates (most Machine events) are skipped.
		For(&clusterv1.Machine{}, builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			m, ok := o.(*clusterv1.Machine)
			return ok && hasEtcdRemovalHook(m) && !m.DeletionTimestamp.IsZero()
		}))).
		Named(controllerName).
		WithOptions(options).
		WithEventFilter(predicates.ResourceHasFilterLabel(mgr.GetScheme(), predicateLog, r.WatchFilterValue)).
		Build(ctx, r)
	if err != nil {
		return fmt.Errorf("failed to set up the etcd hook controller: %w", err)
	}
	r.controller = c
	return nil
}

// hasEtcdRemovalHook reports whether the Machine is a control-plane Machine controlled by a KThreesControlPlane
// (of any API version, so Machines upstream's controller created and hooked count) and carries the hook.
func hasEtcdRemovalHook(m *clusterv1.Machine) bool {
	if m == nil || !util.IsControlPlaneMachine(m) || m.Annotations[controlplanev1.EtcdRemovalHookAnnotation] != controlplanev1.EtcdRemovalHookValue {
		return false
	}
	return controllerOf(m) != nil
}

// controllerOf returns the reference to the KThreesControlPlane controlling the Machine, nil if none does.
func controllerOf(m *clusterv1.Machine) *types.NamespacedName {
	for _, ref := range m.OwnerReferences {
		if ref.Controller == nil || !*ref.Controller || ref.Kind != kthreesControlPlaneKind {
			continue
		}
		gv, err := schema.ParseGroupVersion(ref.APIVersion)
		if err != nil || gv.Group != controlplanev1.GroupVersion.Group {
			continue
		}
		return &types.NamespacedName{Namespace: m.Namespace, Name: ref.Name}
	}
	return nil
}

// Reconcile finishes the hook of a deleting Machine once CAPI waits for it.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	m := &clusterv1.Machine{}
	if err := r.Client.Get(ctx, req.NamespacedName, m); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("failed to get Machine: %w", err)
	}
	if m.DeletionTimestamp.IsZero() || m.Annotations[controlplanev1.EtcdRemovalHookAnnotation] != controlplanev1.EtcdRemovalHookValue {
		r.requested.Delete(m.UID)
		return ctrl.Result{}, nil
	}
	log = log.WithValues("Cluster", klog.KRef(m.Namespace, m.Spec.ClusterName))
	ctx = ctrl.LoggerInto(ctx, log)

	// Drain and volume detach must be over: removing the member stops the K3s server on the Node.
	deleting := conditions.Get(m, clusterv1.MachineDeletingCondition)
	if deleting == nil || deleting.Reason != clusterv1.MachineDeletingWaitingForPreTerminateHookReason {
		log.V(4).Info("Waiting for the Machine to wait for its pre-terminate hooks")
		return ctrl.Result{}, nil
	}

	target, skipReason, err := r.removalTarget(ctx, m)
	if err != nil {
		return ctrl.Result{}, err
	}
	if target.cluster != nil && annotations.IsPaused(target.cluster, m) {
		log.V(4).Info("Reconciliation is paused")
		return ctrl.Result{}, nil
	}
	if skipReason != "" {
		log.Info("Not removing the etcd member: " + skipReason)
		r.event(m, corev1.EventTypeNormal, eventEtcdMemberRemovalSkipped, "Not removing the etcd member: %s", skipReason)
		return r.dropHook(ctx, m)
	}
	return r.removeEtcdMember(ctx, m, target, hookWaitStart(m, deleting))
}

// hookWaitStart is when CAPI started waiting for the pre-terminate hooks. The Deleting condition stays True from
// the start of the deletion, so its lastTransitionTime (which includes the drain) is only the fallback.
func hookWaitStart(m *clusterv1.Machine, deleting *metav1.Condition) time.Time {
	if m.Status.Deletion != nil && !m.Status.Deletion.WaitForPreTerminateHookStartTime.IsZero() {
		return m.Status.Deletion.WaitForPreTerminateHookStartTime.Time
	}
	return deleting.LastTransitionTime.Time
}

// removalTarget is what the removal of a Machine's member works with.
type removalTarget struct {
	cluster *clusterv1.Cluster
	kcp     *controlplanev1.KThreesControlPlane
	// others are the other control-plane Machines of the cluster that are not being deleted.
	others []*clusterv1.Machine
}

// removalTarget returns what the removal needs and, when the member is not to be removed, why: the Cluster or the
// KThreesControlPlane is gone or being deleted (the whole etcd goes), the Machine never had a Node (so no member),
// or it is the last control-plane Machine (removing the last member is impossible). The target's cluster is nil
// when the Cluster is gone.
func (r *Reconciler) removalTarget(ctx context.Context, m *clusterv1.Machine) (*removalTarget, string, error) {
	target := &removalTarget{}
	cluster := &clusterv1.Cluster{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: m.Spec.ClusterName}, cluster); err != nil {
		if apierrors.IsNotFound(err) {
			return target, "the Cluster is gone", nil
		}
		return nil, "", fmt.Errorf("failed to get the Cluster of Machine %s: %w", m.Name, err)
	}
	target.cluster = cluster
	if !cluster.DeletionTimestamp.IsZero() {
		return target, "the Cluster is being deleted", nil
	}
	owner := controllerOf(m)
	if owner == nil {
		return target, "no KThreesControlPlane controls the Machine", nil
	}
	kcp := &controlplanev1.KThreesControlPlane{}
	if err := r.Client.Get(ctx, *owner, kcp); err != nil {
		if apierrors.IsNotFound(err) {
			return target, "the KThreesControlPlane is gone", nil
		}
		return nil, "", fmt.Errorf("failed to get the KThreesControlPlane of Machine %s: %w", m.Name, err)
	}
	if !kcp.DeletionTimestamp.IsZero() {
		return target, "the KThreesControlPlane is being deleted", nil
	}
	if !m.Status.NodeRef.IsDefined() {
		return target, "the Machine has no Node", nil
	}

	machines := &clusterv1.MachineList{}
	if err := r.Client.List(ctx, machines, client.InNamespace(m.Namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: m.Spec.ClusterName},
		client.HasLabels{clusterv1.MachineControlPlaneLabel}); err != nil {
		return nil, "", fmt.Errorf("failed to list the control-plane Machines of Cluster %s: %w", m.Spec.ClusterName, err)
	}
	target.kcp = kcp
	for i := range machines.Items {
		other := &machines.Items[i]
		if other.Name != m.Name && other.DeletionTimestamp.IsZero() {
			target.others = append(target.others, other)
		}
	}
	if len(target.others) == 0 {
		return target, "no other control-plane Machine remains", nil
	}
	// Healthy members first, newest first: the most likely to answer and to stay.
	slices.SortStableFunc(target.others, func(a, b *clusterv1.Machine) int {
		aHealthy := conditions.IsTrue(a, controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition)
		bHealthy := conditions.IsTrue(b, controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition)
		if aHealthy != bHealthy {
			if aHealthy {
				return -1
			}
			return 1
		}
		if c := b.CreationTimestamp.Compare(a.CreationTimestamp.Time); c != 0 {
			return c
		}
		return compareStrings(a.Name, b.Name)
	})
	return target, "", nil
}

// compareStrings orders strings.
func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// etcdProxyEnabled reports whether the control plane's etcd members are reachable through the etcd proxy.
func etcdProxyEnabled(kcp *controlplanev1.KThreesControlPlane) bool {
	return !slices.Contains(kcp.Spec.KThreesConfigSpec.ServerConfig.DisableComponents, etcdproxy.Name)
}

// otherNodeNames are the Nodes of the other Machines, in the order of the Machines.
func (t *removalTarget) otherNodeNames() []string {
	var names []string
	for _, m := range t.others {
		if m.Status.NodeRef.IsDefined() {
			names = append(names, m.Status.NodeRef.Name)
		}
	}
	return names
}

// watchNodes starts, once per connection, the watch on the workload cluster's Nodes that re-triggers Machines when
// K3s marks their Node's member removed or the Node goes away.
func (r *Reconciler) watchNodes(ctx context.Context, cluster client.ObjectKey) {
	if r.ClusterCache == nil || r.controller == nil {
		return
	}
	err := r.ClusterCache.Watch(ctx, cluster, clustercache.NewWatcher(clustercache.WatcherOptions{
		Name:         controllerName + "-watchNodes",
		Watcher:      r.controller,
		Kind:         &corev1.Node{},
		EventHandler: handler.EnqueueRequestsFromMapFunc(nodeToMachine),
		Predicates:   []predicate.TypedPredicate[client.Object]{nodeRemovalProgressed()},
	}))
	if err != nil && !errors.Is(err, clustercache.ErrClusterNotConnected) {
		// Polling still makes progress; the watch only makes it faster.
		ctrl.LoggerFrom(ctx).Error(err, "Failed to watch the Nodes of the workload cluster")
	}
}

// nodeToMachine maps a workload Node to its Machine, through the annotations CAPI's Machine controller puts on it.
func nodeToMachine(_ context.Context, o client.Object) []reconcile.Request {
	name, namespace := o.GetAnnotations()[clusterv1.MachineAnnotation], o.GetAnnotations()[clusterv1.ClusterNamespaceAnnotation]
	if name == "" || namespace == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: namespace, Name: name}}}
}

// nodeRemovalProgressed passes the Node events that can end a wait: K3s marking the member removed, the Node
// being deleted.
func nodeRemovalProgressed() predicate.Funcs {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return true },
		UpdateFunc: func(e event.UpdateEvent) bool {
			_, removed := e.ObjectNew.GetAnnotations()[workload.AnnotationEtcdRemovedNodeName]
			return removed || !e.ObjectNew.GetDeletionTimestamp().IsZero()
		},
	}
}

// clock returns the reconciler's current time.
func (r *Reconciler) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}

// removalTimeout is RemovalTimeout or its default.
func (r *Reconciler) removalTimeout() time.Duration {
	if r.RemovalTimeout > 0 {
		return r.RemovalTimeout
	}
	return DefaultRemovalTimeout
}
