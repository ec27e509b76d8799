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
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
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
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	infrav1 "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/api/v1beta1"
	"github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/node"
)

// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=k3ssimmachines;k3ssimmachines/status;k3ssimmachines/finalizers,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=k3ssimclusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=machines;machines/status,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// Bootstrap data secret keys (CAPI's contract).
const (
	bootstrapValueKey  = "value"
	bootstrapFormatKey = "format"
)

// machineReconciler simulates the nodes of K3sSimMachines.
type machineReconciler struct {
	client           client.Client
	recorder         record.EventRecorder
	sim              *Simulator
	watchFilterValue string
}

func (r *machineReconciler) setupWithManager(ctx context.Context, mgr ctrl.Manager, options controller.Options, wake <-chan event.GenericEvent) error {
	predicateLog := ctrl.LoggerFrom(ctx).WithValues("controller", "k3ssimmachine")
	err := ctrl.NewControllerManagedBy(mgr).
		For(&infrav1.K3sSimMachine{}).
		Named("k3ssimmachine").
		WithOptions(options).
		Watches(&clusterv1.Machine{}, handler.EnqueueRequestsFromMapFunc(
			util.MachineToInfrastructureMapFunc(infrav1.GroupVersion.WithKind("K3sSimMachine")))).
		Watches(&clusterv1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.clusterToMachines)).
		Watches(&infrav1.K3sSimCluster{}, handler.EnqueueRequestsFromMapFunc(r.simClusterToMachines)).
		WatchesRawSource(source.Channel(wake, handler.EnqueueRequestsFromMapFunc(r.wakeToMachines))).
		WithEventFilter(predicates.ResourceHasFilterLabel(mgr.GetScheme(), predicateLog, r.watchFilterValue)).
		Complete(r)
	if err != nil {
		return fmt.Errorf("failed to set up the K3sSimMachine controller: %w", err)
	}
	return nil
}

// clusterToMachines maps a Cluster to its K3sSimMachines.
func (r *machineReconciler) clusterToMachines(ctx context.Context, o client.Object) []reconcile.Request {
	return r.machinesOf(ctx, o.GetNamespace(), o.GetName())
}

// simClusterToMachines maps a K3sSimCluster to the K3sSimMachines of its Cluster.
func (r *machineReconciler) simClusterToMachines(ctx context.Context, o client.Object) []reconcile.Request {
	if name := o.GetLabels()[clusterv1.ClusterNameLabel]; name != "" {
		return r.machinesOf(ctx, o.GetNamespace(), name)
	}
	for _, ref := range o.GetOwnerReferences() {
		if ref.Kind == "Cluster" && ref.APIVersion == clusterv1.GroupVersion.String() {
			return r.machinesOf(ctx, o.GetNamespace(), ref.Name)
		}
	}
	return nil
}

// wakeToMachines maps a wakeup (a cluster was initialized) to the K3sSimMachines not booted yet.
func (r *machineReconciler) wakeToMachines(ctx context.Context, _ client.Object) []reconcile.Request {
	list := &infrav1.K3sSimMachineList{}
	var opts []client.ListOption
	if r.watchFilterValue != "" {
		opts = append(opts, client.MatchingLabels{clusterv1.WatchLabel: r.watchFilterValue})
	}
	if err := r.client.List(ctx, list, opts...); err != nil {
		return nil
	}
	var reqs []reconcile.Request
	for i := range list.Items {
		if !ptr.Deref(list.Items[i].Status.Initialization.Provisioned, false) {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return reqs
}

func (r *machineReconciler) machinesOf(ctx context.Context, namespace, cluster string) []reconcile.Request {
	list := &infrav1.K3sSimMachineList{}
	if err := r.client.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: cluster}); err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return reqs
}

