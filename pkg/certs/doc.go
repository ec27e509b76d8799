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

// Package certs defines the cluster certificate authorities of a K3s cluster and where K3s expects them on the first
// server. Secrets, generation and lookup are CAPI's util/secret: `<cluster>-ca` (server CA), `<cluster>-cca` (client
// CA) and `<cluster>-etcd` (etcd CA), keys tls.crt/tls.key, type cluster.x-k8s.io/secret — the names upstream uses, so
// existing clusters and user-provided CAs keep working.
package certs
