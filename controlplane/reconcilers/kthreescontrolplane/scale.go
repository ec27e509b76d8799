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

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/collections"
	capicontroller "sigs.k8s.io/cluster-api/util/controller"
	"sigs.k8s.io/cluster-api/util/failuredomains"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// createControlPlaneMachine is how scaling calls createMachine (machines.go); the unit tests of scaling replace it
// to observe which failure domain a new Machine gets without cloning infrastructure templates.
var createControlPlaneMachine = (*Reconciler).createMachine

// reconcileReplicas creates, replaces and removes Machines towards spec.replicas, at most one per reconcile: the
// Machine events of that change (and the health it brings) trigger the next step.
func (r *Reconciler) reconcileReplicas(ctx context.Context, cp *controlPlane) (ctrl.Result, error) {
	if cp.Machines.Len() == 0 {
		return r.initializeControlPlane(ctx, cp)
	}
	if res, handled, err := r.reconcileInPlaceUpgrade(ctx, cp); handled || err != nil {
		return res, err
	}
	if outdated := outdatedForRollout(cp); outdated.Len() > 0 {
		return r.rolloutControlPlane(ctx, cp, outdated)
	}

	current, desired := int32(cp.Machines.Len()), cp.DesiredReplicas()
	switch {
	case current < desired:
		return r.scaleUp(ctx, cp)
	case current > desired:
		return r.scaleDown(ctx, cp, collections.New())
	}
	return ctrl.Result{}, nil
}

// initializeControlPlane creates the first Machine, whose K3s server initializes the cluster.
func (r *Reconciler) initializeControlPlane(ctx context.Context, cp *controlPlane) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)

	// A cache that does not show the Machine the previous reconcile created yet would make a second first server.
	if r.APIReader != nil {
		existing, err := collections.GetFilteredMachinesForCluster(ctx, r.APIReader, cp.Cluster,
			collections.ControlPlaneMachines(cp.Cluster.Name),
			collections.OwnedMachines(cp.KCP, controlplanev1.GroupVersion.WithKind("KThreesControlPlane").GroupKind()))
		if err != nil {
			return ctrl.Result{}, fmt.Errorf("failed to list the control-plane Machines before initializing: %w", err)
		}
		if existing.Len() > 0 {
			// Their Machine events reconcile the control plane once the cache shows them.
			log.Info("Waiting for the cache to show the existing control-plane Machines", "machines", existing.Names())
			return ctrl.Result{}, nil
		}
	}

	fd := failuredomains.PickFewest(ctx, cp.ControlPlaneFailureDomains(), cp.Machines, cp.UpToDateMachines())
	m, err := createControlPlaneMachine(r, ctx, cp, fd)
	if err != nil {
		r.Recorder.Eventf(cp.KCP, corev1.EventTypeWarning, "FailedInitialization", "Failed to create the first control-plane Machine: %v", err)
		return ctrl.Result{}, fmt.Errorf("failed to create the first control-plane Machine: %w", err)
	}
	log.Info("Created the first control-plane Machine", "Machine", machineRef(m), "failureDomain", fd)
	return ctrl.Result{}, nil
}

// scaleUp adds one Machine in the failure domain with the fewest up-to-date Machines, once the cluster is
// initialized (K3s servers can only join an initialized cluster) and the control plane is stable, or stable enough
// for the replacement of a remediated Machine (see replacementMayJoin).
func (r *Reconciler) scaleUp(ctx context.Context, cp *controlPlane) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)

	if !cp.Initialized() {
		// The status update that marks the control plane initialized reconciles it again.
		cp.preflightMessages = append(cp.preflightMessages, "Waiting for the first K3s server to initialize the cluster before adding more")
		log.V(4).Info("Waiting for the control plane to be initialized before scaling up")
		return ctrl.Result{}, nil
	}
	if replacementMayJoin(cp) {
		log.V(2).Info("Adding the replacement of a remediated Machine", "remediation", cp.KCP.Annotations[controlplanev1.RemediationInProgressAnnotation])
	} else if ok, res := r.preflightChecks(ctx, cp); !ok {
		return res, nil
	}

	upToDate := cp.UpToDateMachines().Filter(collections.Not(collections.HasDeletionTimestamp))
	fd := failuredomains.PickFewest(ctx, cp.ControlPlaneFailureDomains(), cp.Machines, upToDate)
	m, err := createControlPlaneMachine(r, ctx, cp, fd)
	if err != nil {
		r.Recorder.Eventf(cp.KCP, corev1.EventTypeWarning, "FailedScaleUp", "Failed to create a control-plane Machine: %v", err)
		return ctrl.Result{}, fmt.Errorf("failed to create a control-plane Machine: %w", err)
	}
	log.Info("Created a control-plane Machine (scale up)", "Machine", machineRef(m), "failureDomain", fd,
		"replicas", cp.Machines.Len(), "desiredReplicas", cp.DesiredReplicas())
	return ctrl.Result{}, nil
}

