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

package mux

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math"
	"math/big"
	"net"
	"time"

	"sigs.k8s.io/cluster-api/util/certs"
)

// newCertificate signs a certificate for a new ECDSA P-256 key (fast to generate; the CA may be RSA or ECDSA)
// and returns both in PEM.
func newCertificate(caCert *x509.Certificate, caKey crypto.Signer, cfg *certs.Config) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("failed to generate a key: %w", err)
	}
	cert, err := cfg.NewSignedCert(key, caCert, caKey)
	if err != nil {
		return nil, err
	}
	keyPEM, err := certs.EncodePrivateKeyPEMFromSigner(key)
	if err != nil {
		return nil, err
	}
	return &keyPair{cert: certs.EncodeCertPEM(cert), key: keyPEM}, nil
}

// newEtcdServingCertificate signs the serving certificate of an etcd member, as K3s issues it (CN etcd-server,
// server and client auth), for a new ECDSA P-256 key, expiring at notAfter (to the second, as X.509 stores it).
func newEtcdServingCertificate(caCert *x509.Certificate, caKey crypto.Signer, pod string, notAfter time.Time) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("failed to generate a key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).SetInt64(math.MaxInt64))
	if err != nil {
		return nil, err
	}
	template := &x509.Certificate{
		Subject:      pkix.Name{CommonName: "etcd-server"},
		DNSNames:     []string{"localhost", pod},
		IPAddresses:  []net.IP{net.ParseIP(Host), net.IPv6loopback},
		SerialNumber: serial,
		NotBefore:    caCert.NotBefore,
		NotAfter:     notAfter.UTC().Truncate(time.Second),
		KeyUsage:     x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, caCert, key.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("failed to sign the etcd serving certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
