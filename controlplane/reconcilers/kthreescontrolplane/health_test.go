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

package kthreescontrolplane

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"go.uber.org/mock/gomock"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	"sigs.k8s.io/cluster-api/util/collections"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
	etcdmock "github.com/k3s-io/cluster-api-k3s/pkg/etcd/mock"
	"github.com/k3s-io/cluster-api-k3s/pkg/workload"
	workloadmock "github.com/k3s-io/cluster-api-k3s/pkg/workload/mock"
)

// healthTestNow is the reconcile time of the health tests.
var healthTestNow = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)

// healthFakeClusterCache is a ClusterCache that only reports a health-checking state.
type healthFakeClusterCache struct {
	clustercache.ClusterCache
	state clustercache.HealthCheckingState
}

func (c *healthFakeClusterCache) GetHealthCheckingState(context.Context, client.ObjectKey) clustercache.HealthCheckingState {
	return c.state
}

// healthMachine is a control-plane Machine running on the Node (none when nodeName is empty).
func healthMachine(name, nodeName string, created int) *clusterv1.Machine {
	m := &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{
		Name: name, Namespace: "ns",
		CreationTimestamp: metav1.NewTime(healthTestNow.Add(time.Duration(created) * time.Minute)),
	}}
	m.Status.NodeRef.Name = nodeName
	return m
}

// healthMachineProviderID gives the Machine a provider ID.
func healthMachineProviderID(m *clusterv1.Machine, id string) *clusterv1.Machine {
	m.Spec.ProviderID = id
	return m
}

// healthNodeProviderID gives the Node a provider ID.
func healthNodeProviderID(n corev1.Node, id string) corev1.Node {
	n.Spec.ProviderID = id
	return n
}

// healthDeleting marks a Machine as being deleted.
func healthDeleting(m *clusterv1.Machine) *clusterv1.Machine {
	m.DeletionTimestamp = ptr.To(metav1.NewTime(healthTestNow))
	m.Finalizers = []string{"machine.cluster.x-k8s.io"}
	return m
}

// healthNode is a control-plane Node with the Ready condition status (none when empty).
func healthNode(name string, ready corev1.ConditionStatus, taints ...corev1.Taint) corev1.Node {
	n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{workload.LabelNodeRoleControlPlane: "true"}}}
	n.Spec.Taints = taints
	if ready != "" {
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready, Message: "kubelet says " + string(ready)}}
	}
	return n
}

// healthUnreachableTaint is the taint the node controller puts on Nodes whose kubelet stopped reporting.
var healthUnreachableTaint = corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}

// healthControlPlane is a control plane of the Machines; etcd is inspected unless proxyDisabled.
func healthControlPlane(proxyDisabled bool, machines ...*clusterv1.Machine) *controlPlane {
	kcp := &controlplanev1.KThreesControlPlane{ObjectMeta: metav1.ObjectMeta{Name: "kcp", Namespace: "ns"}}
	kcp.Status.Initialization.ControlPlaneInitialized = ptr.To(true)
	if proxyDisabled {
		kcp.Spec.KThreesConfigSpec.ServerConfig.DisableComponents = []string{"etcd-proxy"}
	}
	return &controlPlane{
		KCP:           kcp,
		Cluster:       &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns"}},
		Machines:      collections.FromMachines(machines...),
		reconcileTime: healthTestNow,
		openEtcd: func(context.Context) (etcd.ClientGenerator, error) {
			return nil, errors.New("etcd not expected in this test")
		},
	}
}

// healthWithNodes makes the control plane's workload cluster list the Nodes.
func healthWithNodes(ctrl *gomock.Controller, cp *controlPlane, nodes ...corev1.Node) {
	w := workloadmock.NewMockCluster(ctrl)
	w.EXPECT().ControlPlaneNodes(gomock.Any()).Return(&corev1.NodeList{Items: nodes}, nil).Times(1)
	cp.openWorkload = func(context.Context) (workload.Cluster, error) { return w, nil }
}

// healthCondition returns a condition of a Machine or of the control plane, failing when it is missing.
func healthCondition(g Gomega, obj conditions.Getter, conditionType string) metav1.Condition {
	c := conditions.Get(obj, conditionType)
	g.Expect(c).NotTo(BeNil(), "condition %s missing", conditionType)
	return *c
}

// healthExpectCondition checks status, reason and, when given, that the message contains each part.
func healthExpectCondition(g Gomega, obj conditions.Getter, conditionType string, status metav1.ConditionStatus, reason string, messageParts ...string) {
	c := healthCondition(g, obj, conditionType)
	g.Expect(c.Status).To(Equal(status), "status of %s: %s", conditionType, c.Message)
	g.Expect(c.Reason).To(Equal(reason), "reason of %s", conditionType)
	for _, part := range messageParts {
		g.Expect(c.Message).To(ContainSubstring(part), "message of %s", conditionType)
	}
}