// scaleDown removes one Machine, preferring outdated ones (see selectMachineForScaleDown), once the control
// plane without it is stable and keeps etcd quorum. It never removes the last Machine.
func (r *Reconciler) scaleDown(ctx context.Context, cp *controlPlane, outdated collections.Machines) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)

	m := selectMachineForScaleDown(ctx, cp, outdated)
	if m == nil {
		// Only Machines being deleted are left; their deletion reconciles the control plane.
		return ctrl.Result{}, nil
	}
	if ok, res := r.preflightChecks(ctx, cp, m); !ok {
		return res, nil
	}
	if cp.Machines.Filter(collections.Not(collections.HasDeletionTimestamp)).Len() <= 1 {
		cp.preflightMessages = append(cp.preflightMessages, fmt.Sprintf("Machine %s is the last control-plane Machine and is not deleted", m.Name))
		return ctrl.Result{}, nil
	}
	if msg := removalSafetyProblem(cp, m); msg != "" {
		cp.preflightMessages = append(cp.preflightMessages, msg)
		r.Recorder.Event(cp.KCP, corev1.EventTypeWarning, "ControlPlaneUnhealthy", msg)
		log.Info("Not scaling down: "+msg, "Machine", klog.KObj(m))
		return ctrl.Result{RequeueAfter: preflightRequeueAfter}, nil
	}

	if err := r.removeMachine(ctx, cp, m); err != nil {
		r.Recorder.Eventf(cp.KCP, corev1.EventTypeWarning, "FailedScaleDown", "Failed to delete control-plane Machine %s: %v", m.Name, err)
		return ctrl.Result{}, err
	}
	log.Info("Deleting a control-plane Machine (scale down)", "Machine", klog.KObj(m),
		"replicas", cp.Machines.Len(), "desiredReplicas", cp.DesiredReplicas())
	return ctrl.Result{}, nil
}

// removalSafetyProblem explains, for people, why removing m would break the control plane: etcd would lose its
// quorum or no healthy K3s server would be left. It returns "" when removing m is safe.
func removalSafetyProblem(cp *controlPlane, m *clusterv1.Machine) string {
	if ok, healthy, total := etcdKeepsQuorumWithout(cp, m); !ok {
		return fmt.Sprintf("Removing Machine %s would leave %d healthy etcd members out of %d, which is no quorum", m.Name, healthy, total)
	}
	if !healthyServerRemainsWithout(cp, m) {
		return fmt.Sprintf("Removing Machine %s would leave no healthy K3s server", m.Name)
	}
	return ""
}

// selectMachineForScaleDown picks the Machine to remove. Candidates are, in this order of preference, outdated
// Machines the user marked with the delete-machine annotation, any marked Machine, outdated Machines, all
// Machines; among them it takes the oldest one in a failure domain that no longer exists (or none), else the
// oldest one in the failure domain with the most Machines. Machines being deleted are never picked.
func selectMachineForScaleDown(ctx context.Context, cp *controlPlane, outdated collections.Machines) *clusterv1.Machine {
	active := cp.Machines.Filter(collections.Not(collections.HasDeletionTimestamp))
	outdated = outdated.Filter(collections.Not(collections.HasDeletionTimestamp))
	marked := collections.HasAnnotationKey(clusterv1.DeleteMachineAnnotation)

	var candidates collections.Machines
	switch {
	case outdated.Filter(marked).Len() > 0:
		candidates = outdated.Filter(marked)
	case active.Filter(marked).Len() > 0:
		candidates = active.Filter(marked)
	case outdated.Len() > 0:
		candidates = outdated
	default:
		candidates = active
	}
	if candidates.Len() == 0 {
		return nil
	}

	fds := cp.ControlPlaneFailureDomains()
	fdNames := make([]string, 0, len(fds))
	for _, fd := range fds {
		fdNames = append(fdNames, fd.Name)
	}
	// Machines outside the current failure domains go first, so the spread heals.
	if stray := candidates.Filter(collections.Not(collections.InFailureDomains(fdNames...))); stray.Len() > 0 {
		return stray.Oldest()
	}
	fd := failuredomains.PickMost(ctx, fds, cp.Machines, candidates)
	return candidates.Filter(collections.InFailureDomains(fd)).Oldest()
}

