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

package etcdhook

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
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
	etcdmock "github.com/k3s-io/cluster-api-k3s/pkg/etcd/mock"
	"github.com/k3s-io/cluster-api-k3s/pkg/workload"
	workloadmock "github.com/k3s-io/cluster-api-k3s/pkg/workload/mock"
)

// hookTestNow is the time of the tests.
var hookTestNow = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)

// hookTestScheme has the types the controller reads.
func hookTestScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, clusterv1.AddToScheme, bootstrapv1.AddToScheme, controlplanev1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}

// hookTestCluster is the Cluster of the tests.
func hookTestCluster() *clusterv1.Cluster {
	return &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns"}}
}

// hookTestKCP is the KThreesControlPlane of the tests.
func hookTestKCP() *controlplanev1.KThreesControlPlane {
	return &controlplanev1.KThreesControlPlane{ObjectMeta: metav1.ObjectMeta{Name: "kcp", Namespace: "ns"}}
}

// hookTestMachine is a control-plane Machine of the KThreesControlPlane on the Node (none when empty).
func hookTestMachine(name, nodeName string, created int) *clusterv1.Machine {
	m := &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{
		Name: name, Namespace: "ns", UID: types.UID("uid-" + name),
		CreationTimestamp: metav1.NewTime(hookTestNow.Add(time.Duration(created-100) * time.Minute)),
		Labels:            map[string]string{clusterv1.ClusterNameLabel: "c", clusterv1.MachineControlPlaneLabel: ""},
		OwnerReferences: []metav1.OwnerReference{{
			APIVersion: controlplanev1.GroupVersion.String(), Kind: "KThreesControlPlane", Name: "kcp", UID: "kcp-uid", Controller: ptr.To(true),
		}},
	}}
	m.Spec.ClusterName = "c"
	m.Status.NodeRef.Name = nodeName
	return m
}

// hookTestDeleting marks the Machine deleted, with the hook, waiting for pre-terminate hooks since waitingFor.
func hookTestDeleting(m *clusterv1.Machine, waitingFor time.Duration) *clusterv1.Machine {
	m.DeletionTimestamp = ptr.To(metav1.NewTime(hookTestNow.Add(-time.Hour)))
	m.Finalizers = []string{clusterv1.MachineFinalizer}
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[controlplanev1.EtcdRemovalHookAnnotation] = controlplanev1.EtcdRemovalHookValue
	m.Status.Conditions = []metav1.Condition{{
		Type: clusterv1.MachineDeletingCondition, Status: metav1.ConditionTrue, Reason: clusterv1.MachineDeletingWaitingForPreTerminateHookReason,
		LastTransitionTime: metav1.NewTime(hookTestNow.Add(-time.Hour)),
	}}
	m.Status.Deletion = &clusterv1.MachineDeletionStatus{WaitForPreTerminateHookStartTime: metav1.NewTime(hookTestNow.Add(-waitingFor))}
	return m
}

// hookTestMember is the etcd member K3s runs on the Node.
func hookTestMember(id uint64, nodeName string) *etcd.Member {
	return &etcd.Member{ID: id, Name: nodeName + "-89abcdef", NodeName: nodeName}
}

// hookTestMembers are the members of the three Nodes of the tests.
func hookTestMembers(leaderNode string) []*etcd.Member {
	members := []*etcd.Member{hookTestMember(1, "n1"), hookTestMember(2, "n2"), hookTestMember(3, "n3")}
	for _, m := range members {
		m.IsLeader = m.NodeName == leaderNode
	}
	return members
}

// hookTestMocks are the workload-cluster and etcd mocks of one test.
type hookTestMocks struct {
	ctrl      *gomock.Controller
	workload  *workloadmock.MockCluster
	generator *etcdmock.MockClientGenerator
}

// client returns an etcd client mock connected to the Node, expected to be closed once.
func (m hookTestMocks) client(nodeName string) *etcdmock.MockClient {
	c := etcdmock.NewMockClient(m.ctrl)
	c.EXPECT().NodeName().Return(nodeName).AnyTimes()
	c.EXPECT().Close().Return(nil).Times(1)
	return c
}

