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
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"go.uber.org/mock/gomock"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/collections"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
	etcdmock "github.com/k3s-io/cluster-api-k3s/pkg/etcd/mock"
)

// scaleTestNow is the reconcile time of the scaling, rollout, preflight and remediation tests.
var scaleTestNow = time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)

func scaleTestScheme() *runtime.Scheme {
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

func scaleTestKCP(replicas int32) *controlplanev1.KThreesControlPlane {
	return &controlplanev1.KThreesControlPlane{
		ObjectMeta: metav1.ObjectMeta{Name: "kcp", Namespace: "default", UID: "kcp-uid"},
		Spec:       controlplanev1.KThreesControlPlaneSpec{Replicas: ptr.To(replicas), Version: "v1.34.5+k3s1"},
		Status: controlplanev1.KThreesControlPlaneStatus{
			Initialization: controlplanev1.KThreesControlPlaneInitializationStatus{ControlPlaneInitialized: ptr.To(true)},
		},
	}
}

// scaleTestCluster has the given control-plane failure domains, plus one that is not for the control plane.
func scaleTestCluster(controlPlaneFDs ...string) *clusterv1.Cluster {
	c := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "c1", Namespace: "default", UID: "cluster-uid"}}
	for _, fd := range controlPlaneFDs {
		c.Status.FailureDomains = append(c.Status.FailureDomains, clusterv1.FailureDomain{Name: fd, ControlPlane: ptr.To(true)})
	}
	if len(controlPlaneFDs) > 0 {
		c.Status.FailureDomains = append(c.Status.FailureDomains, clusterv1.FailureDomain{Name: "workers-only", ControlPlane: ptr.To(false)})
	}
	return c
}

// scaleTestMachineOption changes a test Machine.
type scaleTestMachineOption func(*clusterv1.Machine)

func scaleTestInFD(fd string) scaleTestMachineOption {
	return func(m *clusterv1.Machine) { m.Spec.FailureDomain = fd }
}

func scaleTestCondition(conditionType string, status metav1.ConditionStatus) scaleTestMachineOption {
	return func(m *clusterv1.Machine) {
		conditions.Set(m, metav1.Condition{Type: conditionType, Status: status, Reason: "Test", LastTransitionTime: metav1.NewTime(scaleTestNow)})
	}
}

func scaleTestNoCondition(conditionType string) scaleTestMachineOption {
	return func(m *clusterv1.Machine) { conditions.Delete(m, conditionType) }
}

func scaleTestAnnotation(k, v string) scaleTestMachineOption {
	return func(m *clusterv1.Machine) {
		if m.Annotations == nil {
			m.Annotations = map[string]string{}
		}
		m.Annotations[k] = v
	}
}

func scaleTestWithoutNode() scaleTestMachineOption {
	return func(m *clusterv1.Machine) { m.Status.NodeRef = clusterv1.MachineNodeReference{} }
}

func scaleTestDeleting() scaleTestMachineOption {
	return func(m *clusterv1.Machine) {
		m.DeletionTimestamp = ptr.To(metav1.NewTime(scaleTestNow.Add(-time.Minute)))
	}
}

// scaleTestMHCFailed marks the Machine unhealthy by a MachineHealthCheck, waiting for its owner's remediation.
func scaleTestMHCFailed() scaleTestMachineOption {
	return func(m *clusterv1.Machine) {
		scaleTestCondition(clusterv1.MachineHealthCheckSucceededCondition, metav1.ConditionFalse)(m)
		conditions.Set(m, metav1.Condition{Type: clusterv1.MachineOwnerRemediatedCondition, Status: metav1.ConditionFalse,
			Reason: clusterv1.MachineOwnerRemediatedWaitingForRemediationReason, LastTransitionTime: metav1.NewTime(scaleTestNow)})
	}
}

