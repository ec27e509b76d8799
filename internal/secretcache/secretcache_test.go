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

package secretcache

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

func secretNamed(name, value string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Data: map[string][]byte{"value": []byte(value)}}
}

// countingReader is a fake API server that counts the Gets it answers.
func countingReader(t *testing.T, gets *int, objs ...client.Object) client.Reader {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
	return interceptor.NewClient(c, interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
		*gets++
		return c.Get(ctx, key, obj, opts...)
	}})
}

func TestReaderGet(t *testing.T) {
	for _, tc := range []struct {
		name       string
		key        string
		cached     []client.Object
		live       []client.Object
		want       string
		wantLive   int
		wantAbsent bool
	}{
		{name: "a CA in the cache is not read live", key: "c1-ca", cached: []client.Object{secretNamed("c1-ca", "cached")}, live: []client.Object{secretNamed("c1-ca", "live")}, want: "cached"},
		{name: "a Secret the cache does not have yet is read live", key: "c1-cca", live: []client.Object{secretNamed("c1-cca", "live")}, want: "live", wantLive: 1},
		{name: "a Secret whose data the cache drops is read live", key: "m-0", cached: []client.Object{secretNamed("m-0", "cached")}, live: []client.Object{secretNamed("m-0", "live")}, want: "live", wantLive: 1},
		{name: "absent in both is NotFound, decided by the API server", key: "c1-etcd", wantLive: 1, wantAbsent: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			var cachedGets, liveGets int
			r := Reader{Cached: countingReader(t, &cachedGets, tc.cached...), Live: countingReader(t, &liveGets, tc.live...)}
			got := &corev1.Secret{}
			err := r.Get(t.Context(), client.ObjectKey{Namespace: "ns", Name: tc.key}, got)
			g.Expect(liveGets).To(Equal(tc.wantLive))
			if tc.wantAbsent {
				g.Expect(apierrors.IsNotFound(err)).To(BeTrue())
				return
			}
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(string(got.Data["value"])).To(Equal(tc.want))
		})
	}
}

func TestByObjectKeepsDataOfTheControlPlaneSecretsOnly(t *testing.T) {
	g := NewWithT(t)
	transform := ByObject().Transform
	for name, keeps := range map[string]bool{
		"c1-ca": true, "c1-cca": true, "c1-etcd": true, "c1-token": true, "c1-kubeconfig": true,
		"c1-control-plane-abcde": false, "c1-md-0-xyz": false,
	} {
		s := secretNamed(name, "x")
		s.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "m"}}
		out, err := transform(s)
		g.Expect(err).ToNot(HaveOccurred())
		g.Expect(out.(*corev1.Secret).ManagedFields).To(BeNil())
		g.Expect(out.(*corev1.Secret).Data != nil).To(Equal(keeps), name)
	}
	g.Expect(ByObject().Label.String()).To(Equal("cluster.x-k8s.io/cluster-name"))
}