func TestHookReconcile(t *testing.T) {
	unreachable := &workload.RemoteConnectionError{Err: errors.New("dial tcp: i/o timeout")}
	// otherMachines are the two Machines that stay, m3 the newest.
	otherMachines := func() []client.Object {
		return []client.Object{hookTestMachine("m2", "n2", 2), hookTestMachine("m3", "n3", 3)}
	}

	tests := []struct {
		name    string
		machine *clusterv1.Machine
		// objects are the other objects; the Cluster, the KThreesControlPlane and otherMachines when nil.
		objects       []client.Object
		proxyDisabled bool
		workloadErr   error
		setup         func(m hookTestMocks)
		wantHook      bool
		wantRequeue   time.Duration
		wantErr       string
		// wantEvents are prefixes of the recorded events, in order.
		wantEvents []string
	}{
		{
			name: "not deleting: nothing",
			machine: func() *clusterv1.Machine {
				m := hookTestMachine("m1", "n1", 1)
				m.Annotations = map[string]string{controlplanev1.EtcdRemovalHookAnnotation: "k3s"}
				return m
			}(),
			wantHook: true,
		},
		{
			name: "hook of another value: nothing",
			machine: func() *clusterv1.Machine {
				m := hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute)
				m.Annotations[controlplanev1.EtcdRemovalHookAnnotation] = "someone-else"
				return m
			}(),
			wantHook: true,
		},
		{
			name: "waits while the Machine drains",
			machine: func() *clusterv1.Machine {
				m := hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute)
				m.Status.Conditions[0].Reason = clusterv1.MachineDeletingDrainingNodeReason
				return m
			}(),
			wantHook: true,
		},
		{
			name: "waits while the Deleting condition is not set yet",
			machine: func() *clusterv1.Machine {
				m := hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute)
				m.Status.Conditions = nil
				return m
			}(),
			wantHook: true,
		},
		{
			name:    "Cluster being deleted: hook dropped without removal",
			machine: hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute),
			objects: append(otherMachines(), hookTestKCP(), func() client.Object {
				c := hookTestCluster()
				c.DeletionTimestamp = ptr.To(metav1.NewTime(hookTestNow))
				c.Finalizers = []string{clusterv1.ClusterFinalizer}
				return c
			}()),
			wantEvents: []string{"Normal EtcdMemberRemovalSkipped Not removing the etcd member: the Cluster is being deleted"},
		},
		{
			name:       "Cluster gone: hook dropped without removal",
			machine:    hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute),
			objects:    append(otherMachines(), hookTestKCP()),
			wantEvents: []string{"Normal EtcdMemberRemovalSkipped Not removing the etcd member: the Cluster is gone"},
		},
		{
			name:    "KThreesControlPlane being deleted: hook dropped without removal",
			machine: hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute),
			objects: append(otherMachines(), hookTestCluster(), func() client.Object {
				k := hookTestKCP()
				k.DeletionTimestamp = ptr.To(metav1.NewTime(hookTestNow))
				k.Finalizers = []string{controlplanev1.KThreesControlPlaneFinalizer}
				return k
			}()),
			wantEvents: []string{"Normal EtcdMemberRemovalSkipped Not removing the etcd member: the KThreesControlPlane is being deleted"},
		},
		{
			name:       "KThreesControlPlane gone: hook dropped without removal",
			machine:    hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute),
			objects:    append(otherMachines(), hookTestCluster()),
			wantEvents: []string{"Normal EtcdMemberRemovalSkipped Not removing the etcd member: the KThreesControlPlane is gone"},
		},
		{
			name:       "no Node: hook dropped without removal",
			machine:    hookTestDeleting(hookTestMachine("m1", "", 1), time.Minute),
			wantEvents: []string{"Normal EtcdMemberRemovalSkipped Not removing the etcd member: the Machine has no Node"},
		},
		{
			name:    "last control-plane Machine: hook dropped without removal",
			machine: hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute),
			objects: []client.Object{hookTestCluster(), hookTestKCP(), hookTestDeleting(hookTestMachine("m2", "n2", 2), time.Minute),
				// A worker does not count.
				func() client.Object {
					w := hookTestMachine("w1", "w1", 3)
					delete(w.Labels, clusterv1.MachineControlPlaneLabel)
					w.OwnerReferences = nil
					return w
				}()},
			wantEvents: []string{"Normal EtcdMemberRemovalSkipped Not removing the etcd member: no other control-plane Machine remains"},
		},
		{
			name:    "paused Cluster: nothing",
			machine: hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute),
			objects: append(otherMachines(), hookTestKCP(), func() client.Object {
				c := hookTestCluster()
				c.Spec.Paused = ptr.To(true)
				return c
			}()),
			wantHook: true,
		},
		{
			name:    "asks K3s to remove the member, leadership elsewhere",
			machine: hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute),
			setup: func(m hookTestMocks) {
				m.workload.EXPECT().EtcdMemberRemoved(gomock.Any(), "n1").Return(false, nil)
				m.generator.EXPECT().ForLeader(gomock.Any(), []string{"n1", "n3", "n2"}).Return(m.client("n2"), nil)
				m.workload.EXPECT().RequestEtcdMemberRemoval(gomock.Any(), "n1").Return(nil)
			},
			wantHook: true, wantRequeue: removalPollInterval,
		},
		{
			name:    "moves leadership to the newest other member when this member leads",
			machine: hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute),
			setup: func(m hookTestMocks) {
				m.workload.EXPECT().EtcdMemberRemoved(gomock.Any(), "n1").Return(false, nil)
				leader := m.client("n1")
				m.generator.EXPECT().ForLeader(gomock.Any(), []string{"n1", "n3", "n2"}).Return(leader, nil)
				leader.EXPECT().Members(gomock.Any()).Return(hookTestMembers("n1"), nil)
				leader.EXPECT().MoveLeader(gomock.Any(), uint64(3)).Return(nil)
				m.workload.EXPECT().RequestEtcdMemberRemoval(gomock.Any(), "n1").Return(nil)
			},
			wantHook: true, wantRequeue: removalPollInterval,
		},
		{
			name:    "a failed leadership move does not stop the removal",
			machine: hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute),
			setup: func(m hookTestMocks) {
				m.workload.EXPECT().EtcdMemberRemoved(gomock.Any(), "n1").Return(false, nil)
				m.generator.EXPECT().ForLeader(gomock.Any(), gomock.Any()).Return(nil, errors.New("no leader"))
				m.workload.EXPECT().RequestEtcdMemberRemoval(gomock.Any(), "n1").Return(nil)
			},
			wantHook: true, wantRequeue: removalPollInterval,
		},
		{
			name:          "etcd proxy disabled: only the annotation",
			machine:       hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute),
			proxyDisabled: true,
			setup: func(m hookTestMocks) {
				m.workload.EXPECT().EtcdMemberRemoved(gomock.Any(), "n1").Return(false, nil)
				m.workload.EXPECT().RequestEtcdMemberRemoval(gomock.Any(), "n1").Return(nil)
			},
			wantHook: true, wantRequeue: removalPollInterval,
		},
		{
			name:    "the wait never goes past the deadline",
			machine: hookTestDeleting(hookTestMachine("m1", "n1", 1), DefaultRemovalTimeout-2*time.Second), proxyDisabled: true,
			setup: func(m hookTestMocks) {
				m.workload.EXPECT().EtcdMemberRemoved(gomock.Any(), "n1").Return(false, nil)
				m.workload.EXPECT().RequestEtcdMemberRemoval(gomock.Any(), "n1").Return(nil)
			},
			wantHook: true, wantRequeue: 2 * time.Second,
		},
		{
			name:    "member removed (or Node gone): hook dropped",
			machine: hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute),
			setup: func(m hookTestMocks) {
				m.workload.EXPECT().EtcdMemberRemoved(gomock.Any(), "n1").Return(true, nil)
			},
			wantEvents: []string{"Normal EtcdMemberRemoved K3s removed the etcd member of Node n1"},
		},
		{
			name: "Machine hooked by upstream's controller (v1beta2 owner, no hook start time): handled",
			machine: func() *clusterv1.Machine {
				m := hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute)
				m.OwnerReferences[0].APIVersion = "controlplane.cluster.x-k8s.io/v1beta2"
				m.Status.Deletion = nil
				m.Status.Conditions[0].LastTransitionTime = metav1.NewTime(hookTestNow.Add(-time.Minute))
				return m
			}(),
			setup: func(m hookTestMocks) {
				m.workload.EXPECT().EtcdMemberRemoved(gomock.Any(), "n1").Return(false, nil)
				m.generator.EXPECT().ForLeader(gomock.Any(), gomock.Any()).Return(m.client("n3"), nil)
				m.workload.EXPECT().RequestEtcdMemberRemoval(gomock.Any(), "n1").Return(nil)
			},
			wantHook: true, wantRequeue: removalPollInterval,
		},
		{
			name:    "timeout: member removed through the etcd API of another member",
			machine: hookTestDeleting(hookTestMachine("m1", "n1", 1), DefaultRemovalTimeout),
			setup: func(m hookTestMocks) {
				m.workload.EXPECT().EtcdMemberRemoved(gomock.Any(), "n1").Return(false, nil)
				c := m.client("n3")
				m.generator.EXPECT().ForFirstAvailableNode(gomock.Any(), []string{"n3", "n2"}).Return(c, nil)
				c.EXPECT().Members(gomock.Any()).Return(hookTestMembers("n2"), nil)
				c.EXPECT().RemoveMember(gomock.Any(), uint64(1)).Return(nil)
			},
			wantEvents: []string{"Normal EtcdMemberRemoved Removed the etcd member of Node n1 through the etcd member on Node n3, because K3s did not remove it within 5m0s"},
		},
		{
			name:    "timeout: member already gone from etcd",
			machine: hookTestDeleting(hookTestMachine("m1", "n1", 1), DefaultRemovalTimeout+time.Minute),
			setup: func(m hookTestMocks) {
				m.workload.EXPECT().EtcdMemberRemoved(gomock.Any(), "n1").Return(false, nil)
				c := m.client("n3")
				m.generator.EXPECT().ForFirstAvailableNode(gomock.Any(), gomock.Any()).Return(c, nil)
				c.EXPECT().Members(gomock.Any()).Return(hookTestMembers("n2")[1:], nil)
			},
			wantEvents: []string{"Normal EtcdMemberRemoved Removed the etcd member of Node n1"},
		},
		{
			name:    "timeout: etcd API fails, hook dropped with a Warning",
			machine: hookTestDeleting(hookTestMachine("m1", "n1", 1), DefaultRemovalTimeout),
			setup: func(m hookTestMocks) {
				m.workload.EXPECT().EtcdMemberRemoved(gomock.Any(), "n1").Return(false, nil)
				c := m.client("n3")
				m.generator.EXPECT().ForFirstAvailableNode(gomock.Any(), gomock.Any()).Return(c, nil)
				c.EXPECT().Members(gomock.Any()).Return(hookTestMembers("n2"), nil)
				c.EXPECT().RemoveMember(gomock.Any(), uint64(1)).Return(errors.New("etcdserver: unhealthy cluster"))
			},
			wantEvents: []string{"Warning EtcdMemberRemovalTimedOut Dropped the etcd pre-terminate hook without removing the etcd member of Node n1: " +
				"K3s did not remove it within 5m0s; removing it through the etcd API failed: etcdserver: unhealthy cluster"},
		},
		{
			name:          "timeout without the etcd proxy: hook dropped with a Warning",
			machine:       hookTestDeleting(hookTestMachine("m1", "n1", 1), DefaultRemovalTimeout),
			proxyDisabled: true,
			setup: func(m hookTestMocks) {
				m.workload.EXPECT().EtcdMemberRemoved(gomock.Any(), "n1").Return(false, nil)
			},
			wantEvents: []string{"Warning EtcdMemberRemovalTimedOut Dropped the etcd pre-terminate hook without removing the etcd member of Node n1: " +
				"K3s did not remove it within 5m0s; the etcd API is not used because serverConfig.disableComponents contains etcd-proxy"},
		},
		{
			name:        "workload unreachable: waits",
			machine:     hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute),
			workloadErr: unreachable,
			wantHook:    true, wantRequeue: unreachablePollInterval,
		},
		{
			name:    "workload unreachable while asking: waits",
			machine: hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute), proxyDisabled: true,
			setup: func(m hookTestMocks) {
				m.workload.EXPECT().EtcdMemberRemoved(gomock.Any(), "n1").Return(false, nil)
				m.workload.EXPECT().RequestEtcdMemberRemoval(gomock.Any(), "n1").Return(unreachable)
			},
			wantHook: true, wantRequeue: unreachablePollInterval,
		},
		{
			name:        "workload unreachable past the deadline: hook dropped with a Warning",
			machine:     hookTestDeleting(hookTestMachine("m1", "n1", 1), DefaultRemovalTimeout),
			workloadErr: unreachable,
			setup: func(m hookTestMocks) {
				m.generator.EXPECT().ForFirstAvailableNode(gomock.Any(), gomock.Any()).Return(nil, errors.New("cluster not connected"))
			},
			wantEvents: []string{"Warning EtcdMemberRemovalTimedOut Dropped the etcd pre-terminate hook without removing the etcd member of Node n1: " +
				"the workload cluster was unreachable for 5m0s"},
		},
		{
			name:    "API error of the workload cluster is returned",
			machine: hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute),
			setup: func(m hookTestMocks) {
				m.workload.EXPECT().EtcdMemberRemoved(gomock.Any(), "n1").Return(false,
					apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "n1", errors.New("RBAC")))
			},
			wantHook: true, wantErr: "forbidden",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			objects := tt.objects
			if objects == nil {
				objects = append(otherMachines(), hookTestCluster(), hookTestKCP())
			}
			for _, o := range objects {
				if kcp, ok := o.(*controlplanev1.KThreesControlPlane); ok && tt.proxyDisabled {
					kcp.Spec.KThreesConfigSpec.ServerConfig.DisableComponents = []string{"etcd-proxy"}
				}
			}
			objects = append(objects, tt.machine)
			c := fake.NewClientBuilder().WithScheme(hookTestScheme()).WithObjects(objects...).WithStatusSubresource(&clusterv1.Machine{}).Build()
			mocks := hookTestMocks{ctrl: gomock.NewController(t)}
			mocks.workload = workloadmock.NewMockCluster(mocks.ctrl)
			mocks.generator = etcdmock.NewMockClientGenerator(mocks.ctrl)
			if tt.setup != nil {
				tt.setup(mocks)
			}
			recorder := record.NewFakeRecorder(10)
			r := &Reconciler{
				Client:   c,
				Recorder: recorder,
				now:      func() time.Time { return hookTestNow },
				workloadCluster: func(_ context.Context, cluster client.ObjectKey) (workload.Cluster, error) {
					g.Expect(cluster).To(Equal(client.ObjectKey{Namespace: "ns", Name: "c"}))
					if tt.workloadErr != nil {
						return nil, tt.workloadErr
					}
					return mocks.workload, nil
				},
				etcdClientGenerator: func(context.Context, client.ObjectKey) (etcd.ClientGenerator, error) {
					return mocks.generator, nil
				},
			}

			res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(tt.machine)})

			if tt.wantErr != "" {
				g.Expect(err).To(HaveOccurred())
				g.Expect(err.Error()).To(ContainSubstring(tt.wantErr))
			} else {
				g.Expect(err).NotTo(HaveOccurred())
			}
			g.Expect(res.RequeueAfter).To(Equal(tt.wantRequeue))
			stored := &clusterv1.Machine{}
			g.Expect(c.Get(context.Background(), client.ObjectKeyFromObject(tt.machine), stored)).To(Succeed())
			if tt.wantHook {
				g.Expect(stored.Annotations).To(HaveKeyWithValue(controlplanev1.EtcdRemovalHookAnnotation, tt.machine.Annotations[controlplanev1.EtcdRemovalHookAnnotation]))
			} else {
				g.Expect(stored.Annotations).NotTo(HaveKey(controlplanev1.EtcdRemovalHookAnnotation))
			}
			g.Expect(recorder.Events).To(HaveLen(len(tt.wantEvents)))
			for _, want := range tt.wantEvents {
				g.Expect(<-recorder.Events).To(HavePrefix(want))
			}
		})
	}
}