func TestHealthAgentConditions(t *testing.T) {
	tests := []struct {
		name     string
		machines []*clusterv1.Machine
		nodes    []corev1.Node
		// want are the expected AgentHealthy status, reason and message part of each Machine.
		want map[string][3]string
		// wantV1Beta1 are the expected v1beta1 AgentHealthy status and reason of each Machine.
		wantV1Beta1 map[string][2]string
		wantKCP     metav1.ConditionStatus
		wantReason  string
		// wantMessage are the expected lines of the control plane's message, in order; empty means an empty message.
		wantMessage []string
	}{
		{
			name:        "all Ready",
			machines:    []*clusterv1.Machine{healthMachine("m1", "n1", 0), healthMachine("m2", "n2", 1)},
			nodes:       []corev1.Node{healthNode("n1", corev1.ConditionTrue), healthNode("n2", corev1.ConditionTrue)},
			want:        map[string][3]string{"m1": {"True", "Healthy", ""}, "m2": {"True", "Healthy", ""}},
			wantV1Beta1: map[string][2]string{"m1": {"True", ""}, "m2": {"True", ""}},
			wantKCP:     metav1.ConditionTrue, wantReason: "Healthy",
		},
		{
			name:     "NotReady Node is False, and the control plane lists it",
			machines: []*clusterv1.Machine{healthMachine("m1", "n1", 0), healthMachine("m2", "n2", 1)},
			nodes:    []corev1.Node{healthNode("n1", corev1.ConditionTrue), healthNode("n2", corev1.ConditionFalse)},
			want: map[string][3]string{
				"m1": {"True", "Healthy", ""},
				"m2": {"False", "NotHealthy", "Node n2 is not Ready: kubelet says False"},
			},
			wantV1Beta1: map[string][2]string{"m2": {"False", "PodFailed"}},
			wantKCP:     metav1.ConditionFalse, wantReason: "NotHealthy",
			wantMessage: []string{"* Machine m2: Node n2 is not Ready: kubelet says False"},
		},
		{
			name:     "unreachable taint is Unknown",
			machines: []*clusterv1.Machine{healthMachine("m1", "n1", 0), healthMachine("m2", "n2", 1)},
			nodes: []corev1.Node{
				healthNode("n1", corev1.ConditionTrue),
				healthNode("n2", corev1.ConditionUnknown, healthUnreachableTaint),
			},
			want:        map[string][3]string{"m2": {"Unknown", "HealthUnknown", "Node is unreachable"}},
			wantV1Beta1: map[string][2]string{"m2": {"Unknown", "PodInspectionFailed"}},
			wantKCP:     metav1.ConditionUnknown, wantReason: "HealthUnknown",
			wantMessage: []string{"* Machine m2: Node is unreachable"},
		},
		{
			name:     "unreachable taint wins over a stale Ready",
			machines: []*clusterv1.Machine{healthMachine("m1", "n1", 0)},
			nodes:    []corev1.Node{healthNode("n1", corev1.ConditionTrue, healthUnreachableTaint)},
			want:     map[string][3]string{"m1": {"Unknown", "HealthUnknown", "Node is unreachable"}},
			wantKCP:  metav1.ConditionUnknown, wantReason: "HealthUnknown",
			wantMessage: []string{"* Machine m1: Node is unreachable"},
		},
		{
			name:        "Node missing is False",
			machines:    []*clusterv1.Machine{healthMachine("m1", "n1", 0), healthMachine("m2", "gone", 1)},
			nodes:       []corev1.Node{healthNode("n1", corev1.ConditionTrue)},
			want:        map[string][3]string{"m2": {"False", "NotHealthy", "Node gone not found"}},
			wantV1Beta1: map[string][2]string{"m2": {"False", "PodMissing"}},
			wantKCP:     metav1.ConditionFalse, wantReason: "NotHealthy",
			wantMessage: []string{"* Machine m2: Node gone not found"},
		},
		{
			name:        "provisioning Machine is Unknown but does not make a healthy control plane Unknown",
			machines:    []*clusterv1.Machine{healthMachine("m1", "n1", 0), healthMachine("m2", "", 1)},
			nodes:       []corev1.Node{healthNode("n1", corev1.ConditionTrue), healthNode("n2", corev1.ConditionTrue)},
			want:        map[string][3]string{"m2": {"Unknown", "Provisioning", "Waiting for the Machine's Node"}},
			wantV1Beta1: map[string][2]string{"m2": {"Unknown", "PodProvisioning"}},
			// n2 has no Machine yet, but m2 has no nodeRef: no complaint.
			wantKCP: metav1.ConditionTrue, wantReason: "Healthy",
		},
		{
			name:        "a Machine without nodeRef yet is judged from the Node with its provider ID",
			machines:    []*clusterv1.Machine{healthMachineProviderID(healthMachine("m1", "", 0), "sim://n1")},
			nodes:       []corev1.Node{healthNodeProviderID(healthNode("n1", corev1.ConditionTrue), "sim://n1")},
			want:        map[string][3]string{"m1": {"True", "Healthy", ""}},
			wantV1Beta1: map[string][2]string{"m1": {"True", ""}},
			wantKCP:     metav1.ConditionTrue, wantReason: "Healthy",
		},
		{
			name:     "a Node with another provider ID is not the Machine's",
			machines: []*clusterv1.Machine{healthMachineProviderID(healthMachine("m1", "", 0), "sim://n2")},
			nodes:    []corev1.Node{healthNodeProviderID(healthNode("n1", corev1.ConditionFalse), "sim://n1")},
			want:     map[string][3]string{"m1": {"Unknown", "Provisioning", "Waiting for the Machine's Node"}},
			wantKCP:  metav1.ConditionUnknown, wantReason: "HealthUnknown",
			wantMessage: []string{"* Machine m1: Waiting for the Machine's Node"},
		},
		{
			name:     "only provisioning Machines is Unknown",
			machines: []*clusterv1.Machine{healthMachine("m1", "", 0)},
			want:     map[string][3]string{"m1": {"Unknown", "Provisioning", ""}},
			wantKCP:  metav1.ConditionUnknown, wantReason: "HealthUnknown",
			wantMessage: []string{"* Machine m1: Waiting for the Machine's Node"},
		},
		{
			name:        "deleting Machine is False Deleting",
			machines:    []*clusterv1.Machine{healthMachine("m1", "n1", 0), healthDeleting(healthMachine("m2", "n2", 1))},
			nodes:       []corev1.Node{healthNode("n1", corev1.ConditionTrue), healthNode("n2", corev1.ConditionTrue)},
			want:        map[string][3]string{"m2": {"False", "Deleting", "Machine is deleting"}},
			wantV1Beta1: map[string][2]string{"m2": {"False", "Deleting"}},
			wantKCP:     metav1.ConditionFalse, wantReason: "NotHealthy",
			wantMessage: []string{"* Machine m2: Machine is deleting"},
		},
		{
			name:     "control-plane Node without Machine is a control-plane problem",
			machines: []*clusterv1.Machine{healthMachine("m1", "n1", 0)},
			nodes:    []corev1.Node{healthNode("n1", corev1.ConditionTrue), healthNode("stray", corev1.ConditionTrue)},
			want:     map[string][3]string{"m1": {"True", "Healthy", ""}},
			wantKCP:  metav1.ConditionFalse, wantReason: "NotHealthy",
			wantMessage: []string{"* Control plane Node stray has no corresponding Machine"},
		},
		{
			name: "False lines come first, sorted by Machine, then Unknown lines",
			machines: []*clusterv1.Machine{
				healthMachine("m3", "n3", 0), healthMachine("m1", "n1", 1), healthMachine("m2", "n2", 2),
			},
			nodes: []corev1.Node{
				healthNode("n1", corev1.ConditionUnknown),
				healthNode("n2", corev1.ConditionFalse),
				healthNode("n3", ""),
			},
			want: map[string][3]string{
				"m1": {"Unknown", "HealthUnknown", "Node n1 readiness is unknown"},
				"m3": {"False", "NotHealthy", "Node n3 does not report readiness yet"},
			},
			wantKCP: metav1.ConditionFalse, wantReason: "NotHealthy",
			wantMessage: []string{
				"* Machine m2: Node n2 is not Ready: kubelet says False",
				"* Machine m3: Node n3 does not report readiness yet",
				"* Machine m1: Node n1 readiness is unknown: kubelet says Unknown",
			},
		},
		{
			name:        "no Machines is Unknown",
			wantKCP:     metav1.ConditionUnknown,
			wantReason:  "HealthUnknown",
			wantMessage: []string{"No control plane Machines"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			mockCtrl := gomock.NewController(t)
			cp := healthControlPlane(true, tt.machines...)
			healthWithNodes(mockCtrl, cp, tt.nodes...)
			r := &Reconciler{}

			r.reconcileWorkloadHealth(context.Background(), cp)

			g.Expect(cp.health).NotTo(BeNil())
			g.Expect(cp.health.connErr).NotTo(HaveOccurred())
			g.Expect(cp.health.nodes).To(HaveLen(len(tt.nodes)))
			for name, want := range tt.want {
				c := healthCondition(g, cp.Machines[name], controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition)
				g.Expect(string(c.Status)).To(Equal(want[0]), "Machine %s", name)
				g.Expect(c.Reason).To(Equal(want[1]), "Machine %s", name)
				g.Expect(c.Message).To(ContainSubstring(want[2]), "Machine %s", name)
			}
			for name, want := range tt.wantV1Beta1 {
				c := v1beta1conditions.Get(cp.Machines[name], controlplanev1.DeprecatedV1Beta1MachineAgentHealthyCondition)
				g.Expect(c).NotTo(BeNil())
				g.Expect(string(c.Status)).To(Equal(want[0]), "Machine %s", name)
				g.Expect(c.Reason).To(Equal(want[1]), "Machine %s", name)
			}
			kcpCondition := healthCondition(g, cp.KCP, controlplanev1.KThreesControlPlaneControlPlaneComponentsHealthyCondition)
			g.Expect(kcpCondition.Status).To(Equal(tt.wantKCP))
			g.Expect(kcpCondition.Reason).To(Equal(tt.wantReason))
			g.Expect(kcpCondition.Message).To(Equal(strings.Join(tt.wantMessage, "\n")))
			v1 := v1beta1conditions.Get(cp.KCP, controlplanev1.DeprecatedV1Beta1ControlPlaneComponentsHealthyCondition)
			g.Expect(v1).NotTo(BeNil())
			g.Expect(string(v1.Status)).To(Equal(string(tt.wantKCP)))
			g.Expect(v1.Message).To(Equal(kcpCondition.Message))
		})
	}
}

