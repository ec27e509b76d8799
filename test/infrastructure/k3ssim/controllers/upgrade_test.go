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

package controllers

import (
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
	infrav1 "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/api/v1beta1"
)

const upgradeVersion = "v1.34.5+k3s1"

// upgradePod returns the upgrade Pod as the control plane creates it (the contract of issue 11, spelled out here
// rather than taken from the simulator's constants, so that a drift fails).
func upgradePod(name, nodeName, version string) *corev1.Pod {
	hostRoot := corev1.HostPathDirectory
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   "kube-system",
			Name:        name,
			Labels:      map[string]string{"controlplane.cluster.x-k8s.io/k3s-upgrade": "true"},
			Annotations: map[string]string{"controlplane.cluster.x-k8s.io/k3s-upgrade-version": version},
		},
		Spec: corev1.PodSpec{
			NodeName:      nodeName,
			RestartPolicy: corev1.RestartPolicyNever,
			HostPID:       true,
			HostIPC:       true,
			HostNetwork:   true,
			Containers: []corev1.Container{{
				Name:            "upgrade",
				Image:           "rancher/k3s-upgrade:" + strings.ReplaceAll(version, "+", "-"),
				Args:            []string{"upgrade"},
				SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)},
				VolumeMounts:    []corev1.VolumeMount{{Name: "host-root", MountPath: "/host"}},
			}},
			Volumes: []corev1.Volume{{
				Name:         "host-root",
				VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/", Type: &hostRoot}},
			}},
		},
	}
}

// rotatePod is a certificates rotation Pod as the control plane creates it: an upgrade Pod at the node's version
// whose container runs k3s certificate rotate with the host's binary, then kills K3s.
func rotatePod(name, nodeName, version string) *corev1.Pod {
	pod := upgradePod(name, nodeName, version)
	pod.Annotations["controlplane.cluster.x-k8s.io/k3s-upgrade-action"] = "rotate-certificates"
	pod.Spec.Containers[0].Args = nil
	pod.Spec.Containers[0].Command = []string{"/bin/sh", "-c", `chroot /host "$bin" certificate rotate; kill -TERM "$pid"`}
	return pod
}

// nodeCertificatesExpiry is the certificates expiry the simulator publishes on the Node.
func nodeCertificatesExpiry(t *testing.T, c client.Client, nodeName string) time.Time {
	t.Helper()
	expiry, err := time.Parse(time.RFC3339, getNode(t, c, nodeName).Annotations["k3ssim.cluster.x-k8s.io/certificates-expiry"])
	NewWithT(t).Expect(err).ToNot(HaveOccurred())
	return expiry
}

// waitPodPhase waits until the Pod is in the phase and returns it.
func waitPodPhase(t *testing.T, c client.Client, pod *corev1.Pod, phase corev1.PodPhase) *corev1.Pod {
	t.Helper()
	got := &corev1.Pod{}
	NewWithT(t).Eventually(func(g Gomega) {
		g.Expect(c.Get(t.Context(), client.ObjectKeyFromObject(pod), got)).To(Succeed())
		g.Expect(got.Status.Phase).To(Equal(phase), "%s: %s", got.Status.Reason, got.Status.Message)
	}, eventually).Should(Succeed())
	return got
}

func getNode(t *testing.T, c client.Client, name string) *corev1.Node {
	t.Helper()
	n := &corev1.Node{}
	NewWithT(t).Expect(c.Get(t.Context(), client.ObjectKey{Name: name}, n)).To(Succeed())
	return n
}

func readyCondition(n *corev1.Node) corev1.NodeCondition {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c
		}
	}
	return corev1.NodeCondition{}
}

func terminated(pod *corev1.Pod) *corev1.ContainerStateTerminated {
	for _, s := range pod.Status.ContainerStatuses {
		if s.Name == "upgrade" {
			return s.State.Terminated
		}
	}
	return nil
}

