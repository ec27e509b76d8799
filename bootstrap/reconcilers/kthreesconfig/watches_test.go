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

package kthreesconfig

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

func TestMachineChangedForBootstrap(t *testing.T) {
	machine := func(dataSecret *string, mutate ...func(*clusterv1.Machine)) *clusterv1.Machine {
		m := &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: "m", Namespace: "ns"}}
		m.Spec.Bootstrap.ConfigRef = clusterv1.ContractVersionedObjectReference{Kind: "KThreesConfig", Name: "m"}
		m.Spec.Bootstrap.DataSecretName = dataSecret
		for _, f := range mutate {
			f(m)
		}
		return m
	}
	now := metav1.Now()
	for _, tc := range []struct {
		name          string
		before, after *clusterv1.Machine
		pass          bool
	}{
		{name: "waiting for its data", before: machine(nil), after: machine(nil, func(m *clusterv1.Machine) { m.Status.Phase = "Pending" }), pass: true},
		{name: "takes the data", before: machine(nil), after: machine(ptr.To("m")), pass: true},
		{name: "status update after the data", before: machine(ptr.To("m")), after: machine(ptr.To("m"), func(m *clusterv1.Machine) { m.Status.Phase = "Running" }), pass: false},
		{name: "deletion starts", before: machine(ptr.To("m")), after: machine(ptr.To("m"), func(m *clusterv1.Machine) { m.DeletionTimestamp = &now }), pass: true},
		{name: "config reference changes", before: machine(ptr.To("m")), after: machine(ptr.To("m"), func(m *clusterv1.Machine) { m.Spec.Bootstrap.ConfigRef.Name = "n" }), pass: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(machineChangedForBootstrap().Update(event.UpdateEvent{ObjectOld: tc.before, ObjectNew: tc.after})).To(Equal(tc.pass))
		})
	}
	g := NewWithT(t)
	g.Expect(machineChangedForBootstrap().Create(event.CreateEvent{Object: machine(nil)})).To(BeTrue())
	g.Expect(machineChangedForBootstrap().Delete(event.DeleteEvent{Object: machine(ptr.To("m"))})).To(BeTrue())
}
