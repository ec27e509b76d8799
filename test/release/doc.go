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

// Package release tests the release artifacts that `make release` writes (hack/tools/release) the way users
// consume them: the components are read from a clusterctl local provider repository, processed by CAPI's clusterctl
// library like `clusterctl init` does and applied to an envtest API server; the cluster templates are rendered
// with clusterctl's template processor and decoded strictly into the API types; the documentation lists every
// clusterctl variable and manager flag.
//
// The envtest test (TestEnv_ClusterctlInstall) needs the kube-apiserver and etcd binaries: $KUBEBUILDER_ASSETS,
// or hack/envtest-assets.sh builds them (make test-release sets it).
package release
