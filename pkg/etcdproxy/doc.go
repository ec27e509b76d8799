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

// Package etcdproxy renders the etcd proxy DaemonSet that the bootstrap provider drops into K3s's auto-deploy
// manifests directory on every server. The control plane provider reaches a server's etcd through it, by a
// port-forward to a proxy pod. Name, namespace, labels, selector and port are those of the upstream provider,
// so that clusters created by it keep working.
//
// Unlike upstream, the proxy also works on IPv6 and dual-stack nodes: it listens dual-stack (IPv4 only when
// the kernel has no IPv6) and dials the host IP in the right family, bracketing IPv6 literals for socat. The
// image must therefore provide /bin/sh besides socat, as alpine/socat does.
package etcdproxy