func TestUpgrade_PodRunsOnItsNode(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	tc := newTestCluster(t)
	_, s0 := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer, knobs: infrav1.K3sSimMachineSpec{UpgradeDelaySeconds: new(int32(3))}})
	_, w0 := tc.newMachine(t, "worker-0", machineOptions{role: k3sconfig.RoleAgent})
	s0 = waitBooted(t, s0)
	waitBooted(t, w0)
	wc := tc.workloadClient(t)

	n := getNode(t, wc, "server-0")
	g.Expect(n.Status.NodeInfo.KubeletVersion).To(Equal(testVersion))
	g.Expect(n.Annotations).To(HaveKeyWithValue("k3ssim.cluster.x-k8s.io/k3s-version", testVersion))
	expiry, err := time.Parse(time.RFC3339, n.Annotations["k3ssim.cluster.x-k8s.io/certificates-expiry"])
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(expiry).To(BeTemporally("~", time.Now().Add(365*24*time.Hour), 5*time.Minute), "K3s's one-year validity")

	// A Pod that only looks like an upgrade Pod (no label) runs nothing.
	lookalike := upgradePod("not-an-upgrade", "server-0", upgradeVersion)
	lookalike.Labels = nil
	g.Expect(wc.Create(ctx, lookalike)).To(Succeed())

	created := time.Now()
	pod := upgradePod("k3s-upgrade-server-0", "server-0", upgradeVersion)
	g.Expect(wc.Create(ctx, pod)).To(Succeed())
	running := waitPodPhase(t, wc, pod, corev1.PodRunning)
	g.Expect(running.Status.StartTime).ToNot(BeNil())
	g.Consistently(func(g Gomega) {
		n := getNode(t, wc, "server-0")
		g.Expect(n.Status.NodeInfo.KubeletVersion).To(Equal(testVersion), "the version changes only once the Pod ran")
		g.Expect(n.Annotations).To(HaveKeyWithValue("k3ssim.cluster.x-k8s.io/k3s-version", testVersion))
	}, time.Second).Should(Succeed())

	done := waitPodPhase(t, wc, pod, corev1.PodSucceeded)
	g.Expect(time.Since(created)).To(BeNumerically(">=", 3*time.Second), "spec.upgradeDelaySeconds")
	g.Expect(terminated(done)).ToNot(BeNil())
	g.Expect(terminated(done).ExitCode).To(BeZero())

	n = getNode(t, wc, "server-0")
	g.Expect(n.Status.NodeInfo.KubeletVersion).To(Equal(upgradeVersion))
	g.Expect(n.Status.NodeInfo.KubeProxyVersion).To(Equal(upgradeVersion))
	g.Expect(n.Annotations).To(HaveKeyWithValue("k3ssim.cluster.x-k8s.io/k3s-version", upgradeVersion))
	ready := readyCondition(n)
	g.Expect(ready.Status).To(Equal(corev1.ConditionTrue))
	g.Expect(ready.LastTransitionTime.Time).To(BeTemporally(">=", running.Status.StartTime.Time), "K3s restarted")
	g.Expect(n.Spec.Taints).To(BeEmpty())
	g.Expect(n.Annotations).To(HaveKeyWithValue("k3ssim.cluster.x-k8s.io/certificates-expiry", expiry.Format(time.RFC3339)),
		"an upgrade renews no certificate")
	g.Expect(sim.machine(s0.UID).version).To(Equal(upgradeVersion), "a restart of K3s runs the new binary")

	// Nothing else ran.
	g.Expect(getNode(t, wc, "worker-0").Status.NodeInfo.KubeletVersion).To(Equal(testVersion))
	g.Expect(wc.Get(ctx, client.ObjectKeyFromObject(lookalike), lookalike)).To(Succeed())
	g.Expect(lookalike.Status.Phase).To(BeEmpty())
}