func TestHookReconcileAnnotationThenRemoved(t *testing.T) {
	g := NewWithT(t)
	machine := hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute)
	// Another pre-terminate hook and other annotations must survive the hook being dropped.
	otherHook := clusterv1.PreTerminateDeleteHookAnnotationPrefix + "/other"
	machine.Annotations[otherHook] = "x"
	machine.Annotations["keep"] = "me"
	c := fake.NewClientBuilder().WithScheme(hookTestScheme()).
		WithObjects(hookTestCluster(), hookTestKCP(), machine, hookTestMachine("m2", "n2", 2)).Build()
	mockCtrl := gomock.NewController(t)
	w := workloadmock.NewMockCluster(mockCtrl)
	generator := etcdmock.NewMockClientGenerator(mockCtrl)
	leader := etcdmock.NewMockClient(mockCtrl)
	leader.EXPECT().NodeName().Return("n2").AnyTimes()
	leader.EXPECT().Close().Return(nil).Times(1)
	now := hookTestNow
	r := &Reconciler{
		Client: c, Recorder: record.NewFakeRecorder(10), now: func() time.Time { return now },
		workloadCluster:     func(context.Context, client.ObjectKey) (workload.Cluster, error) { return w, nil },
		etcdClientGenerator: func(context.Context, client.ObjectKey) (etcd.ClientGenerator, error) { return generator, nil },
	}
	req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(machine)}

	// K3s is asked once (with the leadership check), then only polled.
	gomock.InOrder(
		w.EXPECT().EtcdMemberRemoved(gomock.Any(), "n1").Return(false, nil),
		generator.EXPECT().ForLeader(gomock.Any(), []string{"n1", "n2"}).Return(leader, nil),
		w.EXPECT().RequestEtcdMemberRemoval(gomock.Any(), "n1").Return(nil),
		w.EXPECT().EtcdMemberRemoved(gomock.Any(), "n1").Return(false, nil),
		w.EXPECT().EtcdMemberRemoved(gomock.Any(), "n1").Return(true, nil),
	)
	for i, wantHook := range []bool{true, true, false} {
		now = hookTestNow.Add(time.Duration(i) * removalPollInterval)
		res, err := r.Reconcile(context.Background(), req)
		g.Expect(err).NotTo(HaveOccurred())
		stored := &clusterv1.Machine{}
		g.Expect(c.Get(context.Background(), req.NamespacedName, stored)).To(Succeed())
		if wantHook {
			g.Expect(res.RequeueAfter).To(Equal(removalPollInterval))
			g.Expect(stored.Annotations).To(HaveKey(controlplanev1.EtcdRemovalHookAnnotation))
			continue
		}
		g.Expect(res.RequeueAfter).To(BeZero())
		g.Expect(stored.Annotations).NotTo(HaveKey(controlplanev1.EtcdRemovalHookAnnotation))
		g.Expect(stored.Annotations).To(HaveKeyWithValue(otherHook, "x"))
		g.Expect(stored.Annotations).To(HaveKeyWithValue("keep", "me"))
	}
	_, asked := r.requested.Load(machine.UID)
	g.Expect(asked).To(BeFalse(), "the memory of the request is dropped with the hook")
}

