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
	"fmt"

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

// newServingCertificate signs a certificate like newCertificate and returns it for a TLS server.
func newServingCertificate(caCert *x509.Certificate, caKey crypto.Signer, cfg *certs.Config) (*tls.Certificate, error) {
	kp, err := newCertificate(caCert, caKey, cfg)
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(kp.cert, kp.key)
	if err != nil {
		return nil, err
	}
	return &cert, nil
}
