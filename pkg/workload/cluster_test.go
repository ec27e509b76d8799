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

package workload

import (
	"context"
	"errors"
	"net"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

func TestIsControlPlaneNode(t *testing.T) {
	tests := []struct {
		name   string
		labels map[string]string
		want   bool
	}{
		{name: "master=true", labels: map[string]string{LabelNodeRoleMaster: "true"}, want: true},
		{name: "control-plane empty value", labels: map[string]string{LabelNodeRoleControlPlane: ""}, want: true},
		{name: "control-plane=true", labels: map[string]string{LabelNodeRoleControlPlane: "true"}, want: true},
		{name: "both", labels: map[string]string{LabelNodeRoleMaster: "true", LabelNodeRoleControlPlane: "true"}, want: true},
		{name: "neither", labels: map[string]string{"kubernetes.io/hostname": "n"}, want: false},
		{name: "no labels", labels: nil, want: false},
		{name: "worker label only", labels: map[string]string{"node-role.kubernetes.io/worker": "true"}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(IsControlPlaneNode(node("n", tt.labels, nil))).To(Equal(tt.want))
		})
	}
	NewWithT(t).Expect(IsControlPlaneNode(nil)).To(BeFalse())
}

func TestIsNodeReady(t *testing.T) {
	tests := []struct {
		name  string
		ready *corev1.ConditionStatus
		want  bool
	}{
		{name: "True", ready: statusPtr(corev1.ConditionTrue), want: true},
		{name: "False", ready: statusPtr(corev1.ConditionFalse), want: false},
		{name: "Unknown", ready: statusPtr(corev1.ConditionUnknown), want: false},
		{name: "missing", ready: nil, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(IsNodeReady(node("n", nil, tt.ready))).To(Equal(tt.want))
		})
	}
	NewWithT(t).Expect(IsNodeReady(nil)).To(BeFalse())
}

func TestControlPlaneNodes(t *testing.T) {
	g := NewWithT(t)
	var lists int
	funcs := &interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, l client.ObjectList, opts ...client.ListOption) error {
		lists++
		return c.List(ctx, l, opts...)
	}}
	c := New(fakeClient(funcs,
		node("cp-old", map[string]string{LabelNodeRoleMaster: "true", LabelNodeRoleControlPlane: "true"}, nil),
		node("cp-new", map[string]string{LabelNodeRoleControlPlane: "true"}, nil),
		node("cp-kubeadm", map[string]string{LabelNodeRoleMaster: ""}, nil),
		node("worker", map[string]string{"node-role.kubernetes.io/worker": "true"}, nil),
	))
	nodes, err := c.ControlPlaneNodes(context.Background())
	g.Expect(err).NotTo(HaveOccurred())
	names := []string{}
	for _, n := range nodes.Items {
		names = append(names, n.Name)
	}
	g.Expect(names).To(ConsistOf("cp-old", "cp-new", "cp-kubeadm"))
	g.Expect(lists).To(Equal(1))
}

func TestStatus(t *testing.T) {
	cp := map[string]string{LabelNodeRoleControlPlane: "true"}
	tests := []struct {
		name    string
		objs    []client.Object
		funcs   *interceptor.Funcs
		want    Status
		wantErr bool
		remote  bool
	}{
		{
			name: "mixed nodes with serving secret",
			objs: []client.Object{
				node("cp1", cp, statusPtr(corev1.ConditionTrue)),
				node("cp2", map[string]string{LabelNodeRoleMaster: "true"}, statusPtr(corev1.ConditionFalse)),
				node("cp3", cp, nil),
				node("cp4", cp, statusPtr(corev1.ConditionTrue)),
				node("worker", nil, statusPtr(corev1.ConditionTrue)),
				servingSecret(),
			},
			want: Status{ControlPlaneNodes: 4, ReadyControlPlaneNodes: 2, HasK3sServingSecret: true},
		},
		{
			name: "no nodes, no secret",
			want: Status{},
		},
		{
			name: "list fails with a connection error",
			funcs: &interceptor.Funcs{List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error {
				return &net.OpError{Op: "dial", Err: errors.New("refused")}
			}},
			wantErr: true,
			remote:  true,
		},
		{
			name: "secret get fails with an API error",
			objs: []client.Object{node("cp1", cp, statusPtr(corev1.ConditionTrue))},
			funcs: &interceptor.Funcs{Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
				return apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, K3sServingSecretName, errors.New("no"))
			}},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := New(fakeClient(tt.funcs, tt.objs...)).Status(context.Background())
			if tt.wantErr {
				g.Expect(err).To(HaveOccurred())
				g.Expect(IsRemoteConnectionError(err)).To(Equal(tt.remote))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}

func TestIsInitialized(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, K3sServingSecretName, errors.New("no"))
	tests := []struct {
		name    string
		objs    []client.Object
		getErr  error
		want    bool
		wantErr error
		remote  bool
	}{
		{name: "present", objs: []client.Object{servingSecret()}, want: true},
		{name: "not found", want: false},
		{name: "API error is returned wrapped", getErr: forbidden, wantErr: forbidden},
		{name: "deadline is a connection error", getErr: context.DeadlineExceeded, wantErr: context.DeadlineExceeded, remote: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			var funcs *interceptor.Funcs
			if tt.getErr != nil {
				funcs = &interceptor.Funcs{Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
					return tt.getErr
				}}
			}
			got, err := New(fakeClient(funcs, tt.objs...)).IsInitialized(context.Background())
			if tt.wantErr != nil {
				g.Expect(err).To(MatchError(tt.wantErr))
				g.Expect(err.Error()).To(ContainSubstring("kube-system/k3s-serving"))
				g.Expect(IsRemoteConnectionError(err)).To(Equal(tt.remote))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}
