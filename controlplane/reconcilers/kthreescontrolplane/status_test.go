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
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"go.uber.org/mock/gomock"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/collections"
	"sigs.k8s.io/cluster-api/util/conditions"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	capik3serrors "github.com/k3s-io/cluster-api-k3s/pkg/errors"
	"github.com/k3s-io/cluster-api-k3s/pkg/workload"
	"github.com/k3s-io/cluster-api-k3s/pkg/workload/mock"
)

// statusTestNow is the reconcile time of the status tests.
var statusTestNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func statusTestScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, clusterv1.AddToScheme, bootstrapv1.AddToScheme, controlplanev1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}

func statusTestCluster() *clusterv1.Cluster {
	return &clusterv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: "c1", Namespace: "default", UID: "cluster-uid"},
		Spec: clusterv1.ClusterSpec{
			ControlPlaneEndpoint: clusterv1.APIEndpoint{Host: "10.0.0.1", Port: 6443},
			ControlPlaneRef:      clusterv1.ContractVersionedObjectReference{APIGroup: controlplanev1.GroupVersion.Group, Kind: "KThreesControlPlane", Name: "kcp"},
		},
		Status: clusterv1.ClusterStatus{Initialization: clusterv1.ClusterInitializationStatus{InfrastructureProvisioned: ptr.To(true)}},
	}
}

func statusTestKCP(replicas int32) *controlplanev1.KThreesControlPlane {
	return &controlplanev1.KThreesControlPlane{
		ObjectMeta: metav1.ObjectMeta{Name: "kcp", Namespace: "default", UID: "kcp-uid", Finalizers: []string{controlplanev1.KThreesControlPlaneFinalizer}},
		Spec: controlplanev1.KThreesControlPlaneSpec{
			Replicas: ptr.To(replicas),
			Version:  "v1.34.5+k3s1",
		},
	}
}

// statusTestMachineOption changes a test Machine.
type statusTestMachineOption func(*clusterv1.Machine)

func statusTestWithCondition(t string, status metav1.ConditionStatus, reason, message string) statusTestMachineOption {
	return func(m *clusterv1.Machine) {
		conditions.Set(m, metav1.Condition{Type: t, Status: status, Reason: reason, Message: message, LastTransitionTime: metav1.NewTime(statusTestNow.Add(-time.Hour))})
	}
}

func statusTestWithVersion(v string) statusTestMachineOption {
	return func(m *clusterv1.Machine) { m.Spec.Version = v }
}

func statusTestWithNode(name string) statusTestMachineOption {
	return func(m *clusterv1.Machine) { m.Status.NodeRef = clusterv1.MachineNodeReference{Name: name} }
}

func statusTestWithAnnotation(k, v string) statusTestMachineOption {
	return func(m *clusterv1.Machine) {
		if m.Annotations == nil {
			m.Annotations = map[string]string{}
		}
		m.Annotations[k] = v
	}
}

func statusTestDeleting(since time.Duration) statusTestMachineOption {
	return func(m *clusterv1.Machine) {
		m.DeletionTimestamp = ptr.To(metav1.NewTime(statusTestNow.Add(-since)))
		m.Finalizers = []string{"test.cluster.x-k8s.io/hold"}
	}
}

// statusTestHealthy makes the Machine a fully healthy, up-to-date control-plane Machine with a Node named like it.
func statusTestHealthy() statusTestMachineOption {
	return func(m *clusterv1.Machine) {
		for _, o := range []statusTestMachineOption{
			statusTestWithNode(m.Name),
			statusTestWithCondition(clusterv1.MachineReadyCondition, metav1.ConditionTrue, clusterv1.ReadyReason, ""),
			statusTestWithCondition(clusterv1.MachineAvailableCondition, metav1.ConditionTrue, clusterv1.AvailableReason, ""),
			statusTestWithCondition(clusterv1.MachineUpToDateCondition, metav1.ConditionTrue, clusterv1.MachineUpToDateReason, ""),
			statusTestWithCondition(controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, metav1.ConditionTrue, controlplanev1.KThreesControlPlaneMachineAgentHealthyReason, ""),
			statusTestWithCondition(controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition, metav1.ConditionTrue, controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyReason, ""),
		} {
			o(m)
		}
	}
}

