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

// Package tilt checks the Tilt development setup, which CI cannot run (no Docker): the repository's Tiltfile and
// its Starlark helpers (hack/tilt/manifests.star) parse and resolve, the helpers behave, the restart wrapper of the
// development image (hack/tilt/start.sh, restart.sh) restarts the manager, and tilt-provider.yaml (read by Cluster
// API's Tiltfile) matches the tree: paths, images, kustomize folders and the packages the managers are built from.
package tilt
