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

package machinesim

import (
	"context"
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

const (
	// machineFinalizer is CAPI's Machine finalizer, which the simulated Machine controller adds and removes.
	machineFinalizer = clusterv1.MachineFinalizer
	// etcdRemoveAnnotation and etcdRemovedNodeNameAnnotation are K3s's member-removal annotations.
	etcdRemoveAnnotation          = "etcd.k3s.cattle.io/remove"
	etcdRemovedNodeNameAnnotation = "etcd.k3s.cattle.io/removed-node-name"
)

// Simulator plays CAPI's Machine controller and K3s for control-plane Machines in one API server.
type Simulator struct {
	Client client.Client
	Etcd   *Etcd

	mu sync.Mutex
	// neverBoot names Machines that never get a Node.
	neverBoot map[string]bool
	// notReady names Nodes reported NotReady.
	notReady map[string]bool
	// violations record K3s member removals requested before the Machine's drain finished.
	violations []string
}

// Violations lists the etcd member removals that were requested for a Machine not yet waiting for its
// pre-terminate hooks, i.e. before drain and volume detach were done.
func (s *Simulator) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// NewSimulator returns a simulator writing through c (an uncached client is best).
func NewSimulator(c client.Client, e *Etcd) *Simulator {
	return &Simulator{Client: c, Etcd: e, neverBoot: map[string]bool{}, notReady: map[string]bool{}}
}

// NeverBoot makes the named Machine never get a Node.
func (s *Simulator) NeverBoot(machineName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.neverBoot[machineName] = true
}

// boots reports whether the named Machine gets a Node.
func (s *Simulator) boots(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.neverBoot[name]
}

// SetNodeNotReady marks a Node NotReady (or Ready again).
func (s *Simulator) SetNodeNotReady(ctx context.Context, nodeName string, notReady bool) error {
	s.mu.Lock()
	s.notReady[nodeName] = notReady
	s.mu.Unlock()
	node := &corev1.Node{}
	if err := s.Client.Get(ctx, client.ObjectKey{Name: nodeName}, node); err != nil {
		return err
	}
	return s.setNodeStatus(ctx, node)
}

// SetupWithManager registers the simulated Machine controller and K3s's Node handling.
func (s *Simulator) SetupWithManager(mgr ctrl.Manager) error {
	err := ctrl.NewControllerManagedBy(mgr).Named("machinesim-machine").
		For(&clusterv1.Machine{}, builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			_, cp := o.GetLabels()[clusterv1.MachineControlPlaneLabel]
			return cp
		}))).
		WithOptions(controller.Options{MaxConcurrentReconciles: 4}).
		Complete(reconcileFunc(s.reconcileMachine))
	if err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).Named("machinesim-node").
		For(&corev1.Node{}).
		Complete(reconcileFunc(s.reconcileNode))
}

type reconcileFunc func(context.Context, ctrl.Request) (ctrl.Result, error)

func (f reconcileFunc) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return f(ctx, req)
}

// reconcileMachine gives a Machine its Node and etcd member, and finishes its deletion once no pre-terminate hook
// is left, as CAPI does after drain.
func (s *Simulator) reconcileMachine(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	m := &clusterv1.Machine{}
	if err := s.Client.Get(ctx, req.NamespacedName, m); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	clusterKey := client.ObjectKey{Namespace: m.Namespace, Name: m.Spec.ClusterName}
	if !m.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, s.deleteMachine(ctx, m, clusterKey)
	}
	if !controllerutil.ContainsFinalizer(m, machineFinalizer) {
		controllerutil.AddFinalizer(m, machineFinalizer)
		return ctrl.Result{}, s.Client.Update(ctx, m)
	}
	if m.Status.NodeRef.IsDefined() || !s.boots(m.Name) {
		return ctrl.Result{}, nil
	}
	// A server joins only an initialized cluster (its first server created the serving secret).
	initialized, err := s.initialized(ctx, clusterKey)
	if err != nil {
		return ctrl.Result{}, err
	}
	if initialized && len(s.Etcd.MemberNodes(clusterKey)) == 0 {
		return ctrl.Result{}, fmt.Errorf("cluster %s is initialized but has no etcd member left", clusterKey)
	}
	if err := s.createNode(ctx, m, clusterKey); err != nil {
		return ctrl.Result{}, err
	}
	s.Etcd.AddMember(clusterKey, m.Name)
	if !initialized {
		serving := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: m.Namespace, Name: ServingSecretName(m.Spec.ClusterName)}}
		if err := s.Client.Create(ctx, serving); err != nil && !apierrors.IsAlreadyExists(err) {
			return ctrl.Result{}, err
		}
	}
	m.Status.NodeRef = clusterv1.MachineNodeReference{Name: m.Name}
	m.Status.Initialization.InfrastructureProvisioned = ptr.To(true)
	m.Status.Initialization.BootstrapDataSecretCreated = ptr.To(true)
	for _, t := range []string{clusterv1.MachineReadyCondition, clusterv1.MachineAvailableCondition, clusterv1.MachineNodeHealthyCondition,
		clusterv1.MachineInfrastructureReadyCondition, clusterv1.MachineBootstrapConfigReadyCondition} {
		conditions.Set(m, metav1.Condition{Type: t, Status: metav1.ConditionTrue, Reason: "Simulated"})
	}
	return ctrl.Result{}, s.Client.Status().Update(ctx, m)
}