func TestHookMachinePredicate(t *testing.T) {
	hooked := func(mutate func(m *clusterv1.Machine)) *clusterv1.Machine {
		m := hookTestMachine("m1", "n1", 1)
		m.Annotations = map[string]string{controlplanev1.EtcdRemovalHookAnnotation: controlplanev1.EtcdRemovalHookValue}
		if mutate != nil {
			mutate(m)
		}
		return m
	}
	tests := []struct {
		name    string
		machine *clusterv1.Machine
		want    bool
	}{
		{name: "hooked control-plane Machine of a KThreesControlPlane", machine: hooked(nil), want: true},
		{name: "deleting", machine: hookTestDeleting(hookTestMachine("m1", "n1", 1), time.Minute), want: true},
		{name: "owner of upstream's v1beta1 API", machine: hooked(func(m *clusterv1.Machine) {
			m.OwnerReferences[0].APIVersion = "controlplane.cluster.x-k8s.io/v1beta1"
		}), want: true},
		{name: "owner of upstream's v1beta2 API", machine: hooked(func(m *clusterv1.Machine) {
			m.OwnerReferences[0].APIVersion = "controlplane.cluster.x-k8s.io/v1beta2"
		}), want: true},
		{name: "KubeadmControlPlane owner", machine: hooked(func(m *clusterv1.Machine) {
			m.OwnerReferences[0].Kind = "KubeadmControlPlane"
		}), want: false},
		{name: "KThreesControlPlane kind of another group", machine: hooked(func(m *clusterv1.Machine) {
			m.OwnerReferences[0].APIVersion = "example.com/v1"
		}), want: false},
		{name: "owner but not controller", machine: hooked(func(m *clusterv1.Machine) {
			m.OwnerReferences[0].Controller = nil
		}), want: false},
		{name: "no owner", machine: hooked(func(m *clusterv1.Machine) { m.OwnerReferences = nil }), want: false},
		{name: "not a control-plane Machine", machine: hooked(func(m *clusterv1.Machine) {
			delete(m.Labels, clusterv1.MachineControlPlaneLabel)
		}), want: false},
		{name: "no hook", machine: hooked(func(m *clusterv1.Machine) { m.Annotations = nil }), want: false},
		{name: "hook of another value", machine: hooked(func(m *clusterv1.Machine) {
			m.Annotations[controlplanev1.EtcdRemovalHookAnnotation] = "rke2"
		}), want: false},
		{name: "nil", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			NewWithT(t).Expect(hasEtcdRemovalHook(tt.machine)).To(Equal(tt.want))
		})
	}
}

