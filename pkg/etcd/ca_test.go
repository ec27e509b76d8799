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

package etcd

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cluster-api/util/certs"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func TestReadCA(t *testing.T) {
	cluster := client.ObjectKey{Namespace: "ns", Name: "c1"}
	etcdSecret := func(name string, data map[string][]byte) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Data: data}
	}
	tests := []struct {
		name         string
		objs         []client.Object
		want         certs.KeyPair
		wantNotFound bool
	}{
		{name: "found", objs: []client.Object{etcdSecret("c1-etcd", map[string][]byte{"tls.crt": []byte("crt"), "tls.key": []byte("key")})},
			want: certs.KeyPair{Cert: []byte("crt"), Key: []byte("key")}},
		{name: "without key", objs: []client.Object{etcdSecret("c1-etcd", map[string][]byte{"tls.crt": []byte("crt")})},
			want: certs.KeyPair{Cert: []byte("crt")}},
		{name: "missing", objs: []client.Object{etcdSecret("c1-ca", nil), etcdSecret("c2-etcd", nil)}, wantNotFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := ReadCA(t.Context(), fake.NewClientBuilder().WithObjects(tt.objs...).Build(), cluster)
			if tt.wantNotFound {
				g.Expect(apierrors.IsNotFound(err)).To(BeTrue())
				g.Expect(err).To(MatchError(ContainSubstring("failed to read the etcd CA secret of cluster ns/c1")))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}
