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

// Package kthreesconfig implements the KThreesConfig controller: it turns a KThreesConfig owned by a Machine or
// MachinePool into the node's bootstrap data secret (cloud-config or Ignition) once the cluster is ready for it.
//
// The first control-plane Machine takes the init lock and gets an init server config with the cluster CAs; every
// other control-plane Machine and every worker waits until the Cluster reports ControlPlaneInitialized and then gets
// a join config. Progress is driven by watches on Clusters, Machines, MachinePools and the Secrets a config reads,
// so a config moves on within a reconcile of the event, without fixed-interval polling.
package kthreesconfig
