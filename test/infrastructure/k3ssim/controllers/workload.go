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

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cloudv1 "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/cloud/api/v1alpha1"
	inmemoryruntime "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/runtime"

	"github.com/k3s-io/cluster-api-k3s/pkg/etcdproxy"
	infrav1 "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/api/v1beta1"
	"github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/mux"
)

// Labels, annotations and names K3s and Kubernetes give nodes.
const (
	labelRoleControlPlane = "node-role.kubernetes.io/control-plane"
	labelRoleMaster       = "node-role.kubernetes.io/master"
	labelRoleEtcd         = "node-role.kubernetes.io/etcd"
	labelInstanceType     = "node.kubernetes.io/instance-type"
	labelZone             = "topology.kubernetes.io/zone"

	// annotationEtcdNodeName and annotationEtcdNodeAddress are set by K3s on servers: the etcd member name and
	// address.
	annotationEtcdNodeName    = "etcd.k3s.cattle.io/node-name"
	annotationEtcdNodeAddress = "etcd.k3s.cattle.io/node-address"
	// annotationEtcdRemove asks K3s to remove the node's etcd member; annotationEtcdRemovedNodeName is K3s's answer.
	annotationEtcdRemove          = "etcd.k3s.cattle.io/remove"
	annotationEtcdRemovedNodeName = "etcd.k3s.cattle.io/removed-node-name"

	// annotationNodeDeleted marks the etcd pod of a server whose machine is gone (a member never removed).
	annotationNodeDeleted = "k3ssim.infrastructure.cluster.x-k8s.io/node-deleted"

	// taintUnreachable and taintNotReady are the node lifecycle controller's taints.
	taintUnreachable = "node.kubernetes.io/unreachable"
	taintNotReady    = "node.kubernetes.io/not-ready"

	// k3sServingSecret tells the control plane that the first server initialized the cluster.
	k3sServingSecret = "k3s-serving"
)

// reserveCluster reserves the listener and the resource group of a K3sSimCluster and returns its port.
func (s *Simulator) reserveCluster(key client.ObjectKey, port int32) (int32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started || s.stopped {
		return 0, errors.New("the simulator is shut down")
	}
	name := listenerName(key)
	p, err := s.mux.InitWorkloadClusterListener(name, port)
	if err != nil {
		return 0, err
	}
	s.runtime.AddResourceGroup(name)
	if err := s.mux.RegisterResourceGroup(name, name); err != nil {
		return 0, err
	}
	if _, ok := s.clusters[name]; !ok {
		s.clusters[name] = &clusterState{name: name}
	}
	return p, nil
}

// releaseCluster drops the listener, the objects and the state of a K3sSimCluster.
func (s *Simulator) releaseCluster(key client.ObjectKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started || s.stopped {
		return nil
	}
	name := listenerName(key)
	if err := s.mux.DeleteWorkloadClusterListener(name); err != nil {
		return err
	}
	s.runtime.DeleteResourceGroup(name)
	delete(s.clusters, name)
	for uid, st := range s.machines {
		if st.cluster == name {
			delete(s.machines, uid)
		}
	}
	return nil
}

// machine returns the simulated node of a K3sSimMachine, nil if it has not booted.
func (s *Simulator) machine(uid types.UID) *machineState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.machines[uid]; ok {
		c := *st
		return &c
	}
	return nil
}

// bootStart returns when the machine started booting, recording now on the first call.
func (s *Simulator) bootStart(uid types.UID) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.bootStarted[uid]
	if !ok {
		t = time.Now()
		s.bootStarted[uid] = t
	}
	return t
}

func (s *Simulator) workload(cluster string) inmemoryruntime.Client {
	return s.runtime.GetResourceGroup(cluster).GetClient()
}

// checkNodeNameLocked refuses a node name that another node of the cluster has; K3s rejects its node password
// until that Node is deleted.
func (s *Simulator) checkNodeNameLocked(ctx context.Context, in *bootInput) error {
	err := s.workload(in.listener).Get(ctx, client.ObjectKey{Name: in.nodeName}, &corev1.Node{})
	switch {
	case err == nil:
		return waiting(infrav1.DuplicateNodeNameReason, waitRequeue,
			"Node %s already exists: K3s rejects a second node with the same name until that Node is deleted", in.nodeName)
	case apierrors.IsNotFound(err):
		return nil
	default:
		return fmt.Errorf("failed to look for Node %s: %w", in.nodeName, err)
	}
}

