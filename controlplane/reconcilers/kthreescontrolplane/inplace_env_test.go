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
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3supgrade"
)

// The tests play the node: they run the upgrade Pod the control plane creates by setting the Node's version and the
// Pod's phase, as K3s's upgrade image and the restarted K3s would.

// upgradePod waits for the upgrade Pod of the node and returns it.
func upgradePod(t *testing.T, ctx context.Context, nodeName string) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{}
	NewWithT(t).Eventually(func() error {
		return env.Client.Get(ctx, client.ObjectKey{Namespace: k3supgrade.PodNamespace, Name: k3supgrade.PodName(nodeName)}, pod)
	}, envEventually, envPoll).Should(Succeed())
	return pod
}

// runUpgradePod finishes the Pod with phase and, when it succeeded, moves the Node to version.
func runUpgradePod(t *testing.T, ctx context.Context, pod *corev1.Pod, phase corev1.PodPhase, version string) {
	t.Helper()
	g := NewWithT(t)
	if phase == corev1.PodSucceeded {
		node := &corev1.Node{}
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: pod.Spec.NodeName}, node)).To(Succeed())
		node.Status.NodeInfo.KubeletVersion = version
		g.Expect(env.Client.Status().Update(ctx, node)).To(Succeed())
	}
	pod.Status.Phase = phase
	g.Expect(env.Client.Status().Update(ctx, pod)).To(Succeed())
}

func setNodeVersions(t *testing.T, ctx context.Context, e *envCluster, version string) {
	t.Helper()
	g := NewWithT(t)
	for _, m := range e.machines(g, ctx) {
		node := &corev1.Node{}
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: m.Status.NodeRef.Name}, node)).To(Succeed())
		node.Status.NodeInfo.KubeletVersion = version
		g.Expect(env.Client.Status().Update(ctx, node)).To(Succeed())
	}
}

func TestEnv_InPlaceUpgradeSingleNode(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	e := newEnvCluster(t, ctx, 1, func(kcp *controlplanev1.KThreesControlPlane) {
		kcp.Spec.Rollout.Strategy.Type = controlplanev1.InPlaceStrategyType
		kcp.Spec.Rollout.Strategy.InPlace.UpgradeImage = "registry.local/rancher/k3s-upgrade"
	})
	ctrls := startControllers(t, e.sim)
	e.expectConverged(t, ctx, 1, envVersion)
	setNodeVersions(t, ctx, e, envVersion)
	before := e.machines(g, ctx)[0]
	nodeName := before.Status.NodeRef.Name

	samplingCtx, stopSampling := context.WithCancel(ctx)
	maxMachines := e.watchMachineCount(samplingCtx)
	kcp := e.getKCP(g, ctx)
	kcp.Spec.Version = envNewVersion
	g.Expect(env.Client.Update(ctx, kcp)).To(Succeed())

	pod := upgradePod(t, ctx, nodeName)
	g.Expect(pod.Spec.NodeName).To(Equal(nodeName))
	g.Expect(pod.Spec.Containers[0].Image).To(Equal("registry.local/rancher/k3s-upgrade:v1.34.6-k3s1"))
	g.Expect(pod.Annotations).To(HaveKeyWithValue(controlplanev1.UpgradePodVersionAnnotation, envNewVersion))
	node := &corev1.Node{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: nodeName}, node)).To(Succeed())
	g.Expect(node.Spec.Unschedulable).To(BeTrue(), "cordoned before the upgrade")
	m := &clusterv1.Machine{}
	g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(before), m)).To(Succeed())
	g.Expect(m.Spec.Version).To(Equal(envVersion), "the Machine shows the new version only once the node runs it")
	g.Expect(m.Annotations).To(HaveKey(clusterv1.UpdateInProgressAnnotation))

	// A restart in the middle of the upgrade picks it up where it was.
	ctrls.stop()
	startControllers(t, e.sim)
	g.Consistently(func(g Gomega) {
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(before), m)).To(Succeed())
		g.Expect(m.Spec.Version).To(Equal(envVersion))
	}, 2*time.Second, envPoll).Should(Succeed())
	runUpgradePod(t, ctx, pod, corev1.PodSucceeded, envNewVersion)

	e.expectConverged(t, ctx, 1, envNewVersion)
	stopSampling()
	g.Expect(maxMachines()).To(Equal(1), "no Machine was created")
	after := e.machines(g, ctx)[0]
	g.Expect(after.UID).To(Equal(before.UID))
	g.Expect(after.Spec.InfrastructureRef).To(Equal(before.Spec.InfrastructureRef))
	g.Expect(after.Status.NodeRef).To(Equal(before.Status.NodeRef))
	g.Expect(after.Annotations).ToNot(HaveKey(clusterv1.UpdateInProgressAnnotation))
	g.Expect(after.Annotations).ToNot(HaveKey(controlplanev1.InPlaceUpgradeTargetAnnotation))
	config := &bootstrapv1.KThreesConfig{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: after.Namespace, Name: after.Spec.Bootstrap.ConfigRef.Name}, config)).To(Succeed())
	g.Expect(config.Spec.Version).To(Equal(envNewVersion))
	g.Eventually(func(g Gomega) {
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: nodeName}, node)).To(Succeed())
		g.Expect(node.Spec.Unschedulable).To(BeFalse(), "uncordoned")
		err := env.Client.Get(ctx, client.ObjectKeyFromObject(pod), &corev1.Pod{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "upgrade Pod removed")
	}, envEventually, envPoll).Should(Succeed())
	e.expectQuiet(t, ctx)
}

