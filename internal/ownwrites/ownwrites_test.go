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

package ownwrites

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

func TestIgnoreStatusUpdates(t *testing.T) {
	base := func() *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
			Name: "o", Generation: 1, ResourceVersion: "1",
			Labels: map[string]string{"a": "1"}, Annotations: map[string]string{"b": "2"}, Finalizers: []string{"f"},
			OwnerReferences: []metav1.OwnerReference{{Kind: "Cluster", Name: "c", UID: "u"}},
		}}
	}
	now := metav1.Now()
	for _, tc := range []struct {
		name   string
		change func(*corev1.ConfigMap)
		pass   bool
	}{
		{name: "status only (new resourceVersion, managed fields)", change: func(o *corev1.ConfigMap) {
			o.ResourceVersion = "2"
			o.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "x"}}
		}, pass: false},
		{name: "spec change bumps the generation", change: func(o *corev1.ConfigMap) { o.Generation = 2 }, pass: true},
		{name: "label", change: func(o *corev1.ConfigMap) { o.Labels["a"] = "2" }, pass: true},
		{name: "annotation added", change: func(o *corev1.ConfigMap) { o.Annotations["c"] = "3" }, pass: true},
		{name: "finalizer removed", change: func(o *corev1.ConfigMap) { o.Finalizers = nil }, pass: false},
		{name: "owner reference", change: func(o *corev1.ConfigMap) { o.OwnerReferences[0].UID = "v" }, pass: true},
		{name: "deletion", change: func(o *corev1.ConfigMap) { o.DeletionTimestamp = &now }, pass: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			before, after := base(), base()
			tc.change(after)
			g.Expect(IgnoreStatusUpdates().Update(event.UpdateEvent{ObjectOld: before, ObjectNew: after})).To(Equal(tc.pass))
		})
	}
	g := NewWithT(t)
	g.Expect(IgnoreStatusUpdates().Create(event.CreateEvent{Object: base()})).To(BeTrue())
	g.Expect(IgnoreStatusUpdates().Delete(event.DeleteEvent{Object: base()})).To(BeTrue())
}