// startServerLocked starts a server: its Node, API server, etcd member and, for the first one, the namespaces
// and kube-system/k3s-serving.
func (s *Simulator) startServerLocked(ctx context.Context, cs *clusterState, in *bootInput, first bool) (*machineState, error) {
	c := s.workload(cs.name)
	if first {
		for _, ns := range []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease} {
			if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
				return nil, fmt.Errorf("failed to create namespace %s: %w", ns, err)
			}
		}
	}
	member := in.nodeName + "-" + randomHex(4)
	st := newMachineState(cs, in, true)
	st.etcdPod = "etcd-" + member
	memberID, err := randomID()
	if err != nil {
		return nil, err
	}
	nodeObj := newNode(in, st)
	nodeObj.Annotations[annotationEtcdNodeName] = member
	nodeObj.Annotations[annotationEtcdNodeAddress] = st.address
	if err := c.Create(ctx, nodeObj); err != nil {
		return nil, fmt.Errorf("failed to create Node %s: %w", in.nodeName, err)
	}
	pod := newEtcdPod(in, st, cs.etcdClusterID, memberID, first)
	if in.boot.EtcdProxy {
		ds, err := s.ensureEtcdProxyDaemonSetLocked(ctx, cs)
		if err != nil {
			return nil, errors.Join(err, s.stopMachineLocked(ctx, st))
		}
		pod.OwnerReferences = []metav1.OwnerReference{{
			APIVersion: appsv1.SchemeGroupVersion.String(), Kind: "DaemonSet", Name: ds.Name, UID: ds.UID,
			Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
		}}
	}
	if err := c.Create(ctx, pod); err != nil {
		return nil, errors.Join(fmt.Errorf("failed to create etcd pod %s: %w", pod.Name, err), s.stopMachineLocked(ctx, st))
	}
	if err := s.mux.AddAPIServer(cs.name, in.nodeName, cs.serverCA, cs.serverCAKey); err != nil {
		return nil, errors.Join(err, s.stopMachineLocked(ctx, st))
	}
	if in.knobs.EtcdUnhealthy != infrav1.EtcdUnreachable && !in.unreachable {
		if err := s.mux.AddEtcdMember(cs.name, st.etcdPod, cs.etcdCA, cs.etcdCAKey, st.certificatesExpiry()); err != nil {
			return nil, errors.Join(err, s.stopMachineLocked(ctx, st))
		}
	}
	if err := s.mux.StartListener(cs.name); err != nil {
		return nil, errors.Join(err, s.stopMachineLocked(ctx, st))
	}
	if first {
		if err := s.createServingSecretLocked(ctx, cs); err != nil {
			return nil, errors.Join(err, s.stopMachineLocked(ctx, st))
		}
	}
	return st, nil
}

// ensureEtcdProxyDaemonSetLocked creates the etcd-proxy DaemonSet K3s deploys from the auto-deploy manifest, if
// it does not exist, and returns it.
func (s *Simulator) ensureEtcdProxyDaemonSetLocked(ctx context.Context, cs *clusterState) (*appsv1.DaemonSet, error) {
	c := s.workload(cs.name)
	ds := &appsv1.DaemonSet{}
	err := c.Get(ctx, client.ObjectKey{Namespace: etcdproxy.Namespace, Name: etcdproxy.Name}, ds)
	if err == nil {
		return ds, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("failed to read the etcd-proxy DaemonSet: %w", err)
	}
	ds = etcdproxy.DaemonSet(etcdproxy.DefaultImage)
	// The inmemory API server sets no UIDs; owner references need one.
	ds.UID = types.UID(randomHex(16))
	if err := c.Create(ctx, ds); err != nil {
		return nil, fmt.Errorf("failed to create the etcd-proxy DaemonSet: %w", err)
	}
	return ds, nil
}