func TestHealthEtcdNotInspected(t *testing.T) {
	g := NewWithT(t)
	mockCtrl := gomock.NewController(t)
	cp := healthControlPlane(true,
		healthMachine("m1", "n1", 0), healthMachine("m2", "n2", 1), healthMachine("m3", "", 2), healthDeleting(healthMachine("m4", "n4", 3)))
	healthWithNodes(mockCtrl, cp, healthNode("n1", corev1.ConditionTrue), healthNode("n2", corev1.ConditionFalse), healthNode("n4", corev1.ConditionTrue))
	// No etcd connection may be opened.
	cp.openEtcd = func(context.Context) (etcd.ClientGenerator, error) {
		t.Fatal("etcd must not be reached when the etcd proxy is disabled")
		return nil, nil
	}

	(&Reconciler{}).reconcileWorkloadHealth(context.Background(), cp)

	for _, name := range []string{"m1", "m2", "m3", "m4"} {
		agent := healthCondition(g, cp.Machines[name], controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition)
		member := healthCondition(g, cp.Machines[name], controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition)
		g.Expect(member.Status).To(Equal(agent.Status), "Machine %s", name)
		g.Expect(member.Message).To(Equal(agent.Message), "Machine %s", name)
		g.Expect(member.Reason).To(Equal(controlplanev1.KThreesControlPlaneMachineEtcdMemberNotInspectedReason), "Machine %s", name)
		v1Agent := v1beta1conditions.Get(cp.Machines[name], controlplanev1.DeprecatedV1Beta1MachineAgentHealthyCondition)
		v1Member := v1beta1conditions.Get(cp.Machines[name], controlplanev1.DeprecatedV1Beta1MachineEtcdMemberHealthyCondition)
		g.Expect(v1Member).NotTo(BeNil())
		g.Expect(v1Member.Status).To(Equal(v1Agent.Status), "Machine %s", name)
	}
	g.Expect(v1beta1conditions.GetReason(cp.Machines["m2"], controlplanev1.DeprecatedV1Beta1MachineEtcdMemberHealthyCondition)).
		To(Equal(controlplanev1.DeprecatedV1Beta1EtcdMemberUnhealthyReason))
	g.Expect(v1beta1conditions.GetReason(cp.Machines["m4"], controlplanev1.DeprecatedV1Beta1MachineEtcdMemberHealthyCondition)).
		To(Equal(controlplanev1.DeprecatedV1Beta1DeletingReason))
	healthExpectCondition(g, cp.KCP, controlplanev1.KThreesControlPlaneEtcdClusterHealthyCondition, metav1.ConditionUnknown,
		controlplanev1.KThreesControlPlaneEtcdClusterNotInspectedReason, "serverConfig.disableComponents contains etcd-proxy", "annotation")
	g.Expect(v1beta1conditions.IsUnknown(cp.KCP, controlplanev1.DeprecatedV1Beta1EtcdClusterHealthyCondition)).To(BeTrue())
	g.Expect(cp.health.etcdMembers).To(BeNil())
}