func statusTestMachine(name string, opts ...statusTestMachineOption) *clusterv1.Machine {
	m := &clusterv1.Machine{
		TypeMeta: metav1.TypeMeta{APIVersion: clusterv1.GroupVersion.String(), Kind: "Machine"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "default", UID: types.UID(name + "-uid"),
			CreationTimestamp: metav1.NewTime(statusTestNow.Add(-time.Hour)),
			Labels:            map[string]string{clusterv1.ClusterNameLabel: "c1", clusterv1.MachineControlPlaneLabel: ""},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(&controlplanev1.KThreesControlPlane{
				ObjectMeta: metav1.ObjectMeta{Name: "kcp", UID: "kcp-uid"},
			}, controlplanev1.GroupVersion.WithKind("KThreesControlPlane"))},
		},
		Spec: clusterv1.MachineSpec{
			ClusterName: "c1",
			Version:     "v1.34.5+k3s1",
			Bootstrap: clusterv1.Bootstrap{ConfigRef: clusterv1.ContractVersionedObjectReference{
				APIGroup: bootstrapv1.GroupVersion.Group, Kind: "KThreesConfig", Name: name,
			}},
		},
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

// statusTestControlPlane builds a scope; every Machine is up to date unless listed in outdated with its reasons.
func statusTestControlPlane(kcp *controlplanev1.KThreesControlPlane, machines []*clusterv1.Machine, outdated map[string][]string) *controlPlane {
	cp := &controlPlane{
		KCP:               kcp,
		Cluster:           statusTestCluster(),
		Machines:          collections.FromMachines(machines...),
		adoptableMachines: collections.New(),
		foreignMachines:   collections.New(),
		upToDate:          map[string]upToDateResult{},
		reconcileTime:     statusTestNow,
		openWorkload: func(context.Context) (workload.Cluster, error) {
			return nil, &workload.RemoteConnectionError{Err: errors.New("no workload cluster in this test")}
		},
	}
	for _, m := range machines {
		reasons, isOutdated := outdated[m.Name]
		cp.upToDate[m.Name] = upToDateResult{UpToDate: !isOutdated, Reasons: reasons}
	}
	return cp
}

func statusTestReadyNode(name string, ready bool) *corev1.Node {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{workload.LabelNodeRoleControlPlane: "true"}},
		Status:     corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: status}}},
	}
}

func TestStatusReplicaCountersAndVersions(t *testing.T) {
	tests := []struct {
		name                               string
		machines                           []*clusterv1.Machine
		previousVersion                    string
		wantReplicas, wantReady, wantAvail int32
		wantUpToDate                       int32
		wantVersions                       []clusterv1.StatusVersion
		wantVersion                        string
	}{
		{
			name:            "no Machines: zero counters, versions cleared, version kept",
			previousVersion: "v1.33.1+k3s1",
			wantVersion:     "v1.33.1+k3s1",
		},
		{
			name: "counters from conditions and versions ordered by build metadata",
			machines: []*clusterv1.Machine{
				statusTestMachine("m1", statusTestWithVersion("v1.33.1+k3s10"), statusTestHealthy()),
				statusTestMachine("m2", statusTestWithVersion("v1.33.1+k3s2"),
					statusTestWithCondition(clusterv1.MachineReadyCondition, metav1.ConditionTrue, clusterv1.ReadyReason, ""),
					statusTestWithCondition(clusterv1.MachineUpToDateCondition, metav1.ConditionFalse, clusterv1.MachineNotUpToDateReason, "")),
				statusTestMachine("m3", statusTestWithVersion("v1.33.1+k3s2"),
					statusTestWithCondition(clusterv1.MachineReadyCondition, metav1.ConditionFalse, clusterv1.NotReadyReason, "")),
				statusTestMachine("m4", statusTestWithVersion("v1.32.9+k3s1")),
				statusTestMachine("m5", statusTestWithVersion("v1.34.0+k3s1")),
				statusTestMachine("m6", statusTestWithVersion("")),
			},
			wantReplicas: 6, wantReady: 2, wantAvail: 1, wantUpToDate: 1,
			wantVersions: []clusterv1.StatusVersion{
				{Version: "v1.32.9+k3s1", Replicas: 1},
				{Version: "v1.33.1+k3s2", Replicas: 2},
				{Version: "v1.33.1+k3s10", Replicas: 1},
				{Version: "v1.34.0+k3s1", Replicas: 1},
			},
			wantVersion: "v1.32.9+k3s1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := statusTestKCP(3)
			kcp.Status.Version = tt.previousVersion
			kcp.Status.Initialization.ControlPlaneInitialized = ptr.To(true)
			cp := statusTestControlPlane(kcp, tt.machines, nil)

			g.Expect((&Reconciler{}).updateStatus(context.Background(), cp)).To(Succeed())

			g.Expect(kcp.Status.Selector).To(Equal("cluster.x-k8s.io/cluster-name=c1,cluster.x-k8s.io/control-plane"))
			g.Expect(kcp.Status.Replicas).To(HaveValue(Equal(tt.wantReplicas)))
			g.Expect(kcp.Status.ReadyReplicas).To(HaveValue(Equal(tt.wantReady)))
			g.Expect(kcp.Status.AvailableReplicas).To(HaveValue(Equal(tt.wantAvail)))
			g.Expect(kcp.Status.UpToDateReplicas).To(HaveValue(Equal(tt.wantUpToDate)))
			g.Expect(kcp.Status.Versions).To(Equal(tt.wantVersions))
			g.Expect(kcp.Status.Version).To(Equal(tt.wantVersion))
		})
	}
}

