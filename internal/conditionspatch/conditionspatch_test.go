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

package conditionspatch

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// The condition types the fuzzer's Machines carry and those the patches write, as the KThreesControlPlane
// controller owns them.
var (
	ownedMachineConditions = []string{
		clusterv1.MachineUpToDateCondition,
		controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition,
		controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition,
		clusterv1.MachineOwnerRemediatedCondition,
	}
	ownedMachineV1Beta1Conditions = []clusterv1.ConditionType{
		controlplanev1.DeprecatedV1Beta1MachineAgentHealthyCondition,
		controlplanev1.DeprecatedV1Beta1MachineEtcdMemberHealthyCondition,
		clusterv1.MachineOwnerRemediatedV1Beta1Condition,
	}
)

// conditionsPatchPool are the condition types the fuzzer puts on Machines: the v1beta2 and v1beta1 types this
// controller owns and some of CAPI's Machine controller.
var (
	conditionsPatchPool = []string{
		clusterv1.MachineNodeReadyCondition, controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition,
		clusterv1.MachineReadyCondition, controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition,
		clusterv1.MachineUpToDateCondition, clusterv1.MachineOwnerRemediatedCondition,
	}
	conditionsPatchV1Beta1Pool = []clusterv1.ConditionType{
		clusterv1.MachineNodeHealthyV1Beta1Condition, controlplanev1.DeprecatedV1Beta1MachineAgentHealthyCondition,
		clusterv1.ReadyV1Beta1Condition, controlplanev1.DeprecatedV1Beta1MachineEtcdMemberHealthyCondition,
		clusterv1.MachineOwnerRemediatedV1Beta1Condition,
	}
	conditionsPatchStatuses = []metav1.ConditionStatus{"", metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown}
)

// machinesForConditionsPatch derives, from fuzz input, a Machine as read and the same Machine with this controller's
// conditions changed: per pool entry one byte gives the observed status (absent, True, False, Unknown), the desired
// one and the position in the list. The first byte says whether each list exists at all.
func machinesForConditionsPatch(data []byte) (observed, desired *clusterv1.Machine) {
	at := func(i int) byte {
		if i < len(data) {
			return data[i]
		}
		return 0
	}
	observed = &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: "m"}}
	observed.Status.Phase = "Running"
	desired = observed.DeepCopy()
	ltt := metav1.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type entry struct {
		order int
		name  string
		b     byte
	}
	var v1beta2, v1beta1 []entry
	for i, t := range conditionsPatchPool {
		v1beta2 = append(v1beta2, entry{order: int(at(1+i) >> 4), name: t, b: at(1 + i)})
	}
	for i, t := range conditionsPatchV1Beta1Pool {
		b := at(1 + len(conditionsPatchPool) + i)
		v1beta1 = append(v1beta1, entry{order: int(b >> 4), name: string(t), b: b})
	}
	byOrder := func(a, b entry) int { return a.order - b.order }
	slices.SortStableFunc(v1beta2, byOrder)
	slices.SortStableFunc(v1beta1, byOrder)
	if at(0)&1 == 1 {
		observed.Status.Conditions = []metav1.Condition{}
		desired.Status.Conditions = []metav1.Condition{}
	}
	switch {
	case at(0)&2 == 2:
		observed.Status.Deprecated = &clusterv1.MachineDeprecatedStatus{V1Beta1: &clusterv1.MachineV1Beta1DeprecatedStatus{Conditions: clusterv1.Conditions{}}}
		desired.Status.Deprecated = &clusterv1.MachineDeprecatedStatus{V1Beta1: &clusterv1.MachineV1Beta1DeprecatedStatus{Conditions: clusterv1.Conditions{}}}
	case at(0)&4 == 4:
		// The deprecated status without its v1beta1 part.
		observed.Status.Deprecated = &clusterv1.MachineDeprecatedStatus{}
		desired.Status.Deprecated = &clusterv1.MachineDeprecatedStatus{}
	}
	owned := func(t string) bool {
		return slices.Contains(ownedMachineConditions, t) || slices.Contains(ownedMachineV1Beta1Conditions, clusterv1.ConditionType(t))
	}
	for _, e := range v1beta2 {
		was, wants := conditionsPatchStatuses[e.b&3], conditionsPatchStatuses[(e.b>>2)&3]
		if !owned(e.name) {
			wants = was
		}
		if was != "" && observed.Status.Conditions != nil {
			observed.Status.Conditions = append(observed.Status.Conditions, metav1.Condition{Type: e.name, Status: was, Reason: "Was", LastTransitionTime: ltt})
		}
		if wants != "" {
			reason := "Was"
			if wants != was || observed.Status.Conditions == nil {
				reason = "Wants"
			}
			desired.Status.Conditions = append(desired.Status.Conditions, metav1.Condition{Type: e.name, Status: wants, Reason: reason, LastTransitionTime: ltt})
		}
	}
	for _, e := range v1beta1 {
		was, wants := conditionsPatchStatuses[e.b&3], conditionsPatchStatuses[(e.b>>2)&3]
		if !owned(e.name) {
			wants = was
		}
		exists := observed.Status.Deprecated != nil && observed.Status.Deprecated.V1Beta1 != nil
		if was != "" && exists {
			observed.Status.Deprecated.V1Beta1.Conditions = append(observed.Status.Deprecated.V1Beta1.Conditions,
				clusterv1.Condition{Type: clusterv1.ConditionType(e.name), Status: corev1Status(was), Reason: "Was", LastTransitionTime: ltt})
		}
		if wants != "" {
			if desired.Status.Deprecated == nil {
				desired.Status.Deprecated = &clusterv1.MachineDeprecatedStatus{}
			}
			if desired.Status.Deprecated.V1Beta1 == nil {
				desired.Status.Deprecated.V1Beta1 = &clusterv1.MachineV1Beta1DeprecatedStatus{}
			}
			reason := "Was"
			if wants != was || !exists {
				reason = "Wants"
			}
			desired.Status.Deprecated.V1Beta1.Conditions = append(desired.Status.Deprecated.V1Beta1.Conditions,
				clusterv1.Condition{Type: clusterv1.ConditionType(e.name), Status: corev1Status(wants), Reason: reason, LastTransitionTime: ltt})
		}
	}
	return observed, desired
}

