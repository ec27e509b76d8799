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

package kthreescontrolplane

import (
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// upToDateResult tells whether a Machine matches the desired spec of its control plane.
type upToDateResult struct {
	// UpToDate is true when the Machine needs no rollout.
	UpToDate bool
	// Reasons say, for people, why the Machine is not up to date, e.g. "Version v1.33.1+k3s1, v1.34.5+k3s1 required".
	Reasons []string
}

// machineUpToDate decides whether m needs a rollout. PLACEHOLDER.
func machineUpToDate(cp *controlPlane, m *clusterv1.Machine) upToDateResult {
	return upToDateResult{UpToDate: true}
}
