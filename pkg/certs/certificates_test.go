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

package certs

import (
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/secret"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func Test_NewClusterCertificates_LookupOrGenerate(t *testing.T) {
	g := NewWithT(t)
	scheme := runtime.NewScheme()
	g.Expect(corev1.AddToScheme(scheme)).To(Succeed())
	userCA := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "c1-etcd", Namespace: "ns"},
		Data:       map[string][]byte{"tls.crt": []byte("user-cert"), "tls.key": []byte("user-key")},
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(userCA).Build()
	owner := metav1.OwnerReference{APIVersion: "bootstrap.cluster.x-k8s.io/v1beta3", Kind: "KThreesConfig", Name: "cfg", UID: "uid", Controller: new(true)}

	certificates := NewClusterCertificates("")
	g.Expect(certificates.LookupOrGenerate(t.Context(), c, client.ObjectKey{Namespace: "ns", Name: "c1"}, owner)).To(Succeed())

	// Generated CAs use upstream's secret names, keys, type, label and owner; a user-provided CA is used as is.
	for _, name := range []string{"c1-ca", "c1-cca"} {
		s := &corev1.Secret{}
		g.Expect(c.Get(t.Context(), client.ObjectKey{Namespace: "ns", Name: name}, s)).To(Succeed())
		g.Expect(s.Type).To(Equal(clusterv1.ClusterSecretType))
		g.Expect(s.Labels).To(HaveKeyWithValue(clusterv1.ClusterNameLabel, "c1"))
		g.Expect(s.OwnerReferences).To(ConsistOf(owner))
		block, _ := pem.Decode(s.Data["tls.crt"])
		g.Expect(block).ToNot(BeNil())
		cert, err := x509.ParseCertificate(block.Bytes)
		g.Expect(err).ToNot(HaveOccurred())
		g.Expect(cert.IsCA).To(BeTrue())
		g.Expect(cert.Subject.CommonName).To(Equal("kubernetes"))
		g.Expect(s.Data["tls.key"]).ToNot(BeEmpty())
	}
	etcd := certificates.GetByPurpose(secret.EtcdCA)
	g.Expect(etcd.Generated).To(BeFalse())
	g.Expect(string(etcd.KeyPair.Cert)).To(Equal("user-cert"))

	var paths []string
	for _, f := range Files(certificates) {
		g.Expect(f.Owner).To(Equal("root:root"))
		paths = append(paths, f.Path)
	}
	g.Expect(paths).To(Equal([]string{
		"/var/lib/rancher/k3s/server/tls/server-ca.crt", "/var/lib/rancher/k3s/server/tls/server-ca.key",
		"/var/lib/rancher/k3s/server/tls/client-ca.crt", "/var/lib/rancher/k3s/server/tls/client-ca.key",
		"/var/lib/rancher/k3s/server/tls/etcd/server-ca.crt", "/var/lib/rancher/k3s/server/tls/etcd/server-ca.key"}), "upstream's order")
}

func Test_NewClusterCertificates_KeyAlgorithm(t *testing.T) {
	for _, tc := range []struct {
		alg     KeyAlgorithm
		wantPEM string
	}{
		{alg: "", wantPEM: "RSA PRIVATE KEY"},
		{alg: "RSA-2048", wantPEM: "RSA PRIVATE KEY"},
		{alg: "ECDSA-P256", wantPEM: "EC PRIVATE KEY"},
		{alg: "ECDSA-P384", wantPEM: "EC PRIVATE KEY"},
	} {
		t.Run(string(tc.alg), func(t *testing.T) {
			g := NewWithT(t)
			certificates := NewClusterCertificates(tc.alg)
			g.Expect(certificates.Generate()).To(Succeed())
			for _, c := range certificates {
				block, _ := pem.Decode(c.KeyPair.Key)
				g.Expect(block).ToNot(BeNil())
				g.Expect(block.Type).To(Equal(tc.wantPEM), "key of %s", c.Purpose)
			}
		})
	}
}

func Test_AddKeyAlgorithmFlag(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    KeyAlgorithm
		wantErr bool
	}{
		{args: nil, want: DefaultKeyAlgorithm},
		{args: []string{"--certificate-key-algorithm=ECDSA-P256"}, want: "ECDSA-P256"},
		{args: []string{"--certificate-key-algorithm=RSA-4096"}, want: "RSA-4096"},
		{args: []string{"--certificate-key-algorithm=ed25519"}, wantErr: true},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			g := NewWithT(t)
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			var alg KeyAlgorithm
			AddKeyAlgorithmFlag(fs, &alg)
			err := fs.Parse(tc.args)
			if tc.wantErr {
				g.Expect(err).To(MatchError(ContainSubstring("unsupported key algorithm")))
				return
			}
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(alg).To(Equal(tc.want))
		})
	}
}
