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

package etcd

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/k3s-io/cluster-api-k3s/pkg/etcdproxy"
)

// ErrNoProxyPod is wrapped by the errors returned when a node has no Running etcd-proxy pod.
var ErrNoProxyPod = errors.New("no running etcd-proxy pod")

// proxyPods is a listing of the etcd-proxy pods of a cluster.
type proxyPods struct {
	// listedAt is when the pods were listed.
	listedAt time.Time

	// running maps a node name to the name of the Running pod chosen on it.
	running map[string]string

	// notRunning maps a node name to the phase of a pod on it that is not Running, for error messages.
	notRunning map[string]corev1.PodPhase
}

// listProxyPods lists the etcd-proxy pods of a cluster. Pods being deleted or not yet scheduled are ignored.
// When a node has several Running pods (during a DaemonSet update), a Ready one is preferred, then the newest.
func listProxyPods(ctx context.Context, reader client.Reader, now time.Time) (*proxyPods, error) {
	list := &corev1.PodList{}
	if err := reader.List(ctx, list, client.InNamespace(etcdproxy.Namespace), client.MatchingLabels(etcdproxy.Labels())); err != nil {
		return nil, fmt.Errorf("failed to list the etcd-proxy pods in namespace %s: %w", etcdproxy.Namespace, err)
	}
	pods := &proxyPods{listedAt: now, running: map[string]string{}, notRunning: map[string]corev1.PodPhase{}}
	candidates := map[string][]*corev1.Pod{}
	for i := range list.Items {
		pod := &list.Items[i]
		node := pod.Spec.NodeName
		switch {
		case node == "" || pod.DeletionTimestamp != nil:
			continue
		case pod.Status.Phase == corev1.PodRunning:
			candidates[node] = append(candidates[node], pod)
		default:
			pods.notRunning[node] = pod.Status.Phase
		}
	}
	for node, cs := range candidates {
		sort.Slice(cs, func(i, j int) bool { return preferPod(cs[i], cs[j]) })
		pods.running[node] = cs[0].Name
	}
	return pods, nil
}

// preferPod tells whether a should be dialed rather than b: Ready first, then the newest, then by name.
func preferPod(a, b *corev1.Pod) bool {
	if ra, rb := podReady(a), podReady(b); ra != rb {
		return ra
	}
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return b.CreationTimestamp.Before(&a.CreationTimestamp)
	}
	return a.Name < b.Name
}

// podReady tells whether the pod's Ready condition is True.
func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podFor returns the name of the Running etcd-proxy pod on the node, or an error wrapping ErrNoProxyPod.
func (p *proxyPods) podFor(nodeName string) (string, error) {
	if name, ok := p.running[nodeName]; ok {
		return name, nil
	}
	if phase, ok := p.notRunning[nodeName]; ok {
		return "", fmt.Errorf("%w on node %q: its pod is %s", ErrNoProxyPod, nodeName, phase)
	}
	return "", fmt.Errorf("%w on node %q: no pod labelled app=%s in namespace %s runs there",
		ErrNoProxyPod, nodeName, etcdproxy.Name, etcdproxy.Namespace)
}

// proxyPod returns the name of the etcd-proxy pod on the node, listing the cluster's pods again when the
// cached listing is missing, expired, or does not know the node. fresh tells whether the listing was made by
// this call.
func (c *Connector) proxyPod(ctx context.Context, cluster client.ObjectKey, reader client.Reader, nodeName string) (pod string, fresh bool, err error) {
	s := c.state(cluster)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := c.now()
	if s.pods != nil && now.Sub(s.pods.listedAt) < c.cfg.PodCacheTTL {
		if pod, err := s.pods.podFor(nodeName); err == nil {
			return pod, false, nil
		}
	}
	pods, err := listProxyPods(ctx, reader, now)
	if err != nil {
		return "", true, fmt.Errorf("cluster %s: %w", cluster, err)
	}
	s.pods = pods
	pod, err = pods.podFor(nodeName)
	if err != nil {
		return "", true, fmt.Errorf("cluster %s: %w", cluster, err)
	}
	return pod, true, nil
}