// healthSetAllTrue gives the Machines and the control plane healthy conditions, as a previous reconcile would.
func healthSetAllTrue(cp *controlPlane) {
	for _, m := range cp.Machines {
		setAgentHealthy(m, healthResult{status: metav1.ConditionTrue, reason: "Healthy"})
		setEtcdMemberHealthy(m, healthResult{status: metav1.ConditionTrue, reason: "Healthy"})
	}
	for _, c := range []string{controlplanev1.KThreesControlPlaneControlPlaneComponentsHealthyCondition, controlplanev1.KThreesControlPlaneEtcdClusterHealthyCondition} {
		conditions.Set(cp.KCP, metav1.Condition{Type: c, Status: metav1.ConditionTrue, Reason: "Healthy"})
	}
	v1beta1conditions.MarkTrue(cp.KCP, controlplanev1.DeprecatedV1Beta1ControlPlaneComponentsHealthyCondition)
	v1beta1conditions.MarkTrue(cp.KCP, controlplanev1.DeprecatedV1Beta1EtcdClusterHealthyCondition)
}

func TestHealthWorkloadUnreachable(t *testing.T) {
	connErr := &workload.RemoteConnectionError{Err: errors.New("dial tcp: connection refused")}
	tests := []struct {
		name          string
		err           error
		clusterCache  *healthFakeClusterCache
		notInit       bool
		proxyDisabled bool
		previous      bool
		wantStatus    metav1.ConditionStatus
		wantReason    string
		wantMessage   string
	}{
		{
			name: "within the grace period the last known conditions are kept", err: connErr, previous: true,
			clusterCache: &healthFakeClusterCache{state: clustercache.HealthCheckingState{LastProbeSuccessTime: healthTestNow.Add(-time.Minute), ConsecutiveFailures: 6}},
			wantStatus:   metav1.ConditionTrue, wantReason: "Healthy",
		},
		{
			name: "within the grace period missing conditions become Unknown", err: connErr,
			clusterCache: &healthFakeClusterCache{state: clustercache.HealthCheckingState{LastProbeSuccessTime: healthTestNow.Add(-time.Minute), ConsecutiveFailures: 6}},
			wantStatus:   metav1.ConditionUnknown, wantReason: clusterv1.ConnectionDownReason, wantMessage: "2026-05-04T11:59:00Z",
		},
		{
			name: "after the grace period conditions become Unknown naming the last probe", err: connErr, previous: true,
			clusterCache: &healthFakeClusterCache{state: clustercache.HealthCheckingState{LastProbeSuccessTime: healthTestNow.Add(-6 * time.Minute), ConsecutiveFailures: 36}},
			wantStatus:   metav1.ConditionUnknown, wantReason: clusterv1.ConnectionDownReason,
			wantMessage: "the last successful connection probe was at 2026-05-04T11:54:00Z",
		},
		{
			name: "a connection being established keeps the last known conditions", err: connErr, previous: true,
			clusterCache: &healthFakeClusterCache{state: clustercache.HealthCheckingState{ConsecutiveFailures: 2}},
			wantStatus:   metav1.ConditionTrue, wantReason: "Healthy",
		},
		{
			name: "a connection that never worked is down", err: connErr, previous: true,
			clusterCache: &healthFakeClusterCache{state: clustercache.HealthCheckingState{ConsecutiveFailures: 5}},
			wantStatus:   metav1.ConditionUnknown, wantReason: clusterv1.ConnectionDownReason, wantMessage: "no connection probe has succeeded yet",
		},
		{
			name: "without a ClusterCache there is no grace", err: connErr, previous: true,
			wantStatus: metav1.ConditionUnknown, wantReason: clusterv1.ConnectionDownReason, wantMessage: "Cannot reach the workload cluster",
		},
		{
			name: "not initialized", err: connErr, notInit: true, previous: true,
			clusterCache: &healthFakeClusterCache{state: clustercache.HealthCheckingState{LastProbeSuccessTime: healthTestNow.Add(-time.Minute)}},
			wantStatus:   metav1.ConditionUnknown, wantReason: clusterv1.InspectionFailedReason, wantMessage: "Waiting for the control plane to be initialized",
		},
		{
			name: "an API error is an inspection failure", previous: true,
			err:          apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", errors.New("RBAC")),
			clusterCache: &healthFakeClusterCache{state: clustercache.HealthCheckingState{LastProbeSuccessTime: healthTestNow.Add(-time.Minute)}},
			wantStatus:   metav1.ConditionUnknown, wantReason: clusterv1.InspectionFailedReason, wantMessage: "forbidden",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			cp := healthControlPlane(tt.proxyDisabled, healthMachine("m1", "n1", 0), healthDeleting(healthMachine("m2", "n2", 1)))
			if tt.notInit {
				cp.KCP.Status.Initialization.ControlPlaneInitialized = nil
			}
			if tt.previous {
				healthSetAllTrue(cp)
			}
			cp.openWorkload = func(context.Context) (workload.Cluster, error) { return nil, tt.err }
			r := &Reconciler{}
			if tt.clusterCache != nil {
				r.ClusterCache = tt.clusterCache
			}

			r.reconcileWorkloadHealth(context.Background(), cp)

			g.Expect(cp.health.connErr).To(MatchError(tt.err))
			m1 := cp.Machines["m1"]
			for _, c := range []string{controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition} {
				healthExpectCondition(g, m1, c, tt.wantStatus, tt.wantReason, tt.wantMessage)
			}
			for _, c := range []string{controlplanev1.KThreesControlPlaneControlPlaneComponentsHealthyCondition, controlplanev1.KThreesControlPlaneEtcdClusterHealthyCondition} {
				healthExpectCondition(g, cp.KCP, c, tt.wantStatus, tt.wantReason, tt.wantMessage)
			}
			for _, c := range []clusterv1.ConditionType{controlplanev1.DeprecatedV1Beta1ControlPlaneComponentsHealthyCondition, controlplanev1.DeprecatedV1Beta1EtcdClusterHealthyCondition} {
				g.Expect(string(v1beta1conditions.Get(cp.KCP, c).Status)).To(Equal(string(tt.wantStatus)), "v1beta1 %s", c)
			}
			g.Expect(string(v1beta1conditions.Get(m1, controlplanev1.DeprecatedV1Beta1MachineAgentHealthyCondition).Status)).To(Equal(string(tt.wantStatus)))
			// What is known without the workload cluster is always up to date.
			healthExpectCondition(g, cp.Machines["m2"], controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, metav1.ConditionFalse, "Deleting")
			healthExpectCondition(g, cp.Machines["m2"], controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition, metav1.ConditionFalse, "Deleting")
		})
	}
}

