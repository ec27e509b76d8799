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
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

var expiryTestNow = time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)

// expiryScope is a one-Machine control plane whose node m0 presented certificates expiring at observed (none when
// zero), with a KThreesConfig annotated with recorded (none when "").
func expiryScope(days int32, observed time.Time, recorded string) (*controlPlane, *bootstrapv1.KThreesConfig) {
	cp := inPlaceScope("v1.34.5+k3s1", "v1.34.5+k3s1")
	cp.KCP.Spec.Rollout.Before.CertificatesExpiryDays = days
	cp.reconcileTime = expiryTestNow
	m := cp.Machines["m0"]
	m.Status.NodeRef = clusterv1.MachineNodeReference{Name: "node-0"}
	config := &bootstrapv1.KThreesConfig{ObjectMeta: metav1.ObjectMeta{Namespace: m.Namespace, Name: "m0-config"}}
	if recorded != "" {
		config.Annotations = map[string]string{clusterv1.MachineCertificatesExpiryDateAnnotation: recorded}
	}
	cp.Configs = map[string]*bootstrapv1.KThreesConfig{"m0": config}
	cp.health.certificatesExpiry = map[string]time.Time{}
	if !observed.IsZero() {
		cp.health.certificatesExpiry["node-0"] = observed
	}
	return cp, config
}

func TestReconcileCertificatesExpiry(t *testing.T) {
	inDays := func(d int) time.Time { return expiryTestNow.Add(time.Duration(d) * 24 * time.Hour) }
	for _, tc := range []struct {
		name        string
		days        int32
		observed    time.Time
		recorded    string
		wantWrite   bool
		wantEvent   string
		wantRequeue time.Duration
	}{
		{name: "first observation", observed: inDays(365), wantWrite: true},
		{name: "unchanged: no write", observed: inDays(365), recorded: inDays(365).Format(time.RFC3339)},
		{name: "nothing observed: nothing written", recorded: inDays(100).Format(time.RFC3339)},
		{
			name: "renewed: recorded again", observed: inDays(365), recorded: inDays(10).Format(time.RFC3339), days: 30,
			wantWrite: true, wantRequeue: 335 * 24 * time.Hour,
		},
		{name: "entering the window: warned", observed: inDays(20), recorded: inDays(40).Format(time.RFC3339), days: 30, wantWrite: true, wantEvent: "CertificatesExpiringSoon"},
		{name: "already due: not warned again", observed: inDays(19), recorded: inDays(20).Format(time.RFC3339), days: 30, wantWrite: true},
		{name: "a reconcile when the window opens", observed: inDays(100), recorded: inDays(100).Format(time.RFC3339), days: 30, wantRequeue: 70 * 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			cp, config := expiryScope(tc.days, tc.observed, tc.recorded)
			c := fake.NewClientBuilder().WithScheme(machinesTestScheme()).WithObjects(config.DeepCopy()).Build()
			recorder := record.NewFakeRecorder(10)
			r := &Reconciler{Client: c, Recorder: recorder}
			g.Expect(r.reconcileCertificatesExpiry(t.Context(), cp)).To(Succeed())

			stored := &bootstrapv1.KThreesConfig{}
			g.Expect(c.Get(t.Context(), client.ObjectKeyFromObject(config), stored)).To(Succeed())
			if tc.wantWrite {
				g.Expect(stored.Annotations).To(HaveKeyWithValue(clusterv1.MachineCertificatesExpiryDateAnnotation, tc.observed.Format(time.RFC3339)))
				g.Expect(stored.ResourceVersion).ToNot(Equal("999"))
			} else {
				g.Expect(stored.ResourceVersion).To(Equal("999"), "not written")
			}
			if tc.wantEvent != "" {
				g.Expect(<-recorder.Events).To(ContainSubstring(tc.wantEvent))
			} else {
				g.Expect(recorder.Events).To(BeEmpty())
			}
			g.Expect(cp.requeueAfter).To(Equal(tc.wantRequeue))
		})
	}
}

