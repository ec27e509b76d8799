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
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inmemoryruntime "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/runtime"

	infrav1 "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/api/v1beta1"
)

// The upgrade Pod of the control plane's in-place upgrades: K3s's rancher/k3s-upgrade image pinned to a node.
// The simulator reads the contract from the Pod as the real image and kubelet would, and does not import the
// control plane's code, so a drift shows in the tests.
const (
	labelUpgradePod          = "controlplane.cluster.x-k8s.io/k3s-upgrade"
	annotationUpgradeVersion = "controlplane.cluster.x-k8s.io/k3s-upgrade-version"
	// annotationUpgradeAction says what a Pod does that is not a binary upgrade: actionRotateCertificates.
	annotationUpgradeAction  = "controlplane.cluster.x-k8s.io/k3s-upgrade-action"
	actionRotateCertificates = "rotate-certificates"
	upgradeContainer         = "upgrade"
	// upgradeHostMount is where the image expects the host's / to replace the binary.
	upgradeHostMount = "/host"
)

const (
	// defaultUpgradeDelay is how long an upgrade Pod runs before it replaces the binary, unless
	// spec.upgradeDelaySeconds says otherwise.
	defaultUpgradeDelay = 2 * time.Second
	// k3sRestartTime is how long K3s is down after an upgrade killed it, before systemd restarted it.
	k3sRestartTime = time.Second
	// upgradeRetry is how often a Pod waiting for the node's kubelet is looked at again.
	upgradeRetry = time.Second
)

// Reasons of the upgrade Pods the simulator ends Failed.
const (
	upgradeNodeNotFoundReason = "NodeNotFound"
	upgradeInvalidPodReason   = "InvalidUpgradePod"
	upgradeFailedReason       = "UpgradeFailed"
)

// upgradeRun is an upgrade Pod running on a simulated node.
type upgradeRun struct {
	pod     client.ObjectKey
	version string
	// rotate is set for a certificates rotation: the binary stays, K3s issues new certificates as it restarts.
	rotate bool
	// started is when the Pod started; the binary is replaced once the upgrade delay has passed.
	started time.Time
	// restarted is when the binary was replaced and K3s killed; zero before.
	restarted time.Time
}

// upgradeDelay is the upgrade delay of a machine.
func upgradeDelay(knobs infrav1.K3sSimMachineSpec) time.Duration {
	if knobs.UpgradeDelaySeconds == nil {
		return defaultUpgradeDelay
	}
	return time.Duration(*knobs.UpgradeDelaySeconds) * time.Second
}

