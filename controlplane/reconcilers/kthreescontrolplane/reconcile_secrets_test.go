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

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

func TestReconcileSecrets(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	existing := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c1-ca"}, Data: map[string][]byte{"tls.crt": []byte("ca")}}
	gets := map[string]int{}
	failPatch := false
	c := fake.NewClientBuilder().WithObjects(existing, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cm"}}).
		WithInterceptorFuncs(interceptor.Funcs{
			Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
				gets[key.Name]++
				return c.Get(ctx, key, obj, opts...)
			},
			Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
				if failPatch {
					return errors.New("patch failed")
				}
				return c.Patch(ctx, obj, patch, opts...)
			},
		}).Build()
	s := newReconcileSecrets(c, nil)
	key := client.ObjectKeyFromObject(existing)

	// A Secret is read from the API server once; later reads get a copy that callers cannot change.
	first := &corev1.Secret{}
	g.Expect(s.Get(ctx, key, first)).To(Succeed())
	first.Data["tls.crt"] = []byte("changed by the caller")
	second := &corev1.Secret{}
	g.Expect(s.Get(ctx, key, second)).To(Succeed())
	g.Expect(second.Data).To(HaveKeyWithValue("tls.crt", []byte("ca")))
	g.Expect(gets["c1-ca"]).To(Equal(1))

	// Missing Secrets and other kinds are read every time.
	g.Expect(s.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "c1-token"}, &corev1.Secret{})).ToNot(Succeed())
	g.Expect(s.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "c1-token"}, &corev1.Secret{})).ToNot(Succeed())
	g.Expect(s.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "cm"}, &corev1.ConfigMap{})).To(Succeed())
	g.Expect(s.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "cm"}, &corev1.ConfigMap{})).To(Succeed())
	g.Expect(gets).To(Equal(map[string]int{"c1-ca": 1, "c1-token": 2, "cm": 2}))

	// A write replaces what was read.
	created := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c1-token"}, Data: map[string][]byte{"value": []byte("t")}}
	g.Expect(s.Create(ctx, created)).To(Succeed())
	patched := second.DeepCopy()
	patched.Labels = map[string]string{"l": "v"}
	g.Expect(s.Patch(ctx, patched, client.MergeFrom(second))).To(Succeed())
	got := &corev1.Secret{}
	g.Expect(s.Get(ctx, client.ObjectKeyFromObject(created), got)).To(Succeed())
	g.Expect(got.Data).To(HaveKeyWithValue("value", []byte("t")))
	g.Expect(s.Get(ctx, key, got)).To(Succeed())
	g.Expect(got.Labels).To(HaveKeyWithValue("l", "v"))
	g.Expect(gets["c1-ca"]).To(Equal(1))
	g.Expect(gets["c1-token"]).To(Equal(2))

	// After a failed write the Secret is read again.
	failPatch = true
	g.Expect(s.Patch(ctx, got.DeepCopy(), client.MergeFrom(got))).ToNot(Succeed())
	g.Expect(s.Get(ctx, key, &corev1.Secret{})).To(Succeed())
	g.Expect(gets["c1-ca"]).To(Equal(2))
}
