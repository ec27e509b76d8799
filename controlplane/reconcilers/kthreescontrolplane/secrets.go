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
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/controllers/external"
	"sigs.k8s.io/cluster-api/util"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"
	"sigs.k8s.io/cluster-api/util/secret"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/certs"
	"github.com/k3s-io/cluster-api-k3s/pkg/kubeconfig"
	"github.com/k3s-io/cluster-api-k3s/pkg/token"
)

// kcpGroupKind is the GroupKind of KThreesControlPlane, for owner checks.
var kcpGroupKind = controlplanev1.GroupVersion.WithKind("KThreesControlPlane").GroupKind()

// controllerRef is the controller owner reference to the control plane.
func controllerRef(kcp *controlplanev1.KThreesControlPlane) metav1.OwnerReference {
	return *metav1.NewControllerRef(kcp, controlplanev1.GroupVersion.WithKind("KThreesControlPlane"))
}

// reconcileInfrastructureTemplateOwnership makes the Cluster an owner of the InfraMachine template, so that
// clusterctl move takes it along (as upstream and KCP do).
func (r *Reconciler) reconcileInfrastructureTemplateOwnership(ctx context.Context, cp *controlPlane) error {
	ref := cp.KCP.Spec.MachineTemplate.Spec.InfrastructureRef
	template, err := external.GetObjectFromContractVersionedRef(ctx, r.Client, ref, cp.KCP.Namespace)
	if err != nil {
		// A missing template blocks Machine creation, which reports it; nothing else depends on the owner.
		ctrl.LoggerFrom(ctx).V(4).Info("Cannot read the infrastructure template", "error", err.Error())
		return nil
	}
	owner := metav1.OwnerReference{APIVersion: clusterv1.GroupVersion.String(), Kind: clusterv1.ClusterKind, Name: cp.Cluster.Name, UID: cp.Cluster.UID}
	if util.HasOwnerRef(template.GetOwnerReferences(), owner) {
		return nil
	}
	base := template.DeepCopy()
	template.SetOwnerReferences(util.EnsureOwnerRef(template.GetOwnerReferences(), owner))
	if err := r.Client.Patch(ctx, template, client.MergeFrom(base)); err != nil {
		return fmt.Errorf("failed to set the Cluster as owner of %s %s: %w", template.GetKind(), template.GetName(), err)
	}
	return nil
}

// reconcileCertificates reads or generates the cluster's CAs (<cluster>-ca, -cca, -etcd) and makes the control
// plane their controller. Pre-existing (user-provided) CAs are used as they are.
func (r *Reconciler) reconcileCertificates(ctx context.Context, cp *controlPlane) error {
	clusterKey := client.ObjectKeyFromObject(cp.Cluster)
	certificates := certs.NewClusterCertificates(r.CertificateKeyAlgorithm)
	if err := certificates.LookupOrGenerate(ctx, cp.secrets, clusterKey, controllerRef(cp.KCP)); err != nil {
		setCertificatesCondition(cp.KCP, err)
		r.Recorder.Eventf(cp.KCP, corev1.EventTypeWarning, "FailedCertificates", "Failed to read or generate the cluster certificates: %v", err)
		return fmt.Errorf("failed to read or generate the cluster certificates: %w", err)
	}
	for _, c := range certificates {
		name := secret.Name(cp.Cluster.Name, c.Purpose)
		if err := takeControllerOwnership(ctx, cp.secrets, client.ObjectKey{Namespace: cp.Cluster.Namespace, Name: name}, cp.KCP); err != nil {
			setCertificatesCondition(cp.KCP, err)
			return err
		}
	}
	setCertificatesCondition(cp.KCP, nil)
	return nil
}

// reconcileToken ensures the join token secret (<cluster>-token). An existing token is never regenerated: the
// cluster's nodes were installed with it.
func (r *Reconciler) reconcileToken(ctx context.Context, cp *controlPlane) error {
	clusterKey := client.ObjectKeyFromObject(cp.Cluster)
	if _, err := token.Ensure(ctx, cp.secrets, clusterKey, controllerRef(cp.KCP)); err != nil {
		setTokenCondition(cp.KCP, err)
		return fmt.Errorf("failed to ensure the join token: %w", err)
	}
	// A token created by a KThreesConfig (before the control plane existed, or by upstream) moves to the control
	// plane, so it lives as long as the cluster (upstream issue #53).
	if err := takeControllerOwnership(ctx, cp.secrets, client.ObjectKey{Namespace: cp.Cluster.Namespace, Name: token.SecretName(cp.Cluster.Name)}, cp.KCP); err != nil {
		setTokenCondition(cp.KCP, err)
		return err
	}
	setTokenCondition(cp.KCP, nil)
	return nil
}

