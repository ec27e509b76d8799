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
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3supgrade"
)

// continueInPlaceUpgrade takes the Machine's node one step further: cordon, drain when other nodes can take its
// pods, run the upgrade Pod, wait for the Node to be Ready with the target version and its etcd member healthy,
// uncordon, and only then record the version on the Machine and its KThreesConfig.
func (r *Reconciler) continueInPlaceUpgrade(ctx context.Context, cp *controlPlane, m *clusterv1.Machine) (ctrl.Result, error) {
	target := m.Annotations[controlplanev1.InPlaceUpgradeTargetAnnotation]
	_, renewal := m.Annotations[controlplanev1.InPlaceCertificatesRenewalAnnotation]
	progress := &inPlaceProgress{machine: m.Name, target: target, renewal: renewal}
	cp.inPlace = progress
	log := ctrl.LoggerFrom(ctx).WithValues("Machine", machineRef(m), "version", target)

	if cp.health == nil || cp.health.connErr != nil || !m.Status.NodeRef.IsDefined() {
		progress.step = "waiting for the workload cluster"
		return r.inPlaceWait(ctx, cp, m, progress, "the workload cluster cannot be reached")
	}
	nodeName := m.Status.NodeRef.Name
	node := cp.health.nodes[nodeName]
	if node == nil {
		progress.step = fmt.Sprintf("waiting for Node %s", nodeName)
		return r.inPlaceWait(ctx, cp, m, progress, fmt.Sprintf("Node %s not found", nodeName))
	}
	wc, err := r.ClusterCache.GetClient(ctx, client.ObjectKeyFromObject(cp.Cluster))
	if err != nil {
		progress.step = "waiting for the workload cluster"
		return r.inPlaceWait(ctx, cp, m, progress, "the workload cluster cannot be reached")
	}

	if _, ok := m.Annotations[controlplanev1.InPlaceCertificatesRenewalAnnotation]; ok {
		return r.continueInPlaceCertificatesRenewal(ctx, cp, m, wc, node, progress)
	}
	if k3supgrade.NodeUpgraded(node, target) {
		if cp.EtcdInspected() && !cp.health.etcdHealthyNodes.Has(nodeName) {
			progress.step = fmt.Sprintf("Node %s runs %s; waiting for its etcd member to be healthy", nodeName, target)
			return r.inPlaceWait(ctx, cp, m, progress, "its etcd member is not healthy")
		}
		return r.finishInPlaceUpgrade(ctx, cp, m, wc, node.DeepCopy())
	}

	if err := k3supgrade.Cordon(ctx, wc, node.DeepCopy()); err != nil {
		return ctrl.Result{}, err
	}
	nodes := &corev1.NodeList{}
	if err := wc.List(ctx, nodes); err != nil {
		return ctrl.Result{}, fmt.Errorf("failed to list the Nodes of the workload cluster: %w", err)
	}
	if k3supgrade.CanDrain(nodes.Items, nodeName) {
		left, err := k3supgrade.Drain(ctx, wc, nodeName)
		if err != nil {
			return ctrl.Result{}, err
		}
		if left > 0 {
			progress.step = fmt.Sprintf("draining Node %s (%d pods left)", nodeName, left)
			return r.inPlaceWait(ctx, cp, m, progress, fmt.Sprintf("%d pods are still on it", left))
		}
	}

	pod := &corev1.Pod{}
	err = wc.Get(ctx, client.ObjectKey{Namespace: k3supgrade.PodNamespace, Name: k3supgrade.PodName(nodeName)}, pod)
	switch {
	case apierrors.IsNotFound(err):
		desired := k3supgrade.Pod(nodeName, target, upgradeImage(cp.KCP))
		if err := wc.Create(ctx, desired); err != nil && !apierrors.IsAlreadyExists(err) {
			return ctrl.Result{}, fmt.Errorf("failed to create the upgrade Pod on Node %s: %w", nodeName, err)
		}
		log.Info("Created the upgrade Pod", "Node", nodeName, "image", desired.Spec.Containers[0].Image)
		progress.step = fmt.Sprintf("upgrading Node %s", nodeName)
		return ctrl.Result{RequeueAfter: inPlacePollInterval}, nil
	case err != nil:
		return ctrl.Result{}, fmt.Errorf("failed to read the upgrade Pod of Node %s: %w", nodeName, err)
	}
	if pod.Annotations[controlplanev1.UpgradePodVersionAnnotation] != target || k3supgrade.Action(pod) != "" {
		// Left from an upgrade to another version or a renewal; the next reconcile creates the right one.
		return ctrl.Result{RequeueAfter: time.Second}, deleteUpgradePod(ctx, wc, pod)
	}
	if pod.Status.Phase == corev1.PodFailed {
		progress.stalled = true
		progress.step = fmt.Sprintf("the upgrade Pod %s/%s on Node %s failed: %s; fix the cause and delete the Pod to retry",
			pod.Namespace, pod.Name, nodeName, podFailure(pod))
		r.Recorder.Eventf(cp.KCP, corev1.EventTypeWarning, "InPlaceUpgradeStalled", "Machine %s: %s", m.Name, progress.step)
		return ctrl.Result{RequeueAfter: inPlaceStalledPollInterval}, nil
	}
	progress.step = fmt.Sprintf("waiting for Node %s to be Ready with %s", nodeName, target)
	return r.inPlaceWait(ctx, cp, m, progress, fmt.Sprintf("Node %s runs %s, Ready %t", nodeName, node.Status.NodeInfo.KubeletVersion, k3supgrade.NodeReady(node)))
}

