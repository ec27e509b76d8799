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
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/cluster-api/util/certs"
)

// testCA is a CA for tests, built like the `<cluster>-etcd` CA the bootstrap provider generates (RSA 2048,
// self-signed).
type testCA struct {
	cert    *x509.Certificate
	key     crypto.Signer
	keyPair certs.KeyPair
}

// newTestCA returns a new self-signed RSA CA.
func newTestCA(t testing.TB, commonName string) *testCA {
	t.Helper()
	g := NewWithT(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	g.Expect(err).NotTo(HaveOccurred())
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	g.Expect(err).NotTo(HaveOccurred())
	cert, err := x509.ParseCertificate(der)
	g.Expect(err).NotTo(HaveOccurred())
	return &testCA{cert: cert, key: key, keyPair: certs.KeyPair{
		Cert: certs.EncodeCertPEM(cert),
		Key:  certs.EncodePrivateKeyPEM(key),
	}}
}

// leafOptions describe a certificate issued by a testCA.
type leafOptions struct {
	commonName string
	dnsNames   []string
	ips        []net.IP
	usages     []x509.ExtKeyUsage
	notBefore  time.Time
	notAfter   time.Time
}

// issue returns a TLS certificate signed by the CA, with the CA in its chain as K3s serves it.
func (ca *testCA) issue(t testing.TB, o leafOptions) tls.Certificate {
	t.Helper()
	g := NewWithT(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	if o.notBefore.IsZero() {
		o.notBefore = time.Now().Add(-time.Hour)
	}
	if o.notAfter.IsZero() {
		o.notAfter = time.Now().Add(365 * 24 * time.Hour)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	g.Expect(err).NotTo(HaveOccurred())
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: o.commonName},
		DNSNames:     o.dnsNames,
		IPAddresses:  o.ips,
		NotBefore:    o.notBefore,
		NotAfter:     o.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  o.usages,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	g.Expect(err).NotTo(HaveOccurred())
	leaf, err := x509.ParseCertificate(der)
	g.Expect(err).NotTo(HaveOccurred())
	return tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key, Leaf: leaf}
}

// k3sServingCert returns a certificate like K3s's etcd serving certificate (etcd/server-client.crt): CN
// etcd-server, server and client auth, SANs of the node, none of which is an etcd-proxy pod name.
func (ca *testCA) k3sServingCert(t testing.TB) tls.Certificate {
	return ca.issue(t, leafOptions{
		commonName: "etcd-server",
		dnsNames:   []string{"kine.sock", "localhost", "server-0"},
		ips:        []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1"), net.ParseIP("fd00::10")},
		usages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	})
}

// pemBlock encodes DER in a PEM block of the type.
func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// fakeClock is a settable clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }
