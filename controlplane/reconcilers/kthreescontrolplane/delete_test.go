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
	"github.com/onsi/gomega/types"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/certs"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
)

// deleteTestEtcdConnector records which clusters were forgotten.
type deleteTestEtcdConnector struct {
	forgotten []client.ObjectKey
}

func (c *deleteTestEtcdConnector) ForCluster(client.ObjectKey, *rest.Config, client.Reader, certs.KeyPair) (etcd.ClientGenerator, error) {
	return nil, errors.New("not used in this test")
}

func (c *deleteTestEtcdConnector) Invalidate(client.ObjectKey) {}

func (c *deleteTestEtcdConnector) Forget(key client.ObjectKey) {
	c.forgotten = append(c.forgotten, key)
}

func deleteTestWorker(name string) *clusterv1.Machine {
	return &clusterv1.Machine{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{clusterv1.ClusterNameLabel: "c1"}},
		Spec:       clusterv1.MachineSpec{ClusterName: "c1"},
	}
}

func deleteTestUnowned(m *clusterv1.Machine) *clusterv1.Machine {
	m.OwnerReferences = nil
	return m
}

func TestDeleteReconcileDelete(t *testing.T) {
	tests := []struct {
		name          string
		objects       []client.Object
		deleteErr     error
		wantErr       bool
		wantRequeue   bool
		wantFinalizer bool
		wantForgotten bool
		wantReason    string
		wantMessage   types.GomegaMatcher
		wantRemaining []string // Machines still present without a deletionTimestamp
		wantEvent     string
	}{
		{
			name:          "no control plane Machines left: finalizer removed and etcd connections forgotten, whatever else remains",
			objects:       []client.Object{deleteTestWorker("w1")},
			wantFinalizer: false,
			wantForgotten: true,
			wantReason:    controlplanev1.KThreesControlPlaneDeletingDeletionCompletedReason,
			wantMessage:   Equal("Deletion completed"),
			wantRemaining: []string{"w1"},
		},
		{
			name:          "workers remain: wait for them",
			objects:       []client.Object{statusTestMachine("m1"), statusTestMachine("m2"), deleteTestWorker("w1")},
			wantRequeue:   true,
			wantFinalizer: true,
			wantReason:    controlplanev1.KThreesControlPlaneDeletingWaitingForWorkersDeletionReason,
			wantMessage:   Equal("KThreesControlPlane deletion is waiting for these objects to be deleted:\n* 1 worker Machine: w1"),
			wantRemaining: []string{"m1", "m2", "w1"},
		},
		{
			name: "MachinePools and control plane Machines of no controller remain: wait for them",
			objects: []client.Object{statusTestMachine("m1"), deleteTestUnowned(statusTestMachine("orphan")),
				&clusterv1.MachinePool{ObjectMeta: metav1.ObjectMeta{Name: "pool", Namespace: "default", Labels: map[string]string{clusterv1.ClusterNameLabel: "c1"}}}},
			wantRequeue:   true,
			wantFinalizer: true,
			wantReason:    controlplanev1.KThreesControlPlaneDeletingWaitingForWorkersDeletionReason,
			wantMessage: Equal("KThreesControlPlane deletion is waiting for these objects to be deleted:\n" +
				"* 1 MachinePool: pool\n" +
				"* 1 control plane Machine not owned by this control plane: orphan"),
			wantRemaining: []string{"m1", "orphan"},
		},
		{
			name: "a MachinePool remains: wait for it",
			objects: []client.Object{statusTestMachine("m1"),
				&clusterv1.MachinePool{ObjectMeta: metav1.ObjectMeta{Name: "pool", Namespace: "default", Labels: map[string]string{clusterv1.ClusterNameLabel: "c1"}}},
				&clusterv1.MachinePool{ObjectMeta: metav1.ObjectMeta{Name: "pool-of-another-cluster", Namespace: "default", Labels: map[string]string{clusterv1.ClusterNameLabel: "c2"}}}},
			wantRequeue:   true,
			wantFinalizer: true,
			wantReason:    controlplanev1.KThreesControlPlaneDeletingWaitingForWorkersDeletionReason,
			wantMessage:   Equal("KThreesControlPlane deletion is waiting for these objects to be deleted:\n* 1 MachinePool: pool"),
			wantRemaining: []string{"m1"},
		},
		{
			name:          "only control plane Machines: all deleted",
			objects:       []client.Object{statusTestMachine("m1"), statusTestMachine("m2"), statusTestMachine("m3", statusTestDeleting(time.Minute))},
			wantRequeue:   true,
			wantFinalizer: true,
			wantReason:    controlplanev1.KThreesControlPlaneDeletingWaitingForMachineDeletionReason,
			wantMessage:   Equal("Deleting 3 Machines: m1, m2, m3"),
		},
		{
			name:          "a failed deletion is an error and an event",
			objects:       []client.Object{statusTestMachine("m1")},
			deleteErr:     apierrors.NewInternalError(errors.New("boom")),
			wantErr:       true,
			wantFinalizer: true,
			wantReason:    conditionInternalErrorReason,
			wantMessage:   Not(BeEmpty()),
			wantRemaining: []string{"m1"},
			wantEvent:     "Warning FailedDelete",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			builder := fake.NewClientBuilder().WithScheme(statusTestScheme()).WithObjects(tt.objects...)
			if tt.deleteErr != nil {
				builder = builder.WithInterceptorFuncs(interceptor.Funcs{
					Delete: func(context.Context, client.WithWatch, client.Object, ...client.DeleteOption) error {
						return tt.deleteErr
					},
				})
			}
			c := builder.Build()
			recorder := record.NewFakeRecorder(10)
			connector := &deleteTestEtcdConnector{}
			r := &Reconciler{Client: c, Recorder: recorder, EtcdConnector: connector}

			kcp := condTestKCP(3)
			kcp.DeletionTimestamp = ptr.To(metav1.NewTime(statusTestNow))
			cp := statusTestControlPlane(kcp, nil, nil)

			res, err := r.reconcileDelete(context.Background(), cp)
			if tt.wantErr {
				g.Expect(err).To(HaveOccurred())
			} else {
				g.Expect(err).ToNot(HaveOccurred())
			}
			if tt.wantRequeue {
				g.Expect(res.RequeueAfter).To(Equal(deleteRequeueAfter))
			} else {
				g.Expect(res.IsZero()).To(BeTrue())
			}
			if tt.wantFinalizer {
				g.Expect(kcp.Finalizers).To(ContainElement(controlplanev1.KThreesControlPlaneFinalizer))
			} else {
				g.Expect(kcp.Finalizers).ToNot(ContainElement(controlplanev1.KThreesControlPlaneFinalizer))
			}
			if tt.wantForgotten {
				g.Expect(connector.forgotten).To(ConsistOf(client.ObjectKey{Namespace: "default", Name: "c1"}))
			} else {
				g.Expect(connector.forgotten).To(BeEmpty())
			}
			condTestExpect(g, kcp, controlplanev1.KThreesControlPlaneDeletingCondition, metav1.ConditionTrue, tt.wantReason, tt.wantMessage)
			if tt.wantReason == controlplanev1.KThreesControlPlaneDeletingWaitingForWorkersDeletionReason {
				g.Expect(v1beta1conditions.GetReason(kcp, controlplanev1.DeprecatedV1Beta1ResizedCondition)).To(Equal(controlplanev1.DeprecatedV1Beta1DeletingReason))
				g.Expect(v1beta1conditions.GetMessage(kcp, controlplanev1.DeprecatedV1Beta1ResizedCondition)).To(Equal("Waiting for worker nodes to be deleted first"))
			}

			machines := &clusterv1.MachineList{}
			g.Expect(c.List(context.Background(), machines)).To(Succeed())
			var remaining []string
			for _, m := range machines.Items {
				if m.DeletionTimestamp.IsZero() {
					remaining = append(remaining, m.Name)
				}
			}
			g.Expect(remaining).To(ConsistOf(tt.wantRemaining))

			if tt.wantEvent != "" {
				g.Expect(recorder.Events).To(Receive(HavePrefix(tt.wantEvent)))
			} else {
				g.Expect(recorder.Events).ToNot(Receive())
			}
		})
	}
}