func (r *machineReconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, reterr error) {
	simMachine := &infrav1.K3sSimMachine{}
	if err := r.client.Get(ctx, req.NamespacedName, simMachine); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if added, err := finalizers.EnsureFinalizer(ctx, r.client, simMachine, infrav1.MachineFinalizer); err != nil || added {
		return ctrl.Result{}, err
	}
	helper, err := patch.NewHelper(simMachine, r.client)
	if err != nil {
		return ctrl.Result{}, err
	}
	defer func() {
		setReadyCondition(simMachine)
		if err := helper.Patch(ctx, simMachine, patch.WithOwnedConditions{Conditions: []string{
			infrav1.ReadyCondition, infrav1.BootedCondition, clusterv1.PausedCondition,
		}}); err != nil && (!apierrors.IsNotFound(err) || simMachine.DeletionTimestamp.IsZero()) {
			reterr = errors.Join(reterr, fmt.Errorf("failed to patch the K3sSimMachine: %w", err))
		}
	}()

	machine, err := util.GetOwnerMachine(ctx, r.client, simMachine.ObjectMeta)
	if err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err
	}
	var cluster *clusterv1.Cluster
	if machine != nil {
		ctx = ctrl.LoggerInto(ctx, ctrl.LoggerFrom(ctx).WithValues("Machine", klog.KObj(machine)))
		if cluster, err = util.GetClusterFromMetadata(ctx, r.client, machine.ObjectMeta); err != nil && !apierrors.IsNotFound(err) {
			return ctrl.Result{}, err
		}
	}
	if cluster != nil {
		ctx = ctrl.LoggerInto(ctx, ctrl.LoggerFrom(ctx).WithValues("Cluster", klog.KObj(cluster)))
		if isPaused, requeue, err := paused.EnsurePausedCondition(ctx, r.client, cluster, simMachine); err != nil || isPaused || requeue {
			return ctrl.Result{}, err
		}
	}
	if !simMachine.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.reconcileDelete(ctx, simMachine)
	}
	if machine == nil || cluster == nil {
		ctrl.LoggerFrom(ctx).Info("Waiting for the Machine controller to set the owner reference and cluster label")
		return ctrl.Result{}, nil
	}
	return r.reconcileNormal(ctx, cluster, machine, simMachine)
}

// setReadyCondition mirrors Booted into Ready, except while deleting.
func setReadyCondition(m *infrav1.K3sSimMachine) {
	if !m.DeletionTimestamp.IsZero() {
		conditions.Set(m, metav1.Condition{Type: infrav1.ReadyCondition, Status: metav1.ConditionFalse, Reason: infrav1.DeletingReason})
		return
	}
	booted := conditions.Get(m, infrav1.BootedCondition)
	if booted == nil {
		return
	}
	conditions.Set(m, metav1.Condition{Type: infrav1.ReadyCondition, Status: booted.Status, Reason: booted.Reason, Message: booted.Message})
}

// setBooted sets the Booted condition.
func setBooted(m *infrav1.K3sSimMachine, status metav1.ConditionStatus, reason, message string) {
	conditions.Set(m, metav1.Condition{Type: infrav1.BootedCondition, Status: status, Reason: reason, Message: message})
}

// terminalReasons are the Booted reasons after which a machine never boots. (NeverBoot is not one: clearing
// spec.neverBoot lets the machine boot.)
var terminalReasons = map[string]bool{
	infrav1.InvalidBootstrapDataReason:      true,
	infrav1.JoinRejectedReason:              true,
	infrav1.ClusterAlreadyInitializedReason: true,
	infrav1.CertificateMismatchReason:       true,
}

