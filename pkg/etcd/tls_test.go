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
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/cluster-api/util/certs"
)

func TestParseCA(t *testing.T) {
	ca := newTestCA(t, "etcd-ca")
	other := newTestCA(t, "other-ca")
	leaf := ca.issue(t, leafOptions{commonName: "leaf", usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})

	tests := []struct {
		name     string
		keyPair  certs.KeyPair
		wantErr  string
		wantPool *x509.CertPool
	}{
		{name: "CA", keyPair: ca.keyPair, wantPool: poolOf(ca)},
		{name: "CA without key parses; minting fails later", keyPair: certs.KeyPair{Cert: ca.keyPair.Cert}, wantPool: poolOf(ca)},
		{name: "bundle", keyPair: certs.KeyPair{Cert: append(append([]byte{}, ca.keyPair.Cert...), other.keyPair.Cert...), Key: ca.keyPair.Key},
			wantPool: poolOf(ca, other)},
		{name: "other PEM blocks are skipped", keyPair: certs.KeyPair{Cert: append(append([]byte{}, ca.keyPair.Key...), ca.keyPair.Cert...)},
			wantPool: poolOf(ca)},
		{name: "empty", keyPair: certs.KeyPair{}, wantErr: "no PEM certificate"},
		{name: "not PEM", keyPair: certs.KeyPair{Cert: []byte("not a certificate")}, wantErr: "no PEM certificate"},
		{name: "bad DER", keyPair: certs.KeyPair{Cert: pemBlock("CERTIFICATE", []byte{1, 2, 3})}, wantErr: "failed to parse the etcd CA certificate"},
		{name: "not a CA", keyPair: certs.KeyPair{Cert: pemBlock("CERTIFICATE", leaf.Certificate[0])}, wantErr: `"leaf" is not a CA certificate`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := parseCA(tt.keyPair)
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got.cert.Equal(ca.cert)).To(BeTrue(), "the first certificate signs")
			g.Expect(got.pool.Equal(tt.wantPool)).To(BeTrue(), "every certificate of the bundle is trusted")
			g.Expect(got.fingerprint).NotTo(BeZero())
		})
	}
}

func TestParseCA_fingerprint(t *testing.T) {
	g := NewWithT(t)
	ca := newTestCA(t, "etcd-ca")
	other := newTestCA(t, "etcd-ca")

	a, err := parseCA(ca.keyPair)
	g.Expect(err).NotTo(HaveOccurred())
	again, err := parseCA(certs.KeyPair{Cert: append([]byte("\n"), ca.keyPair.Cert...), Key: ca.keyPair.Key})
	g.Expect(err).NotTo(HaveOccurred())
	b, err := parseCA(other.keyPair)
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(again.fingerprint).To(Equal(a.fingerprint), "the fingerprint depends on the certificates, not their PEM layout")
	g.Expect(b.fingerprint).NotTo(Equal(a.fingerprint), "a CA with the same name but another key is another CA")
}

// poolOf returns a pool with the CAs' certificates.
func poolOf(cas ...*testCA) *x509.CertPool {
	pool := x509.NewCertPool()
	for _, ca := range cas {
		pool.AddCert(ca.cert)
	}
	return pool
}

