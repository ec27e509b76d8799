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
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/clientcmd/api"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/certs"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// adminCommonName and adminOrganization identify the admin client certificate; K3s grants system:masters full
	// access.
	adminCommonName   = "kubernetes-admin"
	adminOrganization = "system:masters"
)

// create generates a kubeconfig for server and stores it in a new secret controlled by owner. A secret created
// concurrently by someone else (AlreadyExists) is not an error: the next reconcile checks it.
func create(ctx context.Context, c client.Client, cluster client.ObjectKey, server string, owner metav1.OwnerReference) (Result, error) {
	cas, err := loadAuthorities(ctx, c, cluster)
	if err != nil {
		return Result{}, err
	}
	data, err := build(cluster.Name, &api.Cluster{Server: server, CertificateAuthorityData: cas.serverCAData}, cas)
	if err != nil {
		return Result{}, err
	}
	s := newSecret(cluster, data, owner)
	if err := c.Create(ctx, s); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return Result{}, nil
		}
		return Result{}, fmt.Errorf("failed to create secret %s: %w", client.ObjectKeyFromObject(s), err)
	}
	return Result{Created: true}, nil
}

// build returns a serialized kubeconfig for clusterName with entry as its cluster and a new admin client certificate
// and key signed by the client CA. The key has the client CA's algorithm: RSA-2048 under an RSA CA (upstream's),
// the CA's curve under an ECDSA CA, so the algorithm the user chose for the CAs is the only key work.
func build(clusterName string, entry *api.Cluster, cas *authorities) ([]byte, error) {
	key, err := certs.NewSigner(clientKeyAlgorithm(cas.clientCAKey))
	if err != nil {
		return nil, fmt.Errorf("failed to generate the client key: %w", err)
	}
	keyPEM, err := certs.EncodePrivateKeyPEMFromSigner(key)
	if err != nil {
		return nil, fmt.Errorf("failed to encode the client key: %w", err)
	}
	cfg := &certs.Config{
		CommonName:   adminCommonName,
		Organization: []string{adminOrganization},
		Usages:       []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	cert, err := cfg.NewSignedCert(key, cas.clientCACert, cas.clientCAKey)
	if err != nil {
		return nil, fmt.Errorf("failed to sign the client certificate: %w", err)
	}
	userName := clusterName + "-admin"
	contextName := userName + "@" + clusterName
	config := api.NewConfig()
	config.Clusters[clusterName] = entry
	config.AuthInfos[userName] = &api.AuthInfo{
		ClientCertificateData: certs.EncodeCertPEM(cert),
		ClientKeyData:         keyPEM,
	}
	config.Contexts[contextName] = &api.Context{Cluster: clusterName, AuthInfo: userName}
	config.CurrentContext = contextName
	out, err := clientcmd.Write(*config)
	if err != nil {
		return nil, fmt.Errorf("failed to serialize the kubeconfig: %w", err)
	}
	return out, nil
}

// clientKeyAlgorithm is the algorithm of the admin client key under a client CA key.
func clientKeyAlgorithm(caKey crypto.Signer) bootstrapv1.EncryptionAlgorithmType {
	if k, ok := caKey.(*ecdsa.PrivateKey); ok && k.Curve == elliptic.P384() {
		return bootstrapv1.EncryptionAlgorithmECDSAP384
	} else if ok {
		return bootstrapv1.EncryptionAlgorithmECDSAP256
	}
	return bootstrapv1.EncryptionAlgorithmRSA2048
}

// serverURL returns https://host:port for endpoint, with an IPv6 host in brackets. An endpoint without host or port
// is an error wrapping ErrEndpointNotSet.
func serverURL(endpoint clusterv1.APIEndpoint) (string, error) {
	if endpoint.Host == "" || endpoint.Port == 0 {
		return "", fmt.Errorf("host %q, port %d: %w", endpoint.Host, endpoint.Port, ErrEndpointNotSet)
	}
	if endpoint.Port < 0 || endpoint.Port > 65535 {
		return "", fmt.Errorf("invalid control plane endpoint port %d", endpoint.Port)
	}
	host := endpoint.Host
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	port := strconv.Itoa(int(endpoint.Port))
	server := (&url.URL{Scheme: "https", Host: net.JoinHostPort(host, port)}).String()
	parsed, err := url.Parse(server)
	if err != nil || host == "" || parsed.Hostname() != host || parsed.Port() != port || parsed.Path != "" || parsed.User != nil {
		return "", fmt.Errorf("invalid control plane endpoint host %q", endpoint.Host)
	}
	return server, nil
}