// takeControllerOwnership makes the control plane the controller of a CAPI cluster secret that has no controller
// or is controlled by a KThreesConfig. Secrets of another type or another controller are left alone.
func takeControllerOwnership(ctx context.Context, c client.Client, key client.ObjectKey, kcp *controlplanev1.KThreesControlPlane) error {
	s := &corev1.Secret{}
	if err := c.Get(ctx, key, s); err != nil {
		return fmt.Errorf("failed to get secret %s: %w", key, err)
	}
	if s.Type != clusterv1.ClusterSecretType || util.IsControlledBy(s, kcp, kcpGroupKind) {
		return nil
	}
	refs := s.GetOwnerReferences()
	if current := metav1.GetControllerOfNoCopy(s); current != nil {
		if current.Kind != "KThreesConfig" {
			return nil
		}
		// The KThreesConfig stays an owner, no longer the controller.
		for i := range refs {
			if refs[i].UID == current.UID {
				refs[i].Controller = nil
			}
		}
	}
	base := s.DeepCopy()
	refs = util.EnsureOwnerRef(refs, controllerRef(kcp))
	s.SetOwnerReferences(refs)
	if err := c.Patch(ctx, s, client.MergeFrom(base)); err != nil {
		return fmt.Errorf("failed to make KThreesControlPlane %s the controller of secret %s: %w", kcp.Name, key, err)
	}
	return nil
}

// reconcileKubeconfig creates the kubeconfig secret and rotates its client certificate before it expires, keeping
// the server URL of the existing kubeconfig (gateways rewrite it).
func (r *Reconciler) reconcileKubeconfig(ctx context.Context, cp *controlPlane) error {
	clusterKey := client.ObjectKeyFromObject(cp.Cluster)
	res, err := kubeconfig.Reconcile(ctx, cp.secrets, clusterKey, cp.Cluster.Spec.ControlPlaneEndpoint, controllerRef(cp.KCP))
	if err != nil {
		if errors.Is(err, kubeconfig.ErrCAMissing) {
			r.Recorder.Eventf(cp.KCP, corev1.EventTypeWarning, "FailedKubeconfig", "Cannot write the kubeconfig: %v", err)
		}
		return fmt.Errorf("failed to reconcile the kubeconfig secret: %w", err)
	}
	switch {
	case res.Created:
		// A log line, not an event: an event per new cluster is an API write on the fleet's hot path.
		ctrl.LoggerFrom(ctx).Info("Created the kubeconfig secret")
	case res.Rotated:
		r.Recorder.Event(cp.KCP, corev1.EventTypeNormal, "KubeconfigRotated", "Rotated the client certificate of the kubeconfig secret")
	}
	return nil
}

// availabilityConditionNames name a condition reporting that cluster secrets exist, in both condition flavours.
type availabilityConditionNames struct {
	conditionType, available, notAvailable, message string
	v1beta1Type                                     clusterv1.ConditionType
	v1beta1Failed                                   string
}

var (
	certificatesAvailability = availabilityConditionNames{
		conditionType: controlplanev1.KThreesControlPlaneCertificatesAvailableCondition,
		available:     controlplanev1.KThreesControlPlaneCertificatesAvailableReason,
		notAvailable:  controlplanev1.KThreesControlPlaneCertificatesInternalErrorReason,
		message:       "Failed to read or generate the cluster certificates; see the controller logs",
		v1beta1Type:   controlplanev1.DeprecatedV1Beta1CertificatesAvailableCondition,
		v1beta1Failed: controlplanev1.DeprecatedV1Beta1CertificatesGenerationFailedReason,
	}
	tokenAvailability = availabilityConditionNames{
		conditionType: controlplanev1.KThreesControlPlaneTokenAvailableCondition,
		available:     controlplanev1.KThreesControlPlaneTokenAvailableReason,
		notAvailable:  controlplanev1.KThreesControlPlaneTokenNotAvailableReason,
		message:       "Failed to read or create the join token secret; see the controller logs",
		v1beta1Type:   controlplanev1.DeprecatedV1Beta1TokenAvailableCondition,
		v1beta1Failed: controlplanev1.DeprecatedV1Beta1TokenGenerationFailedReason,
	}
)

// setCertificatesCondition reports the outcome of reconcileCertificates.
func setCertificatesCondition(kcp *controlplanev1.KThreesControlPlane, err error) {
	setAvailabilityCondition(kcp, certificatesAvailability, err)
}

// setTokenCondition reports the outcome of reconcileToken.
func setTokenCondition(kcp *controlplanev1.KThreesControlPlane, err error) {
	setAvailabilityCondition(kcp, tokenAvailability, err)
}

// setAvailabilityCondition sets an availability condition in both flavours: True without err, else False (the
// v1beta1 message carries the error, as upstream's did).
func setAvailabilityCondition(kcp *controlplanev1.KThreesControlPlane, names availabilityConditionNames, err error) {
	if err != nil {
		conditions.Set(kcp, metav1.Condition{
			Type: names.conditionType, Status: metav1.ConditionFalse, Reason: names.notAvailable, Message: names.message,
		})
		v1beta1conditions.MarkFalse(kcp, names.v1beta1Type, names.v1beta1Failed, clusterv1.ConditionSeverityWarning, "%s", err.Error())
		return
	}
	conditions.Set(kcp, metav1.Condition{Type: names.conditionType, Status: metav1.ConditionTrue, Reason: names.available})
	v1beta1conditions.MarkTrue(kcp, names.v1beta1Type)
}
