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
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/bootstrap/kubeadm/pkg/locking"
	"sigs.k8s.io/cluster-api/feature"
	capicontroller "sigs.k8s.io/cluster-api/util/controller"
	"sigs.k8s.io/cluster-api/util/predicates"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/ownwrites"
)

// SetupWithManager registers the controller with its watches and the field index it needs.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, options controller.Options) error {
	if r.Client == nil || r.APIReader == nil {
		return errors.New("the KThreesConfig reconciler needs a Client and an APIReader")
	}
	if r.InitLock == nil {
		r.InitLock = locking.NewControlPlaneInitMutex(r.Client)
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &bootstrapv1.KThreesConfig{}, contentFromSecretIndex, contentFromSecretNames); err != nil {
		return fmt.Errorf("failed to index KThreesConfigs by contentFrom secret: %w", err)
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &clusterv1.Machine{}, MachineConfigRefIndex, MachineConfigRefNames); err != nil {
		return fmt.Errorf("failed to index Machines by their KThreesConfig: %w", err)
	}
	scheme := mgr.GetScheme()
	predicateLog := ctrl.LoggerFrom(ctx).WithValues("controller", controllerName)

	b := capicontroller.NewControllerManagedBy(mgr, predicateLog).
		For(&bootstrapv1.KThreesConfig{}, builder.WithPredicates(configCreatedWithOwner(), ownwrites.IgnoreStatusUpdates())).
		Named(controllerName).
		WithOptions(options).
		Watches(&clusterv1.Machine{}, handler.EnqueueRequestsFromMapFunc(r.MachineToKThreesConfigs), machineChangedForBootstrap()).
		Watches(&clusterv1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.ClusterToKThreesConfigs), clusterChangedForBootstrap(predicateLog)).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.SecretToKThreesConfigs)).
		WithEventFilter(predicates.ResourceHasFilterLabel(scheme, predicateLog, r.WatchFilterValue))
	if feature.Gates.Enabled(feature.MachinePool) {
		b = b.Watches(&clusterv1.MachinePool{}, handler.EnqueueRequestsFromMapFunc(r.MachinePoolToKThreesConfig))
	}
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorderFor(controllerName)
	}
	c, err := b.Build(ctx, r)
	if err != nil {
		return fmt.Errorf("failed to set up the KThreesConfig controller: %w", err)
	}
	r.controller = c
	return nil
}

// contentFromSecretNames returns the Secrets a config reads file content from.
func contentFromSecretNames(obj client.Object) []string {
	config, ok := obj.(*bootstrapv1.KThreesConfig)
	if !ok {
		return nil
	}
	var names []string
	for _, f := range config.Spec.Files {
		if f.ContentFrom != nil && f.ContentFrom.Secret.Name != "" {
			names = append(names, f.ContentFrom.Secret.Name)
		}
	}
	return names
}
