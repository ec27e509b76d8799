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
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// K3s issues its leaf certificates for a year and renews them only when it starts within 90 days of their expiry.
// The control plane learns when a node's certificates expire from the serving certificate its etcd member presents
// in the TLS handshake of the health check (no connection of its own), and records it the way KCP does: CAPI's
// certificates-expiry annotation on the Machine's bootstrap config, which CAPI core copies to the Machine's
// status.certificatesExpiryDate. Unlike KCP, which records it once, it records every change: an in-place renewal,
// an upgrade or a reboot renews the certificates without a new Machine.

// certificatesExpiry is when the Machine's certificates expire, if known: CAPI's annotation on the Machine (a
// statement by the user, which core prefers too), else what this controller observes (its etcd member in this
// reconcile, or the KThreesConfig's annotation), else the status core copied. An unparsable annotation is skipped:
// it cannot tell when they expire.
func certificatesExpiry(cp *controlPlane, m *clusterv1.Machine) (time.Time, bool) {
	if t, ok := parseExpiry(m.Annotations); ok {
		return t, true
	}
	if t, ok := observedCertificatesExpiry(cp, m); ok {
		return t, true
	}
	if !m.Status.CertificatesExpiryDate.IsZero() {
		return m.Status.CertificatesExpiryDate.Time, true
	}
	return time.Time{}, false
}

// observedCertificatesExpiry is the expiry this controller knows from the node's etcd member: seen in this
// reconcile, else recorded on the KThreesConfig earlier.
func observedCertificatesExpiry(cp *controlPlane, m *clusterv1.Machine) (time.Time, bool) {
	if nodeName := cp.nodeNameOf(m); cp.health != nil && nodeName != "" {
		if t, ok := cp.health.certificatesExpiry[nodeName]; ok {
			return t, true
		}
	}
	if config, ok := cp.Configs[m.Name]; ok {
		return parseExpiry(config.Annotations)
	}
	return time.Time{}, false
}

func parseExpiry(annotations map[string]string) (time.Time, bool) {
	value, ok := annotations[clusterv1.MachineCertificatesExpiryDateAnnotation]
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, value)
	return t, err == nil
}

// certificatesExpiryDays is spec.rollout.before.certificatesExpiryDays, or the certificates-expiry-days annotation
// (the way in from v1beta2) when the field is not set; 0 when neither is (the webhook rejects invalid values).
func certificatesExpiryDays(kcp *controlplanev1.KThreesControlPlane) int32 {
	if days := kcp.Spec.Rollout.Before.CertificatesExpiryDays; days > 0 {
		return days
	}
	days, err := strconv.ParseInt(kcp.Annotations[controlplanev1.CertificatesExpiryDaysAnnotation], 10, 32)
	if err != nil || days < 0 {
		return 0
	}
	return int32(days)
}

// certificatesRenewalDue reports whether the Machine's certificates expire within
// spec.rollout.before.certificatesExpiryDays, and when they expire.
func certificatesRenewalDue(cp *controlPlane, m *clusterv1.Machine) (time.Time, bool) {
	if certificatesExpiryDays(cp.KCP) <= 0 {
		return time.Time{}, false
	}
	expiry, ok := certificatesExpiry(cp, m)
	return expiry, ok && renewalWindowStart(cp, expiry).Before(cp.reconcileTime)
}

// renewalWindowStart is when certificates expiring at expiry enter spec.rollout.before.certificatesExpiryDays.
func renewalWindowStart(cp *controlPlane, expiry time.Time) time.Time {
	return expiry.Add(-time.Duration(certificatesExpiryDays(cp.KCP)) * 24 * time.Hour)
}

