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
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"

	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	"sigs.k8s.io/cluster-api/util/certs"
)

// clientCommonName is the common name of the client certificate, as upstream.
const clientCommonName = "cluster-api.x-k8s.io"

// newClientCertificate mints a client certificate for etcd, signed by the CA: an ECDSA P-256 key, CN
// cluster-api.x-k8s.io, extended key usage client auth, valid for certs.DefaultCertDuration (a year).
func newClientCertificate(ca *etcdCA) (tls.Certificate, error) {
	caKey, err := ca.signer()
	if err != nil {
		return tls.Certificate{}, err
	}
	key, err := certs.NewSigner(bootstrapv1.EncryptionAlgorithmECDSAP256)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("failed to generate the etcd client key: %w", err)
	}
	cfg := certs.Config{CommonName: clientCommonName, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	cert, err := cfg.NewSignedCert(key, ca.cert, caKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("failed to sign the etcd client certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}, nil
}

// newTLSConfig returns the TLS configuration of connections to the etcd members of a cluster: the client
// certificate, and verification of the server certificate against the etcd CA without the host name (see
// the package documentation for why).
func newTLSConfig(ca *etcdCA, clientCert tls.Certificate, now func() time.Time) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{clientCert},
		RootCAs:      ca.pool,
		// The default verification checks the server name, which can't match (the server name is the
		// etcd-proxy pod's). It is switched off only to be replaced by VerifyConnection, which Go runs
		// even then, and which verifies all else.
		InsecureSkipVerify: true,
		VerifyConnection:   verifyServerCertificate(ca.pool, now),
	}
}

// verifyServerCertificate returns a tls.Config.VerifyConnection function that accepts a server certificate
// only if it chains to one of roots, is within its validity period at now() and allows server auth. The host
// name is not checked.
func verifyServerCertificate(roots *x509.CertPool, now func() time.Time) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("etcd server presented no certificate")
		}
		leaf := cs.PeerCertificates[0]
		intermediates := x509.NewCertPool()
		for _, cert := range cs.PeerCertificates[1:] {
			intermediates.AddCert(cert)
		}
		_, err := leaf.Verify(x509.VerifyOptions{
			Roots:         roots,
			Intermediates: intermediates,
			CurrentTime:   now(),
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			return fmt.Errorf("etcd server certificate %q (server name %q) is not valid for the cluster's etcd CA: %w",
				leaf.Subject.CommonName, cs.ServerName, err)
		}
		return nil
	}
}

// handshake records what the TLS handshakes of one connection saw: the last verification failure and the expiry
// of the last server certificate accepted.
type handshake struct {
	mu       sync.Mutex
	last     error
	notAfter time.Time
}

// lastFailure is the last verification failure, nil if none failed.
func (h *handshake) lastFailure() error {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// serverNotAfter is when the last accepted server certificate expires; zero if none was accepted.
func (h *handshake) serverNotAfter() time.Time {
	if h == nil {
		return time.Time{}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.notAfter
}

// recordVerification returns a copy of cfg for one connection, whose VerifyConnection also records its last
// failure and the expiry of the server certificate it accepted. gRPC retries failed handshakes until the call
// times out and then only reports the timeout; the record lets the caller tell why. The expiry is the member's
// serving certificate, which K3s issues and renews with its other leaf certificates.
func recordVerification(cfg *tls.Config) (*tls.Config, *handshake) {
	h := &handshake{}
	verify := cfg.VerifyConnection
	clone := cfg.Clone()
	clone.VerifyConnection = func(cs tls.ConnectionState) error {
		err := verify(cs)
		h.mu.Lock()
		defer h.mu.Unlock()
		if err != nil {
			h.last = err
		} else if len(cs.PeerCertificates) > 0 {
			h.notAfter = cs.PeerCertificates[0].NotAfter
		}
		return err
	}
	return clone, h
}