func TestStatusCompareK3sVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"v1.33.1+k3s1", "v1.33.1+k3s1", 0},
		{"v1.33.1+k3s1", "v1.33.1+k3s2", -1},
		{"v1.33.1+k3s10", "v1.33.1+k3s9", 1},
		{"v1.33.1+k3s1", "v1.33.2+k3s1", -1},
		{"v1.34.0+k3s1", "v1.33.9+k3s3", 1},
		{"v1.33.1", "v1.33.1+k3s1", -1},
		{"v1.33.1-rc1+k3s1", "v1.33.1+k3s1", -1},
		{"not-a-version", "v1.33.1+k3s1", 1},
		{"v1.33.1+k3s1", "not-a-version", -1},
	}
	for _, tt := range tests {
		t.Run(tt.a+" vs "+tt.b, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(compareK3sVersions(tt.a, tt.b)).To(Equal(tt.want))
			g.Expect(compareK3sVersions(tt.b, tt.a)).To(Equal(-tt.want), "the order must be antisymmetric")
		})
	}
}

func TestStatusControlPlaneInitialized(t *testing.T) {
	tests := []struct {
		name        string
		initialized *bool
		deleting    bool
		machines    []*clusterv1.Machine
		openErr     error
		expect      func(*mock.MockClusterMockRecorder)
		wantInit    *bool
		wantErr     bool
	}{
		{
			name:     "k3s-serving exists: initialized",
			machines: []*clusterv1.Machine{statusTestMachine("m1")},
			expect:   func(e *mock.MockClusterMockRecorder) { e.IsInitialized(gomock.Any()).Return(true, nil) },
			wantInit: ptr.To(true),
		},
		{
			name:     "k3s-serving missing: not initialized",
			machines: []*clusterv1.Machine{statusTestMachine("m1")},
			expect:   func(e *mock.MockClusterMockRecorder) { e.IsInitialized(gomock.Any()).Return(false, nil) },
		},
		{
			name:        "already initialized: never reset and the workload cluster is not asked",
			initialized: ptr.To(true),
			machines:    []*clusterv1.Machine{statusTestMachine("m1")},
			wantInit:    ptr.To(true),
		},
		{
			name:     "unreachable workload cluster when opening it is tolerated",
			machines: []*clusterv1.Machine{statusTestMachine("m1")},
			openErr:  &workload.RemoteConnectionError{Err: errors.New("no connection")},
		},
		{
			name:     "unreachable workload cluster when reading is tolerated",
			machines: []*clusterv1.Machine{statusTestMachine("m1")},
			expect: func(e *mock.MockClusterMockRecorder) {
				e.IsInitialized(gomock.Any()).Return(false, &workload.RemoteConnectionError{Err: errors.New("timeout")})
			},
		},
		{
			name:     "an answer of the API server other than not found is an error",
			machines: []*clusterv1.Machine{statusTestMachine("m1")},
			expect: func(e *mock.MockClusterMockRecorder) {
				e.IsInitialized(gomock.Any()).Return(false, apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "k3s-serving", errors.New("denied")))
			},
			wantErr: true,
		},
		{
			name: "no Machines: the workload cluster is not asked",
		},
		{
			name:     "deleting control plane: the workload cluster is not asked",
			deleting: true,
			machines: []*clusterv1.Machine{statusTestMachine("m1")},
		},
		{
			name:     "lone first Machine being deleted: the workload cluster is not asked",
			machines: []*clusterv1.Machine{statusTestMachine("m1", statusTestDeleting(time.Minute))},
		},
		{
			name: "lone first Machine being remediated: the workload cluster is not asked",
			machines: []*clusterv1.Machine{statusTestMachine("m1",
				statusTestWithCondition(clusterv1.MachineHealthCheckSucceededCondition, metav1.ConditionFalse, "Unhealthy", ""),
				statusTestWithCondition(clusterv1.MachineOwnerRemediatedCondition, metav1.ConditionFalse, "WaitingForRemediation", ""))},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			mockCtrl := gomock.NewController(t)
			wl := mock.NewMockCluster(mockCtrl)
			if tt.expect != nil {
				tt.expect(wl.EXPECT())
			}
			kcp := statusTestKCP(1)
			kcp.Status.Initialization.ControlPlaneInitialized = tt.initialized
			if tt.deleting {
				kcp.DeletionTimestamp = ptr.To(metav1.NewTime(statusTestNow))
			}
			cp := statusTestControlPlane(kcp, tt.machines, nil)
			opened := 0
			cp.openWorkload = func(context.Context) (workload.Cluster, error) {
				opened++
				if tt.openErr != nil {
					return nil, tt.openErr
				}
				return wl, nil
			}

			err := (&Reconciler{}).updateStatus(context.Background(), cp)
			if tt.wantErr {
				g.Expect(err).To(HaveOccurred())
			} else {
				g.Expect(err).ToNot(HaveOccurred())
			}
			g.Expect(kcp.Status.Initialization.ControlPlaneInitialized).To(Equal(tt.wantInit))
			if tt.expect == nil && tt.openErr == nil {
				g.Expect(opened).To(BeZero(), "the workload cluster must not be opened")
			}
		})
	}
}

