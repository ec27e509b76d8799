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
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilversion "k8s.io/apimachinery/pkg/util/version"
	"k8s.io/utils/ptr"

	"github.com/k3s-io/cluster-api-k3s/pkg/k3sversion"
	infrav1 "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/api/v1beta1"
)

// Simulator-only Node annotations: what a real node keeps on its disk, published for tests and the control
// plane's future observation of it.
const (
	// annotationK3sVersion is the version of the K3s binary installed on the node; it leads the Node's
	// kubeletVersion while K3s restarts after an upgrade.
	annotationK3sVersion = "k3ssim.cluster.x-k8s.io/k3s-version"
	// annotationCertificatesExpiry is when the node's K3s serving and client certificates expire (RFC 3339).
	annotationCertificatesExpiry = "k3ssim.cluster.x-k8s.io/certificates-expiry"
)

// certificatesValidity is how long K3s's generated certificates are valid.
const certificatesValidity = 365 * 24 * time.Hour

// k3sCertificateRenewalWindow is how long before their expiry K3s renews its certificates when it starts.
const k3sCertificateRenewalWindow = 90 * 24 * time.Hour

// masterLabelUntil is the first K3s minor version that no longer labels servers node-role.kubernetes.io/master.
var masterLabelUntil = k3sversion.Version{Major: 1, Minor: 34}

// newMachineState returns the state of a node whose K3s starts now.
func newMachineState(cs *clusterState, in *bootInput, server bool) *machineState {
	cs.nodes++
	return &machineState{
		cluster: cs.name, nodeName: in.nodeName, server: server, address: nodeAddress(cs.nodes),
		version: in.version, knobs: in.knobs, unreachable: in.unreachable, started: time.Now(),
	}
}

// nodeAddress returns the InternalIP of the n-th node of a cluster (n >= 1).
func nodeAddress(n int) string {
	return fmt.Sprintf("10.%d.%d.%d", 10+n/62500, (n/250)%250, n%250+2)
}

// setsMasterLabel tells whether K3s of the version labels servers node-role.kubernetes.io/master: before v1.34.
// A version that is not a K3s version is read as a Kubernetes one; an unreadable one is taken as recent.
func setsMasterLabel(version string) bool {
	if v, err := k3sversion.Parse(version); err == nil {
		return k3sversion.Compare(v, masterLabelUntil) < 0
	}
	v, err := utilversion.ParseGeneric(version)
	if err != nil {
		return false
	}
	return v.LessThan(utilversion.MajorMinor(uint(masterLabelUntil.Major), uint(masterLabelUntil.Minor)))
}

// newNode returns the Node the kubelet registers, with its status as the knobs want it.
func newNode(in *bootInput, st *machineState) *corev1.Node {
	b := in.boot
	labels := map[string]string{
		corev1.LabelHostname:   st.nodeName,
		corev1.LabelOSStable:   "linux",
		corev1.LabelArchStable: "amd64",
		labelInstanceType:      "k3s",
	}
	if in.failureDomain != "" {
		labels[labelZone] = in.failureDomain
	}
	if st.server {
		labels[labelRoleControlPlane] = "true"
		labels[labelRoleEtcd] = "true"
		if setsMasterLabel(in.version) {
			labels[labelRoleMaster] = "true"
		}
	}
	for _, l := range b.NodeLabels {
		k, v, _ := strings.Cut(l, "=")
		labels[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: st.nodeName, Labels: labels, Annotations: map[string]string{
			annotationK3sVersion: st.version,
		}},
		Spec: corev1.NodeSpec{ProviderID: in.providerID, Taints: parseTaints(b.NodeTaints)},
		Status: corev1.NodeStatus{
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: st.address},
				{Type: corev1.NodeHostName, Address: st.nodeName},
			},
			Capacity:    nodeResources(),
			Allocatable: nodeResources(),
			NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion:          in.version,
				KubeProxyVersion:        in.version,
				ContainerRuntimeVersion: "containerd://2.0.0-k3s1",
				OSImage:                 "K3s simulator",
				OperatingSystem:         "linux",
				Architecture:            "amd64",
				KernelVersion:           "6.8.0",
				MachineID:               randomHex(16),
				SystemUUID:              randomHex(16),
				BootID:                  randomHex(16),
			},
		},
	}
	now := metav1.Now()
	for _, t := range []corev1.NodeConditionType{corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure} {
		n.Status.Conditions = append(n.Status.Conditions, corev1.NodeCondition{
			Type: t, Status: corev1.ConditionFalse, Reason: "KubeletHas" + strings.TrimPrefix(string(t), "Node"),
			LastHeartbeatTime: now, LastTransitionTime: now,
		})
	}
	setNodeHealth(n, st.health())
	setCertificatesExpiry(n, st)
	return n
}

func nodeResources() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("4"),
		corev1.ResourceMemory: resource.MustParse("8Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
}

// parseTaints parses K3s node-taint values: key[=value]:Effect.
func parseTaints(values []string) []corev1.Taint {
	var taints []corev1.Taint
	for _, v := range values {
		kv, effect, ok := strings.Cut(v, ":")
		if !ok {
			// K3s rejects a taint without effect; the kubelet would not start. Validate does not check it.
			continue
		}
		k, val, _ := strings.Cut(kv, "=")
		taints = append(taints, corev1.Taint{Key: k, Value: val, Effect: corev1.TaintEffect(effect)})
	}
	return taints
}

// nodeHealth is the state of a Node the knobs and upgrades decide.
type nodeHealth int

