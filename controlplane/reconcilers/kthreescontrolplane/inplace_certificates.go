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
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3supgrade"
)

// An in-place certificates renewal is an in-place upgrade to the version the Machine runs, marked by the renewal
// annotation, whose node step rotates the certificates and restarts K3s (k3supgrade.RotateCertificatesPod)
// instead of replacing the binary. K3s restarts without stopping the pods, so the node is neither cordoned nor
// drained. It is done when the node's etcd member presents a certificate expiring later than the one renewed.

// renewalConfirmable says why a renewal of the Machine's certificates in place could not be told done, "" when it
// can: the expiry that makes it due must be the one this controller observes through the node's etcd member
// (a date only a user's annotation gives would stay due after the renewal, which would then repeat for ever), and
// the window must be shorter than the validity of the certificates K3s issues.
func renewalConfirmable(cp *controlPlane, m *clusterv1.Machine) string {
	days := certificatesExpiryDays(cp.KCP)
	switch {
	case !cp.EtcdInspected():
		return "etcd is not inspected (etcd-proxy disabled), so renewed certificates could not be observed"
	case days >= k3supgrade.CertificateValidityDays:
		return fmt.Sprintf("certificatesExpiryDays (%d) must be less than the %d days K3s issues its certificates for", days, k3supgrade.CertificateValidityDays)
	}
	expiry, ok := observedCertificatesExpiry(cp, m)
	if !ok || !renewalWindowStart(cp, expiry).Before(cp.reconcileTime) {
		return "the date that makes its certificates due is not the one its etcd member presents " +
			"(machine.cluster.x-k8s.io/certificates-expiry set on the Machine?)"
	}
	return ""
}

// startInPlaceCertificatesRenewal marks the Machine for the renewal of its node's certificates once the control
// plane is steady and healthy.
func (r *Reconciler) startInPlaceCertificatesRenewal(ctx context.Context, cp *controlPlane, m *clusterv1.Machine) (ctrl.Result, error) {
	if problems := inPlacePreflight(cp); len(problems) > 0 {
		cp.preflightMessages = append(cp.preflightMessages, problems...)
		return ctrl.Result{RequeueAfter: inPlaceStalledPollInterval}, nil
	}
	expiry, _ := observedCertificatesExpiry(cp, m)
	renewing := expiry.UTC().Format(time.RFC3339)
	patch := client.MergeFrom(m.DeepCopy())
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[controlplanev1.InPlaceUpgradeTargetAnnotation] = m.Spec.Version
	m.Annotations[controlplanev1.InPlaceCertificatesRenewalAnnotation] = renewing
	m.Annotations[controlplanev1.InPlaceUpgradeStartedAnnotation] = r.clock().UTC().Format(time.RFC3339)
	m.Annotations[clusterv1.UpdateInProgressAnnotation] = ""
	if err := r.Client.Patch(ctx, m, patch); err != nil {
		return ctrl.Result{}, fmt.Errorf("failed to mark Machine %s for the renewal of its certificates: %w", m.Name, err)
	}
	ctrl.LoggerFrom(ctx).Info("Starting the in-place renewal of a control-plane Machine's certificates", "Machine", machineRef(m), "expiry", renewing)
	r.Recorder.Eventf(cp.KCP, corev1.EventTypeNormal, "CertificatesRenewalStarted",
		"Renewing in place the K3s certificates of Machine %s, which expire at %s", m.Name, renewing)
	cp.inPlace = &inPlaceProgress{machine: m.Name, target: m.Spec.Version, renewal: true, step: "rotating the certificates of its Node"}
	return ctrl.Result{RequeueAfter: time.Second}, nil
}