func TestStatusLastRemediation(t *testing.T) {
	older := `{"machine":"old","timestamp":"2026-02-01T10:00:00Z","retryCount":1}`
	newer := `{"machine":"new","timestamp":"2026-02-02T10:00:00Z","retryCount":3}`
	previous := controlplanev1.LastRemediationStatus{Machine: "previous", Time: metav1.NewTime(statusTestNow.Add(-48 * time.Hour)), RetryCount: ptr.To(int32(0))}
	tests := []struct {
		name       string
		inProgress string
		machines   []*clusterv1.Machine
		want       controlplanev1.LastRemediationStatus
	}{
		{
			name:       "remediation in progress on the control plane wins",
			inProgress: older,
			machines:   []*clusterv1.Machine{statusTestMachine("m2", statusTestWithAnnotation(controlplanev1.RemediationForAnnotation, newer))},
			want:       controlplanev1.LastRemediationStatus{Machine: "old", Time: metav1.NewTime(time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)), RetryCount: ptr.To(int32(1))},
		},
		{
			name:       "unreadable remediation in progress: the Machines' newest",
			inProgress: "garbage",
			machines:   []*clusterv1.Machine{statusTestMachine("m2", statusTestWithAnnotation(controlplanev1.RemediationForAnnotation, newer))},
			want:       controlplanev1.LastRemediationStatus{Machine: "new", Time: metav1.NewTime(time.Date(2026, 2, 2, 10, 0, 0, 0, time.UTC)), RetryCount: ptr.To(int32(3))},
		},
		{
			name: "newest remediation among the Machines",
			machines: []*clusterv1.Machine{
				statusTestMachine("m1", statusTestWithAnnotation(controlplanev1.RemediationForAnnotation, older)),
				statusTestMachine("m2", statusTestWithAnnotation(controlplanev1.RemediationForAnnotation, newer)),
				statusTestMachine("m3"),
			},
			want: controlplanev1.LastRemediationStatus{Machine: "new", Time: metav1.NewTime(time.Date(2026, 2, 2, 10, 0, 0, 0, time.UTC)), RetryCount: ptr.To(int32(3))},
		},
		{
			name:     "no remediation: unchanged",
			machines: []*clusterv1.Machine{statusTestMachine("m1")},
			want:     previous,
		},
		{
			name: "unreadable annotation is skipped",
			machines: []*clusterv1.Machine{
				statusTestMachine("m1", statusTestWithAnnotation(controlplanev1.RemediationForAnnotation, "{not json")),
				statusTestMachine("m2", statusTestWithAnnotation(controlplanev1.RemediationForAnnotation, older)),
			},
			want: controlplanev1.LastRemediationStatus{Machine: "old", Time: metav1.NewTime(time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)), RetryCount: ptr.To(int32(1))},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := statusTestKCP(3)
			kcp.Status.Initialization.ControlPlaneInitialized = ptr.To(true)
			kcp.Status.LastRemediation = previous
			if tt.inProgress != "" {
				kcp.Annotations = map[string]string{controlplanev1.RemediationInProgressAnnotation: tt.inProgress}
			}
			cp := statusTestControlPlane(kcp, tt.machines, nil)

			g.Expect((&Reconciler{}).updateStatus(context.Background(), cp)).To(Succeed())
			g.Expect(kcp.Status.LastRemediation.Machine).To(Equal(tt.want.Machine))
			g.Expect(kcp.Status.LastRemediation.Time.Equal(&tt.want.Time)).To(BeTrue(), "time %v, want %v", kcp.Status.LastRemediation.Time, tt.want.Time)
			g.Expect(kcp.Status.LastRemediation.RetryCount).To(Equal(tt.want.RetryCount))
		})
	}
}

