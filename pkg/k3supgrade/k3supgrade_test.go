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

package k3supgrade

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

func node(name string, ready, unschedulable bool, version string) *corev1.Node {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.NodeSpec{Unschedulable: unschedulable},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: status}},
			NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: version},
		},
	}
}

func pod(name, nodeName string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}, Spec: corev1.PodSpec{NodeName: nodeName}}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func TestPod(t *testing.T) {
	g := NewWithT(t)
	p := Pod("server-0", "v1.34.6+k3s1", "registry.local/rancher/k3s-upgrade")
	g.Expect(p.Namespace).To(Equal("kube-system"))
	g.Expect(p.Name).To(Equal("k3s-upgrade-server-0"))
	g.Expect(p.Spec.NodeName).To(Equal("server-0"))
	g.Expect(p.Spec.RestartPolicy).To(Equal(corev1.RestartPolicyNever))
	g.Expect(p.Spec.HostPID && p.Spec.HostIPC && p.Spec.HostNetwork).To(BeTrue())
	g.Expect(p.Spec.Containers[0].Image).To(Equal("registry.local/rancher/k3s-upgrade:v1.34.6-k3s1"))
	g.Expect(p.Spec.Containers[0].Args).To(Equal([]string{"upgrade"}))
	g.Expect(*p.Spec.Containers[0].SecurityContext.Privileged).To(BeTrue())
	g.Expect(p.Spec.Containers[0].VolumeMounts[0].MountPath).To(Equal("/host"))
	g.Expect(p.Spec.Volumes[0].HostPath.Path).To(Equal("/"))
	g.Expect(p.Labels).To(HaveKeyWithValue(controlplanev1.UpgradePodLabel, "true"))
	g.Expect(p.Annotations).To(HaveKeyWithValue(controlplanev1.UpgradePodVersionAnnotation, "v1.34.6+k3s1"))
}

func TestNodeUpgraded(t *testing.T) {
	for _, tc := range []struct {
		name string
		node *corev1.Node
		want bool
	}{
		{name: "ready with the version", node: node("n", true, false, "v1.34.6+k3s1"), want: true},
		{name: "old version", node: node("n", true, false, "v1.34.5+k3s1")},
		{name: "not ready", node: node("n", false, false, "v1.34.6+k3s1")},
		{name: "no node"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(NodeUpgraded(tc.node, "v1.34.6+k3s1")).To(Equal(tc.want))
		})
	}
}

func TestCanDrain(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nodes []corev1.Node
		want  bool
	}{
		{name: "single node", nodes: []corev1.Node{*node("a", true, true, "")}},
		{name: "other node ready and schedulable", nodes: []corev1.Node{*node("a", true, true, ""), *node("b", true, false, "")}, want: true},
		{name: "other node cordoned", nodes: []corev1.Node{*node("a", true, true, ""), *node("b", true, true, "")}},
		{name: "other node not ready", nodes: []corev1.Node{*node("a", true, true, ""), *node("b", false, false, "")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(CanDrain(tc.nodes, "a")).To(Equal(tc.want))
		})
	}
}

func TestCordonUncordon(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	mine, theirs := node("mine", true, false, ""), node("theirs", true, true, "")
	c := fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithObjects(mine, theirs).Build()

	g.Expect(Cordon(ctx, c, mine.DeepCopy())).To(Succeed())
	g.Expect(Cordon(ctx, c, theirs.DeepCopy())).To(Succeed())
	got := &corev1.Node{}
	g.Expect(c.Get(ctx, client.ObjectKey{Name: "mine"}, got)).To(Succeed())
	g.Expect(got.Spec.Unschedulable).To(BeTrue())
	g.Expect(got.Annotations).To(HaveKey(controlplanev1.InPlaceUpgradeCordonedAnnotation))

	// Only the Node the upgrade cordoned is uncordoned.
	g.Expect(Uncordon(ctx, c, got)).To(Succeed())
	g.Expect(c.Get(ctx, client.ObjectKey{Name: "mine"}, got)).To(Succeed())
	g.Expect(got.Spec.Unschedulable).To(BeFalse())
	g.Expect(got.Annotations).ToNot(HaveKey(controlplanev1.InPlaceUpgradeCordonedAnnotation))
	g.Expect(c.Get(ctx, client.ObjectKey{Name: "theirs"}, got)).To(Succeed())
	g.Expect(Uncordon(ctx, c, got)).To(Succeed())
	g.Expect(c.Get(ctx, client.ObjectKey{Name: "theirs"}, got)).To(Succeed())
	g.Expect(got.Spec.Unschedulable).To(BeTrue(), "cordoned by someone else")
}

// podsClient is a fake workload API server that answers the spec.nodeName field selector as the real one does.
func podsClient(objs ...client.Object) client.WithWatch {
	return fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithObjects(objs...).
		WithIndex(&corev1.Pod{}, "spec.nodeName", func(o client.Object) []string { return []string{o.(*corev1.Pod).Spec.NodeName} }).
		Build()
}

func TestDrain(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	objs := []client.Object{
		pod("app", "a"),
		pod("blocked", "a"),
		pod("elsewhere", "b"),
		pod("daemon", "a", func(p *corev1.Pod) {
			p.OwnerReferences = []metav1.OwnerReference{{Kind: "DaemonSet", Name: "ds", Controller: ptr.To(true)}}
		}),
		pod("static", "a", func(p *corev1.Pod) { p.Annotations = map[string]string{mirrorPodAnnotation: "x"} }),
		pod("done", "a", func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }),
		pod("upgrade", "a", func(p *corev1.Pod) { p.Labels = map[string]string{controlplanev1.UpgradePodLabel: "true"} }),
	}
	var evicted []string
	c := interceptor.NewClient(podsClient(objs...), interceptor.Funcs{
		SubResourceCreate: func(_ context.Context, _ client.Client, sub string, obj client.Object, _ client.Object, _ ...client.SubResourceCreateOption) error {
			g.Expect(sub).To(Equal("eviction"))
			if obj.GetName() == "blocked" {
				return apierrors.NewTooManyRequests("the PodDisruptionBudget refuses", 10)
			}
			evicted = append(evicted, obj.GetName())
			return nil
		},
	})
	left, err := Drain(ctx, c, "a")
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(left).To(Equal(2), "app and blocked are still there until they go")
	g.Expect(evicted).To(ConsistOf("app"))

	failing := interceptor.NewClient(podsClient(pod("app", "a")), interceptor.Funcs{
		SubResourceCreate: func(context.Context, client.Client, string, client.Object, client.Object, ...client.SubResourceCreateOption) error {
			return apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "app", nil)
		},
	})
	_, err = Drain(ctx, failing, "a")
	g.Expect(err).To(MatchError(ContainSubstring("failed to evict pod default/app")))
}