// scaleTestMachine is a healthy control-plane Machine with a Node named "<name>-node", created age ago. It carries
// the Machine controller's finalizer, so that a deleted Machine stays visible with its deletionTimestamp.
func scaleTestMachine(name string, age time.Duration, opts ...scaleTestMachineOption) *clusterv1.Machine {
	m := &clusterv1.Machine{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "default", UID: types.UID(name + "-uid"),
			CreationTimestamp: metav1.NewTime(scaleTestNow.Add(-age)),
			Labels:            map[string]string{clusterv1.ClusterNameLabel: "c1", clusterv1.MachineControlPlaneLabel: ""},
			Finalizers:        []string{clusterv1.MachineFinalizer},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(&controlplanev1.KThreesControlPlane{
				ObjectMeta: metav1.ObjectMeta{Name: "kcp", UID: "kcp-uid"},
			}, controlplanev1.GroupVersion.WithKind("KThreesControlPlane"))},
		},
		Spec:   clusterv1.MachineSpec{ClusterName: "c1", Version: "v1.34.5+k3s1"},
		Status: clusterv1.MachineStatus{NodeRef: clusterv1.MachineNodeReference{Name: name + "-node"}},
	}
	scaleTestCondition(controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, metav1.ConditionTrue)(m)
	scaleTestCondition(controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition, metav1.ConditionTrue)(m)
	for _, o := range opts {
		o(m)
	}
	return m
}

// scaleTestEnv is a reconciler on a fake client holding the Machines, and the scope of one reconcile.
type scaleTestEnv struct {
	r        *Reconciler
	c        client.Client
	cp       *controlPlane
	recorder *record.FakeRecorder
	// created lists the failure domains createMachine was asked for, in order.
	created []string
}

// scaleTestNewEnv builds the environment; the Machines named in outdated need a rollout. createMachine is replaced
// by a stub that records the failure domain and creates a healthy up-to-date Machine. The etcd leader is on no
// Machine of the test unless the test calls scaleTestEtcd.
func scaleTestNewEnv(t *testing.T, kcp *controlplanev1.KThreesControlPlane, cluster *clusterv1.Cluster, machines []*clusterv1.Machine, outdated ...string) *scaleTestEnv {
	t.Helper()
	objs := []client.Object{}
	for _, m := range machines {
		objs = append(objs, m.DeepCopy())
	}
	c := fake.NewClientBuilder().WithScheme(scaleTestScheme()).WithObjects(objs...).Build()
	env := &scaleTestEnv{c: c, recorder: record.NewFakeRecorder(100)}
	env.r = &Reconciler{Client: c, APIReader: c, Recorder: env.recorder}
	env.cp = &controlPlane{
		KCP:           kcp,
		Cluster:       cluster,
		Machines:      collections.FromMachines(machines...),
		InfraMachines: map[string]*unstructured.Unstructured{},
		Configs:       map[string]*bootstrapv1.KThreesConfig{},
		upToDate:      map[string]upToDateResult{},
		reconcileTime: scaleTestNow,
		health:        &workloadHealth{},
	}
	// By default etcd leadership is on no Machine in question, so leadership moves are no-ops.
	scaleTestEtcd(gomock.NewController(t), env.cp, "leader-elsewhere", nil)
	for _, m := range machines {
		env.cp.upToDate[m.Name] = upToDateResult{UpToDate: true}
	}
	for _, name := range outdated {
		env.cp.upToDate[name] = upToDateResult{UpToDate: false, Reasons: []string{"test"}}
	}

	original := createControlPlaneMachine
	t.Cleanup(func() { createControlPlaneMachine = original })
	createControlPlaneMachine = func(r *Reconciler, ctx context.Context, cp *controlPlane, fd string) (*clusterv1.Machine, error) {
		env.created = append(env.created, fd)
		m := scaleTestMachine(fmt.Sprintf("new-%d", len(env.created)), 0, scaleTestInFD(fd))
		if err := r.Client.Create(ctx, m.DeepCopy()); err != nil {
			return nil, err
		}
		cp.Machines.Insert(m)
		cp.upToDate[m.Name] = upToDateResult{UpToDate: true}
		return m, nil
	}
	return env
}

