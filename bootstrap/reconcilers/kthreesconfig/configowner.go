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

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/feature"
	"sigs.k8s.io/controller-runtime/pkg/client"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

// configOwner is the Machine or MachinePool that owns a KThreesConfig.
type configOwner struct {
	machine *clusterv1.Machine
	pool    *clusterv1.MachinePool
}

// getConfigOwner returns the owner named by the config's owner references, else the one Machine whose spec
// references the config, or nil when there is neither yet.
func getConfigOwner(ctx context.Context, c client.Client, config *bootstrapv1.KThreesConfig) (*configOwner, error) {
	owner, err := ownerByReference(ctx, c, config)
	if owner != nil || err != nil {
		return owner, err
	}
	return claimingMachine(ctx, c, config)
}

// ownerByReference returns the Machine or MachinePool named by the config's owner references.
func ownerByReference(ctx context.Context, c client.Client, config *bootstrapv1.KThreesConfig) (*configOwner, error) {
	for _, ref := range config.OwnerReferences {
		gv, err := schema.ParseGroupVersion(ref.APIVersion)
		if err != nil || gv.Group != clusterv1.GroupVersion.Group {
			continue
		}
		key := client.ObjectKey{Namespace: config.Namespace, Name: ref.Name}
		switch {
		case ref.Kind == "Machine":
			m := &clusterv1.Machine{}
			if err := c.Get(ctx, key, m); err != nil {
				return nil, fmt.Errorf("failed to get owner Machine %s: %w", key, err)
			}
			return &configOwner{machine: m}, nil
		case ref.Kind == "MachinePool" && feature.Gates.Enabled(feature.MachinePool):
			mp := &clusterv1.MachinePool{}
			if err := c.Get(ctx, key, mp); err != nil {
				return nil, fmt.Errorf("failed to get owner MachinePool %s: %w", key, err)
			}
			return &configOwner{pool: mp}, nil
		}
	}
	return nil, nil
}

// claimingMachine returns the Machine whose spec.bootstrap.configRef names the config, when exactly one such Machine
// exists and is not being deleted. A Machine claims its config in its spec when it is created; CAPI's Machine
// controller records the claim as the config's controller reference only in a later reconcile, which its rate limit
// puts a second or more after the creation. Rendering on the claim has the data ready when that reconcile comes, so
// the Machine takes it in the same reconcile (patches/0036).
func claimingMachine(ctx context.Context, c client.Client, config *bootstrapv1.KThreesConfig) (*configOwner, error) {
	machines := &clusterv1.MachineList{}
	if err := c.List(ctx, machines, client.InNamespace(config.Namespace), client.MatchingFields{MachineConfigRefIndex: config.Name}); err != nil {
		return nil, fmt.Errorf("failed to list the Machines referencing KThreesConfig %s: %w", config.Name, err)
	}
	if len(machines.Items) != 1 || !machines.Items[0].DeletionTimestamp.IsZero() {
		return nil, nil
	}
	return &configOwner{machine: &machines.Items[0]}, nil
}

// MachineConfigRefNames indexes a Machine by the name of the KThreesConfig its spec references.
func MachineConfigRefNames(obj client.Object) []string {
	m, ok := obj.(*clusterv1.Machine)
	if !ok {
		return nil
	}
	ref := m.Spec.Bootstrap.ConfigRef
	if !ref.IsDefined() || ref.Kind != "KThreesConfig" || ref.APIGroup != bootstrapv1.GroupVersion.Group {
		return nil
	}
	return []string{ref.Name}
}

// hasOwnerReference reports whether the config names a Machine or MachinePool as an owner.
func hasOwnerReference(config client.Object) bool {
	for _, ref := range config.GetOwnerReferences() {
		gv, err := schema.ParseGroupVersion(ref.APIVersion)
		if err == nil && gv.Group == clusterv1.GroupVersion.Group && (ref.Kind == "Machine" || ref.Kind == "MachinePool") {
			return true
		}
	}
	return false
}

// Object returns the owner object.
func (o *configOwner) Object() client.Object {
	if o.pool != nil {
		return o.pool
	}
	return o.machine
}

// Kind returns Machine or MachinePool.
func (o *configOwner) Kind() string {
	if o.pool != nil {
		return "MachinePool"
	}
	return "Machine"
}

// ClusterName returns the name of the owner's Cluster.
func (o *configOwner) ClusterName() string {
	if o.pool != nil {
		return o.pool.Spec.ClusterName
	}
	return o.machine.Spec.ClusterName
}

// DataSecretName returns the bootstrap data secret the owner already references, if any.
func (o *configOwner) DataSecretName() *string {
	var name *string
	if o.pool != nil {
		name = o.pool.Spec.Template.Spec.Bootstrap.DataSecretName
	} else {
		name = o.machine.Spec.Bootstrap.DataSecretName
	}
	if name == nil || *name == "" {
		return nil
	}
	return name
}

// IsControlPlaneMachine reports whether the owner is a control-plane Machine.
func (o *configOwner) IsControlPlaneMachine() bool {
	if o.machine == nil {
		return false
	}
	_, ok := o.machine.Labels[clusterv1.MachineControlPlaneLabel]
	return ok
}

// KubernetesVersion returns the owner's version; a MachinePool's lives in its template (upstream read the Machine
// field for pools and got none).
func (o *configOwner) KubernetesVersion() string {
	if o.pool != nil {
		return o.pool.Spec.Template.Spec.Version
	}
	return o.machine.Spec.Version
}
