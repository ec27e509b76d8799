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

package apiconversion

import (
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

func withGetter(t *testing.T, getter APIVersionGetter) {
	t.Helper()
	SetAPIVersionGetter(getter)
	t.Cleanup(func() { SetAPIVersionGetter(nil) })
}

func v1beta2Getter(gk schema.GroupKind) (string, error) {
	return schema.GroupVersion{Group: gk.Group, Version: "v1beta2"}.String(), nil
}

func Test_ToObjectReference(t *testing.T) {
	ref := clusterv1.ContractVersionedObjectReference{APIGroup: "infrastructure.cluster.x-k8s.io", Kind: "DockerMachineTemplate", Name: "cp"}
	tests := []struct {
		name     string
		getter   APIVersionGetter
		restored *corev1.ObjectReference
		want     corev1.ObjectReference
		wantErr  bool
	}{
		{
			name:   "version from the getter, namespace of the object",
			getter: v1beta2Getter,
			want:   corev1.ObjectReference{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta2", Kind: "DockerMachineTemplate", Name: "cp", Namespace: "ns"},
		},
		{
			name:     "kept reference to the same object wins, empty namespace defaulted like upstream",
			restored: &corev1.ObjectReference{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta1", Kind: "DockerMachineTemplate", Name: "cp", UID: "u"},
			want:     corev1.ObjectReference{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta1", Kind: "DockerMachineTemplate", Name: "cp", UID: "u", Namespace: "ns"},
		},
		{
			name:     "kept reference to another object is ignored",
			getter:   v1beta2Getter,
			restored: &corev1.ObjectReference{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta1", Kind: "DockerMachineTemplate", Name: "old"},
			want:     corev1.ObjectReference{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta2", Kind: "DockerMachineTemplate", Name: "cp", Namespace: "ns"},
		},
		{name: "no getter and nothing kept is an error", wantErr: true},
		{name: "getter failure is an error", getter: func(schema.GroupKind) (string, error) { return "", errors.New("no CRD") }, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			withGetter(t, tt.getter)
			got, err := ToObjectReference(ref, "ns", tt.restored)
			if tt.wantErr {
				g.Expect(err).To(HaveOccurred())
				return
			}
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}

func Test_IsDerivable(t *testing.T) {
	withGetter(t, v1beta2Getter)
	tests := []struct {
		name string
		ref  corev1.ObjectReference
		want bool
	}{
		{name: "empty", ref: corev1.ObjectReference{}, want: true},
		{name: "current version, same namespace", ref: corev1.ObjectReference{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta2", Kind: "K", Name: "n", Namespace: "ns"}, want: true},
		{name: "current version, empty namespace", ref: corev1.ObjectReference{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta2", Kind: "K", Name: "n"}, want: true},
		{name: "older version", ref: corev1.ObjectReference{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta1", Kind: "K", Name: "n"}, want: false},
		{name: "other namespace", ref: corev1.ObjectReference{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta2", Kind: "K", Name: "n", Namespace: "other"}, want: false},
		{name: "uid", ref: corev1.ObjectReference{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta2", Kind: "K", Name: "n", UID: "u"}, want: false},
		{name: "unparsable apiVersion", ref: corev1.ObjectReference{APIVersion: "a/b/c", Kind: "K", Name: "n"}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			NewWithT(t).Expect(IsDerivable(&tt.ref, "ns")).To(Equal(tt.want))
		})
	}
}

func Test_KeptInfrastructureReference(t *testing.T) {
	g := NewWithT(t)
	ref := corev1.ObjectReference{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta1", Kind: "K", Name: "n"}
	for _, kept := range []any{
		map[string]any{"spec": map[string]any{"infrastructureTemplate": ref}},
		map[string]any{"spec": map[string]any{"machineTemplate": map[string]any{"infrastructureRef": ref}}},
	} {
		hub := &metav1.ObjectMeta{}
		g.Expect(MarshalData(kept, hub)).To(Succeed())
		got, err := KeptInfrastructureReference(hub)
		g.Expect(err).ToNot(HaveOccurred())
		g.Expect(got).To(Equal(&ref))
	}
	got, err := KeptInfrastructureReference(&metav1.ObjectMeta{})
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(got).To(BeNil())
}

func Test_ConversionDataAnnotation(t *testing.T) {
	g := NewWithT(t)
	shared := map[string]string{"keep": "me"}
	a, b := &metav1.ObjectMeta{Annotations: shared}, &metav1.ObjectMeta{Annotations: shared}
	g.Expect(MarshalData(map[string]any{"metadata": map[string]any{"name": "x"}, "spec": map[string]any{"a": 1}}, b)).To(Succeed())
	g.Expect(a.Annotations).To(Equal(map[string]string{"keep": "me"}), "a shared annotation map is never modified")
	g.Expect(b.Annotations[DataAnnotation]).To(Equal(`{"spec":{"a":1}}`), "metadata is not stored")

	out := map[string]any{}
	ok, err := UnmarshalData(b, &out)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(ok).To(BeTrue())
	g.Expect(b.Annotations).To(HaveKey(DataAnnotation), "reading does not remove the data")
	RemoveData(b)
	g.Expect(b.Annotations).To(Equal(map[string]string{"keep": "me"}))

	b.Annotations = map[string]string{DataAnnotation: "{not json"}
	_, err = UnmarshalData(b, &out)
	g.Expect(err).To(HaveOccurred())
}