// deleted returns the names of the Machines the fake client shows as being deleted.
func (e *scaleTestEnv) deleted(g Gomega) []string {
	list := &clusterv1.MachineList{}
	g.Expect(e.c.List(context.Background(), list)).To(Succeed())
	var names []string
	for _, m := range list.Items {
		if !m.DeletionTimestamp.IsZero() {
			names = append(names, m.Name)
		}
	}
	return names
}

// events drains the recorded events.
func (e *scaleTestEnv) events() []string {
	var events []string
	for {
		select {
		case ev := <-e.recorder.Events:
			events = append(events, ev)
		default:
			return events
		}
	}
}

// scaleTestEtcd makes the etcd member of leaderNode lead; the returned mock client expects no MoveLeader unless
// the test sets it. members are the members the leader reports.
func scaleTestEtcd(mockCtrl *gomock.Controller, cp *controlPlane, leaderNode string, members []*etcd.Member) *etcdmock.MockClient {
	generator := etcdmock.NewMockClientGenerator(mockCtrl)
	leader := etcdmock.NewMockClient(mockCtrl)
	cp.openEtcd = func(context.Context) (etcd.ClientGenerator, error) { return generator, nil }
	generator.EXPECT().ForLeader(gomock.Any(), gomock.Any()).Return(leader, nil).AnyTimes()
	leader.EXPECT().NodeName().Return(leaderNode).AnyTimes()
	leader.EXPECT().Members(gomock.Any()).Return(members, nil).AnyTimes()
	leader.EXPECT().Close().Return(nil).AnyTimes()
	return leader
}

func scaleTestMember(id uint64, nodeName string) *etcd.Member {
	return &etcd.Member{ID: id, Name: nodeName + "-0a1b2c3d", NodeName: nodeName}
}

func TestScaleInitialize(t *testing.T) {
	tests := []struct {
		name      string
		fds       []string
		existing  bool
		createErr bool
		wantFDIn  []string
		wantEvent string
		wantErr   bool
	}{
		{name: "no failure domains: the first Machine has none", wantFDIn: []string{""}},
		{name: "the first Machine goes to a control-plane failure domain", fds: []string{"fd-a", "fd-b"}, wantFDIn: []string{"fd-a", "fd-b"}},
		{name: "a Machine the cache does not show yet blocks a second first Machine", existing: true},
		{name: "a creation failure is an event and an error", createErr: true, wantEvent: "FailedInitialization", wantErr: true, wantFDIn: []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := scaleTestKCP(3)
			kcp.Status.Initialization.ControlPlaneInitialized = nil
			var inAPI []*clusterv1.Machine
			if tt.existing {
				inAPI = append(inAPI, scaleTestMachine("m1", time.Hour))
			}
			env := scaleTestNewEnv(t, kcp, scaleTestCluster(tt.fds...), inAPI)
			env.cp.Machines = collections.New() // the cache does not show it
			if tt.createErr {
				createControlPlaneMachine = func(*Reconciler, context.Context, *controlPlane, string) (*clusterv1.Machine, error) {
					env.created = append(env.created, "")
					return nil, errors.New("boom")
				}
			}

			_, err := env.r.reconcileReplicas(context.Background(), env.cp)
			g.Expect(err != nil).To(Equal(tt.wantErr))
			if len(tt.wantFDIn) == 0 {
				g.Expect(env.created).To(BeEmpty())
			} else {
				g.Expect(env.created).To(HaveLen(1))
				g.Expect(tt.wantFDIn).To(ContainElement(env.created[0]))
			}
			if tt.wantEvent != "" {
				g.Expect(env.events()).To(ContainElement(ContainSubstring(tt.wantEvent)))
			}
		})
	}
}