func TestUpgrade_RenewsCertificates(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	tc := newTestCluster(t)
	in20Days, in200Days := metav1.NewTime(time.Now().Add(20*24*time.Hour)), metav1.NewTime(time.Now().Add(200*24*time.Hour))
	_, s0 := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer, knobs: infrav1.K3sSimMachineSpec{
		UpgradeDelaySeconds: new(int32(1)), CertificatesExpiry: &in20Days,
	}})
	_, s1 := tc.newMachine(t, "server-1", machineOptions{role: k3sconfig.RoleJoinServer, knobs: infrav1.K3sSimMachineSpec{
		UpgradeDelaySeconds: new(int32(1)), CertificatesExpiry: &in200Days,
	}})
	waitBooted(t, s0)
	waitBooted(t, s1)
	wc := tc.workloadClient(t)
	g.Expect(nodeCertificatesExpiry(t, wc, "server-0")).To(BeTemporally("~", in20Days.Time, time.Second))
	g.Expect(nodeCertificatesExpiry(t, wc, "server-1")).To(BeTemporally("~", in200Days.Time, time.Second))
	oneYear := time.Now().Add(365 * 24 * time.Hour)

	// K3s renews certificates that expire within 90 days whenever it starts, here after an upgrade.
	upgrade := upgradePod("k3s-upgrade-server-0", "server-0", upgradeVersion)
	g.Expect(wc.Create(ctx, upgrade)).To(Succeed())
	waitPodPhase(t, wc, upgrade, corev1.PodSucceeded)
	g.Expect(nodeCertificatesExpiry(t, wc, "server-0")).To(BeTemporally("~", oneYear, time.Minute))

	// Further out, only a rotation makes it renew them; the version stays.
	rotation := rotatePod("k3s-upgrade-server-1", "server-1", testVersion)
	g.Expect(wc.Create(ctx, rotation)).To(Succeed())
	waitPodPhase(t, wc, rotation, corev1.PodSucceeded)
	g.Expect(nodeCertificatesExpiry(t, wc, "server-1")).To(BeTemporally("~", oneYear, time.Minute))
	g.Expect(getNode(t, wc, "server-1").Status.NodeInfo.KubeletVersion).To(Equal(testVersion))
	g.Expect(readyCondition(getNode(t, wc, "server-1")).Status).To(Equal(corev1.ConditionTrue))
	g.Expect(sim.machine(s1.UID).certificatesExpiry()).To(BeTemporally("~", oneYear, time.Minute))

	// A rotation at a version the node does not run is refused, as the node's binary is what rotates.
	wrong := rotatePod("k3s-upgrade-other", "server-1", upgradeVersion)
	g.Expect(wc.Create(ctx, wrong)).To(Succeed())
	failed := waitPodPhase(t, wc, wrong, corev1.PodFailed)
	g.Expect(failed.Status.Reason).To(Equal("InvalidUpgradePod"))
}

func TestUpgrade_PodsThatFail(t *testing.T) {
	tc := newTestCluster(t)
	noDelay := new(int32(0))
	_, s0 := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer, knobs: infrav1.K3sSimMachineSpec{UpgradeDelaySeconds: noDelay}})
	_, w0 := tc.newMachine(t, "worker-0", machineOptions{role: k3sconfig.RoleAgent,
		knobs: infrav1.K3sSimMachineSpec{UpgradeDelaySeconds: noDelay, UpgradeFails: new(true)}})
	waitBooted(t, s0)
	waitBooted(t, w0)
	wc := tc.workloadClient(t)

	for _, tt := range []struct {
		name, node string
		mutate     func(*corev1.Pod)
		reason     string
		message    string
		// exitCode is the upgrade container's, nil when it never ran.
		exitCode *int32
	}{
		{
			name: "image tag of another version", node: "server-0",
			mutate:  func(p *corev1.Pod) { p.Spec.Containers[0].Image = "rancher/k3s-upgrade:v1.34.4-k3s1" },
			reason:  "InvalidUpgradePod",
			message: `has tag "v1.34.4-k3s1", not "v1.34.5-k3s1"`,
		},
		{
			name: "image tag with '+'", node: "server-0",
			mutate:  func(p *corev1.Pod) { p.Spec.Containers[0].Image = "rancher/k3s-upgrade:" + upgradeVersion },
			reason:  "InvalidUpgradePod",
			message: `not "v1.34.5-k3s1"`,
		},
		{
			name: "unknown node", node: "nowhere",
			reason:  "NodeNotFound",
			message: `no simulated machine runs Node "nowhere"`,
		},
		{
			name: "upgradeFails knob", node: "worker-0",
			reason:   "UpgradeFailed",
			message:  "upgradeFails",
			exitCode: new(int32(1)),
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			pod := upgradePod("upgrade-"+strings.NewReplacer(" ", "-", "'", "", "+", "plus").Replace(tt.name), tt.node, upgradeVersion)
			if tt.mutate != nil {
				tt.mutate(pod)
			}
			g.Expect(wc.Create(t.Context(), pod)).To(Succeed())
			pod = waitPodPhase(t, wc, pod, corev1.PodFailed)
			g.Expect(pod.Status.Reason).To(Equal(tt.reason))
			g.Expect(pod.Status.Message).To(ContainSubstring(tt.message))
			if tt.exitCode == nil {
				g.Expect(terminated(pod)).To(BeNil())
			} else {
				g.Expect(terminated(pod)).ToNot(BeNil())
				g.Expect(terminated(pod).ExitCode).To(Equal(*tt.exitCode))
			}
			for _, name := range []string{"server-0", "worker-0"} {
				n := getNode(t, wc, name)
				g.Expect(n.Status.NodeInfo.KubeletVersion).To(Equal(testVersion), name)
				g.Expect(n.Annotations).To(HaveKeyWithValue("k3ssim.cluster.x-k8s.io/k3s-version", testVersion), name)
				g.Expect(readyCondition(n).Status).To(Equal(corev1.ConditionTrue), name)
			}
		})
	}
}

