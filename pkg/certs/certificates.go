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
	"fmt"
	"slices"

	"github.com/spf13/pflag"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	"sigs.k8s.io/cluster-api/util/secret"
)

const (
	// TLSDir is where K3s keeps its server certificates.
	TLSDir = "/var/lib/rancher/k3s/server/tls"

	// ClientClusterCA is the purpose of the K3s client CA, stored in the `<cluster>-cca` secret. It signs the admin
	// client certificate of the kubeconfig.
	ClientClusterCA secret.Purpose = "cca"
)

// KeyAlgorithm is the key algorithm of the CAs a provider generates, in CAPI's spelling (KCP's encryptionAlgorithm).
type KeyAlgorithm = bootstrapv1.EncryptionAlgorithmType

// DefaultKeyAlgorithm is upstream's: RSA-2048 CAs, which consumers of the CA secrets may rely on (an edge gateway
// signing client certificates with <cluster>-cca). K3s generates ECDSA P-256 CAs itself and accepts either.
const DefaultKeyAlgorithm KeyAlgorithm = bootstrapv1.EncryptionAlgorithmRSA2048

// KeyAlgorithms are the accepted values of --certificate-key-algorithm.
var KeyAlgorithms = []KeyAlgorithm{
	bootstrapv1.EncryptionAlgorithmRSA2048, bootstrapv1.EncryptionAlgorithmRSA3072, bootstrapv1.EncryptionAlgorithmRSA4096,
	bootstrapv1.EncryptionAlgorithmECDSAP256, bootstrapv1.EncryptionAlgorithmECDSAP384,
}

// AddKeyAlgorithmFlag registers --certificate-key-algorithm on fs; both managers have it, since whichever provider
// reconciles first generates the CAs.
func AddKeyAlgorithmFlag(fs *pflag.FlagSet, alg *KeyAlgorithm) {
	*alg = DefaultKeyAlgorithm
	fs.Var((*keyAlgorithmValue)(alg), "certificate-key-algorithm", fmt.Sprintf(
		"Key algorithm of the cluster CAs this manager generates (existing CAs are kept): one of %v. ECDSA-P256 costs a "+
			"fraction of RSA's CPU; the default is upstream's RSA-2048, which consumers of the CA secrets may expect.", KeyAlgorithms))
}

// keyAlgorithmValue is the pflag.Value of a KeyAlgorithm, validated on Set.
type keyAlgorithmValue KeyAlgorithm

func (v *keyAlgorithmValue) String() string { return string(*v) }
func (v *keyAlgorithmValue) Type() string   { return "string" }
func (v *keyAlgorithmValue) Set(s string) error {
	if !slices.Contains(KeyAlgorithms, KeyAlgorithm(s)) {
		return fmt.Errorf("unsupported key algorithm %q: want one of %v", s, KeyAlgorithms)
	}
	*v = keyAlgorithmValue(s)
	return nil
}

// NewClusterCertificates returns the three CAs of a K3s cluster, in the order their files are written on the first
// server: server CA, client CA, etcd server CA. Generated ones get keys of alg (empty: DefaultKeyAlgorithm).
func NewClusterCertificates(alg KeyAlgorithm) secret.Certificates {
	if alg == "" {
		alg = DefaultKeyAlgorithm
	}
	return secret.Certificates{
		{Purpose: secret.ClusterCA, CertFile: TLSDir + "/server-ca.crt", KeyFile: TLSDir + "/server-ca.key", KeyEncryptionAlgorithm: alg},
		{Purpose: ClientClusterCA, CertFile: TLSDir + "/client-ca.crt", KeyFile: TLSDir + "/client-ca.key", KeyEncryptionAlgorithm: alg},
		{Purpose: secret.EtcdCA, CertFile: TLSDir + "/etcd/server-ca.crt", KeyFile: TLSDir + "/etcd/server-ca.key", KeyEncryptionAlgorithm: alg},
	}
}
