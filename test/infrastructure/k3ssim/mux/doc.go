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

// Package mux serves the simulated workload clusters of the K3s simulator on 127.0.0.1: one TLS listener per
// cluster, on a port of a configurable range, answering both as the cluster's API server and as its etcd
// members.
//
// It plays the part of Cluster API's inmemory WorkloadClustersMux, which cannot be used as is because it
// listens on all interfaces (its listeners and its debug server bind ":<port>" whatever host it is given). The
// request handlers are the inmemory ones (sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/server/api
// and .../etcd), reading and writing the objects of the cluster's resource group in the inmemory runtime:
//
//   - a TLS ClientHello whose server name is a registered etcd member (an etcd pod name) gets that member's
//     serving certificate, signed by the cluster's etcd CA; any other gets the API server certificate, signed by
//     the cluster's server CA. Port-forwards through the API server come back to the same listener, so an etcd
//     client dialing a pod by name through a port-forward reaches the member;
//   - gRPC requests go to the etcd handler (members are the kube-system pods labelled component=etcd,
//     tier=control-plane), except Maintenance/Alarm, answered here from the pods' AlarmAnnotation (the inmemory
//     handler never reports alarms); everything else goes to the API handler.
//
// The listener of a cluster serves only while it has at least one API server (StartListener after
// AddAPIServer; DeleteAPIServer of the last one stops it), like a load balancer without backends.
package mux