func TestCertificatesExpiryPrecedence(t *testing.T) {
	g := NewWithT(t)
	cp, config := expiryScope(30, time.Time{}, "2027-01-01T00:00:00Z")
	m := cp.Machines["m0"]
	m.Status.CertificatesExpiryDate = metav1.NewTime(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))
	got, ok := certificatesExpiry(cp, m)
	g.Expect(ok).To(BeTrue())
	g.Expect(got).To(Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)), "the KThreesConfig's, fresher than the status core copied")

	m.Annotations = map[string]string{clusterv1.MachineCertificatesExpiryDateAnnotation: "2026-12-20T00:00:00Z"}
	got, _ = certificatesExpiry(cp, m)
	g.Expect(got).To(Equal(time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)), "the Machine's annotation first, as core reads it")

	m.Annotations[clusterv1.MachineCertificatesExpiryDateAnnotation] = "soon"
	delete(config.Annotations, clusterv1.MachineCertificatesExpiryDateAnnotation)
	got, _ = certificatesExpiry(cp, m)
	g.Expect(got).To(Equal(m.Status.CertificatesExpiryDate.Time), "an unparsable annotation is skipped")

	m.Status.CertificatesExpiryDate = metav1.Time{}
	_, ok = certificatesExpiry(cp, m)
	g.Expect(ok).To(BeFalse())
}

func TestCertificatesExpiryDays(t *testing.T) {
	g := NewWithT(t)
	kcp := machinesTestKCP()
	g.Expect(certificatesExpiryDays(kcp)).To(BeZero())
	kcp.Annotations = map[string]string{controlplanev1.CertificatesExpiryDaysAnnotation: "45"}
	g.Expect(certificatesExpiryDays(kcp)).To(BeEquivalentTo(45), "the v1beta2 way in")
	kcp.Spec.Rollout.Before.CertificatesExpiryDays = 30
	g.Expect(certificatesExpiryDays(kcp)).To(BeEquivalentTo(30), "the field wins")
	kcp.Spec.Rollout.Before.CertificatesExpiryDays = 0
	kcp.Annotations[controlplanev1.CertificatesExpiryDaysAnnotation] = "soon"
	g.Expect(certificatesExpiryDays(kcp)).To(BeZero())
}

// A reconcile whose cache does not show the expiry written by the previous one yet does not write it again.
func TestReconcileCertificatesExpiryStaleCache(t *testing.T) {
	g := NewWithT(t)
	observed := expiryTestNow.Add(365 * 24 * time.Hour)
	cp, config := expiryScope(0, observed, "")
	c := fake.NewClientBuilder().WithScheme(machinesTestScheme()).WithObjects(config.DeepCopy()).Build()
	writes := 0
	counting := interceptor.NewClient(c, interceptor.Funcs{Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
		writes++
		return c.Patch(ctx, obj, patch, opts...)
	}})
	r := &Reconciler{Client: counting, Recorder: record.NewFakeRecorder(10)}
	stale := config.DeepCopy()
	stale.ResourceVersion = "999"
	cp.Configs["m0"] = config
	config.ResourceVersion = "999"
	g.Expect(r.reconcileCertificatesExpiry(t.Context(), cp)).To(Succeed())
	g.Expect(writes).To(Equal(1))

	// The next reconcile's cache still shows the config as it was before the write.
	cp2, _ := expiryScope(0, observed, "")
	cp2.Configs["m0"] = stale
	g.Expect(r.reconcileCertificatesExpiry(t.Context(), cp2)).To(Succeed())
	g.Expect(writes).To(Equal(1), "not written twice")

	// Once the cache shows a later version without it (someone removed it), it is written again.
	fresh := stale.DeepCopy()
	fresh.ResourceVersion = "1001"
	cp3, _ := expiryScope(0, observed, "")
	cp3.Configs["m0"] = fresh
	g.Expect(r.reconcileCertificatesExpiry(t.Context(), cp3)).To(Succeed())
	g.Expect(writes).To(Equal(2))
}
