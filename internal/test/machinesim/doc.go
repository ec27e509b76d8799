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

// Package machinesim plays, inside one test API server, the parts of a K3s cluster and of CAPI core that the
// control-plane controllers observe: Machines get Nodes (K3s labels, readiness), servers join only an initialized
// cluster, an etcd member per server (a fake etcd reachable through the etcd.ClientGenerator interface), K3s's
// member removal on the etcd.k3s.cattle.io/remove Node annotation, and CAPI's Machine deletion with pre-terminate
// hooks. The same API server serves as management and workload cluster; ScopedWorkload separates clusters.
package machinesim