func TestScaleUp(t *testing.T) {
	tests := []struct {
		name         string
		notInit      bool
		machines     []*clusterv1.Machine
		wantCreated  []string
		wantMessage  string
		wantRequeue  bool
		wantEventSub string
	}{
		{
			name: "scale up goes to the failure domain with the fewest Machines",
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 3*time.Hour, scaleTestInFD("fd-a")),
				scaleTestMachine("m2", 2*time.Hour, scaleTestInFD("fd-c")),
			},
			wantCreated: []string{"fd-b"},
		},
		{
			name:        "no scale up before the control plane is initialized",
			notInit:     true,
			machines:    []*clusterv1.Machine{scaleTestMachine("m1", time.Hour, scaleTestInFD("fd-a"))},
			wantMessage: "initialize",
		},
		{
			name: "no scale up while an etcd member is unhealthy; requeued as etcd is not watched",
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", time.Hour, scaleTestInFD("fd-a"), scaleTestCondition(controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition, metav1.ConditionFalse)),
			},
			wantMessage:  "Machine m1: etcd member is not healthy",
			wantRequeue:  true,
			wantEventSub: "ControlPlaneUnhealthy",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := scaleTestKCP(3)
			if tt.notInit {
				kcp.Status.Initialization.ControlPlaneInitialized = ptr.To(false)
			}
			env := scaleTestNewEnv(t, kcp, scaleTestCluster("fd-a", "fd-b", "fd-c"), tt.machines)

			res, err := env.r.reconcileReplicas(context.Background(), env.cp)
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(env.created).To(Equal(tt.wantCreated))
			g.Expect(res.RequeueAfter > 0).To(Equal(tt.wantRequeue))
			if tt.wantMessage != "" {
				g.Expect(env.cp.preflightMessages).To(ContainElement(ContainSubstring(tt.wantMessage)))
			} else {
				g.Expect(env.cp.preflightMessages).To(BeEmpty())
			}
			if tt.wantEventSub != "" {
				g.Expect(env.events()).To(ContainElement(ContainSubstring(tt.wantEventSub)))
			}
		})
	}
}

func TestScaleSelectMachineForScaleDown(t *testing.T) {
	deleteMark := scaleTestAnnotation(clusterv1.DeleteMachineAnnotation, "")
	tests := []struct {
		name     string
		fds      []string
		machines []*clusterv1.Machine
		outdated []string
		want     string
	}{
		{
			name: "an outdated Machine marked for deletion comes first",
			machines: []*clusterv1.Machine{
				scaleTestMachine("old", 5*time.Hour),
				scaleTestMachine("marked", 4*time.Hour, deleteMark),
				scaleTestMachine("outdated-marked", 1*time.Hour, deleteMark),
				scaleTestMachine("outdated", 3*time.Hour),
			},
			outdated: []string{"outdated-marked", "outdated"},
			want:     "outdated-marked",
		},
		{
			name: "then any Machine marked for deletion",
			machines: []*clusterv1.Machine{
				scaleTestMachine("old", 5*time.Hour),
				scaleTestMachine("marked", 1*time.Hour, deleteMark),
				scaleTestMachine("outdated", 3*time.Hour),
			},
			outdated: []string{"outdated"},
			want:     "marked",
		},
		{
			name: "then the oldest outdated Machine",
			machines: []*clusterv1.Machine{
				scaleTestMachine("old", 5*time.Hour),
				scaleTestMachine("outdated-new", 1*time.Hour),
				scaleTestMachine("outdated-old", 3*time.Hour),
			},
			outdated: []string{"outdated-new", "outdated-old"},
			want:     "outdated-old",
		},
		{
			name: "else the oldest Machine",
			machines: []*clusterv1.Machine{
				scaleTestMachine("new", 1*time.Hour),
				scaleTestMachine("old", 5*time.Hour),
			},
			want: "old",
		},
		{
			name: "the failure domain with the most Machines wins over age",
			fds:  []string{"fd-a", "fd-b"},
			machines: []*clusterv1.Machine{
				scaleTestMachine("a-oldest", 9*time.Hour, scaleTestInFD("fd-a")),
				scaleTestMachine("b-old", 5*time.Hour, scaleTestInFD("fd-b")),
				scaleTestMachine("b-new", 1*time.Hour, scaleTestInFD("fd-b")),
			},
			want: "b-old",
		},
		{
			name: "a Machine outside the current failure domains goes first",
			fds:  []string{"fd-a", "fd-b"},
			machines: []*clusterv1.Machine{
				scaleTestMachine("b-old", 9*time.Hour, scaleTestInFD("fd-b")),
				scaleTestMachine("b-new", 5*time.Hour, scaleTestInFD("fd-b")),
				scaleTestMachine("gone-fd", 1*time.Hour, scaleTestInFD("fd-gone")),
			},
			want: "gone-fd",
		},
		{
			name: "a Machine being deleted is never picked",
			machines: []*clusterv1.Machine{
				scaleTestMachine("deleting", 9*time.Hour, scaleTestDeleting()),
				scaleTestMachine("old", 5*time.Hour),
				scaleTestMachine("new", 1*time.Hour),
			},
			want: "old",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			env := scaleTestNewEnv(t, scaleTestKCP(1), scaleTestCluster(tt.fds...), tt.machines, tt.outdated...)
			outdated := env.cp.MachinesNeedingRollout()
			got := selectMachineForScaleDown(context.Background(), env.cp, outdated)
			g.Expect(got).ToNot(BeNil())
			g.Expect(got.Name).To(Equal(tt.want))
		})
	}
}

