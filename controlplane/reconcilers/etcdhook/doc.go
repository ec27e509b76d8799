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

// Package etcdhook holds the controller that finishes the etcd pre-terminate hook of K3s control-plane Machines.
//
// The KThreesControlPlane controller puts the hook (pre-terminate.delete.hook.machine.cluster.x-k8s.io: k3s, as
// upstream did) on a control-plane Machine before deleting it. CAPI's Machine controller drains the Node, waits for
// volumes to detach and then waits for the hook. This controller then asks K3s to remove the Machine's etcd member
// (the etcd.k3s.cattle.io/remove Node annotation), moving etcd leadership away first when it can, and drops the
// hook once K3s reports the member removed, so that CAPI goes on to delete the infrastructure. It never waits
// forever: after a timeout it removes the member through the etcd API of another member, or drops the hook anyway
// with a Warning event.
package etcdhook
