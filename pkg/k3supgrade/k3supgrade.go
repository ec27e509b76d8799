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

package k3supgrade

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

const (
	// PodNamespace is where upgrade Pods run.
	PodNamespace = metav1.NamespaceSystem
	// CertificateValidityDays is how long K3s issues its leaf certificates for. A renewal window at least that long
	// would make freshly issued certificates due at once, and every Machine replaced or renewed for ever.
	CertificateValidityDays = 365
	// mirrorPodAnnotation marks static (mirror) Pods, which cannot be evicted.
	mirrorPodAnnotation = "kubernetes.io/config.mirror"
)

// PodName is the name of the upgrade Pod of a node.
func PodName(nodeName string) string {
	name := "k3s-upgrade-" + nodeName
	if len(name) > 253 {
		name = name[:253]
	}
	return strings.TrimRight(name, "-.")
}

// ImageTag is the upgrade image tag of a K3s version: '+' is not allowed in tags.
func ImageTag(version string) string {
	return strings.ReplaceAll(version, "+", "-")
}

// Pod is the upgrade Pod that installs version on the node with image (without tag): the image's upgrade command
// replaces the K3s binary on the host and kills K3s, which its service manager restarts with the new binary.
func Pod(nodeName, version, image string) *corev1.Pod {
	pod := hostPod(nodeName, version, image)
	pod.Spec.Containers[0].Args = []string{"upgrade"}
	return pod
}

// rotateCertificatesScript runs in the upgrade image (busybox tools) with the host's PID namespace and its / at
// /host. It rotates the certificates with the node's own K3s binary and configuration (chroot), so that the data
// dir and any other setting are the node's, and then kills K3s as the image's upgrade command does: the service
// manager restarts it, and K3s issues the certificates the rotation removed as it starts.
const rotateCertificatesScript = `set -eu
pid=$(ps -eo pid,args | awk '$2 ~ /(^|\/)k3s$/ && ($3 == "server" || $3 == "agent") { print $1; exit }')
if [ -z "$pid" ]; then echo "K3s is not running on this node" >&2; exit 1; fi
bin=$(readlink "/proc/$pid/exe")
bin=${bin% (deleted)}
chroot /host "$bin" certificate rotate
kill -TERM "$pid"
`

// RotateCertificatesPod is the Pod that renews the K3s certificates of the node, which runs version, with the
// upgrade image of that version: K3s renews its certificates only when it starts within its renewal window (90
// days before they expire); the rotation makes it renew them whenever it restarts.
func RotateCertificatesPod(nodeName, version, image string) *corev1.Pod {
	pod := hostPod(nodeName, version, image)
	pod.Annotations[controlplanev1.UpgradePodActionAnnotation] = controlplanev1.UpgradePodActionRotateCertificates
	pod.Spec.Containers[0].Command = []string{"/bin/sh", "-c", rotateCertificatesScript}
	return pod
}

