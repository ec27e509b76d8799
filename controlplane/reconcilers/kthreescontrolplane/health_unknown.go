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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// unknownMode tells setHealthUnknown which existing conditions it replaces.
type unknownMode int

const (
	// keepLastKnown sets only missing conditions.
	keepLastKnown unknownMode = iota
	// replaceKnown sets missing conditions and those that are True or False, keeping the reason of Unknown ones.
	replaceKnown
	// replaceAll sets every condition.
	replaceAll
)

// replaces reports whether the mode replaces a condition whose current status is status (has tells whether it
// exists).
func (m unknownMode) replaces(has bool, status string) bool {
	switch m {
	case replaceAll:
		return true
	case replaceKnown:
		return !has || status != string(metav1.ConditionUnknown)
	}
	return !has
}

// replacesCondition and replacesV1Beta1 apply replaces to a condition of obj.
func (m unknownMode) replacesCondition(obj conditions.Getter, t string) bool {
	c := conditions.Get(obj, t)
	return c == nil && m.replaces(false, "") || c != nil && m.replaces(true, string(c.Status))
}

func (m unknownMode) replacesV1Beta1(obj v1beta1conditions.Getter, t clusterv1.ConditionType) bool {
	c := v1beta1conditions.Get(obj, t)
	return c == nil && m.replaces(false, "") || c != nil && m.replaces(true, string(c.Status))
}

// setHealthUnknown sets the workload-dependent conditions of the Machines and of the control plane to Unknown with
// the reason and message; mode says which existing ones it replaces.
func setHealthUnknown(cp *controlPlane, mode unknownMode, reason, message string) {
	for _, m := range cp.Machines {
		if _, local := localMachineHealth(m, cp.nodeNameOf(m)); local {
			continue
		}
		if mode.replacesCondition(m, controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition) {
			setAgentHealthy(m, healthResult{status: metav1.ConditionUnknown, reason: reason, message: message,
				v1beta1Reason: controlplanev1.DeprecatedV1Beta1PodInspectionFailedReason})
		}
		if mode.replacesCondition(m, controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition) {
			etcdReason := reason
			if !cp.EtcdInspected() {
				etcdReason = controlplanev1.KThreesControlPlaneMachineEtcdMemberNotInspectedReason
			}
			setEtcdMemberHealthy(m, healthResult{status: metav1.ConditionUnknown, reason: etcdReason, message: message,
				v1beta1Reason: controlplanev1.DeprecatedV1Beta1EtcdMemberInspectionFailedReason})
		}
	}

	kcp := cp.KCP
	if mode.replacesCondition(kcp, controlplanev1.KThreesControlPlaneControlPlaneComponentsHealthyCondition) {
		conditions.Set(kcp, metav1.Condition{
			Type: controlplanev1.KThreesControlPlaneControlPlaneComponentsHealthyCondition, Status: metav1.ConditionUnknown, Reason: reason, Message: message,
		})
	}
	if mode.replacesV1Beta1(kcp, controlplanev1.DeprecatedV1Beta1ControlPlaneComponentsHealthyCondition) {
		v1beta1conditions.MarkUnknown(kcp, controlplanev1.DeprecatedV1Beta1ControlPlaneComponentsHealthyCondition,
			controlplanev1.DeprecatedV1Beta1ControlPlaneComponentsInspectionFailedReason, "%s", message)
	}
	if !cp.EtcdInspected() {
		setEtcdClusterNotInspected(cp)
		return
	}
	if mode.replacesCondition(kcp, controlplanev1.KThreesControlPlaneEtcdClusterHealthyCondition) {
		conditions.Set(kcp, metav1.Condition{
			Type: controlplanev1.KThreesControlPlaneEtcdClusterHealthyCondition, Status: metav1.ConditionUnknown, Reason: reason, Message: message,
		})
	}
	if mode.replacesV1Beta1(kcp, controlplanev1.DeprecatedV1Beta1EtcdClusterHealthyCondition) {
		v1beta1conditions.MarkUnknown(kcp, controlplanev1.DeprecatedV1Beta1EtcdClusterHealthyCondition,
			controlplanev1.DeprecatedV1Beta1EtcdClusterInspectionFailedReason, "%s", message)
	}
}
