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
	"sigs.k8s.io/cluster-api/util/secret"
)

const (
	// TLSDir is where K3s keeps its server certificates.
	TLSDir = "/var/lib/rancher/k3s/server/tls"

	// ClientClusterCA is the purpose of the K3s client CA, stored in the `<cluster>-cca` secret. It signs the admin
	// client certificate of the kubeconfig.
	ClientClusterCA secret.Purpose = "cca"
)

// NewClusterCertificates returns the three CAs of a K3s cluster, in the order their files are written on the first
// server: server CA, client CA, etcd server CA.
func NewClusterCertificates() secret.Certificates {
	return secret.Certificates{
		{Purpose: secret.ClusterCA, CertFile: TLSDir + "/server-ca.crt", KeyFile: TLSDir + "/server-ca.key"},
		{Purpose: ClientClusterCA, CertFile: TLSDir + "/client-ca.crt", KeyFile: TLSDir + "/client-ca.key"},
		{Purpose: secret.EtcdCA, CertFile: TLSDir + "/etcd/server-ca.crt", KeyFile: TLSDir + "/etcd/server-ca.key"},
	}
}