func TestHealthWorkloadUnreachableProxyDisabled(t *testing.T) {
	g := NewWithT(t)
	cp := healthControlPlane(true, healthMachine("m1", "n1", 0))
	cp.openWorkload = func(context.Context) (workload.Cluster, error) {
		return nil, &workload.RemoteConnectionError{Err: errors.New("refused")}
	}
	(&Reconciler{}).reconcileWorkloadHealth(context.Background(), cp)

	healthExpectCondition(g, cp.Machines["m1"], controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition, metav1.ConditionUnknown,
		controlplanev1.KThreesControlPlaneMachineEtcdMemberNotInspectedReason, "Cannot reach the workload cluster")
	healthExpectCondition(g, cp.KCP, controlplanev1.KThreesControlPlaneEtcdClusterHealthyCondition, metav1.ConditionUnknown,
		controlplanev1.KThreesControlPlaneEtcdClusterNotInspectedReason, "etcd-proxy")
	healthExpectCondition(g, cp.KCP, controlplanev1.KThreesControlPlaneControlPlaneComponentsHealthyCondition, metav1.ConditionUnknown,
		clusterv1.ConnectionDownReason)
}

// healthMember is an etcd member of the node, as K3s names it.
func healthMember(id uint64, nodeName string) *etcd.Member {
	return &etcd.Member{ID: id, ClusterID: 0xc1, Name: nodeName + "-0123abcd", NodeName: nodeName}
}

