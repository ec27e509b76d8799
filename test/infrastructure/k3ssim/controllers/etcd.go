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
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cloudv1 "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/cloud/api/v1alpha1"

	"github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/mux"
)

// watchWorkloads makes changes of workload Nodes and Pods enqueue work: Nodes asking for the removal of their
// etcd member, leader checks when an etcd member changes, and upgrade Pods.
func (s *Simulator) watchWorkloads(ctx context.Context) error {
	cache := s.runtime.GetCache()
	nodes, err := cache.GetInformer(ctx, &corev1.Node{})
	if err != nil {
		return fmt.Errorf("failed to watch workload Nodes: %w", err)
	}
	if err := nodes.AddEventHandler(informHandler(func(rg string, obj client.Object) {
		if wantsMemberRemoval(obj) {
			s.queue.Add(workItem{resourceGroup: rg, node: obj.GetName()})
		}
	})); err != nil {
		return err
	}
	pods, err := cache.GetInformer(ctx, &corev1.Pod{})
	if err != nil {
		return fmt.Errorf("failed to watch workload Pods: %w", err)
	}
	return pods.AddEventHandler(informHandler(func(rg string, obj client.Object) {
		switch {
		case obj.GetLabels()[labelUpgradePod] == "true":
			s.queue.Add(workItem{resourceGroup: rg, pod: client.ObjectKeyFromObject(obj)})
		case obj.GetNamespace() == metav1.NamespaceSystem && obj.GetLabels()["component"] == mux.EtcdMemberLabels["component"]:
			s.queue.Add(workItem{resourceGroup: rg})
		}
	}))
}

// informHandler calls f on every event. The inmemory cache calls handlers while it holds its locks, so f must
// not use the cache: it only enqueues.
type informHandler func(resourceGroup string, obj client.Object)

func (f informHandler) OnCreate(rg string, obj client.Object)    { f(rg, obj) }
func (f informHandler) OnUpdate(rg string, _, obj client.Object) { f(rg, obj) }
func (f informHandler) OnDelete(rg string, obj client.Object)    { f(rg, obj) }
func (f informHandler) OnGeneric(rg string, obj client.Object)   { f(rg, obj) }

// wantsMemberRemoval tells whether a Node asks K3s to remove its etcd member and has no answer yet.
func wantsMemberRemoval(obj client.Object) bool {
	a := obj.GetAnnotations()
	_, done := a[annotationEtcdRemovedNodeName]
	return a[annotationEtcdRemove] == "true" && !done && obj.GetDeletionTimestamp().IsZero()
}

// work processes the queue until it shuts down, one item at a time.
func (s *Simulator) work(ctx context.Context) {
	defer close(s.workDone)
	for {
		item, shutdown := s.queue.Get()
		if shutdown {
			return
		}
		err := s.process(ctx, item)
		switch {
		case err != nil:
			s.log.Error(err, "Failed to process workload change, will retry", "cluster", item.resourceGroup, "node", item.node, "pod", item.pod)
			s.queue.AddRateLimited(item)
		default:
			s.queue.Forget(item)
		}
		s.queue.Done(item)
	}
}

func (s *Simulator) process(ctx context.Context, item workItem) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clusters[item.resourceGroup]; !ok || s.stopped {
		return nil
	}
	switch {
	case item.node != "":
		return s.removeMemberLocked(ctx, item.resourceGroup, item.node)
	case item.pod.Name != "":
		return s.upgradeLocked(ctx, item.resourceGroup, item.pod)
	}
	return s.ensureLeaderLocked(ctx, item.resourceGroup)
}

