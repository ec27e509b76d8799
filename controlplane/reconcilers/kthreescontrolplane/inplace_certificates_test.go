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
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcdproxy"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3supgrade"
)

// Every step of a renewal under way, from the state the Machine, its Node, the rotation Pod and the etcd member's
// certificate are in.
func TestContinueInPlaceCertificatesRenewal(t *testing.T) {
	const version = "v1.34.5+k3s1"
	renewing := expiryTestNow.Add(10 * 24 * time.Hour)
	renewed := expiryTestNow.Add(365 * 24 * time.Hour)
	rotation := func(phase corev1.PodPhase) *corev1.Pod {
		pod := k3supgrade.RotateCertificatesPod("node-0", version, controlplanev1.DefaultUpgradeImage)
		pod.Status.Phase = phase
		return pod
	}
	for _, tc := range []struct {
		name       string
		pod        *corev1.Pod
		observed   time.Time
		notReady   bool
		noEtcd     bool
		etcdSick   bool
		wantPod    string // "rotation", "gone" or "kept"
		wantDone   bool
		wantStall  bool
		wantStep   string
		wantEvents []string
	}{
		{name: "starts the rotation Pod", observed: renewing, wantPod: "rotation", wantStep: "rotating the certificates of Node node-0"},
		{
			name: "replaces a Pod left from an upgrade", pod: k3supgrade.Pod("node-0", version, controlplanev1.DefaultUpgradeImage),
			observed: renewing, wantPod: "gone",
		},
		{
			name: "waits while the Pod runs", pod: rotation(corev1.PodRunning), observed: renewing, wantPod: "kept",
			wantStep: "waiting for Node node-0 to be Ready with renewed certificates",
		},
		{
			name: "a failed Pod stalls", pod: rotation(corev1.PodFailed), observed: renewing, wantPod: "kept", wantStall: true,
			wantStep: "the certificates rotation Pod kube-system/k3s-upgrade-node-0 on Node node-0 failed", wantEvents: []string{"InPlaceUpgradeStalled"},
		},
		{
			name: "renewed but not Ready yet: waits, no second rotation", observed: renewed, notReady: true, wantPod: "gone",
			wantStep: "waiting for Node node-0 to be Ready with renewed certificates",
		},
		{
			name: "renewed but etcd member unhealthy: waits", pod: rotation(corev1.PodSucceeded), observed: renewed, etcdSick: true,
			wantPod: "kept",
		},
		{name: "renewed and healthy: done", pod: rotation(corev1.PodSucceeded), observed: renewed, wantPod: "gone", wantDone: true, wantEvents: []string{"CertificatesRenewed"}},
		{
			name: "without etcd inspection (started before it was disabled): never told done, waits until it stalls", pod: rotation(corev1.PodSucceeded),
			noEtcd: true, wantPod: "kept", wantStep: "waiting for Node node-0 to be Ready with renewed certificates",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			cp, _ := expiryScope(30, tc.observed, "")
			if tc.noEtcd {
				cp.KCP.Spec.KThreesConfigSpec.ServerConfig.DisableComponents = []string{etcdproxy.Name}
			}
			m := cp.Machines["m0"]
			m.Annotations = map[string]string{
				controlplanev1.InPlaceUpgradeTargetAnnotation:       version,
				controlplanev1.InPlaceCertificatesRenewalAnnotation: renewing.Format(time.RFC3339),
				controlplanev1.InPlaceUpgradeStartedAnnotation:      expiryTestNow.Format(time.RFC3339),
				clusterv1.UpdateInProgressAnnotation:                "",
			}
			node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-0"}}
			ready := corev1.ConditionTrue
			if tc.notReady {
				ready = corev1.ConditionFalse
			}
			node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}}
			if !tc.etcdSick {
				cp.health.etcdHealthyNodes.Insert("node-0")
			}
			workloadObjects := []client.Object{node}
			if tc.pod != nil {
				workloadObjects = append(workloadObjects, tc.pod)
			}
			wc := fake.NewClientBuilder().WithScheme(machinesTestScheme()).WithObjects(workloadObjects...).WithStatusSubresource(&corev1.Pod{}).Build()
			mc := fake.NewClientBuilder().WithScheme(machinesTestScheme()).WithObjects(m.DeepCopy()).Build()
			recorder := record.NewFakeRecorder(10)
			r := &Reconciler{Client: mc, Recorder: recorder, now: func() time.Time { return expiryTestNow }}
			progress := &inPlaceProgress{machine: m.Name, target: version}

			_, err := r.continueInPlaceCertificatesRenewal(t.Context(), cp, m, wc, node, progress)
			g.Expect(err).ToNot(HaveOccurred())

			pod := &corev1.Pod{}
			err = wc.Get(t.Context(), client.ObjectKey{Namespace: k3supgrade.PodNamespace, Name: k3supgrade.PodName("node-0")}, pod)
			switch tc.wantPod {
			case "rotation":
				g.Expect(err).ToNot(HaveOccurred())
				g.Expect(k3supgrade.Action(pod)).To(Equal(controlplanev1.UpgradePodActionRotateCertificates))
			case "gone":
				g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "Pod deleted or not created")
			case "kept":
				g.Expect(err).ToNot(HaveOccurred())
			}
			stored := &clusterv1.Machine{}
			g.Expect(mc.Get(t.Context(), client.ObjectKeyFromObject(m), stored)).To(Succeed())
			if tc.wantDone {
				g.Expect(stored.Annotations).ToNot(HaveKey(controlplanev1.InPlaceCertificatesRenewalAnnotation))
				g.Expect(stored.Annotations).ToNot(HaveKey(clusterv1.UpdateInProgressAnnotation))
				g.Expect(cp.inPlace).To(BeNil())
			} else {
				g.Expect(stored.Annotations).To(HaveKey(controlplanev1.InPlaceCertificatesRenewalAnnotation))
				g.Expect(progress.renewal).To(BeTrue())
				g.Expect(progress.stalled).To(Equal(tc.wantStall))
				g.Expect(progress.step).To(ContainSubstring(tc.wantStep))
			}
			for _, want := range tc.wantEvents {
				g.Expect(<-recorder.Events).To(ContainSubstring(want))
			}
			g.Expect(recorder.Events).To(BeEmpty())
		})
	}
}