// createServingSecretLocked creates kube-system/k3s-serving with the API server's serving certificate.
func (s *Simulator) createServingSecretLocked(ctx context.Context, cs *clusterState) error {
	cert, key, err := s.mux.ServingCertificate(cs.name)
	if err != nil {
		return err
	}
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: k3sServingSecret, Namespace: metav1.NamespaceSystem},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: cert, corev1.TLSPrivateKeyKey: key},
	}
	if err := s.workload(cs.name).Create(ctx, sec); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to create secret kube-system/%s: %w", k3sServingSecret, err)
	}
	return nil
}

// startAgentLocked starts an agent: its Node.
func (s *Simulator) startAgentLocked(ctx context.Context, cs *clusterState, in *bootInput) (*machineState, error) {
	st := newMachineState(cs, in, false)
	if err := s.workload(cs.name).Create(ctx, newNode(in, st)); err != nil {
		return nil, fmt.Errorf("failed to create Node %s: %w", in.nodeName, err)
	}
	return st, nil
}

// newEtcdPod returns the pod that is both the server's etcd-proxy pod and the inmemory etcd member. The caller
// makes the etcd-proxy DaemonSet its controller, so that Cluster API's drain skips it.
func newEtcdPod(in *bootInput, st *machineState, clusterID, memberID int64, leader bool) *corev1.Pod {
	labels := map[string]string{}
	for k, v := range mux.EtcdMemberLabels {
		labels[k] = v
	}
	container := "etcd"
	if in.boot.EtcdProxy {
		for k, v := range etcdproxy.Labels() {
			labels[k] = v
		}
		container = etcdproxy.Name
	}
	annotations := map[string]string{
		cloudv1.EtcdClusterIDAnnotationName: fmt.Sprint(clusterID),
		cloudv1.EtcdMemberIDAnnotationName:  fmt.Sprint(memberID),
	}
	if leader {
		annotations[cloudv1.EtcdLeaderFromAnnotationName] = time.Now().Add(-time.Second).UTC().Format(time.RFC3339)
	}
	if in.knobs.EtcdUnhealthy == infrav1.EtcdAlarm {
		annotations[mux.AlarmAnnotation] = "NOSPACE"
	}
	if !in.boot.EtcdProxy {
		// K3s has no pod for etcd then; the member's pod is a static pod, which Cluster API's drain skips (it
		// cannot evict pods here: the inmemory API server serves no eviction).
		annotations[corev1.MirrorPodAnnotationKey] = "k3ssim"
	}
	now := metav1.Now()
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: st.etcdPod, Namespace: metav1.NamespaceSystem, Labels: labels, Annotations: annotations},
		Spec: corev1.PodSpec{
			NodeName:   st.nodeName,
			Containers: []corev1.Container{{Name: container, Image: etcdproxy.DefaultImage}},
		},
		Status: corev1.PodStatus{
			Phase:      corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}},
			HostIP:     st.address,
			PodIP:      st.address,
			StartTime:  &now,
		},
	}
}

