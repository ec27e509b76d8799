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
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// podOption modifies a test pod.
type podOption func(*corev1.Pod)

// proxyPod returns an etcd-proxy pod on the node, Running and Ready unless options say otherwise.
func proxyPod(name, node string, opts ...podOption) *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:              name,
			Namespace:         "kube-system",
			Labels:            map[string]string{"app": "etcd-proxy"},
			CreationTimestamp: metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		},
		Spec: corev1.PodSpec{NodeName: node},
		Status: corev1.PodStatus{
			Phase:      corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		},
	}
	for _, o := range opts {
		o(pod)
	}
	return pod
}

func withPhase(phase corev1.PodPhase) podOption {
	return func(p *corev1.Pod) { p.Status.Phase = phase }
}

func notReady(p *corev1.Pod) { p.Status.Conditions[0].Status = corev1.ConditionFalse }

func createdAt(t time.Time) podOption {
	return func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(t) }
}

func deleting(p *corev1.Pod) {
	now := metav1.Now()
	p.DeletionTimestamp = &now
	p.Finalizers = []string{"test"}
}

func inNamespace(ns string) podOption {
	return func(p *corev1.Pod) { p.Namespace = ns }
}

func withLabels(labels map[string]string) podOption {
	return func(p *corev1.Pod) { p.Labels = labels }
}

// podReader returns a fake reader holding the pods and counting List calls.
func podReader(lists *atomic.Int32, pods ...*corev1.Pod) client.WithWatch {
	objs := make([]client.Object, 0, len(pods))
	for _, p := range pods {
		objs = append(objs, p)
	}
	return fake.NewClientBuilder().WithObjects(objs...).WithInterceptorFuncs(interceptor.Funcs{
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			if lists != nil {
				lists.Add(1)
			}
			return c.List(ctx, list, opts...)
		},
	}).Build()
}