func TestNewClientCertificate(t *testing.T) {
	g := NewWithT(t)
	ca := newTestCA(t, "etcd-ca")
	parsed, err := parseCA(ca.keyPair)
	g.Expect(err).NotTo(HaveOccurred())

	cert, err := newClientCertificate(parsed)
	g.Expect(err).NotTo(HaveOccurred())

	leaf := cert.Leaf
	g.Expect(leaf).NotTo(BeNil())
	g.Expect(cert.Certificate).To(HaveLen(1))
	g.Expect(leaf.Raw).To(Equal(cert.Certificate[0]))
	g.Expect(leaf.Subject.CommonName).To(Equal("cluster-api.x-k8s.io"))
	g.Expect(leaf.ExtKeyUsage).To(Equal([]x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}))
	g.Expect(leaf.IsCA).To(BeFalse())
	g.Expect(time.Until(leaf.NotAfter)).To(BeNumerically(">", 24*time.Hour))
	g.Expect(leaf.NotBefore).To(BeTemporally("<=", time.Now()))

	_, err = leaf.Verify(x509.VerifyOptions{Roots: poolOf(ca), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	g.Expect(err).NotTo(HaveOccurred(), "the certificate chains to the etcd CA for client auth")
	_, err = leaf.Verify(x509.VerifyOptions{Roots: poolOf(ca), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	g.Expect(err).To(HaveOccurred(), "the certificate is not a serving certificate")

	key, ok := cert.PrivateKey.(*ecdsa.PrivateKey)
	g.Expect(ok).To(BeTrue(), "ECDSA key")
	g.Expect(key.Curve).To(Equal(elliptic.P256()))
	g.Expect(key.Public().(*ecdsa.PublicKey).Equal(leaf.PublicKey)).To(BeTrue(), "the key is the certificate's")

	again, err := newClientCertificate(parsed)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again.Leaf.SerialNumber).NotTo(Equal(leaf.SerialNumber), "serial numbers are random")
}

func TestNewClientCertificate_errors(t *testing.T) {
	ca := newTestCA(t, "etcd-ca")
	other := newTestCA(t, "other-ca")
	tests := []struct {
		name    string
		keyPair certs.KeyPair
		wantErr string
	}{
		{name: "no key", keyPair: certs.KeyPair{Cert: ca.keyPair.Cert}, wantErr: "etcd CA has no private key"},
		{name: "bad key", keyPair: certs.KeyPair{Cert: ca.keyPair.Cert, Key: []byte("garbage")}, wantErr: "failed to parse the etcd CA private key"},
		{name: "key of another CA", keyPair: certs.KeyPair{Cert: ca.keyPair.Cert, Key: other.keyPair.Key}, wantErr: "etcd CA key does not match the etcd CA certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			parsed, err := parseCA(tt.keyPair)
			g.Expect(err).NotTo(HaveOccurred())
			_, err = newClientCertificate(parsed)
			g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
		})
	}
}

func TestVerifyServerCertificate(t *testing.T) {
	ca := newTestCA(t, "etcd-ca")
	other := newTestCA(t, "other-ca")
	intermediateCA := ca.intermediate(t, "intermediate")
	now := time.Now()
	serverAuth := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}

	tests := []struct {
		name    string
		chain   func() [][]byte
		wantErr string
	}{
		{name: "K3s serving certificate with its CA in the chain", chain: func() [][]byte { return ca.k3sServingCert(t).Certificate }},
		{name: "leaf only", chain: func() [][]byte { return ca.k3sServingCert(t).Certificate[:1] }},
		{name: "through an intermediate sent by the server", chain: func() [][]byte {
			c := intermediateCA.issue(t, leafOptions{commonName: "etcd-server", usages: serverAuth})
			return [][]byte{c.Certificate[0], intermediateCA.cert.Raw}
		}},
		{name: "signed by another CA", chain: func() [][]byte { return other.k3sServingCert(t).Certificate },
			wantErr: "certificate signed by unknown authority"},
		{name: "client certificate only", chain: func() [][]byte {
			return ca.issue(t, leafOptions{commonName: "etcd-client", usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}).Certificate
		}, wantErr: "incompatible key usage"},
		{name: "expired", chain: func() [][]byte {
			return ca.issue(t, leafOptions{commonName: "etcd-server", usages: serverAuth, notBefore: now.Add(-48 * time.Hour), notAfter: now.Add(-time.Hour)}).Certificate
		}, wantErr: "expired"},
		{name: "not yet valid", chain: func() [][]byte {
			return ca.issue(t, leafOptions{commonName: "etcd-server", usages: serverAuth, notBefore: now.Add(time.Hour)}).Certificate
		}, wantErr: "not yet valid"},
		{name: "no certificate", chain: func() [][]byte { return nil }, wantErr: "presented no certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			cs := tls.ConnectionState{ServerName: "etcd-proxy-x2k9p"}
			for _, der := range tt.chain() {
				c, err := x509.ParseCertificate(der)
				g.Expect(err).NotTo(HaveOccurred())
				cs.PeerCertificates = append(cs.PeerCertificates, c)
			}
			err := verifyServerCertificate(poolOf(ca), time.Now)(cs)
			if tt.wantErr == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
			if len(cs.PeerCertificates) > 0 {
				g.Expect(err).To(MatchError(ContainSubstring(`server name "etcd-proxy-x2k9p"`)))
			}
		})
	}
}