// healthEtcdNode describes what the etcd member on one Node answers.
type healthEtcdNode struct {
	connectErr error
	listErr    error
	members    []*etcd.Member
	// certificatesExpiry is what the member's serving certificate says; zero for none.
	certificatesExpiry time.Time
}

// healthWithEtcd makes the control plane's etcd answer, per Node, as described; each Node is connected at most
// once and every client is closed.
func healthWithEtcd(mockCtrl *gomock.Controller, cp *controlPlane, answers map[string]healthEtcdNode) {
	generator := etcdmock.NewMockClientGenerator(mockCtrl)
	for node, answer := range answers {
		if answer.connectErr != nil {
			generator.EXPECT().ForNode(gomock.Any(), node).Return(nil, answer.connectErr).Times(1)
			continue
		}
		c := etcdmock.NewMockClient(mockCtrl)
		c.EXPECT().Members(gomock.Any()).Return(answer.members, answer.listErr).Times(1)
		c.EXPECT().ServerCertificateExpiry().Return(answer.certificatesExpiry).Times(1)
		c.EXPECT().Close().Return(nil).Times(1)
		generator.EXPECT().ForNode(gomock.Any(), node).Return(c, nil).Times(1)
	}
	cp.openEtcd = func(context.Context) (etcd.ClientGenerator, error) { return generator, nil }
}

