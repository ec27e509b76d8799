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

package kthreesconfig

// The bootstrap manager runs CAPI's CRD migrator (internal/manager.SetupCRDMigrator) on KThreesConfig and
// KThreesConfigTemplate: it watches CRD metadata, updates the status.storedVersions of those two CRDs, and rewrites
// their objects at the storage version.
// +kubebuilder:rbac:groups=apiextensions.k8s.io,resources=customresourcedefinitions,verbs=get;list;watch
// +kubebuilder:rbac:groups=apiextensions.k8s.io,resources=customresourcedefinitions;customresourcedefinitions/status,verbs=update;patch,resourceNames=kthreesconfigs.bootstrap.cluster.x-k8s.io;kthreesconfigtemplates.bootstrap.cluster.x-k8s.io
// +kubebuilder:rbac:groups=bootstrap.cluster.x-k8s.io,resources=kthreesconfigtemplates,verbs=get;list;watch;patch