// upgradeLocked plays the node side of an upgrade Pod: the kubelet starts it; after the upgrade delay the image
// replaces the K3s binary and kills K3s, which systemd restarts with the new version (the Node NotReady for a
// moment, then Ready with the new kubelet version); then the Pod has succeeded. A rotation Pod keeps the binary and
// removes the certificates before it kills K3s. K3s issues new certificates as it starts after a rotation, or when
// they expire within its renewal window.
func (s *Simulator) upgradeLocked(ctx context.Context, cluster string, key client.ObjectKey) error {
	c := s.workload(cluster)
	pod := &corev1.Pod{}
	if err := c.Get(ctx, key, pod); err != nil {
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("failed to read upgrade Pod %s: %w", key, err)
		}
		pod = nil
	}
	if st := s.runningUpgradeLocked(cluster, key); st != nil {
		return s.continueUpgradeLocked(ctx, st, pod)
	}
	if pod == nil || pod.Labels[labelUpgradePod] != "true" || !pod.DeletionTimestamp.IsZero() || podEnded(pod) {
		return nil
	}
	st := s.nodeMachineLocked(cluster, pod.Spec.NodeName)
	if st == nil {
		msg := fmt.Sprintf("k3ssim: no simulated machine runs Node %q: no kubelet runs the upgrade Pod", pod.Spec.NodeName)
		if pod.Spec.NodeName == "" {
			msg = "k3ssim: the upgrade Pod is not pinned to a Node (spec.nodeName is empty)"
		}
		return endUpgradePod(ctx, c, pod, corev1.PodFailed, upgradeNodeNotFoundReason, msg, nil)
	}
	if msg := checkUpgradePod(pod, st.version); msg != "" {
		return endUpgradePod(ctx, c, pod, corev1.PodFailed, upgradeInvalidPodReason, "k3ssim does not run this upgrade Pod: "+msg, nil)
	}
	if st.upgrade != nil || st.unreachable {
		// One upgrade at a time; and no kubelet runs it while K3s is down or the node unreachable.
		s.queue.AddAfter(workItem{resourceGroup: cluster, pod: key}, upgradeRetry)
		return nil
	}
	run := &upgradeRun{
		pod: key, version: pod.Annotations[annotationUpgradeVersion], started: time.Now(),
		rotate: pod.Annotations[annotationUpgradeAction] == actionRotateCertificates,
	}
	orig := pod.DeepCopy()
	started := metav1.NewTime(run.started)
	pod.Status.Phase = corev1.PodRunning
	pod.Status.StartTime = &started
	pod.Status.HostIP, pod.Status.PodIP = st.address, st.address
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: started}}
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: upgradeContainer, Image: upgradeImage(pod), Ready: true, Started: ptr.To(true),
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}},
	}}
	if err := c.Patch(ctx, pod, client.MergeFrom(orig)); err != nil {
		return fmt.Errorf("failed to start upgrade Pod %s: %w", key, err)
	}
	st.upgrade = run
	s.log.Info("Upgrade Pod started", "cluster", cluster, "node", st.nodeName, "pod", key, "version", run.version, "rotate", run.rotate)
	s.queue.AddAfter(workItem{resourceGroup: cluster, pod: key}, upgradeDelay(st.knobs))
	return nil
}

// continueUpgradeLocked moves a running upgrade on: binary replaced after the delay (or the Pod failed with
// upgradeFails), then K3s back after its restart (unless nodeNotReadyAfterUpgrade holds it) and the Pod succeeded.
// pod is nil when the Pod is gone.
func (s *Simulator) continueUpgradeLocked(ctx context.Context, st *machineState, pod *corev1.Pod) error {
	run := st.upgrade
	c := s.workload(st.cluster)
	item := workItem{resourceGroup: st.cluster, pod: run.pod}
	if run.restarted.IsZero() {
		if pod == nil || !pod.DeletionTimestamp.IsZero() {
			// Killed before it replaced the binary.
			st.upgrade = nil
			return nil
		}
		if remaining := upgradeDelay(st.knobs) - time.Since(run.started); remaining > 0 {
			s.queue.AddAfter(item, remaining)
			return nil
		}
		if ptr.Deref(st.knobs.UpgradeFails, false) {
			st.upgrade = nil
			err := endUpgradePod(ctx, c, pod, corev1.PodFailed, upgradeFailedReason,
				"The upgrade failed (k3ssim: upgradeFails): the K3s binary is unchanged", ptr.To[int32](1))
			if err != nil {
				st.upgrade = run
			}
			return err
		}
		// The image replaced the binary (or rotated the certificates) and killed K3s; the Node keeps its kubelet
		// version until K3s is back.
		st.version = run.version
		run.restarted = time.Now()
		if err := s.patchNodeLocked(ctx, st, func(n *corev1.Node) {
			n.Annotations[annotationK3sVersion] = st.version
			setNodeHealth(n, st.health())
		}); err != nil {
			return err
		}
		s.log.Info("Upgrade replaced the K3s binary, K3s restarts", "cluster", st.cluster, "node", st.nodeName, "version", st.version)
		s.queue.AddAfter(item, k3sRestartTime)
		return nil
	}
	if ptr.Deref(st.knobs.NodeNotReadyAfterUpgrade, false) {
		// Held down; syncMachine enqueues the Pod again when the knobs change.
		return nil
	}
	if remaining := k3sRestartTime - time.Since(run.restarted); remaining > 0 {
		s.queue.AddAfter(item, remaining)
		return nil
	}
	// K3s is back (the health below no longer sees the run); the Pod's container exited 0 before.
	st.upgrade = nil
	renewedBefore := st.certificatesRenewed
	if st.renewsCertificatesOnStart(run.rotate) {
		st.certificatesRenewed = time.Now()
		if err := s.serveEtcdMemberLocked(st); err != nil {
			st.upgrade, st.certificatesRenewed = run, renewedBefore
			return err
		}
	}
	err := s.patchNodeLocked(ctx, st, func(n *corev1.Node) {
		n.Status.NodeInfo.KubeletVersion, n.Status.NodeInfo.KubeProxyVersion = st.version, st.version
		n.Annotations[annotationK3sVersion] = st.version
		setNodeHealth(n, st.health())
		setCertificatesExpiry(n, st)
	})
	if err == nil && pod != nil && !podEnded(pod) {
		err = endUpgradePod(ctx, c, pod, corev1.PodSucceeded, "", "", ptr.To[int32](0))
	}
	if err != nil {
		st.upgrade = run
		return err
	}
	s.log.Info("K3s is back after its upgrade", "cluster", st.cluster, "node", st.nodeName, "version", st.version,
		"certificatesExpiry", st.certificatesExpiry())
	return nil
}