func TestHealthEtcdConditions(t *testing.T) {
	m1, m2, m3 := healthMember(1, "n1"), healthMember(2, "n2"), healthMember(3, "n3")
	all := []*etcd.Member{m1, m2, m3}
	withAlarm := func(m *etcd.Member, a etcd.AlarmType) *etcd.Member {
		c := *m
		c.Alarms = []etcd.AlarmType{a}
		return &c
	}
	learner := *m3
	learner.IsLearner = true
	otherCluster := func(members ...*etcd.Member) []*etcd.Member {
		var out []*etcd.Member
		for _, m := range members {
			c := *m
			c.ClusterID = 0xbad
			out = append(out, &c)
		}
		return out
	}
	readyNodes := []corev1.Node{healthNode("n1", corev1.ConditionTrue), healthNode("n2", corev1.ConditionTrue), healthNode("n3", corev1.ConditionTrue)}
	threeMachines := func() []*clusterv1.Machine {
		return []*clusterv1.Machine{healthMachine("m1", "n1", 0), healthMachine("m2", "n2", 1), healthMachine("m3", "n3", 2)}
	}

	tests := []struct {
		name          string
		machines      []*clusterv1.Machine
		nodes         []corev1.Node
		answers       map[string]healthEtcdNode
		generatorErr  error
		want          map[string][3]string
		wantKCP       metav1.ConditionStatus
		wantKCPReason string
		wantKCPLines  []string
		wantMembers   int
		wantHealthy   []string
	}{
		{
			name:     "all healthy",
			machines: threeMachines(), nodes: readyNodes,
			answers: map[string]healthEtcdNode{"n1": {members: all}, "n2": {members: all}, "n3": {members: all}},
			want: map[string][3]string{
				"m1": {"True", "Healthy", ""}, "m2": {"True", "Healthy", ""}, "m3": {"True", "Healthy", ""},
			},
			wantKCP: metav1.ConditionTrue, wantKCPReason: "Healthy", wantMembers: 3, wantHealthy: []string{"n1", "n2", "n3"},
		},
		{
			name:     "alarm on a member",
			machines: threeMachines(), nodes: readyNodes,
			answers: map[string]healthEtcdNode{
				"n1": {members: []*etcd.Member{m1, withAlarm(m2, etcd.AlarmNoSpace), m3}},
				"n2": {members: []*etcd.Member{m1, withAlarm(m2, etcd.AlarmNoSpace), m3}},
				"n3": {members: []*etcd.Member{m1, withAlarm(m2, etcd.AlarmNoSpace), m3}},
			},
			want:    map[string][3]string{"m1": {"True", "Healthy", ""}, "m2": {"False", "NotHealthy", "alarms: NOSPACE"}},
			wantKCP: metav1.ConditionFalse, wantKCPReason: "NotHealthy",
			wantKCPLines: []string{"* Machine m2: The etcd member has alarms: NOSPACE"},
			wantMembers:  3, wantHealthy: []string{"n1", "n3"},
		},
		{
			name:     "member missing from every view",
			machines: threeMachines(), nodes: readyNodes,
			answers: map[string]healthEtcdNode{
				"n1": {members: []*etcd.Member{m1, m2}}, "n2": {members: []*etcd.Member{m1, m2}}, "n3": {members: []*etcd.Member{m1, m2}},
			},
			want: map[string][3]string{
				"m3": {"False", "NotHealthy", "etcd member missing: etcd reports members [n1-0123abcd, n2-0123abcd], none on Node n3"},
			},
			wantKCP: metav1.ConditionFalse, wantKCPReason: "NotHealthy",
			wantKCPLines: []string{"* Machine m3: etcd member missing: etcd reports members [n1-0123abcd, n2-0123abcd], none on Node n3"},
			wantMembers:  2, wantHealthy: []string{"n1", "n2"},
		},
		{
			name:     "a member disagreeing with the others about the member list",
			machines: threeMachines(), nodes: readyNodes,
			answers: map[string]healthEtcdNode{
				"n1": {members: all}, "n2": {members: all}, "n3": {members: []*etcd.Member{m3}},
			},
			want: map[string][3]string{
				"m1": {"True", "Healthy", ""},
				"m3": {"False", "NotHealthy", "reports members [n3-0123abcd], while other members report [n1-0123abcd, n2-0123abcd, n3-0123abcd]"},
			},
			wantKCP: metav1.ConditionFalse, wantKCPReason: "NotHealthy", wantMembers: 3, wantHealthy: []string{"n1", "n2"},
		},
		{
			name:     "a member of another etcd cluster",
			machines: threeMachines(), nodes: readyNodes,
			answers: map[string]healthEtcdNode{
				"n1": {members: all}, "n2": {members: all}, "n3": {members: otherCluster(m1, m2, m3)},
			},
			want:    map[string][3]string{"m3": {"False", "NotHealthy", "while other members report"}},
			wantKCP: metav1.ConditionFalse, wantKCPReason: "NotHealthy", wantMembers: 3, wantHealthy: []string{"n1", "n2"},
		},
		{
			name:     "learner",
			machines: threeMachines(), nodes: readyNodes,
			answers: map[string]healthEtcdNode{
				"n1": {members: []*etcd.Member{m1, m2, &learner}}, "n2": {members: []*etcd.Member{m1, m2, &learner}},
				"n3": {members: []*etcd.Member{m1, m2, &learner}},
			},
			want:    map[string][3]string{"m3": {"False", "NotHealthy", "learner"}},
			wantKCP: metav1.ConditionFalse, wantKCPReason: "NotHealthy", wantMembers: 3, wantHealthy: []string{"n1", "n2"},
		},
		{
			name:     "connection failure is Unknown, list failure is False",
			machines: threeMachines(), nodes: readyNodes,
			answers: map[string]healthEtcdNode{
				"n1": {members: all}, "n2": {connectErr: errors.New("no etcd-proxy pod")}, "n3": {listErr: errors.New("deadline exceeded")},
			},
			want: map[string][3]string{
				"m1": {"True", "Healthy", ""},
				"m2": {"Unknown", clusterv1.InspectionFailedReason, "Failed to connect to the etcd member: no etcd-proxy pod"},
				"m3": {"False", "NotHealthy", "did not list the members: deadline exceeded"},
			},
			wantKCP: metav1.ConditionFalse, wantKCPReason: "NotHealthy",
			wantKCPLines: []string{
				"* Machine m3: The etcd member did not list the members: deadline exceeded",
				"* Machine m2: Failed to connect to the etcd member: no etcd-proxy pod",
			},
			wantMembers: 3, wantHealthy: []string{"n1"},
		},
		{
			name:     "no member reachable",
			machines: threeMachines()[:1], nodes: readyNodes[:1],
			answers: map[string]healthEtcdNode{"n1": {connectErr: errors.New("refused")}},
			want:    map[string][3]string{"m1": {"Unknown", clusterv1.InspectionFailedReason, "refused"}},
			wantKCP: metav1.ConditionUnknown, wantKCPReason: "HealthUnknown",
		},
		{
			name:     "etcd unreachable altogether",
			machines: threeMachines()[:2], nodes: readyNodes[:2], generatorErr: errors.New("etcd CA secret missing"),
			want: map[string][3]string{
				"m1": {"Unknown", clusterv1.InspectionFailedReason, "Failed to reach etcd: etcd CA secret missing"},
				"m2": {"Unknown", clusterv1.InspectionFailedReason, "Failed to reach etcd: etcd CA secret missing"},
			},
			wantKCP: metav1.ConditionUnknown, wantKCPReason: "HealthUnknown",
		},
		{
			name:     "member without Machine",
			machines: threeMachines()[:2], nodes: readyNodes[:2],
			answers: map[string]healthEtcdNode{"n1": {members: all}, "n2": {members: all}},
			want:    map[string][3]string{"m1": {"True", "Healthy", ""}, "m2": {"True", "Healthy", ""}},
			wantKCP: metav1.ConditionFalse, wantKCPReason: "NotHealthy",
			wantKCPLines: []string{"* etcd member n3-0123abcd has no corresponding Machine"},
			wantMembers:  3, wantHealthy: []string{"n1", "n2"},
		},
		{
			name:     "member without Machine is expected while a Machine waits for its Node",
			machines: append(threeMachines()[:2], healthMachine("m3", "", 2)), nodes: readyNodes[:2],
			answers: map[string]healthEtcdNode{"n1": {members: all}, "n2": {members: all}},
			want:    map[string][3]string{"m3": {"Unknown", clusterv1.InspectionFailedReason, "Waiting for the Machine's Node"}},
			wantKCP: metav1.ConditionTrue, wantKCPReason: "Healthy", wantMembers: 3, wantHealthy: []string{"n1", "n2"},
		},
		{
			name:     "a Machine without nodeRef yet is inspected through the Node with its provider ID",
			machines: append(threeMachines()[:2], healthMachineProviderID(healthMachine("m3", "", 2), "sim://n3")),
			nodes:    append(readyNodes[:2:2], healthNodeProviderID(healthNode("n3", corev1.ConditionTrue), "sim://n3")),
			answers:  map[string]healthEtcdNode{"n1": {members: all}, "n2": {members: all}, "n3": {members: all}},
			want:     map[string][3]string{"m3": {"True", "Healthy", ""}},
			wantKCP:  metav1.ConditionTrue, wantKCPReason: "Healthy", wantMembers: 3, wantHealthy: []string{"n1", "n2", "n3"},
		},
		{
			name:     "unreachable or missing Nodes are not connected to; judged from the others",
			machines: append(threeMachines(), healthMachine("m4", "n4", 3)),
			nodes:    []corev1.Node{readyNodes[0], readyNodes[1], healthNode("n3", corev1.ConditionUnknown, healthUnreachableTaint)},
			answers:  map[string]healthEtcdNode{"n1": {members: all}, "n2": {members: all}},
			want: map[string][3]string{
				"m3": {"Unknown", clusterv1.InspectionFailedReason, "Node n3 is unreachable"},
				"m4": {"False", "NotHealthy", "etcd member missing"},
			},
			wantKCP: metav1.ConditionFalse, wantKCPReason: "NotHealthy", wantMembers: 3, wantHealthy: []string{"n1", "n2"},
		},
		{
			name:     "deleting Machine is not connected to",
			machines: append(threeMachines()[:2], healthDeleting(healthMachine("m3", "n3", 2))), nodes: readyNodes,
			answers: map[string]healthEtcdNode{"n1": {members: all}, "n2": {members: all}},
			want:    map[string][3]string{"m3": {"False", "Deleting", "Machine is deleting"}},
			wantKCP: metav1.ConditionFalse, wantKCPReason: "NotHealthy",
			wantKCPLines: []string{"* Machine m3: Machine is deleting"},
			wantMembers:  3, wantHealthy: []string{"n1", "n2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			mockCtrl := gomock.NewController(t)
			cp := healthControlPlane(false, tt.machines...)
			healthWithNodes(mockCtrl, cp, tt.nodes...)
			healthWithEtcd(mockCtrl, cp, tt.answers)
			if tt.generatorErr != nil {
				cp.openEtcd = func(context.Context) (etcd.ClientGenerator, error) { return nil, tt.generatorErr }
			}

			(&Reconciler{}).reconcileWorkloadHealth(context.Background(), cp)

			for name, want := range tt.want {
				c := healthCondition(g, cp.Machines[name], controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition)
				g.Expect(string(c.Status)).To(Equal(want[0]), "Machine %s: %s", name, c.Message)
				g.Expect(c.Reason).To(Equal(want[1]), "Machine %s", name)
				g.Expect(c.Message).To(ContainSubstring(want[2]), "Machine %s", name)
				g.Expect(string(v1beta1conditions.Get(cp.Machines[name], controlplanev1.DeprecatedV1Beta1MachineEtcdMemberHealthyCondition).Status)).
					To(Equal(want[0]), "v1beta1 of Machine %s", name)
			}
			kcpCondition := healthCondition(g, cp.KCP, controlplanev1.KThreesControlPlaneEtcdClusterHealthyCondition)
			g.Expect(kcpCondition.Status).To(Equal(tt.wantKCP), kcpCondition.Message)
			g.Expect(kcpCondition.Reason).To(Equal(tt.wantKCPReason))
			if tt.wantKCPLines != nil {
				g.Expect(kcpCondition.Message).To(Equal(strings.Join(tt.wantKCPLines, "\n")))
			}
			g.Expect(string(v1beta1conditions.Get(cp.KCP, controlplanev1.DeprecatedV1Beta1EtcdClusterHealthyCondition).Status)).To(Equal(string(tt.wantKCP)))
			g.Expect(cp.health.etcdMembers).To(HaveLen(tt.wantMembers))
			g.Expect(healthSortedHealthyNodes(cp.health)).To(Equal(tt.wantHealthy))
		})
	}
}

// healthSortedHealthyNodes returns the Nodes whose etcd member was healthy, sorted; nil when none.
func healthSortedHealthyNodes(h *workloadHealth) []string {
	if h.etcdHealthyNodes.Len() == 0 {
		return nil
	}
	return sets.List(h.etcdHealthyNodes)
}