func TestListProxyPods(t *testing.T) {
	older := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	newer := older.Add(time.Hour)
	tests := []struct {
		name    string
		pods    []*corev1.Pod
		node    string
		want    string
		wantErr string
	}{
		{name: "running pod on the node", node: "n1",
			pods: []*corev1.Pod{proxyPod("etcd-proxy-a", "n1"), proxyPod("etcd-proxy-b", "n2")}, want: "etcd-proxy-a"},
		{name: "running but not ready pod is used", node: "n1",
			pods: []*corev1.Pod{proxyPod("etcd-proxy-a", "n1", notReady)}, want: "etcd-proxy-a"},
		{name: "pending pod", node: "n1",
			pods:    []*corev1.Pod{proxyPod("etcd-proxy-a", "n1", withPhase(corev1.PodPending))},
			wantErr: `no running etcd-proxy pod on node "n1": its pod is Pending`},
		{name: "failed pod", node: "n1",
			pods:    []*corev1.Pod{proxyPod("etcd-proxy-a", "n1", withPhase(corev1.PodFailed))},
			wantErr: `no running etcd-proxy pod on node "n1": its pod is Failed`},
		{name: "running pod wins over a pending one", node: "n1",
			pods: []*corev1.Pod{proxyPod("etcd-proxy-a", "n1", withPhase(corev1.PodPending)), proxyPod("etcd-proxy-b", "n1")},
			want: "etcd-proxy-b"},
		{name: "missing node", node: "n3",
			pods:    []*corev1.Pod{proxyPod("etcd-proxy-a", "n1")},
			wantErr: `no running etcd-proxy pod on node "n3": no pod labelled app=etcd-proxy in namespace kube-system runs there`},
		{name: "no pods at all", node: "n1", wantErr: `no running etcd-proxy pod on node "n1"`},
		{name: "pod being deleted is ignored", node: "n1",
			pods: []*corev1.Pod{proxyPod("etcd-proxy-a", "n1", deleting)}, wantErr: `no running etcd-proxy pod on node "n1": no pod`},
		{name: "pod in another namespace is ignored", node: "n1",
			pods: []*corev1.Pod{proxyPod("etcd-proxy-a", "n1", inNamespace("default"))}, wantErr: `node "n1": no pod`},
		{name: "pod without the label is ignored", node: "n1",
			pods: []*corev1.Pod{proxyPod("etcd-proxy-a", "n1", withLabels(map[string]string{"app": "other"}))}, wantErr: `node "n1": no pod`},
		{name: "unscheduled pod is ignored", node: "",
			pods: []*corev1.Pod{proxyPod("etcd-proxy-a", "", withPhase(corev1.PodPending))}, wantErr: `node "": no pod`},
		{name: "ready pod preferred during an update", node: "n1",
			pods: []*corev1.Pod{proxyPod("etcd-proxy-new", "n1", notReady, createdAt(newer)), proxyPod("etcd-proxy-old", "n1", createdAt(older))},
			want: "etcd-proxy-old"},
		{name: "newest ready pod preferred", node: "n1",
			pods: []*corev1.Pod{proxyPod("etcd-proxy-old", "n1", createdAt(older)), proxyPod("etcd-proxy-new", "n1", createdAt(newer))},
			want: "etcd-proxy-new"},
		{name: "name breaks ties", node: "n1",
			pods: []*corev1.Pod{proxyPod("etcd-proxy-b", "n1"), proxyPod("etcd-proxy-a", "n1")},
			want: "etcd-proxy-a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			pods, err := listProxyPods(t.Context(), podReader(nil, tt.pods...), time.Now())
			g.Expect(err).NotTo(HaveOccurred())
			got, err := pods.podFor(tt.node)
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				g.Expect(errors.Is(err, ErrNoProxyPod)).To(BeTrue())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}

func TestListProxyPods_listError(t *testing.T) {
	g := NewWithT(t)
	boom := errors.New("boom")
	reader := fake.NewClientBuilder().WithInterceptorFuncs(interceptor.Funcs{
		List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error { return boom },
	}).Build()
	_, err := listProxyPods(t.Context(), reader, time.Now())
	g.Expect(err).To(MatchError(boom))
	g.Expect(err).To(MatchError(ContainSubstring("failed to list the etcd-proxy pods in namespace kube-system")))
}

func TestConnector_proxyPod(t *testing.T) {
	cluster := client.ObjectKey{Namespace: "ns", Name: "c1"}
	tests := []struct {
		name string
		// then runs after the first lookup of n1 and returns the node to look up next.
		then      func(c *Connector, clock *fakeClock, reader client.Client) string
		want      string
		wantFresh bool
		wantLists int32
	}{
		{name: "cached", then: func(*Connector, *fakeClock, client.Client) string { return "n1" },
			want: "etcd-proxy-a", wantLists: 1},
		{name: "other node from the same listing", then: func(*Connector, *fakeClock, client.Client) string { return "n2" },
			want: "etcd-proxy-b", wantLists: 1},
		{name: "expired listing", then: func(_ *Connector, clock *fakeClock, _ client.Client) string {
			clock.t = clock.t.Add(DefaultPodCacheTTL)
			return "n1"
		}, want: "etcd-proxy-a", wantFresh: true, wantLists: 2},
		{name: "node unknown to the cached listing", then: func(_ *Connector, _ *fakeClock, reader client.Client) string {
			NewWithT(t).Expect(reader.Create(t.Context(), proxyPod("etcd-proxy-c", "n3"))).To(Succeed())
			return "n3"
		}, want: "etcd-proxy-c", wantFresh: true, wantLists: 2},
		{name: "invalidated", then: func(c *Connector, _ *fakeClock, _ client.Client) string {
			c.Invalidate(cluster)
			return "n1"
		}, want: "etcd-proxy-a", wantFresh: true, wantLists: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			var lists atomic.Int32
			reader := podReader(&lists, proxyPod("etcd-proxy-a", "n1"), proxyPod("etcd-proxy-b", "n2"))
			c, clock := newTestConnector(Config{})

			pod, fresh, err := c.proxyPod(t.Context(), cluster, reader, "n1")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(pod).To(Equal("etcd-proxy-a"))
			g.Expect(fresh).To(BeTrue())

			node := tt.then(c, clock, reader)
			pod, fresh, err = c.proxyPod(t.Context(), cluster, reader, node)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(pod).To(Equal(tt.want))
			g.Expect(fresh).To(Equal(tt.wantFresh))
			g.Expect(lists.Load()).To(Equal(tt.wantLists))
		})
	}
}

func TestConnector_proxyPodErrors(t *testing.T) {
	g := NewWithT(t)
	var lists atomic.Int32
	reader := podReader(&lists, proxyPod("etcd-proxy-a", "n1", withPhase(corev1.PodPending)))
	c, _ := newTestConnector(Config{})
	_, fresh, err := c.proxyPod(t.Context(), client.ObjectKey{Namespace: "ns", Name: "c1"}, reader, "n1")
	g.Expect(err).To(MatchError(ErrNoProxyPod))
	g.Expect(err).To(MatchError(ContainSubstring(`cluster ns/c1: no running etcd-proxy pod on node "n1": its pod is Pending`)))
	g.Expect(fresh).To(BeTrue())

	// A node without a pod is looked up afresh every time, so a pod that starts is found at once.
	_, _, err = c.proxyPod(t.Context(), client.ObjectKey{Namespace: "ns", Name: "c1"}, reader, "n1")
	g.Expect(err).To(MatchError(ErrNoProxyPod))
	g.Expect(lists.Load()).To(BeEquivalentTo(2))
}