// corev1Status is a v1beta2 condition status as a v1beta1 one.
func corev1Status(s metav1.ConditionStatus) corev1.ConditionStatus { return corev1.ConditionStatus(s) }

// checkMachineConditionsJSONPatch applies the patch built for observed and desired to observed, as kube-apiserver's
// JSON patch library does, and reports what is wrong with the result: every owned condition as desired, every
// other condition and field as observed, each type once. Where no patch could be built, an owned condition must
// have been due for a list that does not exist.
func checkMachinePatch(t *testing.T, observed, desired *clusterv1.Machine) {
	t.Helper()
	data, err := Machine(observed, desired, ownedMachineConditions, ownedMachineV1Beta1Conditions)
	if err != nil {
		t.Fatalf("building the patch: %v", err)
	}
	doc, err := json.Marshal(observed)
	if err != nil {
		t.Fatal(err)
	}
	if data != nil {
		p, err := jsonpatch.DecodePatch(data)
		if err != nil {
			t.Fatalf("decoding the patch %s: %v", data, err)
		}
		if doc, err = p.Apply(doc); err != nil {
			t.Fatalf("applying the patch %s: %v", data, err)
		}
	}
	got := &clusterv1.Machine{}
	if err := json.Unmarshal(doc, got); err != nil {
		t.Fatal(err)
	}
	if got.Status.Phase != observed.Status.Phase {
		t.Errorf("phase %q, want %q", got.Status.Phase, observed.Status.Phase)
	}
	want := func(owned bool) *clusterv1.Machine {
		if owned {
			return desired
		}
		return observed
	}
	for _, ty := range conditionsPatchPool {
		var gotOnes, wantOnes []metav1.Condition
		for _, c := range got.Status.Conditions {
			if c.Type == ty {
				gotOnes = append(gotOnes, c)
			}
		}
		for _, c := range want(slices.Contains(ownedMachineConditions, ty)).Status.Conditions {
			if c.Type == ty {
				wantOnes = append(wantOnes, c)
			}
		}
		if !equality.Semantic.DeepEqual(gotOnes, wantOnes) {
			t.Errorf("condition %s: got %+v, want %+v (patch %s)", ty, gotOnes, wantOnes, data)
		}
	}
	v1beta1Of := func(m *clusterv1.Machine) clusterv1.Conditions {
		if m.Status.Deprecated == nil || m.Status.Deprecated.V1Beta1 == nil {
			return nil
		}
		return m.Status.Deprecated.V1Beta1.Conditions
	}
	for _, ty := range conditionsPatchV1Beta1Pool {
		var gotOnes, wantOnes clusterv1.Conditions
		for _, c := range v1beta1Of(got) {
			if c.Type == ty {
				gotOnes = append(gotOnes, c)
			}
		}
		for _, c := range v1beta1Of(want(slices.Contains(ownedMachineV1Beta1Conditions, ty))) {
			if c.Type == ty {
				wantOnes = append(wantOnes, c)
			}
		}
		if !equality.Semantic.DeepEqual(gotOnes, wantOnes) {
			t.Errorf("v1beta1 condition %s: got %+v, want %+v (patch %s)", ty, gotOnes, wantOnes, data)
		}
	}
}

func TestMachine(t *testing.T) {
	tests := []struct {
		name string
		// data is the input of machinesForConditionsPatch.
		data    []byte
		wantOps []string
	}{
		{name: "nothing changed", data: []byte{3, 0x01, 0x05, 0x02, 0x05}},
		{name: "a condition changes in place: test and replace",
			data: []byte{3, 0x01, 0x09}, wantOps: []string{"test", "replace"}},
		{name: "a condition is new: appended",
			data: []byte{3, 0x01, 0x04}, wantOps: []string{"add"}},
		{name: "two conditions go: removed from the highest index down",
			data: []byte{1, 0x01, 0x11, 0x22, 0x32, 0x4A, 0x55}, wantOps: []string{"test", "remove", "test", "remove"}},
		{name: "the v1beta2 list does not exist yet: added after a test that it is still absent",
			data: []byte{2, 0x00, 0x04}, wantOps: []string{"test", "add"}},
		{name: "the v1beta1 part of the status does not exist yet: added after a test that it is still absent",
			data: []byte{1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04}, wantOps: []string{"test", "add"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			observed, desired := machinesForConditionsPatch(tt.data)
			data, err := Machine(observed, desired, ownedMachineConditions, ownedMachineV1Beta1Conditions)
			if err != nil {
				t.Fatal(err)
			}
			var ops []Operation
			if data != nil {
				if err := json.Unmarshal(data, &ops); err != nil {
					t.Fatal(err)
				}
			}
			var gotOps []string
			for _, op := range ops {
				gotOps = append(gotOps, op.Op)
			}
			if !slices.Equal(gotOps, tt.wantOps) {
				t.Fatalf("operations %v, want %v (%s)", gotOps, tt.wantOps, data)
			}
			checkMachinePatch(t, observed, desired)
		})
	}
}

func FuzzMachine(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		observed, desired := machinesForConditionsPatch(data)
		checkMachinePatch(t, observed, desired)
	})
}