func TestUpgrade_NodeNotReadyAfterUpgrade(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	tc := newTestCluster(t)
	_, s0 := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer,
		knobs: infrav1.K3sSimMachineSpec{UpgradeDelaySeconds: new(int32(0)), NodeNotReadyAfterUpgrade: new(true)}})
	s0 = waitBooted(t, s0)
	wc := tc.workloadClient(t)

	pod := upgradePod("k3s-upgrade-server-0", "server-0", upgradeVersion)
	g.Expect(wc.Create(ctx, pod)).To(Succeed())
	down := func(g Gomega) {
		n := getNode(t, wc, "server-0")
		g.Expect(n.Annotations).To(HaveKeyWithValue("k3ssim.cluster.x-k8s.io/k3s-version", upgradeVersion), "the binary is replaced")
		g.Expect(readyCondition(n).Status).To(Equal(corev1.ConditionFalse))
		g.Expect(hasTaint(n, "node.kubernetes.io/not-ready", corev1.TaintEffectNoSchedule)).To(BeTrue())
		g.Expect(n.Status.NodeInfo.KubeletVersion).To(Equal(testVersion), "no kubelet reports the new version yet")
		p := &corev1.Pod{}
		g.Expect(wc.Get(ctx, client.ObjectKeyFromObject(pod), p)).To(Succeed())
		g.Expect(p.Status.Phase).To(Equal(corev1.PodRunning))
	}
	g.Eventually(down, eventually).Should(Succeed())
	g.Consistently(down, 2*time.Second).Should(Succeed(), "K3s stays down while the knob is set")
	g.Expect(sim.machine(s0.UID).version).To(Equal(upgradeVersion))

	setKnobs(t, s0, func(s *infrav1.K3sSimMachineSpec) { s.NodeNotReadyAfterUpgrade = nil })
	done := waitPodPhase(t, wc, pod, corev1.PodSucceeded)
	g.Expect(terminated(done)).ToNot(BeNil())
	g.Expect(terminated(done).ExitCode).To(BeZero())
	n := getNode(t, wc, "server-0")
	g.Expect(readyCondition(n).Status).To(Equal(corev1.ConditionTrue))
	g.Expect(n.Status.NodeInfo.KubeletVersion).To(Equal(upgradeVersion))
	g.Expect(n.Spec.Taints).To(BeEmpty())
}

func TestUpgrade_MachineGoneWhileRunning(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	tc := newTestCluster(t)
	_, s0 := tc.newMachine(t, "server-0", machineOptions{role: k3sconfig.RoleInitServer})
	_, w0 := tc.newMachine(t, "worker-0", machineOptions{role: k3sconfig.RoleAgent, knobs: infrav1.K3sSimMachineSpec{UpgradeDelaySeconds: new(int32(60))}})
	waitBooted(t, s0)
	waitBooted(t, w0)
	wc := tc.workloadClient(t)

	pod := upgradePod("k3s-upgrade-worker-0", "worker-0", upgradeVersion)
	g.Expect(wc.Create(ctx, pod)).To(Succeed())
	waitPodPhase(t, wc, pod, corev1.PodRunning)
	g.Expect(env.Client.Delete(ctx, w0)).To(Succeed())
	pod = waitPodPhase(t, wc, pod, corev1.PodFailed)
	g.Expect(pod.Status.Reason).To(Equal("NodeNotFound"))
}