// A failed upgrade Pod stops the upgrade with a condition and an event naming the node; deleting the Pod after the
// fix resumes it.
func TestEnv_InPlaceUpgradeStallsAndResumes(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	e := newEnvCluster(t, ctx, 1, func(kcp *controlplanev1.KThreesControlPlane) {
		kcp.Annotations = map[string]string{controlplanev1.InPlaceUpgradeAnnotation: "true"}
	})
	startControllers(t, e.sim)
	e.expectConverged(t, ctx, 1, envVersion)
	setNodeVersions(t, ctx, e, envVersion)
	nodeName := e.machines(g, ctx)[0].Status.NodeRef.Name

	kcp := e.getKCP(g, ctx)
	kcp.Spec.Version = envNewVersion
	g.Expect(env.Client.Update(ctx, kcp)).To(Succeed())
	pod := upgradePod(t, ctx, nodeName)
	runUpgradePod(t, ctx, pod, corev1.PodFailed, "")

	g.Eventually(func(g Gomega) {
		rollingOut := conditions.Get(e.getKCP(g, ctx), controlplanev1.KThreesControlPlaneRollingOutCondition)
		g.Expect(rollingOut).ToNot(BeNil())
		g.Expect(rollingOut.Reason).To(Equal(controlplanev1.KThreesControlPlaneInPlaceUpgradeStalledReason))
		g.Expect(rollingOut.Message).To(ContainSubstring(nodeName))
		events := &corev1.EventList{}
		g.Expect(env.Client.List(ctx, events, client.InNamespace(e.cluster.Namespace))).To(Succeed())
		var reasons []string
		for _, ev := range events.Items {
			reasons = append(reasons, ev.Reason)
		}
		g.Expect(reasons).To(ContainElement("InPlaceUpgradeStalled"))
	}, envEventually, envPoll).Should(Succeed())
	g.Expect(e.machines(g, ctx)[0].Spec.Version).To(Equal(envVersion))

	g.Expect(env.Client.Delete(ctx, pod, client.GracePeriodSeconds(0))).To(Succeed())
	var retried *corev1.Pod
	g.Eventually(func(g Gomega) {
		retried = upgradePod(t, ctx, nodeName)
		g.Expect(retried.UID).ToNot(Equal(pod.UID))
	}, envEventually, envPoll).Should(Succeed())
	runUpgradePod(t, ctx, retried, corev1.PodSucceeded, envNewVersion)
	e.expectConverged(t, ctx, 1, envNewVersion)
}

