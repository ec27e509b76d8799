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

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/feature"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/token"
)

// MachineToKThreesConfigs maps a Machine to its KThreesConfig. A deleted control-plane Machine also maps to the
// configs of the cluster's other Machines, so that one of them takes over an init lock the Machine held.
func (r *Reconciler) MachineToKThreesConfigs(ctx context.Context, o client.Object) []ctrl.Request {
	m, ok := o.(*clusterv1.Machine)
	if !ok {
		return nil
	}
	if !m.DeletionTimestamp.IsZero() && m.Spec.ClusterName != "" {
		if _, isControlPlane := m.Labels[clusterv1.MachineControlPlaneLabel]; isControlPlane {
			return r.configsOfCluster(ctx, m.Namespace, m.Spec.ClusterName)
		}
	}
	return configRequest(m.Namespace, m.Spec.Bootstrap.ConfigRef)
}

// MachinePoolToKThreesConfig maps a MachinePool to its KThreesConfig.
func (r *Reconciler) MachinePoolToKThreesConfig(_ context.Context, o client.Object) []ctrl.Request {
	mp, ok := o.(*clusterv1.MachinePool)
	if !ok {
		return nil
	}
	return configRequest(mp.Namespace, mp.Spec.Template.Spec.Bootstrap.ConfigRef)
}

// ClusterToKThreesConfigs maps a Cluster to the KThreesConfigs of its Machines and MachinePools.
func (r *Reconciler) ClusterToKThreesConfigs(ctx context.Context, o client.Object) []ctrl.Request {
	c, ok := o.(*clusterv1.Cluster)
	if !ok {
		return nil
	}
	return r.configsOfCluster(ctx, c.Namespace, c.Name)
}

// SecretToKThreesConfigs maps a Secret to the configs waiting for it: all configs of the cluster for a join token,
// and the configs whose files read it.
func (r *Reconciler) SecretToKThreesConfigs(ctx context.Context, o client.Object) []ctrl.Request {
	var requests []ctrl.Request
	if clusterName, ok := token.ClusterName(o.GetName()); ok {
		requests = append(requests, r.configsOfCluster(ctx, o.GetNamespace(), clusterName)...)
	}
	configs := &bootstrapv1.KThreesConfigList{}
	if err := r.Client.List(ctx, configs, client.InNamespace(o.GetNamespace()), client.MatchingFields{contentFromSecretIndex: o.GetName()}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Failed to list KThreesConfigs reading a Secret", "Secret", o.GetName())
		return requests
	}
	for i := range configs.Items {
		requests = append(requests, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&configs.Items[i])})
	}
	return requests
}

// configsOfCluster lists the KThreesConfigs referenced by the cluster's Machines and MachinePools.
func (r *Reconciler) configsOfCluster(ctx context.Context, namespace, clusterName string) []ctrl.Request {
	selector := []client.ListOption{client.InNamespace(namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: clusterName}}
	var requests []ctrl.Request
	machines := &clusterv1.MachineList{}
	if err := r.Client.List(ctx, machines, selector...); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Failed to list Machines of a Cluster", "Cluster", clusterName)
		return nil
	}
	for i := range machines.Items {
		requests = append(requests, configRequest(namespace, machines.Items[i].Spec.Bootstrap.ConfigRef)...)
	}
	if !feature.Gates.Enabled(feature.MachinePool) {
		return requests
	}
	pools := &clusterv1.MachinePoolList{}
	if err := r.Client.List(ctx, pools, selector...); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Failed to list MachinePools of a Cluster", "Cluster", clusterName)
		return requests
	}
	for i := range pools.Items {
		requests = append(requests, configRequest(namespace, pools.Items[i].Spec.Template.Spec.Bootstrap.ConfigRef)...)
	}
	return requests
}

func configRequest(namespace string, ref clusterv1.ContractVersionedObjectReference) []ctrl.Request {
	if ref.Kind != "KThreesConfig" || ref.APIGroup != bootstrapv1.GroupVersion.Group || ref.Name == "" {
		return nil
	}
	return []ctrl.Request{{NamespacedName: types.NamespacedName{Namespace: namespace, Name: ref.Name}}}
}

// configCreatedWithOwner drops the creation events of configs that name no Machine or MachinePool owner. A control
// plane or MachineSet creates the config just before its Machine; reconciling it then finds no owner and only takes
// the config's rate-limited reconcile slot, so the Machine's creation event, which renders the data, would wait a
// second for it. A config gets an owner (an update event) or a claiming Machine (a Machine event) later.
func configCreatedWithOwner() predicate.Funcs {
	return predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool { return hasOwnerReference(e.Object) },
	}
}

// machineChangedForBootstrap passes the Machine events a config can depend on: creation (the Machine claims its
// config), deletion, and updates until the Machine has taken the data, or that change its config reference or start
// its deletion (a deleting control-plane Machine hands its init lock over). Once a Machine has its data, its status
// updates (provisioning, the Node, conditions; most of its events) change nothing for the config.
func machineChangedForBootstrap() predicate.Funcs {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			oldMachine, okOld := e.ObjectOld.(*clusterv1.Machine)
			newMachine, okNew := e.ObjectNew.(*clusterv1.Machine)
			if !okOld || !okNew {
				return true
			}
			return oldMachine.Spec.Bootstrap.DataSecretName == nil || newMachine.Spec.Bootstrap.DataSecretName == nil ||
				oldMachine.Spec.Bootstrap.ConfigRef != newMachine.Spec.Bootstrap.ConfigRef ||
				!oldMachine.DeletionTimestamp.Equal(newMachine.DeletionTimestamp)
		},
	}
}

// clusterChangedForBootstrap passes Cluster creations and the updates a waiting config depends on: pause,
// infrastructure provisioned, control plane endpoint, control plane initialized.
func clusterChangedForBootstrap(log logr.Logger) predicate.Funcs {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return true },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			oldCluster, okOld := e.ObjectOld.(*clusterv1.Cluster)
			newCluster, okNew := e.ObjectNew.(*clusterv1.Cluster)
			if !okOld || !okNew {
				return false
			}
			changed := bootstrapRelevant(oldCluster) != bootstrapRelevant(newCluster)
			if changed {
				log.V(6).Info("Cluster changed in a way bootstrap depends on", "Cluster", client.ObjectKeyFromObject(newCluster))
			}
			return changed
		},
	}
}

type clusterBootstrapState struct {
	paused, infrastructureProvisioned, controlPlaneInitialized bool
	endpoint                                                   clusterv1.APIEndpoint
}

func bootstrapRelevant(c *clusterv1.Cluster) clusterBootstrapState {
	return clusterBootstrapState{
		paused:                    ptr.Deref(c.Spec.Paused, false) || c.Annotations[clusterv1.PausedAnnotation] != "",
		infrastructureProvisioned: ptr.Deref(c.Status.Initialization.InfrastructureProvisioned, false),
		controlPlaneInitialized:   controlPlaneInitialized(c),
		endpoint:                  c.Spec.ControlPlaneEndpoint,
	}
}