// deleteMachine waits for the pre-terminate hooks, then deletes the Node and releases the Machine.
func (s *Simulator) deleteMachine(ctx context.Context, m *clusterv1.Machine, clusterKey client.ObjectKey) error {
	if !controllerutil.ContainsFinalizer(m, machineFinalizer) {
		return nil
	}
	for k := range m.Annotations {
		if strings.HasPrefix(k, clusterv1.PreTerminateDeleteHookAnnotationPrefix) {
			if c := conditions.Get(m, clusterv1.MachineDeletingCondition); c != nil && c.Reason == clusterv1.MachineDeletingWaitingForPreTerminateHookReason {
				return nil
			}
			conditions.Set(m, metav1.Condition{
				Type: clusterv1.MachineDeletingCondition, Status: metav1.ConditionTrue,
				Reason: clusterv1.MachineDeletingWaitingForPreTerminateHookReason, Message: "Waiting for pre-terminate hooks",
			})
			return s.Client.Status().Update(ctx, m)
		}
	}
	if m.Status.NodeRef.IsDefined() {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: m.Status.NodeRef.Name}}
		if err := s.Client.Delete(ctx, node); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	controllerutil.RemoveFinalizer(m, machineFinalizer)
	return s.Client.Update(ctx, m)
}

func (s *Simulator) createNode(ctx context.Context, m *clusterv1.Machine, clusterKey client.ObjectKey) error {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: m.Name,
			Labels: map[string]string{
				"node-role.kubernetes.io/control-plane": "true",
				"node-role.kubernetes.io/etcd":          "true",
				"node-role.kubernetes.io/master":        "true",
			},
			Annotations: map[string]string{
				clusterv1.ClusterNameAnnotation:      clusterKey.Name,
				clusterv1.ClusterNamespaceAnnotation: clusterKey.Namespace,
				clusterv1.MachineAnnotation:          m.Name,
			},
		},
		Spec: corev1.NodeSpec{ProviderID: "machinesim://" + m.Name},
	}
	if err := s.Client.Create(ctx, node); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return s.setNodeStatus(ctx, node)
}

func (s *Simulator) setNodeStatus(ctx context.Context, node *corev1.Node) error {
	s.mu.Lock()
	status := corev1.ConditionTrue
	if s.notReady[node.Name] {
		status = corev1.ConditionFalse
	}
	s.mu.Unlock()
	node.Status.Conditions = []corev1.NodeCondition{{
		Type: corev1.NodeReady, Status: status, Reason: "Simulated", LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now(),
	}}
	return s.Client.Status().Update(ctx, node)
}

// reconcileNode removes the etcd member of a Node annotated for removal, as K3s's etcd member controller does.
func (s *Simulator) reconcileNode(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	node := &corev1.Node{}
	if err := s.Client.Get(ctx, req.NamespacedName, node); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if node.Annotations[etcdRemoveAnnotation] != "true" || node.Annotations[etcdRemovedNodeNameAnnotation] != "" {
		return ctrl.Result{}, nil
	}
	clusterKey := client.ObjectKey{Namespace: node.Annotations[clusterv1.ClusterNamespaceAnnotation], Name: node.Annotations[clusterv1.ClusterNameAnnotation]}
	s.checkDrained(ctx, clusterKey.Namespace, node.Annotations[clusterv1.MachineAnnotation])
	s.Etcd.RemoveMemberOfNode(clusterKey, node.Name)
	base := node.DeepCopy()
	node.Annotations[etcdRemovedNodeNameAnnotation] = node.Name
	return ctrl.Result{}, s.Client.Patch(ctx, node, client.MergeFrom(base))
}

// checkDrained records a violation unless the Machine is deleting and waits for its pre-terminate hooks.
func (s *Simulator) checkDrained(ctx context.Context, namespace, machineName string) {
	m := &clusterv1.Machine{}
	err := s.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: machineName}, m)
	if err == nil {
		c := conditions.Get(m, clusterv1.MachineDeletingCondition)
		if !m.DeletionTimestamp.IsZero() && c != nil && c.Reason == clusterv1.MachineDeletingWaitingForPreTerminateHookReason {
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = append(s.violations, fmt.Sprintf("etcd member of Machine %s/%s removal requested before drain (get error: %v)", namespace, machineName, err))
}

func (s *Simulator) initialized(ctx context.Context, cluster client.ObjectKey) (bool, error) {
	err := s.Client.Get(ctx, client.ObjectKey{Namespace: cluster.Namespace, Name: ServingSecretName(cluster.Name)}, &corev1.Secret{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// ServingSecretName is where the simulator keeps a cluster's kube-system/k3s-serving secret: in the cluster's
// namespace, as all clusters share one API server.
func ServingSecretName(clusterName string) string {
	return clusterName + "-sim-k3s-serving"
}