// TestDeleteConditionsAfterDelete checks that the deferred setConditions keeps the deletion progress.
func TestDeleteConditionsAfterDelete(t *testing.T) {
	g := NewWithT(t)
	c := fake.NewClientBuilder().WithScheme(statusTestScheme()).WithObjects(statusTestMachine("m1"), deleteTestWorker("w1")).Build()
	r := &Reconciler{Client: c, Recorder: record.NewFakeRecorder(10)}
	kcp := condTestKCP(1)
	kcp.DeletionTimestamp = ptr.To(metav1.NewTime(statusTestNow))
	cp := statusTestControlPlane(kcp, []*clusterv1.Machine{statusTestMachine("m1")}, nil)

	_, err := r.reconcileDelete(context.Background(), cp)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(r.updateStatus(context.Background(), cp)).To(Succeed())
	setConditions(cp)

	g.Expect(conditions.GetReason(kcp, controlplanev1.KThreesControlPlaneDeletingCondition)).To(Equal(controlplanev1.KThreesControlPlaneDeletingWaitingForWorkersDeletionReason))
	g.Expect(v1beta1conditions.GetReason(kcp, controlplanev1.DeprecatedV1Beta1ResizedCondition)).To(Equal(controlplanev1.DeprecatedV1Beta1DeletingReason))
	g.Expect(conditions.IsFalse(kcp, controlplanev1.KThreesControlPlaneAvailableCondition)).To(BeTrue())
}
