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

package fleetbench

import (
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestParseReconcileTotals(t *testing.T) {
	g := NewWithT(t)
	metrics := `# HELP controller_runtime_reconcile_total Total number of reconciliations per controller
# TYPE controller_runtime_reconcile_total counter
controller_runtime_reconcile_total{controller="kthreescontrolplane",result="error"} 2
controller_runtime_reconcile_total{controller="kthreescontrolplane",result="requeue"} 0
controller_runtime_reconcile_total{controller="kthreescontrolplane",result="success"} 40
controller_runtime_reconcile_total{controller="clustercache",result="success"} 7
controller_runtime_reconcile_errors_total{controller="kthreescontrolplane"} 2
`
	totals, err := parseReconcileTotals(strings.NewReader(metrics))
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(totals).To(Equal(map[string]int{"kthreescontrolplane": 42, "clustercache": 7}))

	// CAPI's counter, without the calls its rate limit turned away, wins where a controller has it.
	totals, err = parseReconcileTotals(strings.NewReader(metrics + `capi_reconcile_total{controller="kthreescontrolplane",result="success"} 30
capi_reconcile_total{controller="kthreescontrolplane",result="error"} 1
`))
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(totals).To(Equal(map[string]int{"kthreescontrolplane": 31, "clustercache": 7}))

	_, err = parseReconcileTotals(strings.NewReader(`controller_runtime_reconcile_total{controller="x",result="success"} NaNa` + "\n"))
	g.Expect(err).To(HaveOccurred())
}

func TestReconcileDiff(t *testing.T) {
	g := NewWithT(t)
	before := map[string]map[string]int{"cp": {"kcp": 10, "hook": 3}}
	after := map[string]map[string]int{"cp": {"kcp": 14, "hook": 3}, "bootstrap": {"config": 2}}
	g.Expect(reconcileDiff(before, after)).To(Equal([]ReconcileCount{
		{Process: "bootstrap", Controller: "config", Count: 2},
		{Process: "cp", Controller: "hook", Count: 0},
		{Process: "cp", Controller: "kcp", Count: 4},
	}))
}

func TestWithShardLabel(t *testing.T) {
	scheme := runtime.NewScheme()
	NewWithT(t).Expect(clusterv1.AddToScheme(scheme)).To(Succeed())
	controlPlane := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "controlplane.cluster.x-k8s.io/v1beta3", "kind": "KThreesControlPlane",
		"metadata": map[string]any{"name": "c-cp", "namespace": "fleet"},
		"spec":     map[string]any{"machineTemplate": map[string]any{"spec": map[string]any{}}},
	}}
	for _, tc := range []struct {
		name      string
		obj       client.Object
		wantPaths [][]string
	}{
		{name: "typed Cluster: its labels", obj: &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "fleet"}},
			wantPaths: [][]string{{"metadata", "labels"}}},
		{name: "control plane: its labels and its Machines'", obj: controlPlane,
			wantPaths: [][]string{{"metadata", "labels"}, {"spec", "machineTemplate", "metadata", "labels"}}},
		{name: "MachineDeployment: its labels and its Machines'", obj: &clusterv1.MachineDeployment{
			ObjectMeta: metav1.ObjectMeta{Name: "md", Namespace: "fleet", Labels: map[string]string{"keep": "me"}},
			Spec:       clusterv1.MachineDeploymentSpec{ClusterName: "c", Template: clusterv1.MachineTemplateSpec{Spec: clusterv1.MachineSpec{ClusterName: "c"}}}},
			wantPaths: [][]string{{"metadata", "labels"}, {"spec", "template", "metadata", "labels"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			out, err := withShardLabel(tc.obj, scheme, "shard-1")
			g.Expect(err).ToNot(HaveOccurred())
			u, ok := out.(*unstructured.Unstructured)
			g.Expect(ok).To(BeTrue())
			g.Expect(u.GetKind()).ToNot(BeEmpty(), "the kind survives the conversion of a typed object")
			for _, path := range tc.wantPaths {
				labels, found, err := unstructured.NestedStringMap(u.Object, path...)
				g.Expect(err).ToNot(HaveOccurred())
				g.Expect(found).To(BeTrue(), "%v", path)
				g.Expect(labels).To(HaveKeyWithValue(clusterv1.WatchLabel, "shard-1"), "%v", path)
			}
			if tc.obj.GetLabels()["keep"] != "" {
				g.Expect(u.GetLabels()).To(HaveKeyWithValue("keep", "me"))
			}
		})
	}
}

// fakeClock returns the times it is set to.
type fakeClock struct{ now time.Time }

func (c *fakeClock) tick(d time.Duration) time.Time { c.now = c.now.Add(d); return c.now }

func TestTimeline(t *testing.T) {
	g := NewWithT(t)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	start := clock.now
	tl := newTimeline(2) // a cluster of two Machines
	tl.now = func() time.Time { return clock.now }
	key := "fleet/c0000"
	tl.created(key, clock.tick(0))

	cluster := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: "fleet", Name: "c0000"}}
	cluster.Spec.ControlPlaneRef.Name = "c0000-cp"
	tl.onCluster(cluster)
	clock.tick(time.Second)
	cluster.Status.Initialization.InfrastructureProvisioned = new(true)
	tl.onCluster(cluster)

	clock.tick(time.Second)
	tl.onSecret(&metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: "fleet", Name: "m1"}})
	machine := func(name string, ready bool) *clusterv1.Machine {
		m := &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Namespace: "fleet", Name: name,
			Labels: map[string]string{clusterv1.MachineControlPlaneLabel: ""}}}
		m.Spec.ClusterName = "c0000"
		m.Spec.Bootstrap.DataSecretName = new(name)
		if ready {
			m.Status.Conditions = []metav1.Condition{{Type: clusterv1.ReadyCondition, Status: metav1.ConditionTrue}}
		}
		return m
	}
	tl.onMachine(machine("m1", false))

	node := func(name string) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"node-role.kubernetes.io/control-plane": "true"}},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
	}
	clock.tick(time.Second)
	tl.onNode("rg", node("n1"))
	clock.tick(time.Second)
	tl.onControlPlane(&unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"namespace": "fleet", "name": "c0000-cp"},
		"status":   map[string]any{"conditions": []any{map[string]any{"type": "Available", "status": "True"}}},
	}})
	clock.tick(time.Second)
	tl.onNode("rg", node("n2")) // Ready after the control plane was Available: not the one that made it Available

	clock.tick(time.Second)
	cluster.Status.Conditions = []metav1.Condition{{Type: clusterv1.AvailableCondition, Status: metav1.ConditionTrue}}
	tl.onCluster(cluster)
	available, _ := tl.counts([]string{key})
	g.Expect(available).To(Equal(0), "one of the two Machines is not Ready yet")

	clock.tick(time.Second)
	tl.onMachine(machine("m1", true))
	tl.onMachine(machine("m2", true))
	clock.tick(time.Second)
	tl.onClusterDeleted(cluster)

	available, gone := tl.counts([]string{key})
	g.Expect(available).To(Equal(1))
	g.Expect(gone).To(Equal(1))
	s := func(n int) Duration { return Duration(time.Duration(n) * time.Second) }
	g.Expect(tl.timelines(start, []string{key}, func(string) string { return "rg" })).To(Equal([]ClusterTimeline{{
		Name: key, Created: 0, InfrastructureProvisioned: s(1), BootstrapDataWritten: s(2), LastControlPlaneNodeReady: s(3),
		ControlPlaneAvailable: s(4), Available: s(7), Deleted: s(8),
	}}))
}
