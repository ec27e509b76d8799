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

package token

import (
	"context"
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

var (
	cluster = client.ObjectKey{Namespace: "ns", Name: "c1"}
	owner   = metav1.OwnerReference{APIVersion: "cluster.x-k8s.io/v1beta2", Kind: "Cluster", Name: "c1", UID: "u", Controller: new(true)}
)

func newScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	NewWithT(t).Expect(corev1.AddToScheme(s)).To(Succeed())
	return s
}

func Test_Ensure_CreatesOnceAndNeverRegenerates(t *testing.T) {
	g := NewWithT(t)
	c := fake.NewClientBuilder().WithScheme(newScheme(t)).Build()

	first, err := Ensure(t.Context(), c, cluster, owner)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(first).To(MatchRegexp("^[0-9a-f]{32}$"))

	second, err := Ensure(t.Context(), c, cluster, owner)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(second).To(Equal(first))

	s := &corev1.Secret{}
	g.Expect(c.Get(t.Context(), client.ObjectKey{Namespace: "ns", Name: "c1-token"}, s)).To(Succeed())
	g.Expect(s.Type).To(Equal(clusterv1.ClusterSecretType))
	g.Expect(s.Labels).To(HaveKeyWithValue(clusterv1.ClusterNameLabel, "c1"))
	g.Expect(s.OwnerReferences).To(Equal([]metav1.OwnerReference{owner}), "the owner reference is kept as given, controller flag included")
}

// A KThreesConfig passes a reference that is not a controller, so that a control plane can take the token over.
func Test_Ensure_NonControllerOwner(t *testing.T) {
	g := NewWithT(t)
	c := fake.NewClientBuilder().WithScheme(newScheme(t)).Build()
	notController := *owner.DeepCopy()
	notController.Controller = nil
	_, err := Ensure(t.Context(), c, cluster, notController)
	g.Expect(err).ToNot(HaveOccurred())
	s := &corev1.Secret{}
	g.Expect(c.Get(t.Context(), client.ObjectKey{Namespace: "ns", Name: "c1-token"}, s)).To(Succeed())
	g.Expect(s.OwnerReferences).To(HaveLen(1))
	g.Expect(s.OwnerReferences[0].Controller).To(BeNil())
}

func Test_Ensure_KeepsExistingToken(t *testing.T) {
	g := NewWithT(t)
	existing := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c1-token"}, Data: map[string][]byte{"value": []byte("upstream-token")}}
	c := fake.NewClientBuilder().WithScheme(newScheme(t)).WithObjects(existing).Build()
	got, err := Ensure(t.Context(), c, cluster, owner)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(got).To(Equal("upstream-token"))
}

func Test_Ensure_LosesCreateRace(t *testing.T) {
	g := NewWithT(t)
	winner := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c1-token"}, Data: map[string][]byte{"value": []byte("winner")}}
	c := fake.NewClientBuilder().WithScheme(newScheme(t)).WithInterceptorFuncs(interceptor.Funcs{
		Create: func(ctx context.Context, cl client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			g.Expect(cl.Create(ctx, winner.DeepCopy())).To(Succeed())
			return apierrors.NewAlreadyExists(schema.GroupResource{Resource: "secrets"}, obj.GetName())
		},
	}).Build()
	got, err := Ensure(t.Context(), c, cluster, owner)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(got).To(Equal("winner"))
}

func Test_Lookup(t *testing.T) {
	tests := []struct {
		name    string
		objs    []client.Object
		getErr  error
		want    string
		wantErr func(error) bool
	}{
		{name: "missing secret", wantErr: func(err error) bool { return errors.Is(err, ErrNotFound) }},
		{name: "missing key", objs: []client.Object{&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c1-token"}}}, wantErr: func(err error) bool { return err != nil && !errors.Is(err, ErrNotFound) }},
		{name: "API error is not NotFound", getErr: errors.New("boom"), wantErr: func(err error) bool { return err != nil && !errors.Is(err, ErrNotFound) }},
		{name: "found", objs: []client.Object{&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c1-token"}, Data: map[string][]byte{"value": []byte("t")}}}, want: "t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			b := fake.NewClientBuilder().WithScheme(newScheme(t)).WithObjects(tt.objs...)
			if tt.getErr != nil {
				b = b.WithInterceptorFuncs(interceptor.Funcs{Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
					return tt.getErr
				}})
			}
			got, err := Lookup(t.Context(), b.Build(), cluster)
			if tt.wantErr != nil {
				g.Expect(tt.wantErr(err)).To(BeTrue(), "unexpected error %v", err)
				return
			}
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}

func Test_ClusterName(t *testing.T) {
	g := NewWithT(t)
	name, ok := ClusterName("c1-token")
	g.Expect(ok).To(BeTrue())
	g.Expect(name).To(Equal("c1"))
	for _, s := range []string{"c1-kubeconfig", "-token", "token", ""} {
		_, ok := ClusterName(s)
		g.Expect(ok).To(BeFalse(), s)
	}
}