func TestCheckUpgradePod(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(*corev1.Pod)
		want   string
	}{
		{name: "the contract", mutate: func(*corev1.Pod) {}},
		{name: "image from a mirror with a port", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Image = "registry.local:5000/rancher/k3s-upgrade:v1.34.5-k3s1"
		}},
		{name: "no version annotation", mutate: func(p *corev1.Pod) { p.Annotations = nil }, want: "no controlplane.cluster.x-k8s.io/k3s-upgrade-version"},
		{name: "no upgrade container", mutate: func(p *corev1.Pod) { p.Spec.Containers[0].Name = "main" }, want: `no container named "upgrade"`},
		{name: "untagged image", mutate: func(p *corev1.Pod) { p.Spec.Containers[0].Image = "rancher/k3s-upgrade" }, want: `tag "latest"`},
		{name: "not privileged", mutate: func(p *corev1.Pod) { p.Spec.Containers[0].SecurityContext = nil }, want: "not privileged"},
		{name: "no host PID namespace", mutate: func(p *corev1.Pod) { p.Spec.HostPID = false }, want: "hostPID"},
		{name: "host root not mounted", mutate: func(p *corev1.Pod) { p.Spec.Containers[0].VolumeMounts[0].MountPath = "/rootfs" }, want: "at /host"},
		{name: "another host path", mutate: func(p *corev1.Pod) { p.Spec.Volumes[0].HostPath.Path = "/usr/local/bin" }, want: "at /host"},
		{name: "a rotation at the node's version", mutate: func(p *corev1.Pod) { *p = *rotatePod("p", "n", upgradeVersion) }},
		{name: "a rotation at another version", mutate: func(p *corev1.Pod) { *p = *rotatePod("p", "n", testVersion) }, want: "the node runs v1.34.5+k3s1"},
		{name: "a rotation without the host's binary", mutate: func(p *corev1.Pod) {
			*p = *rotatePod("p", "n", upgradeVersion)
			p.Spec.Containers[0].Command = []string{"/opt/k3s", "certificate", "rotate"}
		}, want: "chroot /host"},
		{name: "an unknown action", mutate: func(p *corev1.Pod) {
			p.Annotations["controlplane.cluster.x-k8s.io/k3s-upgrade-action"] = "reboot"
		}, want: `unknown controlplane.cluster.x-k8s.io/k3s-upgrade-action "reboot"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pod := upgradePod("p", "n", upgradeVersion)
			tt.mutate(pod)
			got := checkUpgradePod(pod, upgradeVersion)
			if tt.want == "" {
				NewWithT(t).Expect(got).To(BeEmpty())
				return
			}
			NewWithT(t).Expect(got).To(ContainSubstring(tt.want))
		})
	}
}

func TestImageTag(t *testing.T) {
	for image, want := range map[string]string{
		"rancher/k3s-upgrade:v1.34.5-k3s1":                       "v1.34.5-k3s1",
		"rancher/k3s-upgrade":                                    "latest",
		"registry.local:5000/k3s-upgrade":                        "latest",
		"registry.local:5000/k3s-upgrade:v1.34.5-k3s1":           "v1.34.5-k3s1",
		"rancher/k3s-upgrade:v1.34.5-k3s1@sha256:0123456789abcd": "v1.34.5-k3s1",
	} {
		if got := imageTag(image); got != want {
			t.Errorf("imageTag(%q) = %q, want %q", image, got, want)
		}
	}
}

func TestUpgradeDelay(t *testing.T) {
	for _, tt := range []struct {
		knob *int32
		want time.Duration
	}{
		{nil, 2 * time.Second},
		{new(int32(0)), 0},
		{new(int32(5)), 5 * time.Second},
	} {
		if got := upgradeDelay(infrav1.K3sSimMachineSpec{UpgradeDelaySeconds: tt.knob}); got != tt.want {
			t.Errorf("upgradeDelay(%v) = %v, want %v", ptr.Deref(tt.knob, -1), got, tt.want)
		}
	}
}