// Three servers are upgraded one at a time: never two upgrade Pods or two Machines in progress, never a Machine
// created or deleted, etcd keeps its three members.
func TestEnv_InPlaceUpgradeOneAtATime(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	e := newEnvCluster(t, ctx, 3, func(kcp *controlplanev1.KThreesControlPlane) {
		kcp.Spec.Rollout.Strategy.Type = controlplanev1.InPlaceStrategyType
	})
	startControllers(t, e.sim)
	e.expectConverged(t, ctx, 3, envVersion)
	setNodeVersions(t, ctx, e, envVersion)
	before := map[string]types.UID{}
	for _, m := range e.machines(g, ctx) {
		before[m.Name] = m.UID
	}

	samplingCtx, stopSampling := context.WithCancel(ctx)
	maxMachines := e.watchMachineCount(samplingCtx)
	kcp := e.getKCP(g, ctx)
	kcp.Spec.Version = envNewVersion
	g.Expect(env.Client.Update(ctx, kcp)).To(Succeed())

	upgraded := map[string]bool{}
	for len(upgraded) < 3 {
		var pod *corev1.Pod
		g.Eventually(func(g Gomega) {
			pods := &corev1.PodList{}
			g.Expect(env.Client.List(ctx, pods, client.InNamespace(k3supgrade.PodNamespace), client.MatchingLabels{controlplanev1.UpgradePodLabel: "true"})).To(Succeed())
			var pending []*corev1.Pod
			for i := range pods.Items {
				p := &pods.Items[i]
				if _, mine := before[p.Spec.NodeName]; mine && (p.Status.Phase == "" || p.Status.Phase == corev1.PodPending) && !upgraded[p.Spec.NodeName] {
					pending = append(pending, p)
				}
			}
			g.Expect(pending).To(HaveLen(1), "one node at a time; %v", conditions.Get(e.getKCP(g, ctx), controlplanev1.KThreesControlPlaneRollingOutCondition))
			pod = pending[0]
			inProgress := 0
			for _, m := range e.machines(g, ctx) {
				if _, ok := m.Annotations[clusterv1.UpdateInProgressAnnotation]; ok {
					inProgress++
				}
			}
			g.Expect(inProgress).To(Equal(1))
			g.Expect(e.etcd.MemberNodes(e.key())).To(HaveLen(3), "etcd members")
		}, envEventually, envPoll).Should(Succeed())
		runUpgradePod(t, ctx, pod, corev1.PodSucceeded, envNewVersion)
		upgraded[pod.Spec.NodeName] = true
	}

	e.expectConverged(t, ctx, 3, envNewVersion)
	stopSampling()
	g.Expect(maxMachines()).To(Equal(3))
	for _, m := range e.machines(g, ctx) {
		g.Expect(before).To(HaveKeyWithValue(m.Name, m.UID), "Machine %s kept", m.Name)
	}
}

