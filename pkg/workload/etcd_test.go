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
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

func TestRequestEtcdMemberRemoval(t *testing.T) {
	annotated := node("cp1", nil, nil)
	annotated.Annotations = map[string]string{"keep": "me", AnnotationEtcdRemove: "true"}
	withOther := node("cp1", nil, nil)
	withOther.Annotations = map[string]string{"keep": "me"}
	tests := []struct {
		name     string
		objs     []client.Object
		patchErr error
		wantErr  bool
		remote   bool
		want     map[string]string
	}{
		{name: "annotates a bare node", objs: []client.Object{node("cp1", nil, nil)}, want: map[string]string{AnnotationEtcdRemove: "true"}},
		{name: "keeps other annotations", objs: []client.Object{withOther}, want: map[string]string{"keep": "me", AnnotationEtcdRemove: "true"}},
		{name: "idempotent", objs: []client.Object{annotated}, want: map[string]string{"keep": "me", AnnotationEtcdRemove: "true"}},
		{name: "node not found is fine"},
		{name: "API error", patchErr: apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "cp1", errors.New("no")), wantErr: true},
		{name: "connection error", patchErr: errors.New("connection reset by peer"), wantErr: true, remote: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			var funcs *interceptor.Funcs
			if tt.patchErr != nil {
				funcs = &interceptor.Funcs{Patch: func(context.Context, client.WithWatch, client.Object, client.Patch, ...client.PatchOption) error {
					return tt.patchErr
				}}
			}
			c := fakeClient(funcs, tt.objs...)
			err := New(c).RequestEtcdMemberRemoval(context.Background(), "cp1")
			if tt.wantErr {
				g.Expect(err).To(MatchError(tt.patchErr))
				g.Expect(IsRemoteConnectionError(err)).To(Equal(tt.remote))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			got := &corev1.Node{}
			err = c.Get(context.Background(), client.ObjectKey{Name: "cp1"}, got)
			if tt.want == nil {
				g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the patch must not create the node")
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got.Annotations).To(Equal(tt.want))
			// A second request changes nothing.
			g.Expect(New(c).RequestEtcdMemberRemoval(context.Background(), "cp1")).To(Succeed())
			g.Expect(c.Get(context.Background(), client.ObjectKey{Name: "cp1"}, got)).To(Succeed())
			g.Expect(got.Annotations).To(Equal(tt.want))
		})
	}
}

func TestEtcdMemberRemoved(t *testing.T) {
	removed := node("cp1", nil, nil)
	removed.Annotations = map[string]string{AnnotationEtcdRemove: "true", AnnotationEtcdRemovedNodeName: "cp1-0a1b2c3d"}
	pending := node("cp1", nil, nil)
	pending.Annotations = map[string]string{AnnotationEtcdRemove: "true"}
	tests := []struct {
		name    string
		objs    []client.Object
		getErr  error
		want    bool
		wantErr bool
		remote  bool
	}{
		{name: "node gone", want: true},
		{name: "removed-node-name annotation", objs: []client.Object{removed}, want: true},
		{name: "not yet", objs: []client.Object{pending}, want: false},
		{name: "connection error", getErr: context.DeadlineExceeded, wantErr: true, remote: true},
		{name: "API error", getErr: apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "cp1", errors.New("no")), wantErr: true},
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
			got, err := New(fakeClient(funcs, tt.objs...)).EtcdMemberRemoved(context.Background(), "cp1")
			if tt.wantErr {
				g.Expect(err).To(MatchError(tt.getErr))
				g.Expect(IsRemoteConnectionError(err)).To(Equal(tt.remote))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}