// intermediate returns an intermediate CA signed by the CA.
func (ca *testCA) intermediate(t testing.TB, commonName string) *testCA {
	t.Helper()
	g := NewWithT(t)
	sub := newTestCA(t, commonName)
	tmpl := *sub.cert
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, ca.cert, sub.key.Public(), ca.key)
	g.Expect(err).NotTo(HaveOccurred())
	sub.cert, err = x509.ParseCertificate(der)
	g.Expect(err).NotTo(HaveOccurred())
	return sub
}

// tlsEcho serves TLS on 127.0.0.1, echoing one line per connection, and reports the server names and client
// certificate common names it sees.
type tlsEcho struct {
	listener    net.Listener
	serverNames chan string
	clientCNs   chan string
}

// startTLSEcho starts a tlsEcho serving cert and requiring client certificates signed by clientCA.
func startTLSEcho(t *testing.T, cert tls.Certificate, clientCA *testCA) *tlsEcho {
	t.Helper()
	e := &tlsEcho{serverNames: make(chan string, 10), clientCNs: make(chan string, 10)}
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    poolOf(clientCA),
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	e.listener = l
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go e.serve(conn.(*tls.Conn))
		}
	}()
	return e
}

func (e *tlsEcho) serve(conn *tls.Conn) {
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if err := conn.Handshake(); err != nil {
		return
	}
	st := conn.ConnectionState()
	e.serverNames <- st.ServerName
	e.clientCNs <- st.PeerCertificates[0].Subject.CommonName
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return
	}
	_, _ = io.WriteString(conn, line)
}

func TestTLSHandshake(t *testing.T) {
	clusterCA := newTestCA(t, "etcd-server-ca")
	otherCA := newTestCA(t, "etcd-server-ca")

	tests := []struct {
		name       string
		serverCert tls.Certificate
		clientCAs  *testCA // the CA the server trusts for clients
		wantErr    string
	}{
		{name: "server signed by the cluster's etcd CA", serverCert: clusterCA.k3sServingCert(t), clientCAs: clusterCA},
		{name: "server signed by another CA", serverCert: otherCA.k3sServingCert(t), clientCAs: clusterCA,
			wantErr: "not valid for the cluster's etcd CA"},
		{name: "server of another cluster rejects our client certificate", serverCert: clusterCA.k3sServingCert(t), clientCAs: otherCA,
			wantErr: "remote error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			server := startTLSEcho(t, tt.serverCert, tt.clientCAs)
			ca, err := parseCA(clusterCA.keyPair)
			g.Expect(err).NotTo(HaveOccurred())
			clientCert, err := newClientCertificate(ca)
			g.Expect(err).NotTo(HaveOccurred())
			cfg := newTLSConfig(ca, clientCert, time.Now).Clone()
			// The gRPC target is the etcd-proxy pod; gRPC sets it as the server name.
			cfg.ServerName = "etcd-proxy-x2k9p"

			dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: cfg}
			conn, err := dialer.Dial("tcp", server.listener.Addr().String())
			if err == nil {
				defer func() { _ = conn.Close() }()
				_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
				// With TLS 1.3 the server's verdict on the client certificate arrives with the first read.
				_, err = io.WriteString(conn, "ping\n")
				if err == nil {
					var line string
					line, err = bufio.NewReader(conn).ReadString('\n')
					if err == nil {
						g.Expect(line).To(Equal("ping\n"))
					}
				}
			}
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(<-server.serverNames).To(Equal("etcd-proxy-x2k9p"), "SNI is the pod name")
			g.Expect(<-server.clientCNs).To(Equal("cluster-api.x-k8s.io"))
		})
	}
}

func TestNewTLSConfig(t *testing.T) {
	g := NewWithT(t)
	ca := newTestCA(t, "etcd-ca")
	parsed, err := parseCA(ca.keyPair)
	g.Expect(err).NotTo(HaveOccurred())
	cert, err := newClientCertificate(parsed)
	g.Expect(err).NotTo(HaveOccurred())

	cfg := newTLSConfig(parsed, cert, time.Now)
	g.Expect(cfg.MinVersion).To(BeEquivalentTo(tls.VersionTLS12))
	g.Expect(cfg.Certificates).To(HaveLen(1))
	g.Expect(cfg.ServerName).To(BeEmpty(), "gRPC fills in the endpoint, the pod name")
	g.Expect(cfg.VerifyConnection).NotTo(BeNil(), "server verification must not be skipped")
	g.Expect(cfg.RootCAs.Equal(poolOf(ca))).To(BeTrue())
}
