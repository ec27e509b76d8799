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

// Package fleetbench is the fleet benchmark behind `make bench-fleet`: it starts a management plane on 127.0.0.1
// (kube-apiserver with an audit log, etcd, CAPI core and the infrastructure simulator in this process), runs each
// provider as an OS process of its own (the real manager binaries, production flags, one client identity each),
// creates N clusters at once or at an arrival rate, waits until all are Available, holds a steady-state window,
// deletes them all, and reports time to Available, provider-added latency, CPU, memory, API writes by client and
// reconciles, as Markdown, JSON and a PNG plot. The same run can measure CAPI's KubeadmControlPlane on CAPI's
// in-memory infrastructure (the peer), so that a ratio between the two is from one machine and one run.
package fleetbench