// removeMemberLocked does what K3s's etcd member controller does for a Node annotated
// etcd.k3s.cattle.io/remove=true: it removes the node's member (as the etcd handler's MemberRemove does) and
// annotates the Node etcd.k3s.cattle.io/removed-node-name with the member name. Nodes without the etcd role are
// ignored, as K3s ignores them.
func (s *Simulator) removeMemberLocked(ctx context.Context, cluster, nodeName string) error {
	c := s.workload(cluster)
	n := &corev1.Node{}
	if err := c.Get(ctx, client.ObjectKey{Name: nodeName}, n); err != nil {
		return client.IgnoreNotFound(err)
	}
	if !wantsMemberRemoval(n) || n.Labels[labelRoleEtcd] != "true" {
		return nil
	}
	if len(s.mux.APIServers(cluster)) == 0 {
		// No server runs K3s's controllers; the annotation is handled once one does.
		s.queue.AddAfter(workItem{resourceGroup: cluster, node: nodeName}, waitRequeue)
		return nil
	}
	pods, err := s.etcdPodsLocked(ctx, cluster)
	if err != nil {
		return err
	}
	memberName := n.Annotations[annotationEtcdNodeName]
	for i := range pods {
		pod := &pods[i]
		if pod.Spec.NodeName != nodeName {
			continue
		}
		if _, removed := pod.Annotations[cloudv1.EtcdMemberRemoved]; removed {
			continue
		}
		orig := pod.DeepCopy()
		pod.Annotations[cloudv1.EtcdMemberRemoved] = ""
		if err := c.Patch(ctx, pod, client.MergeFrom(orig)); err != nil {
			return fmt.Errorf("failed to remove the etcd member of pod %s: %w", pod.Name, err)
		}
		memberName = pod.Name[len("etcd-"):]
		s.log.Info("etcd member removed on Node annotation", "cluster", cluster, "node", nodeName, "member", memberName)
	}
	if memberName == "" {
		memberName = nodeName
	}
	if err := s.ensureLeaderLocked(ctx, cluster); err != nil {
		return err
	}
	orig := n.DeepCopy()
	n.Annotations[annotationEtcdRemovedNodeName] = memberName
	if err := c.Patch(ctx, n, client.MergeFrom(orig)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("failed to annotate Node %s: %w", nodeName, err)
	}
	return nil
}

// etcdPodsLocked lists the etcd member pods of a cluster, by name.
func (s *Simulator) etcdPodsLocked(ctx context.Context, cluster string) ([]corev1.Pod, error) {
	list := &corev1.PodList{}
	if err := s.workload(cluster).List(ctx, list, client.InNamespace(metav1.NamespaceSystem), client.MatchingLabels(mux.EtcdMemberLabels)); err != nil {
		return nil, fmt.Errorf("failed to list the etcd member pods: %w", err)
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	return list.Items, nil
}

// ensureLeaderLocked plays etcd's leader election among the members that are not removed: with a quorum of
// members on running machines, a member on a running machine leads (the current leader if it runs, else the
// first by name); without a quorum, no member leads.
//
// The inmemory etcd handler takes as leader the member whose leader-from annotation is the latest (RFC 3339, in
// seconds); an elected member gets a time after every other member's.
func (s *Simulator) ensureLeaderLocked(ctx context.Context, cluster string) error {
	pods, err := s.etcdPodsLocked(ctx, cluster)
	if err != nil {
		return err
	}
	var members, live []*corev1.Pod
	var leader *corev1.Pod
	var leaderFrom time.Time
	for i := range pods {
		pod := &pods[i]
		if _, removed := pod.Annotations[cloudv1.EtcdMemberRemoved]; removed {
			continue
		}
		members = append(members, pod)
		if pod.Annotations[annotationNodeDeleted] != "true" {
			live = append(live, pod)
		}
		if t, err := time.Parse(time.RFC3339, pod.Annotations[cloudv1.EtcdLeaderFromAnnotationName]); err == nil && t.After(leaderFrom) {
			leader, leaderFrom = pod, t
		}
	}
	if len(members) == 0 {
		return nil
	}
	c := s.workload(cluster)
	if len(live)*2 <= len(members) {
		// No quorum: no leader.
		for _, pod := range members {
			if _, ok := pod.Annotations[cloudv1.EtcdLeaderFromAnnotationName]; ok {
				orig := pod.DeepCopy()
				delete(pod.Annotations, cloudv1.EtcdLeaderFromAnnotationName)
				if err := c.Patch(ctx, pod, client.MergeFrom(orig)); err != nil {
					return fmt.Errorf("failed to update etcd pod %s: %w", pod.Name, err)
				}
			}
		}
		if leader != nil {
			s.log.Info("etcd lost its quorum: no leader", "cluster", cluster, "members", len(members), "running", len(live))
		}
		return nil
	}
	if leader != nil && leader.Annotations[annotationNodeDeleted] != "true" {
		return nil
	}
	elected := live[0]
	t := time.Now().UTC().Truncate(time.Second)
	if !t.After(leaderFrom) {
		t = leaderFrom.Add(time.Second)
	}
	orig := elected.DeepCopy()
	elected.Annotations[cloudv1.EtcdLeaderFromAnnotationName] = t.Format(time.RFC3339)
	if err := c.Patch(ctx, elected, client.MergeFrom(orig)); err != nil {
		return fmt.Errorf("failed to make etcd pod %s the leader: %w", elected.Name, err)
	}
	s.log.Info("etcd leader elected", "cluster", cluster, "member", elected.Name[len("etcd-"):])
	return nil
}
