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

// Package node tells what a real K3s node does with the bootstrap data that the bootstrap provider renders for a
// Machine: which files it writes, which commands it runs, and what K3s then runs as (server or agent, first server
// of a new cluster or joining one), read from the single K3s install command and /etc/rancher/k3s/config.yaml.
// The K3s infrastructure simulator uses it to decide what each simulated node becomes.
//
// Parse reads both formats:
//
//   - cloud-config: an optional "## template: jinja" first line, then "#cloud-config", then YAML. Only the modules
//     the provider writes are read: write_files (every cloud-init encoding, append, defer) and runcmd (strings, or
//     lists of words which cloud-init quotes). Jinja is not rendered: {{ }} expressions stay as written and Jinja
//     tells whether a real node would render them (see NodeNameFor). Gzip-compressed user data is accepted, as
//     cloud-init accepts it.
//   - ignition: an Ignition config of spec 3.0 to 3.5; storage.files with data URL contents (gzip compression and
//     appends included) are the files, and the commands are the lines of every written script that an enabled
//     systemd unit runs (the provider writes one, /etc/cluster-api/bootstrap.sh, run by k3s-bootstrap.service).
//
// Commands run in one shell, in order (cloud-init writes runcmd as one script; the Ignition unit runs one script), so
// an "export NAME=value" command sets the environment of the install command that follows it.
//
// The K3s settings (ClusterInit, Server, Token, NodeName, NodeLabels, NodeTaints, Disable) are those K3s reads:
// config.yaml, then the drop-ins /etc/rancher/k3s/config.yaml.d/*.yaml (and *.yml) in name order, later values
// replacing earlier ones and keys ending in "+" appending, parsed with YAML 1.1 rules like K3s. Config holds
// config.yaml alone, EffectiveConfig the merged result. Environment variables and flags given to the installer
// (K3S_TOKEN, K3S_URL, "--token") are not folded in, except K3S_URL choosing the agent role when no role is given,
// as the installer does.
//
// Validate checks what a node needs to come up and says what to change when it would not.
package node
