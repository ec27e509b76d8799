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

package kubeconfig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/clientcmd/api"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/certs"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var (
	testCluster  = client.ObjectKey{Namespace: "ns", Name: "c1"}
	testEndpoint = clusterv1.APIEndpoint{Host: "10.0.0.1", Port: 6443}
	testOwner    = metav1.OwnerReference{
		APIVersion: "controlplane.cluster.x-k8s.io/v1beta2", Kind: "KThreesControlPlane", Name: "c1-cp", UID: "kcp-uid",
		Controller: new(true), BlockOwnerDeletion: new(true),
	}
)

// testCA is a certificate authority for tests.
type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// sharedCAs holds the server and client CAs shared by all tests: RSA keys, as CAPI generates them, created once.
var sharedCAs = sync.OnceValue(func() (cas struct {
	server, client *testCA
	err            error
}) {
	if cas.server, cas.err = newRSACA("server-ca"); cas.err != nil {
		return cas
	}
	cas.client, cas.err = newRSACA("client-ca")
	return cas
})

// testCAs returns the shared server and client CAs.
func testCAs(t testing.TB) (server, clientCA *testCA) {
	t.Helper()
	cas := sharedCAs()
	NewWithT(t).Expect(cas.err).ToNot(HaveOccurred())
	return cas.server, cas.client
}

func newRSACA(cn string) (*testCA, error) {
	key, err := certs.NewPrivateKey()
	if err != nil {
		return nil, err
	}
	return selfSign(cn, key)
}

// newECCA returns a fresh CA with a cheap ECDSA key, for tests that need a CA nobody else trusts.
func newECCA(t testing.TB, cn string) *testCA {
	t.Helper()
	g := NewWithT(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	g.Expect(err).ToNot(HaveOccurred())
	ca, err := selfSign(cn, key)
	g.Expect(err).ToNot(HaveOccurred())
	return ca
}

func selfSign(cn string, key crypto.Signer) (*testCA, error) {
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &testCA{cert: cert, key: key}, nil
}

// secretData returns tls.crt/tls.key data for ca.
func (ca *testCA) secretData(t testing.TB) map[string][]byte {
	t.Helper()
	key, err := certs.EncodePrivateKeyPEMFromSigner(ca.key)
	NewWithT(t).Expect(err).ToNot(HaveOccurred())
	return map[string][]byte{"tls.crt": certs.EncodeCertPEM(ca.cert), "tls.key": key}
}

// caSecrets returns the `<cluster>-ca` and `<cluster>-cca` secrets of testCluster.
func caSecrets(t testing.TB) []client.Object {
	t.Helper()
	server, clientCA := testCAs(t)
	return []client.Object{
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c1-ca"}, Type: clusterv1.ClusterSecretType, Data: server.secretData(t)},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c1-cca"}, Type: clusterv1.ClusterSecretType, Data: clientCA.secretData(t)},
	}
}

// clientCert returns a PEM client certificate and key signed by ca and valid until notAfter.
func (ca *testCA) clientCert(t testing.TB, notAfter time.Time) (certPEM, keyPEM []byte) {
	t.Helper()
	g := NewWithT(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	g.Expect(err).ToNot(HaveOccurred())
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: adminCommonName, Organization: []string{adminOrganization}},
		NotBefore:    ca.cert.NotBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	g.Expect(err).ToNot(HaveOccurred())
	cert, err := x509.ParseCertificate(der)
	g.Expect(err).ToNot(HaveOccurred())
	keyPEM, err = certs.EncodePrivateKeyPEMFromSigner(key)
	g.Expect(err).ToNot(HaveOccurred())
	return certs.EncodeCertPEM(cert), keyPEM
}

// kubeconfigFor returns a kubeconfig for testCluster with the given cluster entry and user, named like the ones the
// provider writes.
func kubeconfigFor(t testing.TB, entry *api.Cluster, user *api.AuthInfo) []byte {
	t.Helper()
	config := api.NewConfig()
	config.Clusters["c1"] = entry
	config.AuthInfos["c1-admin"] = user
	config.Contexts["c1-admin@c1"] = &api.Context{Cluster: "c1", AuthInfo: "c1-admin"}
	config.CurrentContext = "c1-admin@c1"
	out, err := clientcmd.Write(*config)
	NewWithT(t).Expect(err).ToNot(HaveOccurred())
	return out
}

// kubeconfigExpiringAt returns a kubeconfig for server whose client certificate, signed by the client CA, expires at
// notAfter.
func kubeconfigExpiringAt(t testing.TB, server string, notAfter time.Time) []byte {
	t.Helper()
	serverCA, clientCA := testCAs(t)
	cert, key := clientCA.clientCert(t, notAfter)
	return kubeconfigFor(t,
		&api.Cluster{Server: server, CertificateAuthorityData: certs.EncodeCertPEM(serverCA.cert)},
		&api.AuthInfo{ClientCertificateData: cert, ClientKeyData: key})
}

func newScheme(t testing.TB) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	NewWithT(t).Expect(corev1.AddToScheme(s)).To(Succeed())
	return s
}

// getKubeconfig returns the kubeconfig secret of testCluster.
func getKubeconfig(t testing.TB, c client.Reader) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	NewWithT(t).Expect(c.Get(t.Context(), client.ObjectKey{Namespace: "ns", Name: "c1-kubeconfig"}, s)).To(Succeed())
	return s
}

// clientCertOf returns the client certificate of the current context's user and its key PEM.
func clientCertOf(t testing.TB, kubeconfig []byte) (*x509.Certificate, []byte, []byte) {
	t.Helper()
	g := NewWithT(t)
	config, err := clientcmd.Load(kubeconfig)
	g.Expect(err).ToNot(HaveOccurred())
	current := config.Contexts[config.CurrentContext]
	g.Expect(current).ToNot(BeNil())
	user := config.AuthInfos[current.AuthInfo]
	g.Expect(user).ToNot(BeNil())
	cert, err := certs.DecodeCertPEM(user.ClientCertificateData)
	g.Expect(err).ToNot(HaveOccurred())
	return cert, user.ClientCertificateData, user.ClientKeyData
}

// verifyAgainst checks that cert chains to ca for client authentication.
func verifyAgainst(cert *x509.Certificate, ca *testCA) error {
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	_, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return err
}