func TestHookNodeWatch(t *testing.T) {
	g := NewWithT(t)
	node := func(annotations map[string]string) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Annotations: annotations}}
	}
	capiAnnotations := map[string]string{clusterv1.MachineAnnotation: "m1", clusterv1.ClusterNamespaceAnnotation: "ns"}

	g.Expect(nodeToMachine(context.Background(), node(capiAnnotations))).
		To(ConsistOf(ctrl.Request{NamespacedName: client.ObjectKey{Namespace: "ns", Name: "m1"}}))
	g.Expect(nodeToMachine(context.Background(), node(map[string]string{clusterv1.MachineAnnotation: "m1"}))).To(BeEmpty())
	g.Expect(nodeToMachine(context.Background(), node(nil))).To(BeEmpty())

	p := nodeRemovalProgressed()
	removed := node(map[string]string{workload.AnnotationEtcdRemovedNodeName: "n1"})
	g.Expect(p.Update(event.UpdateEvent{ObjectOld: node(nil), ObjectNew: removed})).To(BeTrue())
	g.Expect(p.Update(event.UpdateEvent{ObjectOld: node(nil), ObjectNew: node(map[string]string{"other": "x"})})).To(BeFalse())
	deleting := node(nil)
	deleting.DeletionTimestamp = ptr.To(metav1.NewTime(hookTestNow))
	g.Expect(p.Update(event.UpdateEvent{ObjectOld: node(nil), ObjectNew: deleting})).To(BeTrue())
	g.Expect(p.Delete(event.DeleteEvent{Object: node(nil)})).To(BeTrue())
	g.Expect(p.Create(event.CreateEvent{Object: removed})).To(BeFalse())
}

