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
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/certs"
	"sigs.k8s.io/cluster-api/util/secret"
	"sigs.k8s.io/controller-runtime/pkg/client"

	k3scerts "github.com/k3s-io/cluster-api-k3s/pkg/certs"
)

// DataKey is the key of the kubeconfig in the secret, the one CAPI reads.
const DataKey = secret.KubeconfigDataName

// SecretName returns the name of the kubeconfig secret of a cluster.
func SecretName(clusterName string) string {
	return secret.Name(clusterName, secret.Kubeconfig)
}

// getSecret returns the kubeconfig secret of cluster; a NotFound error is returned as is.
func getSecret(ctx context.Context, c client.Reader, cluster client.ObjectKey) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	key := client.ObjectKey{Namespace: cluster.Namespace, Name: SecretName(cluster.Name)}
	if err := c.Get(ctx, key, s); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, err
		}
		return nil, fmt.Errorf("failed to get secret %s: %w", key, err)
	}
	return s, nil
}

// newSecret returns the kubeconfig secret of cluster holding data, controlled by owner.
func newSecret(cluster client.ObjectKey, data []byte, owner metav1.OwnerReference) *corev1.Secret {
	owner.Controller = new(true)
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:       cluster.Namespace,
			Name:            SecretName(cluster.Name),
			Labels:          map[string]string{clusterv1.ClusterNameLabel: cluster.Name},
			OwnerReferences: []metav1.OwnerReference{owner},
		},
		Type: clusterv1.ClusterSecretType,
		Data: map[string][]byte{DataKey: data},
	}
}

// isControlledBy reports whether the controller of s is owner: same UID, group and kind. The API version is ignored so
// that a control plane keeps its secrets across versions of its API.
func isControlledBy(s *corev1.Secret, owner metav1.OwnerReference) bool {
	ref := metav1.GetControllerOfNoCopy(s)
	if ref == nil || ref.UID != owner.UID || ref.Kind != owner.Kind {
		return false
	}
	refGV, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return false
	}
	ownerGV, err := schema.ParseGroupVersion(owner.APIVersion)
	return err == nil && refGV.Group == ownerGV.Group
}

// authorities holds what a kubeconfig needs from the cluster CAs.
type authorities struct {
	// serverCAData is the PEM server CA bundle, trusted for the API server's serving certificate.
	serverCAData []byte
	// clientCACert and clientCAKey sign the admin client certificate.
	clientCACert *x509.Certificate
	clientCAKey  crypto.Signer
}

// loadAuthorities reads the server CA certificate from `<cluster>-ca` and the client CA certificate and key from
// `<cluster>-cca`. A missing or unusable secret is an error wrapping ErrCAMissing.
func loadAuthorities(ctx context.Context, c client.Reader, cluster client.ObjectKey) (*authorities, error) {
	serverCA, err := getCASecret(ctx, c, cluster, secret.ClusterCA)
	if err != nil {
		return nil, err
	}
	serverCerts, err := parseCertificates(serverCA.Data[secret.TLSCrtDataName])
	if err != nil {
		return nil, fmt.Errorf("invalid %s in secret %s: %w: %w", secret.TLSCrtDataName, serverCA.Name, ErrCAMissing, err)
	}
	clientCA, err := getCASecret(ctx, c, cluster, k3scerts.ClientClusterCA)
	if err != nil {
		return nil, err
	}
	clientCert, clientKey, err := parseKeyPair(clientCA)
	if err != nil {
		return nil, fmt.Errorf("invalid client CA in secret %s: %w: %w", clientCA.Name, ErrCAMissing, err)
	}
	return &authorities{serverCAData: encodeCertificates(serverCerts), clientCACert: clientCert, clientCAKey: clientKey}, nil
}

// getCASecret returns the CA secret of cluster for purpose; NotFound wraps ErrCAMissing.
func getCASecret(ctx context.Context, c client.Reader, cluster client.ObjectKey, purpose secret.Purpose) (*corev1.Secret, error) {
	s, err := secret.GetFromNamespacedName(ctx, c, cluster, purpose)
	if err != nil {
		name := client.ObjectKey{Namespace: cluster.Namespace, Name: secret.Name(cluster.Name, purpose)}
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("secret %s not found: %w", name, ErrCAMissing)
		}
		return nil, fmt.Errorf("failed to get secret %s: %w", name, err)
	}
	return s, nil
}

// parseKeyPair returns the first certificate of the secret's tls.crt and the matching private key from tls.key.
func parseKeyPair(s *corev1.Secret) (*x509.Certificate, crypto.Signer, error) {
	chain, err := parseCertificates(s.Data[secret.TLSCrtDataName])
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", secret.TLSCrtDataName, err)
	}
	key, err := certs.DecodePrivateKeyPEM(s.Data[secret.TLSKeyDataName])
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", secret.TLSKeyDataName, err)
	}
	pub, ok := chain[0].PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(key.Public()) {
		return nil, nil, fmt.Errorf("%s does not match the certificate's public key", secret.TLSKeyDataName)
	}
	return chain[0], key, nil
}

// parseCertificates returns the certificates of the PEM CERTIFICATE blocks in data, in order; other blocks are
// skipped. It fails if there is none or one cannot be parsed.
func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var chain []*x509.Certificate
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("failed to parse certificate: %w", err)
		}
		chain = append(chain, cert)
	}
	if len(chain) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	return chain, nil
}

// encodeCertificates returns certificates as concatenated PEM blocks.
func encodeCertificates(chain []*x509.Certificate) []byte {
	var out []byte
	for _, cert := range chain {
		out = append(out, certs.EncodeCertPEM(cert)...)
	}
	return out
}