// serveEtcdMemberLocked makes the node's etcd member, if it serves, present a certificate expiring with the node's.
func (s *Simulator) serveEtcdMemberLocked(st *machineState) error {
	cs, ok := s.clusters[st.cluster]
	if !ok || st.etcdPod == "" || !s.mux.HasEtcdMember(cs.name, st.etcdPod) {
		return nil
	}
	return s.mux.AddEtcdMember(cs.name, st.etcdPod, cs.etcdCA, cs.etcdCAKey, st.certificatesExpiry())
}

// runningUpgradeLocked returns the machine running the upgrade Pod, nil if none does.
func (s *Simulator) runningUpgradeLocked(cluster string, key client.ObjectKey) *machineState {
	for _, st := range s.machines {
		if st.cluster == cluster && st.upgrade != nil && st.upgrade.pod == key {
			return st
		}
	}
	return nil
}

// nodeMachineLocked returns the machine of a Node, nil if no simulated machine runs it.
func (s *Simulator) nodeMachineLocked(cluster, nodeName string) *machineState {
	if nodeName == "" {
		return nil
	}
	for _, st := range s.machines {
		if st.cluster == cluster && st.nodeName == nodeName {
			return st
		}
	}
	return nil
}

// patchNodeLocked changes the machine's Node; a Node deleted in the workload cluster is left alone.
func (s *Simulator) patchNodeLocked(ctx context.Context, st *machineState, mutate func(*corev1.Node)) error {
	c := s.workload(st.cluster)
	n := &corev1.Node{}
	if err := c.Get(ctx, client.ObjectKey{Name: st.nodeName}, n); err != nil {
		return client.IgnoreNotFound(err)
	}
	orig := n.DeepCopy()
	if n.Annotations == nil {
		n.Annotations = map[string]string{}
	}
	mutate(n)
	if equality.Semantic.DeepEqual(orig, n) {
		return nil
	}
	if err := c.Patch(ctx, n, client.MergeFrom(orig)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("failed to update Node %s: %w", st.nodeName, err)
	}
	return nil
}