// etcdLeadershipCandidate is the Machine that takes over etcd leadership from leaving: the newest other
// up-to-date Machine with a healthy K3s server and etcd member, else the newest other healthy one; nil if none.
func etcdLeadershipCandidate(cp *controlPlane, leaving *clusterv1.Machine) *clusterv1.Machine {
	healthy := cp.Machines.Filter(func(m *clusterv1.Machine) bool {
		return m.Name != leaving.Name && m.DeletionTimestamp.IsZero() && m.Status.NodeRef.IsDefined() &&
			!collections.IsUnhealthy(m) && machineHealthy(m)
	})
	if upToDate := healthy.Filter(func(m *clusterv1.Machine) bool { return cp.upToDate[m.Name].UpToDate }); upToDate.Len() > 0 {
		return upToDate.Newest()
	}
	return healthy.Newest()
}

// removeMachine deletes a control-plane Machine of an initialized cluster: etcd leadership moves off it first,
// and the pre-terminate hook makes the etcd member be removed once the Machine is drained.
func (r *Reconciler) removeMachine(ctx context.Context, cp *controlPlane, m *clusterv1.Machine) error {
	if candidate := etcdLeadershipCandidate(cp, m); candidate != nil {
		if err := r.forwardEtcdLeadership(ctx, cp, m, candidate); err != nil {
			return fmt.Errorf("failed to move etcd leadership from Machine %s to Machine %s: %w", m.Name, candidate.Name, err)
		}
	} else if cp.EtcdInspected() && m.Status.NodeRef.IsDefined() {
		return fmt.Errorf("no healthy Machine can take over etcd leadership from Machine %s", m.Name)
	}
	if err := r.ensureEtcdRemovalHook(ctx, m); err != nil {
		return err
	}
	return r.deleteMachine(ctx, cp, m)
}

// ensureEtcdRemovalHook makes sure m carries the pre-terminate hook that holds its deletion, after drain, until its
// etcd member is removed. The patch is made on a copy: m keeps the conditions this reconcile set in memory.
func (r *Reconciler) ensureEtcdRemovalHook(ctx context.Context, m *clusterv1.Machine) error {
	if m.Annotations[controlplanev1.EtcdRemovalHookAnnotation] == controlplanev1.EtcdRemovalHookValue {
		return nil
	}
	base := m.DeepCopy()
	hooked := m.DeepCopy()
	if hooked.Annotations == nil {
		hooked.Annotations = map[string]string{}
	}
	hooked.Annotations[controlplanev1.EtcdRemovalHookAnnotation] = controlplanev1.EtcdRemovalHookValue
	if err := r.Client.Patch(ctx, hooked, client.MergeFrom(base)); err != nil {
		return fmt.Errorf("failed to add the etcd removal hook to Machine %s: %w", m.Name, err)
	}
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[controlplanev1.EtcdRemovalHookAnnotation] = controlplanev1.EtcdRemovalHookValue
	return nil
}

// deleteMachine deletes m and makes the next reconcile wait until the cache shows the deletion, so that a stale
// cache cannot make it delete a second Machine.
func (r *Reconciler) deleteMachine(ctx context.Context, cp *controlPlane, m *clusterv1.Machine) error {
	deleter := r.machineDeleter
	if deleter == nil {
		deleter = capicontroller.NewClientWithDeleteResponseFromClient(r.Client)
	}
	deleted, err := deleter.Delete(ctx, m)
	if err != nil {
		if isNotFound(err) {
			return nil
		}
		return fmt.Errorf("failed to delete Machine %s: %w", m.Name, err)
	}
	if r.controller == nil {
		return nil
	}
	resourceVersion := ""
	if deleted != nil {
		resourceVersion = deleted.GetResourceVersion()
	} else if r.APIReader != nil {
		// The client does not return the deleted object; the Machine's finalizers keep it readable.
		current := &clusterv1.Machine{}
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(m), current); err == nil {
			resourceVersion = current.ResourceVersion
		}
	}
	if resourceVersion != "" {
		r.controller.DeferNextReconcileUntilCacheUpToDate(cp.KCP, capicontroller.StructuredObject(clusterv1.GroupVersion, "Machine"), resourceVersion)
	}
	return nil
}

// machineRef names a Machine in logs; createMachine may return no Machine along with an error.
func machineRef(m *clusterv1.Machine) klog.ObjectRef {
	if m == nil {
		return klog.ObjectRef{}
	}
	return klog.KObj(m)
}
