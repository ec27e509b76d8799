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
	"errors"

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// createMachine creates a control-plane Machine in failureDomain ("" for none), with its InfraMachine cloned from
// the template and its KThreesConfig. PLACEHOLDER: replaced by the machines phase.
func (r *Reconciler) createMachine(ctx context.Context, cp *controlPlane, failureDomain string) (*clusterv1.Machine, error) {
	return nil, errors.New("not implemented")
}

// syncMachines propagates in place what does not need a rollout. PLACEHOLDER.
func (r *Reconciler) syncMachines(ctx context.Context, cp *controlPlane) error {
	return nil
}