func TestScaleDownMovesLeadershipAddsHookThenDeletes(t *testing.T) {
	g := NewWithT(t)
	mockCtrl := gomock.NewController(t)
	machines := []*clusterv1.Machine{
		scaleTestMachine("m1", 5*time.Hour),
		scaleTestMachine("m2", 4*time.Hour),
		scaleTestMachine("m3", 3*time.Hour),
		scaleTestMachine("m4", 2*time.Hour),
	}
	env := scaleTestNewEnv(t, scaleTestKCP(3), scaleTestCluster(), machines, "m4")
	controller := &recordingController{}
	env.r.controller = controller
	members := []*etcd.Member{scaleTestMember(1, "m1-node"), scaleTestMember(2, "m2-node"), scaleTestMember(3, "m3-node"), scaleTestMember(4, "m4-node")}
	env.cp.health.etcdMembers = members

	// m1 is the oldest Machine and leads etcd: leadership goes to m3, the newest healthy up-to-date Machine (m4 is
	// outdated), while m1 is not being deleted yet.
	leader := scaleTestEtcd(mockCtrl, env.cp, "m1-node", members)
	leader.EXPECT().MoveLeader(gomock.Any(), uint64(3)).DoAndReturn(func(ctx context.Context, _ uint64) error {
		current := &clusterv1.Machine{}
		g.Expect(env.c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "m1"}, current)).To(Succeed())
		g.Expect(current.DeletionTimestamp.IsZero()).To(BeTrue(), "leadership must move before the Machine is deleted")
		return nil
	})

	// A plain scale down (no outdated candidates) picks the oldest Machine.
	res, err := env.r.scaleDown(context.Background(), env.cp, collections.New())
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(res.IsZero()).To(BeTrue())
	g.Expect(env.deleted(g)).To(ConsistOf("m1"))

	deletedMachine := &clusterv1.Machine{}
	g.Expect(env.c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: "m1"}, deletedMachine)).To(Succeed())
	g.Expect(deletedMachine.Annotations).To(HaveKeyWithValue(controlplanev1.EtcdRemovalHookAnnotation, controlplanev1.EtcdRemovalHookValue))
	g.Expect(controller.deferred).To(ConsistOf(env.cp.KCP.Name + "/Machine@" + deletedMachine.ResourceVersion))
	// The in-memory Machine keeps the conditions of this reconcile.
	g.Expect(conditions.IsTrue(env.cp.Machines["m1"], controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition)).To(BeTrue())
}