const (
	nodeReady nodeHealth = iota
	nodeNotReady
	// nodeStarting: K3s started and its kubelet registered the Node; the network is not up yet.
	nodeStarting
	nodeUnreachable
	// nodeRestarting: an upgrade replaced the K3s binary and K3s is not back yet.
	nodeRestarting
)

func (st *machineState) health() nodeHealth {
	switch {
	case st.unreachable:
		return nodeUnreachable
	case st.upgrade != nil && !st.upgrade.restarted.IsZero():
		return nodeRestarting
	case ptr.Deref(st.knobs.NodeNotReadyAfterBoot, false):
		return nodeNotReady
	case time.Now().Before(st.readyFrom()):
		return nodeStarting
	default:
		return nodeReady
	}
}

// readyFrom is when the Node of a K3s that just started turns Ready.
func (st *machineState) readyFrom() time.Time {
	return nodeReadyFrom(st.started, st.knobs)
}

// nodeReadyFrom is when the Node of a K3s started at started turns Ready: spec.nodeReadyDelaySeconds later.
func nodeReadyFrom(started time.Time, spec infrav1.K3sSimMachineSpec) time.Time {
	return started.Add(time.Duration(spec.NodeReadyDelaySeconds) * time.Second)
}

// certificatesExpiry is when the node's K3s certificates expire: a year after K3s last issued them, or what
// spec.certificatesExpiry says of the ones it issued first.
func (st *machineState) certificatesExpiry() time.Time {
	switch {
	case !st.certificatesRenewed.IsZero():
		return st.certificatesRenewed.Add(certificatesValidity)
	case st.knobs.CertificatesExpiry != nil:
		return st.knobs.CertificatesExpiry.Time
	default:
		return st.started.Add(certificatesValidity)
	}
}

// renewsCertificatesOnStart tells whether K3s, starting now, issues new certificates: when it was told to rotate
// them, or when they expire within its renewal window.
func (st *machineState) renewsCertificatesOnStart(rotated bool) bool {
	return rotated || time.Until(st.certificatesExpiry()) <= k3sCertificateRenewalWindow
}

// setCertificatesExpiry publishes when the node's certificates expire; it returns whether anything changed.
func setCertificatesExpiry(n *corev1.Node, st *machineState) bool {
	v := st.certificatesExpiry().UTC().Format(time.RFC3339)
	if n.Annotations[annotationCertificatesExpiry] == v {
		return false
	}
	if n.Annotations == nil {
		n.Annotations = map[string]string{}
	}
	n.Annotations[annotationCertificatesExpiry] = v
	return true
}

// setNodeHealth sets the Ready condition and the lifecycle controller's taints of a Node; it returns whether
// anything changed.
func setNodeHealth(n *corev1.Node, h nodeHealth) bool {
	ready := corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
		Message: "kubelet is posting ready status"}
	var taints []string
	switch h {
	case nodeNotReady:
		ready.Status, ready.Reason, ready.Message = corev1.ConditionFalse, "KubeletNotReady",
			"container runtime network not ready: NetworkReady=false (k3ssim: nodeNotReadyAfterBoot)"
		taints = []string{taintNotReady}
	case nodeStarting:
		ready.Status, ready.Reason, ready.Message = corev1.ConditionFalse, "KubeletNotReady",
			"container runtime network not ready: NetworkReady=false (k3ssim: nodeReadyDelaySeconds)"
		taints = []string{taintNotReady}
	case nodeUnreachable:
		ready.Status, ready.Reason, ready.Message = corev1.ConditionUnknown, "NodeStatusUnknown",
			"Kubelet stopped posting node status (k3ssim: unreachableDuringRemoval)"
		taints = []string{taintUnreachable}
	case nodeRestarting:
		ready.Status, ready.Reason, ready.Message = corev1.ConditionFalse, "KubeletNotReady",
			"K3s is restarting: an upgrade Pod replaced its binary (k3ssim; nodeNotReadyAfterUpgrade keeps it down)"
		taints = []string{taintNotReady}
	}
	changed := false
	found := false
	now := metav1.Now()
	for i := range n.Status.Conditions {
		c := &n.Status.Conditions[i]
		if c.Type != corev1.NodeReady {
			continue
		}
		found = true
		if c.Status != ready.Status || c.Reason != ready.Reason || c.Message != ready.Message {
			ready.LastHeartbeatTime, ready.LastTransitionTime = now, c.LastTransitionTime
			if c.Status != ready.Status {
				ready.LastTransitionTime = now
			}
			*c = ready
			changed = true
		}
	}
	if !found {
		ready.LastHeartbeatTime, ready.LastTransitionTime = now, now
		n.Status.Conditions = append(n.Status.Conditions, ready)
		changed = true
	}
	// The lifecycle controller's taints: NoSchedule and NoExecute for the current state, none for the others.
	kept := n.Spec.Taints[:0:0]
	for _, t := range n.Spec.Taints {
		if t.Key == taintNotReady || t.Key == taintUnreachable {
			continue
		}
		kept = append(kept, t)
	}
	for _, key := range taints {
		for _, effect := range []corev1.TaintEffect{corev1.TaintEffectNoSchedule, corev1.TaintEffectNoExecute} {
			t := corev1.Taint{Key: key, Effect: effect}
			if effect == corev1.TaintEffectNoExecute {
				t.TimeAdded = &now
			}
			kept = append(kept, t)
		}
	}
	if !sameTaints(kept, n.Spec.Taints) {
		n.Spec.Taints = kept
		changed = true
	}
	return changed
}

// sameTaints compares taints by key, value and effect.
func sameTaints(a, b []corev1.Taint) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || a[i].Value != b[i].Value || a[i].Effect != b[i].Effect {
			return false
		}
	}
	return true
}
