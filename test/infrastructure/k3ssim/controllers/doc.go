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

// Package controllers is the K3s simulator: a test-only Cluster API infrastructure provider whose machines are
// simulated K3s nodes, so that Cluster API, the K3s bootstrap and control-plane providers and this simulator run
// end to end in one process, without containers.
//
// A Simulator owns one inmemory runtime manager (the objects of every simulated workload cluster, one resource
// group per cluster) and one mux serving those clusters on 127.0.0.1 (API server and etcd members). Its
// controllers act as the infrastructure provider:
//
//   - K3sSimCluster reserves a port for the cluster and publishes 127.0.0.1:<port> as the control plane endpoint,
//     and the failure domains of its spec;
//   - K3sSimMachine reads its Machine's bootstrap data (node.Parse) and does what K3s would do with it: a server
//     with cluster-init starts the cluster (API server with the CA of the data, namespaces, kube-system/k3s-serving,
//     its Node and etcd member), a server or agent with server and token joins an initialized cluster whose token
//     matches, waiting while the cluster is not initialized and failing for good on a wrong token.
//
// Besides, like K3s, the simulator removes the etcd member of a Node annotated etcd.k3s.cattle.io/remove=true and
// then annotates the Node etcd.k3s.cattle.io/removed-node-name, and, like etcd, elects a new leader when the
// leader's member is removed or its machine deleted while a quorum of members is left.
//
// Like a kubelet running K3s's rancher/k3s-upgrade image, the simulator runs upgrade Pods (label
// controlplane.cluster.x-k8s.io/k3s-upgrade=true, spec.nodeName a simulated node): the Pod turns Running; after the
// machine's spec.upgradeDelaySeconds (default 2) the K3s binary becomes the version of the Pod's
// controlplane.cluster.x-k8s.io/k3s-upgrade-version annotation and K3s restarts: the Node is NotReady for a second,
// then Ready with the new kubelet and kube-proxy versions, and the Pod Succeeded (exit code 0). The machine keeps
// the version. A Pod on a Node no simulated machine runs, or one the image could not run (tag other than the
// version with '+' as '-', not privileged, no hostPID, the host's / not at /host), ends Failed at once;
// spec.upgradeFails makes it end Failed after the delay, binary unchanged; spec.nodeNotReadyAfterUpgrade keeps
// K3s down once the binary is replaced, until cleared. An upgrade renews no certificate.
//
// Simulator-only Node annotations publish what a real node keeps on disk: k3ssim.cluster.x-k8s.io/k3s-version
// (the installed binary, ahead of the kubelet version while K3s is down) and
// k3ssim.cluster.x-k8s.io/certificates-expiry (RFC 3339: spec.certificatesExpiry, else a year after the boot).
//
// etcd members are served by the inmemory etcd handler: each server has one kube-system pod that is both its
// etcd-proxy pod (label app=etcd-proxy, unless the data disables the proxy) and the handler's member (labels
// component=etcd,tier=control-plane and the member annotations), named etcd-<member name> where the member name is
// K3s's <node name>-<8 hex>; a client port-forwarding to that pod and dialing it by name reaches the member with
// a serving certificate signed by the <cluster>-etcd CA.
package controllers
