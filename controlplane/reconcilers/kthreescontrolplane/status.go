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
	"context"

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// ownedConditions and ownedV1Beta1Conditions are the conditions this controller sets on KThreesControlPlanes.
var (
	ownedConditions        = []string{}
	ownedV1Beta1Conditions = []clusterv1.ConditionType{}
)

// updateStatus computes the status fields. PLACEHOLDER.
func (r *Reconciler) updateStatus(ctx context.Context, cp *controlPlane) error {
	return nil
}

// setConditions sets the summary conditions. PLACEHOLDER.
func setConditions(cp *controlPlane) {
}