func TestScaleDownReplicas(t *testing.T) {
	tests := []struct {
		name        string
		replicas    int32
		machines    []*clusterv1.Machine
		members     []*etcd.Member
		wantDeleted []string
		wantMessage string
		wantRequeue bool
		wantEvent   string
	}{
		{
			name:     "more Machines than desired: the oldest one is deleted",
			replicas: 1,
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 2*time.Hour),
				scaleTestMachine("m2", 1*time.Hour),
			},
			wantDeleted: []string{"m1"},
		},
		{
			name:     "the Machine being deleted does not count against preflight, an unhealthy other one does",
			replicas: 1,
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 2*time.Hour, scaleTestCondition(controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, metav1.ConditionFalse)),
				scaleTestMachine("m2", 1*time.Hour, scaleTestCondition(controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, metav1.ConditionFalse)),
			},
			wantMessage: "Machine m2: K3s server is not healthy",
			wantEvent:   "ControlPlaneUnhealthy",
		},
		{
			name:     "the last Machine is never deleted",
			replicas: 0,
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 2*time.Hour),
			},
			wantMessage: "last control-plane Machine",
		},
		{
			name:     "no deletion that leaves etcd without quorum",
			replicas: 1,
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 2*time.Hour),
				scaleTestMachine("m2", 1*time.Hour),
			},
			// A member without Machine (not healthy as far as we know) would be left with m2's.
			members:     []*etcd.Member{scaleTestMember(1, "m1-node"), scaleTestMember(2, "m2-node"), scaleTestMember(3, "ghost-node")},
			wantMessage: "1 healthy etcd members out of 2",
			wantRequeue: true,
			wantEvent:   "ControlPlaneUnhealthy",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			env := scaleTestNewEnv(t, scaleTestKCP(tt.replicas), scaleTestCluster(), tt.machines)
			env.cp.health.etcdMembers = tt.members
			res, err := env.r.reconcileReplicas(context.Background(), env.cp)
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(env.deleted(g)).To(ConsistOf(tt.wantDeleted))
			g.Expect(res.RequeueAfter > 0).To(Equal(tt.wantRequeue))
			if tt.wantMessage != "" {
				g.Expect(strings.Join(env.cp.preflightMessages, "\n")).To(ContainSubstring(tt.wantMessage))
			}
			if tt.wantEvent != "" {
				g.Expect(env.events()).To(ContainElement(ContainSubstring(tt.wantEvent)))
			}
		})
	}
}

func TestScaleDownFailedLeadershipMoveKeepsMachine(t *testing.T) {
	g := NewWithT(t)
	mockCtrl := gomock.NewController(t)
	machines := []*clusterv1.Machine{scaleTestMachine("m1", 2*time.Hour), scaleTestMachine("m2", time.Hour)}
	env := scaleTestNewEnv(t, scaleTestKCP(1), scaleTestCluster(), machines)
	members := []*etcd.Member{scaleTestMember(1, "m1-node"), scaleTestMember(2, "m2-node")}
	leader := scaleTestEtcd(mockCtrl, env.cp, "m1-node", members)
	leader.EXPECT().MoveLeader(gomock.Any(), uint64(2)).Return(errors.New("etcdserver: timeout"))

	_, err := env.r.reconcileReplicas(context.Background(), env.cp)
	g.Expect(err).To(MatchError(ContainSubstring("etcd leadership")))
	g.Expect(env.deleted(g)).To(BeEmpty())
	g.Expect(env.events()).To(ContainElement(ContainSubstring("FailedScaleDown")))
}