func (r *machineReconciler) reconcileNormal(ctx context.Context, cluster *clusterv1.Cluster, machine *clusterv1.Machine, m *infrav1.K3sSimMachine) (ctrl.Result, error) {
	if m.Spec.ProviderID == "" {
		m.Spec.ProviderID = infrav1.ProviderIDPrefix + m.Namespace + "/" + m.Name
	}
	m.Status.FailureDomain = machine.Spec.FailureDomain
	if m.Status.FailureDomain == "" {
		m.Status.FailureDomain = m.Spec.FailureDomain
	}
	unreachable := !machine.DeletionTimestamp.IsZero() && ptr.Deref(m.Spec.UnreachableDuringRemoval, false)

	if st := r.sim.machine(m.UID); st != nil {
		return untilNodeReady(m, st), r.reconcileRunning(ctx, m, st, unreachable)
	}
	if ptr.Deref(m.Spec.NeverBoot, false) {
		setBooted(m, metav1.ConditionFalse, infrav1.NeverBootReason, "spec.neverBoot is set: the machine never boots")
		return ctrl.Result{}, nil
	}
	if c := conditions.Get(m, infrav1.BootedCondition); c != nil && c.Status == metav1.ConditionFalse && terminalReasons[c.Reason] {
		return ctrl.Result{}, nil
	}

	simCluster, err := r.simCluster(ctx, cluster)
	if err != nil {
		return ctrl.Result{}, err
	}
	if simCluster == nil || !ptr.Deref(simCluster.Status.Initialization.Provisioned, false) || simCluster.Spec.ControlPlaneEndpoint.Port == 0 {
		setBooted(m, metav1.ConditionFalse, infrav1.WaitingForClusterInfrastructureReason, "Waiting for the K3sSimCluster to reserve the endpoint")
		return ctrl.Result{}, nil
	}
	if machine.Spec.Bootstrap.DataSecretName == nil {
		setBooted(m, metav1.ConditionFalse, infrav1.WaitingForBootstrapDataReason, "Waiting for the Machine's spec.bootstrap.dataSecretName")
		return ctrl.Result{}, nil
	}
	boot, err := r.readBootstrapData(ctx, machine)
	if err != nil {
		return r.bootFailed(m, err)
	}
	delay := time.Duration(m.Spec.BootDelaySeconds) * time.Second
	if remaining := delay - time.Since(r.sim.bootStart(m.UID)); remaining > 0 {
		setBooted(m, metav1.ConditionFalse, infrav1.BootingReason, fmt.Sprintf("Booting (spec.bootDelaySeconds is %d)", m.Spec.BootDelaySeconds))
		return ctrl.Result{RequeueAfter: remaining}, nil
	}

	in := &bootInput{
		uid:           m.UID,
		listener:      listenerName(client.ObjectKeyFromObject(simCluster)),
		endpoint:      simCluster.Spec.ControlPlaneEndpoint,
		nodeName:      boot.NodeNameFor(machine.Name),
		providerID:    m.Spec.ProviderID,
		version:       boot.Version,
		failureDomain: m.Status.FailureDomain,
		boot:          boot,
		knobs:         m.Spec,
		unreachable:   unreachable,
	}
	if in.version == "" {
		in.version = machine.Spec.Version
	}
	if boot.Role == node.RoleServer && boot.ClusterInit {
		if in.cas, err = readClusterCAs(ctx, r.client, client.ObjectKeyFromObject(cluster)); err != nil {
			return r.bootFailed(m, err)
		}
	}
	st, err := r.sim.boot(ctx, in)
	if err != nil {
		return r.bootFailed(m, err)
	}
	r.recorder.Eventf(m, corev1.EventTypeNormal, "Booted", "Node %s is up as a K3s %s", st.nodeName, boot.Role)
	return untilNodeReady(m, st), r.reconcileRunning(ctx, m, st, unreachable)
}

// untilNodeReady asks for the reconcile that turns the Node Ready once spec.nodeReadyDelaySeconds passed.
func untilNodeReady(m *infrav1.K3sSimMachine, st *machineState) ctrl.Result {
	if wait := time.Until(nodeReadyFrom(st.started, m.Spec)); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}
	}
	return ctrl.Result{}
}

