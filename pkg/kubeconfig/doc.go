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

// Package kubeconfig manages the admin kubeconfig of a K3s workload cluster: the secret `<cluster>-kubeconfig`, key
// `value`, which Cluster API (ClusterCache, clusterctl) and users read to reach the workload API server.
//
// # Content
//
// The kubeconfig has a cluster entry named `<cluster>` whose `server` is `https://<controlPlaneEndpoint host:port>` and
// whose `certificate-authority-data` is the K3s server CA (secret `<cluster>-ca`), a user `<cluster>-admin` and a context
// `<cluster>-admin@<cluster>`, which is the current context. The user's client certificate (CN `kubernetes-admin`,
// O `system:masters`, client auth, valid for one year) is signed by the K3s client CA (secret `<cluster>-cca`): K3s
// verifies clients against a CA separate from the one that signs its serving certificates.
//
// # Ownership and rotation
//
// A created secret is controlled by the control plane. Only such a secret is ever modified: when one of its client
// certificates expires within RenewalThreshold, or cannot be read, the client certificate and key are regenerated while
// the cluster entry of the current context — its `server` in particular — is kept as it is. Other tools rewrite
// `server` (an edge gateway points it at a tunnel and only reacts to the secret's creation), so rotation must never
// reset it to the control plane endpoint. Secrets controlled by someone else, or by no one (user-provided), are left
// alone.
package kubeconfig