func TestScaleDeleteMachineWaitsForTheCache(t *testing.T) {
	g := NewWithT(t)
	m := scaleTestMachine("m1", time.Hour)
	env := scaleTestNewEnv(t, scaleTestKCP(1), scaleTestCluster(), []*clusterv1.Machine{m})
	controller := &recordingController{}
	env.r.controller = controller
	deletes := 0
	env.r.Client = interceptor.NewClient(env.c.(client.WithWatch), interceptor.Funcs{
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			deletes++
			return c.Delete(ctx, obj, opts...)
		},
	})

	g.Expect(env.r.deleteMachine(context.Background(), env.cp, m)).To(Succeed())
	g.Expect(deletes).To(Equal(1))
	current := &clusterv1.Machine{}
	g.Expect(env.c.Get(context.Background(), client.ObjectKeyFromObject(m), current)).To(Succeed())
	g.Expect(current.DeletionTimestamp.IsZero()).To(BeFalse())
	g.Expect(controller.deferred).To(Equal([]string{env.cp.KCP.Name + "/Machine@" + current.ResourceVersion}))

	// Deleting a Machine that is already gone is not an error.
	gone := scaleTestMachine("gone", time.Hour)
	g.Expect(env.r.deleteMachine(context.Background(), env.cp, gone)).To(Succeed())
}

func TestScaleUpReplacementDuringRemediation(t *testing.T) {
	etcdMember := controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition
	unhealthyEtcd := scaleTestCondition(etcdMember, metav1.ConditionFalse)
	inProgress := `{"machine":"m0","timestamp":"` + scaleTestNow.Add(-time.Minute).Format(time.RFC3339) + `","retryCount":0}`
	tests := []struct {
		name          string
		replicas      int32
		machines      []*clusterv1.Machine
		inRemediation bool
		wantCreated   bool
	}{
		{
			name:     "5 replicas, one remediated, another failed: the replacement joins (3 of 5 members healthy)",
			replicas: 5,
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 4*time.Hour), scaleTestMachine("m2", 3*time.Hour, unhealthyEtcd),
				scaleTestMachine("m3", 2*time.Hour), scaleTestMachine("m4", time.Hour),
			},
			inRemediation: true,
			wantCreated:   true,
		},
		{
			name:     "the same without a remediation in progress waits for the failed Machine",
			replicas: 5,
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 4*time.Hour), scaleTestMachine("m2", 3*time.Hour, unhealthyEtcd),
				scaleTestMachine("m3", 2*time.Hour), scaleTestMachine("m4", time.Hour),
			},
		},
		{
			name:     "two failed members out of four: a new member could cost the quorum",
			replicas: 5,
			machines: []*clusterv1.Machine{
				scaleTestMachine("m1", 4*time.Hour), scaleTestMachine("m2", 3*time.Hour, unhealthyEtcd),
				scaleTestMachine("m3", 2*time.Hour, unhealthyEtcd), scaleTestMachine("m4", time.Hour),
			},
			inRemediation: true,
		},
		{
			name:          "3 replicas, one remediated, another failed: no quorum to join",
			replicas:      3,
			machines:      []*clusterv1.Machine{scaleTestMachine("m1", 2*time.Hour), scaleTestMachine("m2", time.Hour, unhealthyEtcd)},
			inRemediation: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := scaleTestKCP(tt.replicas)
			if tt.inRemediation {
				kcp.Annotations = map[string]string{controlplanev1.RemediationInProgressAnnotation: inProgress}
			}
			env := scaleTestNewEnv(t, kcp, scaleTestCluster(), tt.machines)

			_, err := env.r.reconcileReplicas(context.Background(), env.cp)
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(env.created).To(HaveLen(map[bool]int{true: 1, false: 0}[tt.wantCreated]))
			if !tt.wantCreated {
				g.Expect(env.cp.preflightMessages).To(ContainElement(ContainSubstring("etcd member is not healthy")))
			}
		})
	}
}