func TestHookRemovalTimeout(t *testing.T) {
	g := NewWithT(t)
	g.Expect((&Reconciler{}).removalTimeout()).To(Equal(5 * time.Minute))
	g.Expect((&Reconciler{RemovalTimeout: time.Minute}).removalTimeout()).To(Equal(time.Minute))

	// A configured timeout is what the deadline is computed from.
	machine := hookTestDeleting(hookTestMachine("m1", "n1", 1), 90*time.Second)
	c := fake.NewClientBuilder().WithScheme(hookTestScheme()).
		WithObjects(hookTestCluster(), func() client.Object {
			k := hookTestKCP()
			k.Spec.KThreesConfigSpec.ServerConfig.DisableComponents = []string{"etcd-proxy"}
			return k
		}(), machine, hookTestMachine("m2", "n2", 2)).Build()
	w := workloadmock.NewMockCluster(gomock.NewController(t))
	w.EXPECT().EtcdMemberRemoved(gomock.Any(), "n1").Return(false, nil)
	recorder := record.NewFakeRecorder(1)
	r := &Reconciler{
		Client: c, Recorder: recorder, RemovalTimeout: time.Minute, now: func() time.Time { return hookTestNow },
		workloadCluster: func(context.Context, client.ObjectKey) (workload.Cluster, error) { return w, nil },
	}
	_, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(machine)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(strings.HasPrefix(<-recorder.Events, "Warning EtcdMemberRemovalTimedOut")).To(BeTrue())
}

func TestHookSetupWithManagerNeedsClientAndClusterCache(t *testing.T) {
	err := (&Reconciler{}).SetupWithManager(context.Background(), nil, controller.Options{})
	NewWithT(t).Expect(err).To(MatchError(ContainSubstring("needs a Client and a ClusterCache")))
}