func podEnded(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

// endUpgradePod ends a Pod; exitCode, when set, is its container's exit code (the container ran).
func endUpgradePod(ctx context.Context, c inmemoryruntime.Client, pod *corev1.Pod, phase corev1.PodPhase, reason, message string, exitCode *int32) error {
	orig := pod.DeepCopy()
	now := metav1.Now()
	pod.Status.Phase, pod.Status.Reason, pod.Status.Message = phase, reason, message
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "PodCompleted", LastTransitionTime: now}}
	pod.Status.ContainerStatuses = nil
	if exitCode != nil {
		startedAt := now
		if pod.Status.StartTime != nil {
			startedAt = *pod.Status.StartTime
		}
		terminated := &corev1.ContainerStateTerminated{ExitCode: *exitCode, Reason: "Completed", StartedAt: startedAt, FinishedAt: now}
		if *exitCode != 0 {
			terminated.Reason, terminated.Message = "Error", message
		}
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name: upgradeContainer, Image: upgradeImage(pod), Started: ptr.To(false), State: corev1.ContainerState{Terminated: terminated},
		}}
	}
	if err := c.Patch(ctx, pod, client.MergeFrom(orig)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("failed to end upgrade Pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

// checkUpgradePod tells why the rancher/k3s-upgrade image would not install the annotated version on the host
// from this Pod, or not rotate the certificates of nodeVersion, "" if it would.
func checkUpgradePod(pod *corev1.Pod, nodeVersion string) string {
	version := pod.Annotations[annotationUpgradeVersion]
	if version == "" {
		return fmt.Sprintf("it has no %s annotation: the target version is unknown", annotationUpgradeVersion)
	}
	ctr := findContainer(pod, upgradeContainer)
	if ctr == nil {
		return fmt.Sprintf("it has no container named %q", upgradeContainer)
	}
	if tag, want := imageTag(ctr.Image), strings.ReplaceAll(version, "+", "-"); tag != want {
		return fmt.Sprintf("the image %s has tag %q, not %q: it does not contain the K3s %s binary", ctr.Image, tag, want, version)
	}
	if ctr.SecurityContext == nil || !ptr.Deref(ctr.SecurityContext.Privileged, false) {
		return fmt.Sprintf("container %q is not privileged: the image could not replace the K3s binary on the host", upgradeContainer)
	}
	if !pod.Spec.HostPID {
		return "spec.hostPID is not set: the image could not kill K3s to restart it with the new binary"
	}
	if !mountsHostRoot(pod, ctr) {
		return fmt.Sprintf("container %q does not mount the host's / (hostPath) at %s: the image could not replace the K3s binary", upgradeContainer, upgradeHostMount)
	}
	switch action := pod.Annotations[annotationUpgradeAction]; action {
	case "":
	case actionRotateCertificates:
		if version != nodeVersion {
			return fmt.Sprintf("it rotates certificates at version %s, but the node runs %s", version, nodeVersion)
		}
		if script := strings.Join(ctr.Command, " "); !strings.Contains(script, "certificate rotate") || !strings.Contains(script, "chroot "+upgradeHostMount) {
			return fmt.Sprintf("container %q does not run k3s certificate rotate with the host's binary (chroot %s)", upgradeContainer, upgradeHostMount)
		}
	default:
		return fmt.Sprintf("unknown %s %q", annotationUpgradeAction, action)
	}
	return ""
}

func findContainer(pod *corev1.Pod, name string) *corev1.Container {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i]
		}
	}
	return nil
}

// upgradeImage is the image of the Pod's upgrade container, "" without one.
func upgradeImage(pod *corev1.Pod) string {
	if ctr := findContainer(pod, upgradeContainer); ctr != nil {
		return ctr.Image
	}
	return ""
}

// imageTag returns the tag of an image reference: latest when it has none, as container runtimes read it.
func imageTag(image string) string {
	image, _, _ = strings.Cut(image, "@")
	if colon := strings.LastIndex(image, ":"); colon > strings.LastIndex(image, "/") {
		return image[colon+1:]
	}
	return "latest"
}

// mountsHostRoot tells whether the container mounts a hostPath volume of / at /host.
func mountsHostRoot(pod *corev1.Pod, ctr *corev1.Container) bool {
	for _, m := range ctr.VolumeMounts {
		if path.Clean(m.MountPath) != upgradeHostMount || m.SubPath != "" {
			continue
		}
		for _, v := range pod.Spec.Volumes {
			if v.Name == m.Name && v.HostPath != nil && path.Clean(v.HostPath.Path) == "/" {
				return true
			}
		}
	}
	return false
}
