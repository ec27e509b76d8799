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
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util"
	"sigs.k8s.io/cluster-api/util/collections"
	"sigs.k8s.io/cluster-api/util/version"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// adoptMachines takes over control-plane Machines of the cluster that have no controller, e.g. after a
// clusterctl move or a restore without owner references (upstream stalls on them). Machines that cannot be adopted
// safely are refused with an AdoptionFailed event and stay unowned; they are then treated like Machines of another
// owner, so the control plane waits until someone resolves them. adopted is true when a Machine was adopted: the
// next reconcile sees it as owned.
func (r *Reconciler) adoptMachines(ctx context.Context, cp *controlPlane) (adopted bool, err error) {
	if len(cp.adoptableMachines) == 0 || !cp.KCP.DeletionTimestamp.IsZero() {
		return false, nil
	}
	log := ctrl.LoggerFrom(ctx)

	// The garbage collector orphans the Machines of a control plane it deletes with propagationPolicy=Orphan;
	// a stale cache must not make us adopt them back.
	if r.APIReader != nil {
		live := &controlplanev1.KThreesControlPlane{}
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(cp.KCP), live); err != nil {
			return false, fmt.Errorf("failed to check whether the KThreesControlPlane is being deleted before adoption: %w", err)
		}
		if !live.DeletionTimestamp.IsZero() {
			return false, nil
		}
	}

	machines := cp.adoptableMachines.UnsortedList()
	slices.SortFunc(machines, func(a, b *clusterv1.Machine) int { return strings.Compare(a.Name, b.Name) })
	for _, m := range machines {
		if reason := adoptionRefusal(cp.KCP, m); reason != "" {
			r.refuseAdoption(cp, m, reason)
			continue
		}
		if err := r.adoptMachine(ctx, cp, m); err != nil {
			return adopted, err
		}
		log.Info("Adopted Machine", "Machine", m.Name)
		if r.Recorder != nil {
			r.Recorder.Eventf(cp.KCP, corev1.EventTypeNormal, "AdoptedMachine", "Adopted control plane Machine %s", m.Name)
		}
		adopted = true
	}
	return adopted, nil
}

// adoptionRefusal says why m must not be adopted, or returns "" when it can be.
func adoptionRefusal(kcp *controlplanev1.KThreesControlPlane, m *clusterv1.Machine) string {
	if !m.DeletionTimestamp.IsZero() {
		return "it is being deleted"
	}
	ref := m.Spec.Bootstrap.ConfigRef
	if !ref.IsDefined() || ref.Kind != "KThreesConfig" || ref.APIGroup != bootstrapv1.GroupVersion.Group {
		return fmt.Sprintf("its bootstrap configRef is not a KThreesConfig (kind %q, apiGroup %q)", ref.Kind, ref.APIGroup)
	}
	if m.Spec.Version == "" {
		// Nothing to compare; the rollout replaces it if it does not match.
		return ""
	}
	desired, err := version.ParseTolerantImageTag(kcp.Spec.Version)
	if err != nil {
		return fmt.Sprintf("the control plane version %q cannot be parsed", kcp.Spec.Version)
	}
	current, err := version.ParseTolerantImageTag(m.Spec.Version)
	if err != nil {
		return fmt.Sprintf("its version %q cannot be parsed", m.Spec.Version)
	}
	if !util.IsSupportedVersionSkew(desired, current) {
		return fmt.Sprintf("its version %s is more than one minor version away from the control plane's %s", m.Spec.Version, kcp.Spec.Version)
	}
	return ""
}

// refuseAdoption reports a refused Machine and counts it as foreign, so the reconcile does not operate next to it.
func (r *Reconciler) refuseAdoption(cp *controlPlane, m *clusterv1.Machine, reason string) {
	if r.Recorder != nil {
		r.Recorder.Eventf(cp.KCP, corev1.EventTypeWarning, "AdoptionFailed", "Cannot adopt control plane Machine %s: %s", m.Name, reason)
	}
	if cp.foreignMachines == nil {
		cp.foreignMachines = collections.New()
	}
	cp.foreignMachines.Insert(m)
}

// adoptMachine makes the control plane an owner of m's KThreesConfig and then the controller of m. The config goes
// first so that an adopted Machine always comes with its config.
func (r *Reconciler) adoptMachine(ctx context.Context, cp *controlPlane, m *clusterv1.Machine) error {
	config := &bootstrapv1.KThreesConfig{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: m.Spec.Bootstrap.ConfigRef.Name}, config)
	switch {
	case isNotFound(err):
		// A config deleted after bootstrapping does not prevent managing the Machine.
		ctrl.LoggerFrom(ctx).Info("Adopting a Machine whose KThreesConfig does not exist", "Machine", m.Name, "KThreesConfig", m.Spec.Bootstrap.ConfigRef.Name)
	case err != nil:
		return fmt.Errorf("failed to get the KThreesConfig of Machine %s: %w", m.Name, err)
	default:
		ownerRef := metav1.OwnerReference{
			APIVersion: controlplanev1.GroupVersion.String(),
			Kind:       "KThreesControlPlane",
			Name:       cp.KCP.Name,
			UID:        cp.KCP.UID,
		}
		if !util.HasExactOwnerRef(config.OwnerReferences, ownerRef) {
			original := config.DeepCopy()
			config.SetOwnerReferences(util.EnsureOwnerRef(config.OwnerReferences, ownerRef))
			if err := r.Client.Patch(ctx, config, client.MergeFromWithOptions(original, client.MergeFromWithOptimisticLock{})); err != nil {
				return fmt.Errorf("failed to add the control plane as owner of KThreesConfig %s: %w", config.Name, err)
			}
		}
	}

	controllerRef := *metav1.NewControllerRef(cp.KCP, controlplanev1.GroupVersion.WithKind("KThreesControlPlane"))
	original := m.DeepCopy()
	m.SetOwnerReferences(util.EnsureOwnerRef(m.OwnerReferences, controllerRef))
	// The optimistic lock fails the patch if someone else took control of the Machine meanwhile.
	if err := r.Client.Patch(ctx, m, client.MergeFromWithOptions(original, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("failed to adopt Machine %s: %w", m.Name, err)
	}
	return nil
}
