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

// Package k3supgrade does the workload-cluster side of an in-place K3s upgrade of one node: cordon, drain, the
// upgrade Pod, the check that the node came back with the new version, uncordon.
//
// The node-side step is K3s's own: a Pod pinned to the node (spec.nodeName, so it runs on a cordoned node and
// without a scheduler decision) runs K3s's upgrade image, the one system-upgrade-controller runs. The image carries
// the k3s binary of its tag; its script finds the running k3s server, replaces that binary (wherever it was
// installed) and stops the process so that its service manager starts the new version. It needs the host's PID,
// IPC and network namespaces, privileges and the host's root at /host. A Pod rather than a system-upgrade-controller
// Plan keeps one orchestrator, the control plane, which upgrades one node at a time with etcd checks between them,
// and needs nothing installed in the workload cluster; air-gapped clusters need only that one image, mirrored
// (spec.rollout.strategy.inPlace.upgradeImage) or preloaded into the node's image directory.
package k3supgrade