// continueInPlaceCertificatesRenewal takes the renewal on the Machine's node one step further: run the rotation
// Pod, wait for the node to be Ready with a healthy etcd member presenting renewed certificates, then finish.
func (r *Reconciler) continueInPlaceCertificatesRenewal(ctx context.Context, cp *controlPlane, m *clusterv1.Machine,
	wc client.Client, node *corev1.Node, progress *inPlaceProgress,
) (ctrl.Result, error) {
	progress.renewal = true
	nodeName := node.Name
	renewing, err := time.Parse(time.RFC3339, m.Annotations[controlplanev1.InPlaceCertificatesRenewalAnnotation])
	if err != nil {
		// Not written by this controller; the earliest expiry makes any certificate seen count as renewed.
		renewing = time.Time{}
	}
	observed, seen := cp.health.certificatesExpiry[nodeName]
	renewed := seen && observed.After(renewing)
	healthy := k3supgrade.NodeReady(node) && (!cp.EtcdInspected() || cp.health.etcdHealthyNodes.Has(nodeName))
	if renewed && healthy {
		return r.finishInPlaceCertificatesRenewal(ctx, cp, m, wc, nodeName, observed)
	}

	pod := &corev1.Pod{}
	err = wc.Get(ctx, client.ObjectKey{Namespace: k3supgrade.PodNamespace, Name: k3supgrade.PodName(nodeName)}, pod)
	switch {
	case apierrors.IsNotFound(err) && !renewed:
		desired := k3supgrade.RotateCertificatesPod(nodeName, m.Spec.Version, upgradeImage(cp.KCP))
		if err := wc.Create(ctx, desired); err != nil && !apierrors.IsAlreadyExists(err) {
			return ctrl.Result{}, fmt.Errorf("failed to create the certificates rotation Pod on Node %s: %w", nodeName, err)
		}
		ctrl.LoggerFrom(ctx).Info("Created the certificates rotation Pod", "Machine", machineRef(m), "Node", nodeName, "image", desired.Spec.Containers[0].Image)
		progress.step = fmt.Sprintf("rotating the certificates of Node %s", nodeName)
		return ctrl.Result{RequeueAfter: inPlacePollInterval}, nil
	case apierrors.IsNotFound(err):
	case err != nil:
		return ctrl.Result{}, fmt.Errorf("failed to read the upgrade Pod of Node %s: %w", nodeName, err)
	case k3supgrade.Action(pod) != controlplanev1.UpgradePodActionRotateCertificates || pod.Annotations[controlplanev1.UpgradePodVersionAnnotation] != m.Spec.Version:
		// Left from an upgrade; the next reconcile creates the rotation Pod.
		return ctrl.Result{RequeueAfter: time.Second}, deleteUpgradePod(ctx, wc, pod)
	case pod.Status.Phase == corev1.PodFailed:
		progress.stalled = true
		progress.step = fmt.Sprintf("the certificates rotation Pod %s/%s on Node %s failed: %s; fix the cause and delete the Pod to retry",
			pod.Namespace, pod.Name, nodeName, podFailure(pod))
		r.Recorder.Eventf(cp.KCP, corev1.EventTypeWarning, "InPlaceUpgradeStalled", "Machine %s: %s", m.Name, progress.step)
		return ctrl.Result{RequeueAfter: inPlaceStalledPollInterval}, nil
	}

	why := fmt.Sprintf("Node %s Ready %t", nodeName, k3supgrade.NodeReady(node))
	switch {
	case !seen:
		why += ", its etcd member presented no certificate"
	case !renewed:
		why += ", its certificates still expire at " + observed.UTC().Format(time.RFC3339)
	}
	progress.step = fmt.Sprintf("waiting for Node %s to be Ready with renewed certificates", nodeName)
	return r.inPlaceWait(ctx, cp, m, progress, why)
}

// finishInPlaceCertificatesRenewal removes the rotation Pod and ends the renewal; the new expiry was recorded on
// the KThreesConfig by reconcileCertificatesExpiry earlier in this reconcile.
func (r *Reconciler) finishInPlaceCertificatesRenewal(ctx context.Context, cp *controlPlane, m *clusterv1.Machine,
	wc client.Client, nodeName string, expiry time.Time,
) (ctrl.Result, error) {
	pod := &corev1.Pod{}
	err := wc.Get(ctx, client.ObjectKey{Namespace: k3supgrade.PodNamespace, Name: k3supgrade.PodName(nodeName)}, pod)
	switch {
	case err == nil:
		if err := deleteUpgradePod(ctx, wc, pod); err != nil {
			return ctrl.Result{}, err
		}
	case !apierrors.IsNotFound(err):
		return ctrl.Result{}, fmt.Errorf("failed to read the upgrade Pod of Node %s: %w", nodeName, err)
	}
	patch := client.MergeFrom(m.DeepCopy())
	for _, a := range []string{
		controlplanev1.InPlaceUpgradeTargetAnnotation, controlplanev1.InPlaceCertificatesRenewalAnnotation,
		controlplanev1.InPlaceUpgradeStartedAnnotation, clusterv1.UpdateInProgressAnnotation,
	} {
		delete(m.Annotations, a)
	}
	if err := r.Client.Patch(ctx, m, patch); err != nil {
		return ctrl.Result{}, fmt.Errorf("failed to end the certificates renewal of Machine %s: %w", m.Name, err)
	}
	cp.inPlace = nil
	cp.upToDate[m.Name] = machineUpToDate(cp, m)
	newExpiry := expiry.UTC().Format(time.RFC3339)
	ctrl.LoggerFrom(ctx).Info("Renewed the certificates of a control-plane Machine in place", "Machine", machineRef(m), "expiry", newExpiry)
	r.Recorder.Eventf(cp.KCP, corev1.EventTypeNormal, "CertificatesRenewed",
		"Renewed in place the K3s certificates of Machine %s; they now expire at %s", m.Name, newExpiry)
	return ctrl.Result{}, nil
}