// The certificates expiry the etcd member presents is recorded on the KThreesConfig; once it is within
// certificatesExpiryDays, the in-place strategy renews the certificates on the node: no cordon, no new Machine,
// a restart of the controllers in the middle picks it up, and it ends when the member presents renewed ones.
func TestEnv_InPlaceCertificatesRenewal(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	e := newEnvCluster(t, ctx, 1, func(kcp *controlplanev1.KThreesControlPlane) {
		kcp.Spec.Rollout.Strategy.Type = controlplanev1.InPlaceStrategyType
		kcp.Spec.Rollout.Strategy.InPlace.UpgradeImage = "registry.local/rancher/k3s-upgrade"
		kcp.Spec.Rollout.Before.CertificatesExpiryDays = 30
	})
	expiry := time.Now().Add(200 * 24 * time.Hour).UTC().Truncate(time.Second)
	e.etcd.SetCertificatesExpiry(e.key(), "", expiry)
	ctrls := startControllers(t, e.sim)
	e.expectConverged(t, ctx, 1, envVersion)
	before := e.machines(g, ctx)[0]
	nodeName := before.Status.NodeRef.Name
	config := &bootstrapv1.KThreesConfig{}
	configKey := client.ObjectKey{Namespace: before.Namespace, Name: before.Spec.Bootstrap.ConfigRef.Name}
	g.Eventually(func(g Gomega) {
		g.Expect(env.Client.Get(ctx, configKey, config)).To(Succeed())
		g.Expect(config.Annotations).To(HaveKeyWithValue(clusterv1.MachineCertificatesExpiryDateAnnotation, expiry.Format(time.RFC3339)))
	}, envEventually, envPoll).Should(Succeed(), "the expiry the etcd member presents is recorded where CAPI core reads it")
	e.expectQuiet(t, ctx)

	// 200 days are within 250: the certificates are due, and renewed in place.
	samplingCtx, stopSampling := context.WithCancel(ctx)
	maxMachines := e.watchMachineCount(samplingCtx)
	kcp := e.getKCP(g, ctx)
	kcp.Spec.Rollout.Before.CertificatesExpiryDays = 250
	g.Expect(env.Client.Update(ctx, kcp)).To(Succeed())

	pod := upgradePod(t, ctx, nodeName)
	g.Expect(k3supgrade.Action(pod)).To(Equal(controlplanev1.UpgradePodActionRotateCertificates))
	g.Expect(pod.Annotations).To(HaveKeyWithValue(controlplanev1.UpgradePodVersionAnnotation, envVersion))
	g.Expect(pod.Spec.Containers[0].Image).To(Equal("registry.local/rancher/k3s-upgrade:" + k3supgrade.ImageTag(envVersion)))
	m := &clusterv1.Machine{}
	g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(before), m)).To(Succeed())
	g.Expect(m.Annotations).To(HaveKey(clusterv1.UpdateInProgressAnnotation))
	g.Expect(m.Annotations).To(HaveKeyWithValue(controlplanev1.InPlaceCertificatesRenewalAnnotation, expiry.Format(time.RFC3339)))
	node := &corev1.Node{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: nodeName}, node)).To(Succeed())
	g.Expect(node.Spec.Unschedulable).To(BeFalse(), "a restart of K3s keeps the pods: no cordon")
	g.Eventually(func(g Gomega) {
		rollingOut := conditions.Get(e.getKCP(g, ctx), controlplanev1.KThreesControlPlaneRollingOutCondition)
		g.Expect(rollingOut).ToNot(BeNil())
		g.Expect(rollingOut.Message).To(ContainSubstring("Renewing the certificates of Machine " + before.Name + " in place"))
	}, envEventually, envPoll).Should(Succeed())

	// A restart in the middle keeps the one Pod and waits for renewed certificates.
	ctrls.stop()
	startControllers(t, e.sim)
	g.Consistently(func(g Gomega) {
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(before), m)).To(Succeed())
		g.Expect(m.Annotations).To(HaveKey(controlplanev1.InPlaceCertificatesRenewalAnnotation))
		running := &corev1.Pod{}
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(pod), running)).To(Succeed())
		g.Expect(running.UID).To(Equal(pod.UID))
	}, 2*time.Second, envPoll).Should(Succeed())

	// The node rotated its certificates and K3s is back.
	renewed := time.Now().Add(365 * 24 * time.Hour).UTC().Truncate(time.Second)
	e.etcd.SetCertificatesExpiry(e.key(), nodeName, renewed)
	pod.Status.Phase = corev1.PodSucceeded
	g.Expect(env.Client.Status().Update(ctx, pod)).To(Succeed())

	e.expectConverged(t, ctx, 1, envVersion)
	g.Eventually(func(g Gomega) {
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(before), m)).To(Succeed())
		g.Expect(m.Annotations).ToNot(HaveKey(controlplanev1.InPlaceCertificatesRenewalAnnotation))
		g.Expect(m.Annotations).ToNot(HaveKey(clusterv1.UpdateInProgressAnnotation))
		g.Expect(env.Client.Get(ctx, configKey, config)).To(Succeed())
		g.Expect(config.Annotations).To(HaveKeyWithValue(clusterv1.MachineCertificatesExpiryDateAnnotation, renewed.Format(time.RFC3339)))
		err := env.Client.Get(ctx, client.ObjectKeyFromObject(pod), &corev1.Pod{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "rotation Pod removed")
	}, envEventually, envPoll).Should(Succeed())
	stopSampling()
	g.Expect(maxMachines()).To(Equal(1), "no Machine was created")
	g.Expect(m.UID).To(Equal(before.UID))
	g.Expect(m.Spec.InfrastructureRef).To(Equal(before.Spec.InfrastructureRef))
	e.expectQuiet(t, ctx)
}
