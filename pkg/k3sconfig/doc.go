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

// Package k3sconfig is the K3s meaning of a KThreesConfigSpec:
//
//   - what a node gets: the typed /etc/rancher/k3s/config.yaml of an init server, join server or agent (Config,
//     ServerConfig, AgentConfig), the single install command, and the node's format-neutral bootstrap data
//     (NodeData: files and commands in upstream's order);
//   - what a spec may hold: the defaulting and validation shared by the KThreesConfig, KThreesConfigTemplate,
//     KThreesControlPlane and KThreesControlPlaneTemplate admission webhooks, with the ratcheting helper that keeps
//     stored objects with pre-existing validation errors updatable.
package k3sconfig