// bootFailed reports why the machine does not boot; a terminal failure is also recorded as a Warning event.
func (r *machineReconciler) bootFailed(m *infrav1.K3sSimMachine, err error) (ctrl.Result, error) {
	var be *bootError
	if !errors.As(err, &be) {
		return ctrl.Result{}, err
	}
	prev := conditions.Get(m, infrav1.BootedCondition)
	setBooted(m, metav1.ConditionFalse, be.reason, be.message)
	if be.terminal && (prev == nil || prev.Reason != be.reason) {
		r.recorder.Event(m, corev1.EventTypeWarning, be.reason, "The machine never boots: "+be.message)
	}
	return ctrl.Result{RequeueAfter: be.requeueAfter}, nil
}

// reconcileRunning reports a running node and applies the knobs to it.
func (r *machineReconciler) reconcileRunning(ctx context.Context, m *infrav1.K3sSimMachine, st *machineState, unreachable bool) error {
	if err := r.sim.syncMachine(ctx, m.UID, m.Spec, unreachable); err != nil {
		return err
	}
	m.Status.NodeName = st.nodeName
	m.Status.EtcdMemberName = ""
	if st.etcdPod != "" {
		m.Status.EtcdMemberName = st.etcdPod[len("etcd-"):]
	}
	m.Status.Addresses = []clusterv1.MachineAddress{
		{Type: clusterv1.MachineInternalIP, Address: st.address},
		{Type: clusterv1.MachineHostName, Address: st.nodeName},
	}
	m.Status.Initialization.Provisioned = ptr.To(true)
	setBooted(m, metav1.ConditionTrue, infrav1.BootedReason, "")
	return nil
}

// simCluster returns the Cluster's K3sSimCluster, nil if the Cluster has none (yet).
func (r *machineReconciler) simCluster(ctx context.Context, cluster *clusterv1.Cluster) (*infrav1.K3sSimCluster, error) {
	ref := cluster.Spec.InfrastructureRef
	if ref.Name == "" || ref.Kind != "K3sSimCluster" || ref.APIGroup != infrav1.GroupVersion.Group {
		return nil, nil
	}
	simCluster := &infrav1.K3sSimCluster{}
	if err := r.client.Get(ctx, client.ObjectKey{Namespace: cluster.Namespace, Name: ref.Name}, simCluster); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	return simCluster, nil
}

// readBootstrapData reads and checks the Machine's bootstrap data; invalid data is a terminal boot error.
func (r *machineReconciler) readBootstrapData(ctx context.Context, machine *clusterv1.Machine) (*node.Boot, error) {
	name := *machine.Spec.Bootstrap.DataSecretName
	s := &corev1.Secret{}
	if err := r.client.Get(ctx, client.ObjectKey{Namespace: machine.Namespace, Name: name}, s); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, waiting(infrav1.WaitingForBootstrapDataReason, waitRequeue, "Waiting for the bootstrap data secret %s", name)
		}
		return nil, fmt.Errorf("failed to read the bootstrap data secret %s: %w", name, err)
	}
	value, ok := s.Data[bootstrapValueKey]
	if !ok {
		return nil, failed(infrav1.InvalidBootstrapDataReason, "The bootstrap data secret %s has no %q key", name, bootstrapValueKey)
	}
	boot, err := node.Parse(string(s.Data[bootstrapFormatKey]), value)
	if err != nil {
		return nil, failed(infrav1.InvalidBootstrapDataReason, "The bootstrap data of secret %s cannot be read: %v", name, err)
	}
	if err := boot.Validate(); err != nil {
		return nil, failed(infrav1.InvalidBootstrapDataReason, "The bootstrap data of secret %s would not start K3s: %v", name, err)
	}
	return boot, nil
}

// reconcileDelete stops the simulated node, then removes the finalizer.
func (r *machineReconciler) reconcileDelete(ctx context.Context, m *infrav1.K3sSimMachine) error {
	if err := r.sim.stopMachine(ctx, m.UID); err != nil {
		return err
	}
	controllerutil.RemoveFinalizer(m, infrav1.MachineFinalizer)
	return nil
}
