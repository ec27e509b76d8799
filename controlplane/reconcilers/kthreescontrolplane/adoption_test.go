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
	"slices"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/collections"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// adoptTestMachine is a control-plane Machine without a controller, with its KThreesConfig.
func adoptTestMachine(name string, opts ...statusTestMachineOption) (*clusterv1.Machine, *bootstrapv1.KThreesConfig) {
	m := deleteTestUnowned(statusTestMachine(name, opts...))
	config := &bootstrapv1.KThreesConfig{ObjectMeta: metav1.ObjectMeta{
		Name: name, Namespace: "default",
		OwnerReferences: []metav1.OwnerReference{{APIVersion: clusterv1.GroupVersion.String(), Kind: "Machine", Name: name, UID: m.UID, Controller: ptr.To(true)}},
	}}
	return m, config
}

func adoptTestOtherConfigKind(m *clusterv1.Machine) {
	m.Spec.Bootstrap.ConfigRef = clusterv1.ContractVersionedObjectReference{APIGroup: "bootstrap.cluster.x-k8s.io", Kind: "KubeadmConfig", Name: m.Name}
}

func TestAdoptionAdoptMachines(t *testing.T) {
	tests := []struct {
		name         string
		machines     []string
		mutate       map[string]statusTestMachineOption
		kcpDeleting  bool
		liveDeleting bool
		noConfig     []string
		wantAdopted  bool
		wantOwned    []string
		wantRefused  []string
		wantEvents   []string
	}{
		{
			name:        "Machines without a controller are adopted with their KThreesConfigs",
			machines:    []string{"m1", "m2"},
			mutate:      map[string]statusTestMachineOption{"m2": statusTestWithVersion("v1.33.9+k3s1")},
			wantAdopted: true,
			wantOwned:   []string{"m1", "m2"},
			wantEvents:  []string{"Normal AdoptedMachine Adopted control plane Machine m1", "Normal AdoptedMachine Adopted control plane Machine m2"},
		},
		{
			name:        "a Machine without version is adopted; the rollout decides about it",
			machines:    []string{"m1"},
			mutate:      map[string]statusTestMachineOption{"m1": statusTestWithVersion("")},
			wantAdopted: true,
			wantOwned:   []string{"m1"},
			wantEvents:  []string{"Normal AdoptedMachine Adopted control plane Machine m1"},
		},
		{
			name:        "a Machine whose KThreesConfig is gone is adopted",
			machines:    []string{"m1"},
			noConfig:    []string{"m1"},
			wantAdopted: true,
			wantOwned:   []string{"m1"},
			wantEvents:  []string{"Normal AdoptedMachine Adopted control plane Machine m1"},
		},
		{
			name:        "a Machine being deleted is refused",
			machines:    []string{"m1"},
			mutate:      map[string]statusTestMachineOption{"m1": statusTestDeleting(time.Minute)},
			wantRefused: []string{"m1"},
			wantEvents:  []string{"Warning AdoptionFailed Cannot adopt control plane Machine m1: it is being deleted"},
		},
		{
			name:        "a Machine bootstrapped by something else than a KThreesConfig is refused",
			machines:    []string{"m1"},
			mutate:      map[string]statusTestMachineOption{"m1": adoptTestOtherConfigKind},
			wantRefused: []string{"m1"},
			wantEvents:  []string{`Warning AdoptionFailed Cannot adopt control plane Machine m1: its bootstrap configRef is not a KThreesConfig (kind "KubeadmConfig", apiGroup "bootstrap.cluster.x-k8s.io")`},
		},
		{
			name:        "a Machine two minor versions away is refused",
			machines:    []string{"m1"},
			mutate:      map[string]statusTestMachineOption{"m1": statusTestWithVersion("v1.32.9+k3s1")},
			wantRefused: []string{"m1"},
			wantEvents:  []string{"Warning AdoptionFailed Cannot adopt control plane Machine m1: its version v1.32.9+k3s1 is more than one minor version away from the control plane's v1.34.5+k3s1"},
		},
		{
			name:        "a Machine with an unreadable version is refused",
			machines:    []string{"m1"},
			mutate:      map[string]statusTestMachineOption{"m1": statusTestWithVersion("latest")},
			wantRefused: []string{"m1"},
			wantEvents:  []string{`Warning AdoptionFailed Cannot adopt control plane Machine m1: its version "latest" cannot be parsed`},
		},
		{
			name:        "refusing one Machine does not stop adopting the others",
			machines:    []string{"m1", "m2"},
			mutate:      map[string]statusTestMachineOption{"m1": statusTestWithVersion("v1.36.0+k3s1")},
			wantAdopted: true,
			wantOwned:   []string{"m2"},
			wantRefused: []string{"m1"},
			wantEvents: []string{
				"Warning AdoptionFailed Cannot adopt control plane Machine m1: its version v1.36.0+k3s1 is more than one minor version away from the control plane's v1.34.5+k3s1",
				"Normal AdoptedMachine Adopted control plane Machine m2",
			},
		},
		{
			name:        "nothing is adopted while the control plane is being deleted",
			machines:    []string{"m1"},
			kcpDeleting: true,
		},
		{
			name:         "nothing is adopted when the API server says the control plane is being deleted",
			machines:     []string{"m1"},
			liveDeleting: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			kcp := condTestKCP(3)
			live := kcp.DeepCopy()
			if tt.liveDeleting {
				live.DeletionTimestamp = ptr.To(metav1.NewTime(statusTestNow))
			}
			if tt.kcpDeleting {
				kcp.DeletionTimestamp = ptr.To(metav1.NewTime(statusTestNow))
			}
			objects := []client.Object{live}
			for _, name := range tt.machines {
				var opts []statusTestMachineOption
				if o, ok := tt.mutate[name]; ok {
					opts = append(opts, o)
				}
				m, config := adoptTestMachine(name, opts...)
				objects = append(objects, m)
				if !slices.Contains(tt.noConfig, name) {
					objects = append(objects, config)
				}
			}
			c := fake.NewClientBuilder().WithScheme(statusTestScheme()).WithObjects(objects...).Build()
			recorder := record.NewFakeRecorder(10)
			r := &Reconciler{Client: c, APIReader: c, Recorder: recorder}
			cp := statusTestControlPlane(kcp, nil, nil)
			// The scope holds the Machines as read, with their resource versions.
			cp.adoptableMachines = collections.New()
			for _, name := range tt.machines {
				m := &clusterv1.Machine{}
				g.Expect(c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, m)).To(Succeed())
				cp.adoptableMachines.Insert(m)
			}

			adopted, err := r.adoptMachines(context.Background(), cp)
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(adopted).To(Equal(tt.wantAdopted))

			for _, name := range tt.machines {
				m := &clusterv1.Machine{}
				g.Expect(c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, m)).To(Succeed())
				controller := metav1.GetControllerOf(m)
				if slices.Contains(tt.wantOwned, name) {
					g.Expect(controller).ToNot(BeNil(), "Machine %s must be adopted", name)
					g.Expect(controller.Kind).To(Equal("KThreesControlPlane"))
					g.Expect(controller.Name).To(Equal("kcp"))
					g.Expect(controller.UID).To(Equal(kcp.UID))
					g.Expect(controller.APIVersion).To(Equal(controlplanev1.GroupVersion.String()))
				} else {
					g.Expect(controller).To(BeNil(), "Machine %s must not be adopted", name)
				}

				config := &bootstrapv1.KThreesConfig{}
				if err := c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, config); err == nil {
					kcpRefs := 0
					for _, ref := range config.OwnerReferences {
						if ref.Kind == "KThreesControlPlane" {
							kcpRefs++
							g.Expect(ref.UID).To(Equal(kcp.UID))
							g.Expect(ptr.Deref(ref.Controller, false)).To(BeFalse(), "the Machine stays the config's controller")
						}
					}
					wantRefs := 0
					if slices.Contains(tt.wantOwned, name) {
						wantRefs = 1
					}
					g.Expect(kcpRefs).To(Equal(wantRefs), "KThreesConfig %s owner references", name)
					g.Expect(metav1.GetControllerOf(config).Kind).To(Equal("Machine"))
				}
			}

			g.Expect(cp.foreignMachines.Names()).To(ConsistOf(tt.wantRefused))
			g.Expect(cp.hasMachinesOfOtherOwners()).To(Equal(len(tt.wantRefused) > 0))

			var events []string
			for len(recorder.Events) > 0 {
				events = append(events, <-recorder.Events)
			}
			g.Expect(events).To(ConsistOf(tt.wantEvents))
		})
	}
}