// reconcileCertificatesExpiry records, on each Machine's KThreesConfig, the certificates expiry its node's etcd
// member presented in this reconcile, when it changed; it warns when certificates enter the renewal window and
// asks for a reconcile when the next ones will, since nothing else happens then.
func (r *Reconciler) reconcileCertificatesExpiry(ctx context.Context, cp *controlPlane) error {
	if cp.health == nil {
		return nil
	}
	for _, m := range cp.Machines.SortedByCreationTimestamp() {
		config, ok := cp.Configs[m.Name]
		nodeName := cp.nodeNameOf(m)
		if !ok || !m.DeletionTimestamp.IsZero() || nodeName == "" {
			continue
		}
		observed, ok := cp.health.certificatesExpiry[nodeName]
		if !ok {
			continue
		}
		value := observed.UTC().Format(time.RFC3339)
		if config.Annotations[clusterv1.MachineCertificatesExpiryDateAnnotation] == value {
			r.recordedExpiries.Delete(config.UID)
			continue
		}
		if r.expiryWriteInFlight(config, value) {
			continue
		}
		writtenOver := config.ResourceVersion
		// Whether the certificates were due by the expiry recorded before, to warn once when they enter the window.
		previous, recorded := parseExpiry(config.Annotations)
		wasDue := recorded && certificatesExpiryDays(cp.KCP) > 0 && renewalWindowStart(cp, previous).Before(cp.reconcileTime)
		patch := client.MergeFrom(config.DeepCopy())
		if config.Annotations == nil {
			config.Annotations = map[string]string{}
		}
		config.Annotations[clusterv1.MachineCertificatesExpiryDateAnnotation] = value
		if err := r.Client.Patch(ctx, config, patch, client.FieldOwner(certificatesExpiryFieldManager)); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return fmt.Errorf("failed to record the certificates expiry of Machine %s on KThreesConfig %s: %w", m.Name, config.Name, err)
		}
		r.recordedExpiries.Store(config.UID, recordedExpiry{value: value, writtenOver: writtenOver})
		ctrl.LoggerFrom(ctx).V(2).Info("Recorded the certificates expiry of a control-plane Machine", "Machine", machineRef(m), "expiry", value)
		cp.upToDate[m.Name] = machineUpToDate(cp, m)
		if due := certificatesExpiryDays(cp.KCP) > 0 && renewalWindowStart(cp, observed).Before(cp.reconcileTime); due && !wasDue {
			r.Recorder.Eventf(cp.KCP, corev1.EventTypeWarning, "CertificatesExpiringSoon",
				"Machine %s: the K3s certificates of Node %s expire at %s, within spec.rollout.before.certificatesExpiryDays (%d days)",
				m.Name, nodeName, value, certificatesExpiryDays(cp.KCP))
		}
	}
	cp.requeueIn(untilNextRenewalWindow(cp))
	return nil
}

// recordedExpiry is a certificates expiry written on a KThreesConfig, and the resourceVersion it was written over.
type recordedExpiry struct {
	value       string
	writtenOver string
}

// expiryWriteInFlight tells whether value was written on the config over the resourceVersion the cache still
// shows: the write is done, the cache does not show it yet.
func (r *Reconciler) expiryWriteInFlight(config *bootstrapv1.KThreesConfig, value string) bool {
	v, ok := r.recordedExpiries.Load(config.UID)
	if !ok {
		return false
	}
	recorded := v.(recordedExpiry)
	return recorded.value == value && recorded.writtenOver == config.ResourceVersion
}

// untilNextRenewalWindow is how long until the certificates of a Machine enter the renewal window; 0 when none
// will (no certificatesExpiryDays, unknown expiries, or all already in it).
func untilNextRenewalWindow(cp *controlPlane) time.Duration {
	if certificatesExpiryDays(cp.KCP) <= 0 {
		return 0
	}
	var next time.Duration
	for _, m := range cp.Machines {
		expiry, ok := certificatesExpiry(cp, m)
		if !ok {
			continue
		}
		if d := renewalWindowStart(cp, expiry).Sub(cp.reconcileTime); d > 0 && (next == 0 || d < next) {
			next = d
		}
	}
	return next
}
