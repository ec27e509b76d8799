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

// Package etcd connects the control plane provider to the embedded etcd of a K3s workload cluster.
//
// K3s runs etcd inside the k3s server process, so there is no etcd static pod to port-forward to. Every server
// instead runs a pod of the etcd-proxy DaemonSet (see package etcdproxy: kube-system, label app=etcd-proxy,
// port 2379), a TCP relay to the etcd client port on its node. To reach the etcd member of a node, a
// ClientGenerator lists those pods, picks the Running one whose spec.nodeName is the node, and opens a
// port-forward (websocket, falling back to SPDY) to its port 2379 through the workload API server with CAPI's
// public proxy package; calls then go through CAPI's etcd client wrapper (both in
// sigs.k8s.io/cluster-api/controlplane/kubeadm/pkg). Each connection gets a proxy.Dialer of its own, because
// CAPI's Dialer races when shared (kubernetes-sigs/cluster-api#12778). Only pods are dialed, never node
// addresses, so IPv4, IPv6 and dual-stack nodes are all the same to this package.
//
// A closed client's connection is kept for Config.IdleTimeout and handed to the next caller for the same node and
// pod after a Status call, unless a call on it failed (pool.go): the port-forward and the handshakes cost more
// than the health check, and a changing cluster is reconciled every few seconds.
//
// # TLS
//
// The relay does not terminate TLS: the client talks TLS end to end with K3s's etcd. The management cluster
// holds the K3s etcd server CA as the `<cluster>-etcd` secret, which K3s installs as
// /var/lib/rancher/k3s/server/tls/etcd/server-ca.{crt,key}. The same CA is used in both directions:
//
//   - Client: a certificate with CN cluster-api.x-k8s.io and extended key usage client auth, signed by the CA,
//     which K3s's etcd trusts for clients. It is minted once per cluster and CA and cached (see Connector).
//   - Server: K3s's etcd serving certificate (etcd/server-client.crt) is signed by the same CA, so it is
//     verified against a pool holding only that CA (all certificates of the secret, if it holds a bundle),
//     with extended key usage server auth and the validity period checked. Its host name is not checked,
//     because the name we dial has nothing to do with its SANs: the gRPC endpoint, and hence the TLS server
//     name, is the proxy pod's name, while the SANs are those K3s gives the server (kine.sock plus the
//     server's own names and addresses). Go's default verification would therefore always fail, which is
//     why upstream switched verification off entirely (InsecureSkipVerify). Here the default verification
//     is switched off only to move it into tls.Config.VerifyConnection, which Go runs regardless and which
//     performs the chain, validity and key usage checks, without the host name. Whoever presents a
//     certificate signed by the cluster's etcd CA is an etcd server of that cluster, which is the identity
//     that matters: every member serves the same cluster. The key usage check keeps the client
//     certificates the same CA signs (ours, K3s's etcd/client.crt) from passing as servers. Verification
//     failures are added to the connection error, since gRPC itself only reports the timeout.
//
// The TLS server name sent (SNI) is the proxy pod's name; simulators that pick a member by SNI rely on it.
//
// # Member names
//
// K3s names an etcd member `<node name>-<first 8 characters of a random UUID>`. NodeNameFromMemberName
// strips exactly that suffix and nothing else.
//
// # Mocks
//
// Client and ClientGenerator have go.uber.org/mock mocks in package mock, generated from interfaces.go by
// `go generate ./pkg/etcd/...` (mockgen in source mode, see the go:generate line in interfaces.go).
package etcd