func TestStatusDeprecatedV1Beta1(t *testing.T) {
	failureReason := capik3serrors.KThreesControlPlaneStatusError("InvalidConfiguration")
	machines := func() []*clusterv1.Machine {
		return []*clusterv1.Machine{statusTestMachine("m1"), statusTestMachine("m2"), statusTestMachine("m3")}
	}
	tests := []struct {
		name     string
		previous controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus
		health   *workloadHealth
		deleting bool
		outdated map[string][]string
		want     controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus
	}{
		{
			name: "ready replicas from the Ready control-plane Nodes",
			health: &workloadHealth{nodes: map[string]*corev1.Node{
				"m1": statusTestReadyNode("m1", true), "m2": statusTestReadyNode("m2", true), "m3": statusTestReadyNode("m3", false),
			}},
			outdated: map[string][]string{"m3": {"Version v1.33.1+k3s1, v1.34.5+k3s1 required"}},
			want:     controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus{UpdatedReplicas: 2, ReadyReplicas: 2, UnavailableReplicas: 1, Ready: true},
		},
		{
			name:   "no Ready Node yet: not ready",
			health: &workloadHealth{nodes: map[string]*corev1.Node{"m1": statusTestReadyNode("m1", false)}},
			want:   controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus{UpdatedReplicas: 3, ReadyReplicas: 0, UnavailableReplicas: 3},
		},
		{
			name:     "ready stays true once set, like upstream's",
			previous: controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus{Ready: true, ReadyReplicas: 3},
			health:   &workloadHealth{nodes: map[string]*corev1.Node{"m1": statusTestReadyNode("m1", false)}},
			want:     controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus{UpdatedReplicas: 3, ReadyReplicas: 0, UnavailableReplicas: 3, Ready: true},
		},
		{
			name:     "unreachable workload cluster: ready replicas kept, failure fields untouched",
			previous: controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus{Ready: true, ReadyReplicas: 2, FailureReason: failureReason, FailureMessage: ptr.To("bad")},
			health:   &workloadHealth{connErr: errors.New("unreachable")},
			want:     controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus{UpdatedReplicas: 3, ReadyReplicas: 2, UnavailableReplicas: 1, Ready: true, FailureReason: failureReason, FailureMessage: ptr.To("bad")},
		},
		{
			name:     "health not inspected in this reconcile: ready replicas kept",
			previous: controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus{Ready: true, ReadyReplicas: 3},
			want:     controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus{UpdatedReplicas: 3, ReadyReplicas: 3, UnavailableReplicas: 0, Ready: true},
		},
		{
			name:     "deleting: no ready replicas, like upstream's",
			previous: controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus{Ready: true, ReadyReplicas: 3},
			deleting: true,
			want:     controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus{UpdatedReplicas: 3, ReadyReplicas: 0, UnavailableReplicas: 3, Ready: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := statusTestKCP(3)
			kcp.Status.Initialization.ControlPlaneInitialized = ptr.To(true)
			previous := tt.previous
			kcp.Status.Deprecated = &controlplanev1.KThreesControlPlaneDeprecatedStatus{V1Beta1: &previous}
			if tt.deleting {
				kcp.DeletionTimestamp = ptr.To(metav1.NewTime(statusTestNow))
			}
			cp := statusTestControlPlane(kcp, machines(), tt.outdated)
			cp.health = tt.health

			g.Expect((&Reconciler{}).updateStatus(context.Background(), cp)).To(Succeed())
			g.Expect(*kcp.Status.Deprecated.V1Beta1).To(Equal(tt.want))
		})
	}

	t.Run("the deprecated status is created when missing", func(t *testing.T) {
		g := NewWithT(t)
		kcp := statusTestKCP(3)
		kcp.Status.Initialization.ControlPlaneInitialized = ptr.To(true)
		cp := statusTestControlPlane(kcp, machines(), nil)
		g.Expect((&Reconciler{}).updateStatus(context.Background(), cp)).To(Succeed())
		g.Expect(kcp.Status.Deprecated).ToNot(BeNil())
		g.Expect(kcp.Status.Deprecated.V1Beta1).ToNot(BeNil())
		g.Expect(kcp.Status.Deprecated.V1Beta1.UpdatedReplicas).To(Equal(int32(3)))
		g.Expect(kcp.Status.Deprecated.V1Beta1.UnavailableReplicas).To(Equal(int32(3)))
	})
}