// finishInPlaceUpgrade uncordons the node, removes the upgrade Pod and records the new version on the Machine and
// its KThreesConfig, which ends the Machine's upgrade.
func (r *Reconciler) finishInPlaceUpgrade(ctx context.Context, cp *controlPlane, m *clusterv1.Machine, wc client.Client, node *corev1.Node) (ctrl.Result, error) {
	target := m.Annotations[controlplanev1.InPlaceUpgradeTargetAnnotation]
	if err := k3supgrade.Uncordon(ctx, wc, node); err != nil {
		return ctrl.Result{}, err
	}
	pod := &corev1.Pod{}
	err := wc.Get(ctx, client.ObjectKey{Namespace: k3supgrade.PodNamespace, Name: k3supgrade.PodName(node.Name)}, pod)
	if err == nil {
		if err := deleteUpgradePod(ctx, wc, pod); err != nil {
			return ctrl.Result{}, err
		}
	} else if !apierrors.IsNotFound(err) {
		return ctrl.Result{}, fmt.Errorf("failed to read the upgrade Pod of Node %s: %w", node.Name, err)
	}

	if config, ok := cp.Configs[m.Name]; ok && config.Spec.Version != "" && config.Spec.Version != target {
		patch := client.MergeFrom(config.DeepCopy())
		config.Spec.Version = target
		if err := r.Client.Patch(ctx, config, patch); err != nil && !apierrors.IsNotFound(err) {
			return ctrl.Result{}, fmt.Errorf("failed to record version %s on KThreesConfig %s: %w", target, config.Name, err)
		}
	}
	from := m.Spec.Version
	patch := client.MergeFrom(m.DeepCopy())
	m.Spec.Version = target
	delete(m.Annotations, controlplanev1.InPlaceUpgradeTargetAnnotation)
	delete(m.Annotations, controlplanev1.InPlaceUpgradeStartedAnnotation)
	delete(m.Annotations, clusterv1.UpdateInProgressAnnotation)
	if err := r.Client.Patch(ctx, m, patch); err != nil {
		return ctrl.Result{}, fmt.Errorf("failed to record version %s on Machine %s: %w", target, m.Name, err)
	}
	cp.inPlace = nil
	cp.upToDate[m.Name] = machineUpToDate(cp, m)
	ctrl.LoggerFrom(ctx).Info("Upgraded a control-plane Machine in place", "Machine", machineRef(m), "from", from, "to", target)
	r.Recorder.Eventf(cp.KCP, corev1.EventTypeNormal, "InPlaceUpgraded", "Upgraded Machine %s in place from %s to %s", m.Name, from, target)
	return ctrl.Result{}, nil
}

// inPlaceWait asks to be called again soon, and reports the upgrade stalled, with an event, once the node took
// longer than the timeout; it goes on once the node comes back.
func (r *Reconciler) inPlaceWait(ctx context.Context, cp *controlPlane, m *clusterv1.Machine, progress *inPlaceProgress, why string) (ctrl.Result, error) {
	started, err := time.Parse(time.RFC3339, m.Annotations[controlplanev1.InPlaceUpgradeStartedAnnotation])
	timeout := inPlaceNodeTimeout(cp.KCP)
	if err != nil || r.clock().Sub(started) < timeout {
		return ctrl.Result{RequeueAfter: inPlacePollInterval}, nil
	}
	progress.stalled = true
	msg := fmt.Sprintf("Machine %s did not finish its upgrade to %s within %s: %s", m.Name, progress.target, timeout, why)
	if progress.renewal {
		msg = fmt.Sprintf("Machine %s did not finish the renewal of its certificates within %s: %s", m.Name, timeout, why)
	}
	ctrl.LoggerFrom(ctx).Info("In-place upgrade stalled", "Machine", machineRef(m), "reason", why)
	r.Recorder.Event(cp.KCP, corev1.EventTypeWarning, "InPlaceUpgradeStalled", msg)
	progress.step = msg
	return ctrl.Result{RequeueAfter: inPlaceStalledPollInterval}, nil
}

// inPlaceNodeTimeout is spec.rollout.strategy.inPlace.nodeTimeoutSeconds or its default.
func inPlaceNodeTimeout(kcp *controlplanev1.KThreesControlPlane) time.Duration {
	seconds := ptr.Deref(kcp.Spec.Rollout.Strategy.InPlace.NodeTimeoutSeconds, controlplanev1.DefaultInPlaceNodeTimeoutSeconds)
	return time.Duration(seconds) * time.Second
}

// upgradeImage is spec.rollout.strategy.inPlace.upgradeImage or K3s's upgrade image.
func upgradeImage(kcp *controlplanev1.KThreesControlPlane) string {
	if image := kcp.Spec.Rollout.Strategy.InPlace.UpgradeImage; image != "" {
		return image
	}
	return controlplanev1.DefaultUpgradeImage
}

// deleteUpgradePod deletes the Pod; a finished one at once, since its container is gone.
func deleteUpgradePod(ctx context.Context, c client.Client, pod *corev1.Pod) error {
	var opts []client.DeleteOption
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		opts = append(opts, client.GracePeriodSeconds(0))
	}
	if err := c.Delete(ctx, pod, opts...); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("failed to delete the upgrade Pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

// podFailure is the reason and message of a failed Pod, or of its container's termination.
func podFailure(pod *corev1.Pod) string {
	for _, s := range pod.Status.ContainerStatuses {
		if t := s.State.Terminated; t != nil {
			return fmt.Sprintf("container %s exited %d: %s %s", s.Name, t.ExitCode, t.Reason, t.Message)
		}
	}
	if pod.Status.Reason != "" || pod.Status.Message != "" {
		return pod.Status.Reason + " " + pod.Status.Message
	}
	return "no reason given"
}
