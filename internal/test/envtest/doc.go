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

// Package envtest starts a local kube-apiserver and etcd (controller-runtime envtest) with the Cluster API core CRDs
// and this repository's CRDs installed, plus a controller-runtime manager whose webhook server serves admission and
// conversion webhooks to that API server.
//
// # Usage
//
// A package's TestMain starts one environment for all its tests:
//
//	var env *envtest.Environment
//
//	func TestMain(m *testing.M) {
//		os.Exit(envtest.Run(m, envtest.Options{
//			Setup: []func(ctrl.Manager) error{
//				(&webhooks.KThreesConfig{}).SetupWebhookWithManager,
//			},
//		}, &env))
//	}
//
// Tests then use env.Client (uncached) and env.CreateNamespace to isolate their objects. Files with envtest tests
// are named *_env_test.go.
//
// # Binaries and CRDs
//
// The kube-apiserver and etcd binaries come from $KUBEBUILDER_ASSETS or, when it is unset, from
// hack/envtest-assets.sh (which builds and caches them). The CAPI core CRDs are read from the module cache
// directory of sigs.k8s.io/cluster-api (core/config/crd/bases), ours from bootstrap/config/crd/bases and
// controlplane/config/crd/bases; webhook configurations from bootstrap/config/webhook/manifests.yaml and
// controlplane/config/webhook/manifests.yaml when they exist. Because the scheme holds every version of our API
// groups, envtest points the multi-version CRDs' conversion webhooks at the manager's webhook server.
//
// Every server listens on 127.0.0.1 only.
package envtest