// hostPod is a privileged Pod pinned to the node with the host's PID namespace, network and / (at /host), running
// image at the tag of version.
func hostPod(nodeName, version, image string) *corev1.Pod {
	hostRoot := corev1.HostPathDirectory
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   PodNamespace,
			Name:        PodName(nodeName),
			Labels:      map[string]string{controlplanev1.UpgradePodLabel: "true"},
			Annotations: map[string]string{controlplanev1.UpgradePodVersionAnnotation: version},
		},
		Spec: corev1.PodSpec{
			NodeName:      nodeName,
			RestartPolicy: corev1.RestartPolicyNever,
			HostPID:       true,
			HostIPC:       true,
			HostNetwork:   true,
			// The node is cordoned and may carry any taint; the Pod must run there anyway.
			Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{
				Name:            "upgrade",
				Image:           image + ":" + ImageTag(version),
				ImagePullPolicy: corev1.PullIfNotPresent,
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

// Action is what an upgrade Pod does: "" for a binary upgrade, or the value of its action annotation.
func Action(pod *corev1.Pod) string {
	return pod.Annotations[controlplanev1.UpgradePodActionAnnotation]
}

// NodeUpgraded reports whether the Node runs version and is Ready.
func NodeUpgraded(node *corev1.Node, version string) bool {
	return node != nil && node.Status.NodeInfo.KubeletVersion == version && NodeReady(node)
}

// NodeReady reports whether the Node's Ready condition is True.
func NodeReady(node *corev1.Node) bool {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Cordon marks the Node unschedulable and records that the upgrade did it, unless it already is unschedulable
// (then whoever cordoned it keeps it that way).
func Cordon(ctx context.Context, c client.Client, node *corev1.Node) error {
	if node.Spec.Unschedulable {
		return nil
	}
	patch := client.MergeFrom(node.DeepCopy())
	node.Spec.Unschedulable = true
	if node.Annotations == nil {
		node.Annotations = map[string]string{}
	}
	node.Annotations[controlplanev1.InPlaceUpgradeCordonedAnnotation] = "true"
	if err := c.Patch(ctx, node, patch); err != nil {
		return fmt.Errorf("failed to cordon Node %s: %w", node.Name, err)
	}
	return nil
}

// Uncordon makes the Node schedulable again if the upgrade cordoned it.
func Uncordon(ctx context.Context, c client.Client, node *corev1.Node) error {
	if _, ok := node.Annotations[controlplanev1.InPlaceUpgradeCordonedAnnotation]; !ok {
		return nil
	}
	patch := client.MergeFrom(node.DeepCopy())
	node.Spec.Unschedulable = false
	delete(node.Annotations, controlplanev1.InPlaceUpgradeCordonedAnnotation)
	if err := c.Patch(ctx, node, patch); err != nil {
		return fmt.Errorf("failed to uncordon Node %s: %w", node.Name, err)
	}
	return nil
}

// CanDrain reports whether other Nodes can take the pods of the named one: a Ready, schedulable Node besides it.
// A single node is never drained: its pods would have nowhere to go.
func CanDrain(nodes []corev1.Node, nodeName string) bool {
	for i := range nodes {
		n := &nodes[i]
		if n.Name != nodeName && !n.Spec.Unschedulable && NodeReady(n) {
			return true
		}
	}
	return false
}

// Drain evicts the pods of the Node that a drain moves: not DaemonSet pods, not mirror pods, not finished pods, not
// the upgrade Pod. It returns how many such pods are left; the caller comes back until none is. Evictions refused by
// a PodDisruptionBudget (429) are retried on the next call.
func Drain(ctx context.Context, c client.Client, nodeName string) (int, error) {
	pods := &corev1.PodList{}
	if err := c.List(ctx, pods, client.MatchingFields{"spec.nodeName": nodeName}); err != nil {
		return 0, fmt.Errorf("failed to list the pods of Node %s: %w", nodeName, err)
	}
	left := 0
	for i := range pods.Items {
		pod := &pods.Items[i]
		if !movedByDrain(pod, nodeName) {
			continue
		}
		left++
		if !pod.DeletionTimestamp.IsZero() {
			continue
		}
		eviction := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name}}
		err := c.SubResource("eviction").Create(ctx, pod, eviction)
		switch {
		case err == nil, apierrors.IsNotFound(err), apierrors.IsTooManyRequests(err):
		default:
			return left, fmt.Errorf("failed to evict pod %s/%s: %w", pod.Namespace, pod.Name, err)
		}
	}
	return left, nil
}

// movedByDrain reports whether a drain of the node moves the pod.
func movedByDrain(pod *corev1.Pod, nodeName string) bool {
	if pod.Spec.NodeName != nodeName || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return false
	}
	if _, ok := pod.Annotations[mirrorPodAnnotation]; ok {
		return false
	}
	if _, ok := pod.Labels[controlplanev1.UpgradePodLabel]; ok {
		return false
	}
	for _, ref := range pod.OwnerReferences {
		if ref.Kind == "DaemonSet" && ptr.Deref(ref.Controller, false) {
			return false
		}
	}
	return true
}