// syncMachine applies the knobs to a running node: Node health and certificates expiry, the etcd member's
// reachability and alarm, and the progress of an upgrade held by nodeNotReadyAfterUpgrade.
func (s *Simulator) syncMachine(ctx context.Context, uid types.UID, knobs infrav1.K3sSimMachineSpec, unreachable bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.machines[uid]
	if !ok || s.stopped {
		return nil
	}
	st.knobs, st.unreachable = knobs, unreachable
	if st.upgrade != nil {
		// The upgrade knobs may have changed.
		s.queue.Add(workItem{resourceGroup: st.cluster, pod: st.upgrade.pod})
	}
	cs, ok := s.clusters[st.cluster]
	if !ok {
		return nil
	}
	c := s.workload(st.cluster)
	n := &corev1.Node{}
	if err := c.Get(ctx, client.ObjectKey{Name: st.nodeName}, n); err != nil {
		if apierrors.IsNotFound(err) {
			// Deleted in the workload cluster (kubectl delete node): K3s would register it again on restart only.
			return nil
		}
		return fmt.Errorf("failed to read Node %s: %w", st.nodeName, err)
	}
	orig := n.DeepCopy()
	healthChanged := setNodeHealth(n, st.health())
	if expiryChanged := setCertificatesExpiry(n, st); healthChanged || expiryChanged {
		if err := c.Patch(ctx, n, client.MergeFrom(orig)); err != nil {
			return fmt.Errorf("failed to update Node %s: %w", st.nodeName, err)
		}
	}
	if st.etcdPod == "" {
		return nil
	}
	reachable := knobs.EtcdUnhealthy != infrav1.EtcdUnreachable && !unreachable
	switch {
	case reachable:
		// Also issues a new serving certificate when spec.certificatesExpiry changed.
		if err := s.mux.AddEtcdMember(cs.name, st.etcdPod, cs.etcdCA, cs.etcdCAKey, st.certificatesExpiry()); err != nil {
			return err
		}
	case !reachable:
		if err := s.mux.DeleteEtcdMember(cs.name, st.etcdPod); err != nil {
			return err
		}
	}
	pod := &corev1.Pod{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: metav1.NamespaceSystem, Name: st.etcdPod}, pod); err != nil {
		return client.IgnoreNotFound(err)
	}
	_, hasAlarm := pod.Annotations[mux.AlarmAnnotation]
	if wantAlarm := knobs.EtcdUnhealthy == infrav1.EtcdAlarm; wantAlarm != hasAlarm {
		origPod := pod.DeepCopy()
		if wantAlarm {
			pod.Annotations[mux.AlarmAnnotation] = "NOSPACE"
		} else {
			delete(pod.Annotations, mux.AlarmAnnotation)
		}
		if err := c.Patch(ctx, pod, client.MergeFrom(origPod)); err != nil {
			return fmt.Errorf("failed to update etcd pod %s: %w", st.etcdPod, err)
		}
	}
	return nil
}

// stopMachine stops a simulated node (its machine is deleted): its Node, API server and etcd member serving
// go away. A member that was not removed stays listed (a member of an unreachable node, as in etcd); its pod
// loses the etcd-proxy label (the DaemonSet pod goes with the node).
func (s *Simulator) stopMachine(ctx context.Context, uid types.UID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.bootStarted, uid)
	st, ok := s.machines[uid]
	if !ok || s.stopped {
		return nil
	}
	if err := s.stopMachineLocked(ctx, st); err != nil {
		return err
	}
	delete(s.machines, uid)
	if st.upgrade != nil {
		// Its upgrade Pod ends Failed: no machine runs its Node anymore.
		s.queue.Add(workItem{resourceGroup: st.cluster, pod: st.upgrade.pod})
	}
	return nil
}

func (s *Simulator) stopMachineLocked(ctx context.Context, st *machineState) error {
	if _, ok := s.clusters[st.cluster]; !ok {
		return nil
	}
	c := s.workload(st.cluster)
	if err := c.Delete(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: st.nodeName}}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("failed to delete Node %s: %w", st.nodeName, err)
	}
	if !st.server {
		return nil
	}
	if err := s.mux.DeleteEtcdMember(st.cluster, st.etcdPod); err != nil {
		return err
	}
	if err := s.mux.DeleteAPIServer(st.cluster, st.nodeName); err != nil {
		return err
	}
	pod := &corev1.Pod{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: metav1.NamespaceSystem, Name: st.etcdPod}, pod); err != nil {
		return client.IgnoreNotFound(err)
	}
	if _, removed := pod.Annotations[cloudv1.EtcdMemberRemoved]; removed {
		if err := c.Delete(ctx, pod); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("failed to delete etcd pod %s: %w", pod.Name, err)
		}
		return nil
	}
	orig := pod.DeepCopy()
	for k := range etcdproxy.Labels() {
		delete(pod.Labels, k)
	}
	pod.Annotations[annotationNodeDeleted] = "true"
	pod.Status.Phase = corev1.PodFailed
	pod.Status.Conditions = nil
	if err := c.Patch(ctx, pod, client.MergeFrom(orig)); err != nil {
		return fmt.Errorf("failed to update etcd pod %s: %w", pod.Name, err)
	}
	return s.ensureLeaderLocked(ctx, st.cluster)
}
