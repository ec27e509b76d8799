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
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"sigs.k8s.io/cluster-api/util/certs"
	"sigs.k8s.io/cluster-api/util/secret"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ReadCA reads the etcd CA of a cluster from the `<cluster>-etcd` secret in the cluster's namespace (keys
// tls.crt and tls.key). A missing secret gives an error for which apierrors.IsNotFound is true.
func ReadCA(ctx context.Context, c client.Reader, cluster client.ObjectKey) (certs.KeyPair, error) {
	s, err := secret.Get(ctx, c, cluster, secret.EtcdCA)
	if err != nil {
		return certs.KeyPair{}, fmt.Errorf("failed to read the etcd CA secret of cluster %s: %w", cluster, err)
	}
	return certs.KeyPair{Cert: s.Data[secret.TLSCrtDataName], Key: s.Data[secret.TLSKeyDataName]}, nil
}

// etcdCA is a parsed etcd CA. The key is parsed only when a client certificate is minted.
type etcdCA struct {
	// cert signs client certificates: the first certificate of the bundle.
	cert *x509.Certificate

	// pool holds every certificate of the bundle; served certificates must chain to one of them.
	pool *x509.CertPool

	// fingerprint identifies the bundle: the SHA-256 of its certificates' DER, in order.
	fingerprint [sha256.Size]byte

	// keyPEM is the PEM of the CA's private key.
	keyPEM []byte
}

// parseCA parses the PEM certificates of an etcd CA; they must include at least one CA certificate.
func parseCA(kp certs.KeyPair) (*etcdCA, error) {
	ca := &etcdCA{pool: x509.NewCertPool(), keyPEM: kp.Key}
	h := sha256.New()
	rest := kp.Cert
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("failed to parse the etcd CA certificate: %w", err)
		}
		if !cert.IsCA {
			return nil, fmt.Errorf("etcd CA certificate %q is not a CA certificate", cert.Subject.CommonName)
		}
		if ca.cert == nil {
			ca.cert = cert
		}
		ca.pool.AddCert(cert)
		h.Write(cert.Raw)
	}
	if ca.cert == nil {
		return nil, errors.New("etcd CA has no PEM certificate")
	}
	h.Sum(ca.fingerprint[:0])
	return ca, nil
}

// signer parses the CA's private key, which must belong to the signing certificate.
func (ca *etcdCA) signer() (crypto.Signer, error) {
	if len(ca.keyPEM) == 0 {
		return nil, errors.New("etcd CA has no private key, so no client certificate can be signed")
	}
	key, err := certs.DecodePrivateKeyPEM(ca.keyPEM)
	if err != nil {
		return nil, fmt.Errorf("failed to parse the etcd CA private key: %w", err)
	}
	// A key of another CA would sign certificates nobody accepts; say so here rather than in a handshake.
	if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(ca.cert.PublicKey) {
		return nil, fmt.Errorf("etcd CA key does not match the etcd CA certificate %q", ca.cert.Subject.CommonName)
	}
	return key, nil
}
