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

package objpatch

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// requests records the writes a test client receives, in order: "status" or "main".
type requests struct{ log []string }

func (r *requests) funcs() interceptor.Funcs {
	return interceptor.Funcs{
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			r.log = append(r.log, "main")
			return c.Patch(ctx, obj, patch, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			r.log = append(r.log, sub)
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			r.log = append(r.log, "update")
			return c.Update(ctx, obj, opts...)
		},
	}
}

func testClient(t *testing.T, r *requests, objs ...client.Object) client.Client {
	t.Helper()
	s := runtime.NewScheme()
	NewWithT(t).Expect(clusterv1.AddToScheme(s)).To(Succeed())
	return fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).
		WithStatusSubresource(&clusterv1.Machine{}).WithInterceptorFuncs(r.funcs()).Build()
}

func testMachine() *clusterv1.Machine {
	return &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: "m", Namespace: "ns", Generation: 3, Finalizers: []string{"f"}}}
}

func get(ctx context.Context, g Gomega, c client.Client) *clusterv1.Machine {
	m := &clusterv1.Machine{}
	g.Expect(c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "m"}, m)).To(Succeed())
	return m
}

// TestPatchStatusIsOneRequest: conditions and other status fields go out in a single status patch.
func TestPatchStatusIsOneRequest(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	r := &requests{}
	c := testClient(t, r, testMachine())
	m := get(ctx, g, c)

	h, err := NewHelper(m, c)
	g.Expect(err).ToNot(HaveOccurred())
	m.Status.Phase = "Running"
	conditions.Set(m, metav1.Condition{Type: "A", Status: metav1.ConditionTrue, Reason: "Yes"})
	conditions.Set(m, metav1.Condition{Type: "B", Status: metav1.ConditionFalse, Reason: "No"})
	g.Expect(h.Patch(ctx, m, WithStatusObservedGeneration())).To(Succeed())

	g.Expect(r.log).To(Equal([]string{"status"}))
	stored := get(ctx, g, c)
	g.Expect(stored.Status.Phase).To(Equal("Running"))
	g.Expect(stored.Status.ObservedGeneration).To(Equal(m.Generation))
	g.Expect(conditions.IsTrue(stored, "A")).To(BeTrue())
	g.Expect(conditions.IsFalse(stored, "B")).To(BeTrue())
	g.Expect(h.WrittenResourceVersion()).To(Equal(stored.ResourceVersion))
}

// TestPatchNothingChanged: a reconcile that changed nothing writes nothing.
func TestPatchNothingChanged(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	r := &requests{}
	c := testClient(t, r, testMachine())
	m := get(ctx, g, c)
	conditions.Set(m, metav1.Condition{Type: "A", Status: metav1.ConditionTrue, Reason: "Yes"})
	g.Expect(c.Status().Update(ctx, m)).To(Succeed())
	m = get(ctx, g, c)
	r.log = nil

	h, err := NewHelper(m, c)
	g.Expect(err).ToNot(HaveOccurred())
	// Setting a condition to what it is keeps its lastTransitionTime: no change.
	conditions.Set(m, metav1.Condition{Type: "A", Status: metav1.ConditionTrue, Reason: "Yes"})
	g.Expect(h.Patch(ctx, m)).To(Succeed())
	g.Expect(r.log).To(BeEmpty())
	g.Expect(h.WrittenResourceVersion()).To(BeEmpty())
}

// TestPatchStatusThenMetadata: status and metadata changes take one request each, the status first, so that a
// finalizer removal (which may delete the object) comes last.
func TestPatchStatusThenMetadata(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	r := &requests{}
	c := testClient(t, r, testMachine())
	m := get(ctx, g, c)

	h, err := NewHelper(m, c)
	g.Expect(err).ToNot(HaveOccurred())
	m.Finalizers = nil
	m.Annotations = map[string]string{"a": "b"}
	conditions.Set(m, metav1.Condition{Type: "A", Status: metav1.ConditionTrue, Reason: "Yes"})
	g.Expect(h.Patch(ctx, m)).To(Succeed())

	g.Expect(r.log).To(Equal([]string{"status", "main"}))
	stored := get(ctx, g, c)
	g.Expect(stored.Finalizers).To(BeEmpty())
	g.Expect(stored.Annotations).To(HaveKeyWithValue("a", "b"))
	g.Expect(conditions.IsTrue(stored, "A")).To(BeTrue())
}

// TestPatchDeletedObject: the status of an object whose deletion completed meanwhile is not an error.
func TestPatchDeletedObject(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	r := &requests{}
	c := testClient(t, r, testMachine())
	g.Expect(c.Delete(ctx, get(ctx, g, c))).To(Succeed())
	m := get(ctx, g, c)
	g.Expect(m.DeletionTimestamp.IsZero()).To(BeFalse())
	h, err := NewHelper(m, c)
	g.Expect(err).ToNot(HaveOccurred())

	// Someone else removes the last finalizer: the object is gone.
	gone := m.DeepCopy()
	gone.Finalizers = nil
	g.Expect(c.Update(ctx, gone)).To(Succeed())

	conditions.Set(m, metav1.Condition{Type: "Deleting", Status: metav1.ConditionTrue, Reason: "Done"})
	g.Expect(h.Patch(ctx, m)).To(Succeed())
	g.Expect(h.WrittenResourceVersion()).To(BeEmpty())
}

func TestPausedCondition(t *testing.T) {
	g := NewWithT(t)
	cluster := &clusterv1.Cluster{}
	m := testMachine()
	g.Expect(IsPaused(cluster, m)).To(BeFalse())
	g.Expect(IsPaused(nil, m)).To(BeFalse())

	SetNotPausedCondition(m)
	cond := conditions.Get(m, clusterv1.PausedCondition)
	g.Expect(cond).ToNot(BeNil())
	g.Expect(cond.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(cond.Reason).To(Equal(clusterv1.NotPausedReason))
	g.Expect(cond.ObservedGeneration).To(Equal(m.Generation))

	cluster.Spec.Paused = ptr.To(true)
	g.Expect(IsPaused(cluster, m)).To(BeTrue())
	m.Annotations = map[string]string{clusterv1.PausedAnnotation: ""}
	g.Expect(IsPaused(nil, m)).To(BeTrue())
}

// TestPatchStatusFromStaleCopyConflicts: the status patch is locked to the object as read, so a reconcile that
// worked on a copy older than the stored object gets a conflict instead of writing back the status it read: the
// condition of another writer is not dropped, nothing is overwritten.
func TestPatchStatusFromStaleCopyConflicts(t *testing.T) {
	tests := []struct {
		name string
		// write is the other writer's change after the copy was read.
		write func(ctx context.Context, c client.Client, m *clusterv1.Machine) error
		check func(g Gomega, stored *clusterv1.Machine)
	}{
		{
			name: "another writer's new condition",
			write: func(ctx context.Context, c client.Client, m *clusterv1.Machine) error {
				conditions.Set(m, metav1.Condition{Type: "New", Status: metav1.ConditionTrue, Reason: "Theirs"})
				return c.Status().Update(ctx, m)
			},
			check: func(g Gomega, stored *clusterv1.Machine) { g.Expect(conditions.IsTrue(stored, "New")).To(BeTrue()) },
		},
		{
			name: "a newer value of a condition this reconcile did not compute",
			write: func(ctx context.Context, c client.Client, m *clusterv1.Machine) error {
				conditions.Set(m, metav1.Condition{Type: "Other", Status: metav1.ConditionTrue, Reason: "Theirs"})
				return c.Status().Update(ctx, m)
			},
			check: func(g Gomega, stored *clusterv1.Machine) { g.Expect(conditions.IsTrue(stored, "Other")).To(BeTrue()) },
		},
		{
			name: "a metadata change",
			write: func(ctx context.Context, c client.Client, m *clusterv1.Machine) error {
				m.Labels = map[string]string{"l": "v"}
				return c.Update(ctx, m)
			},
			check: func(g Gomega, stored *clusterv1.Machine) { g.Expect(stored.Labels).To(HaveKey("l")) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx := context.Background()
			r := &requests{}
			c := testClient(t, r, testMachine())
			stale := get(ctx, g, c)
			conditions.Set(stale, metav1.Condition{Type: "Other", Status: metav1.ConditionFalse, Reason: "Before"})
			g.Expect(c.Status().Update(ctx, stale)).To(Succeed())
			stale = get(ctx, g, c)
			g.Expect(tt.write(ctx, c, get(ctx, g, c))).To(Succeed())

			h, err := NewHelper(stale, c)
			g.Expect(err).ToNot(HaveOccurred())
			conditions.Set(stale, metav1.Condition{Type: "A", Status: metav1.ConditionTrue, Reason: "Yes"})
			stale.Annotations = map[string]string{"a": "b"}
			err = h.Patch(ctx, stale)
			g.Expect(apierrors.IsConflict(err)).To(BeTrue(), "got %v", err)

			stored := get(ctx, g, c)
			tt.check(g, stored)
			g.Expect(conditions.Get(stored, "A")).To(BeNil())
			g.Expect(stored.Annotations).ToNot(HaveKey("a"), "nothing is written after a conflict")
			g.Expect(h.WrittenResourceVersion()).To(BeEmpty())
		})
	}
}

// TestPatchMetadataOfDeletedObject: the metadata patch of an object whose deletion completed meanwhile is not an
// error either.
func TestPatchMetadataOfDeletedObject(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	r := &requests{}
	c := testClient(t, r, testMachine())
	g.Expect(c.Delete(ctx, get(ctx, g, c))).To(Succeed())
	m := get(ctx, g, c)
	h, err := NewHelper(m, c)
	g.Expect(err).ToNot(HaveOccurred())

	gone := m.DeepCopy()
	gone.Finalizers = nil
	g.Expect(c.Update(ctx, gone)).To(Succeed())

	conditions.Set(m, metav1.Condition{Type: "Deleting", Status: metav1.ConditionTrue, Reason: "Done"})
	m.Finalizers = nil
	g.Expect(h.Patch(ctx, m)).To(Succeed())
	g.Expect(r.log).To(ContainElements("status", "main"))
	g.Expect(h.WrittenResourceVersion()).To(BeEmpty())
}

// status.observedGeneration is set on typed objects through their field, on others through their map form.
func TestSetObservedGeneration(t *testing.T) {
	g := NewWithT(t)
	typed := &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: "m", Generation: 3}}
	g.Expect(setObservedGeneration(typed)).To(Succeed())
	g.Expect(typed.Status.ObservedGeneration).To(BeEquivalentTo(3))

	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "example.com/v1", "kind": "Thing", "metadata": map[string]any{"name": "u", "generation": int64(4)}}}
	g.Expect(setObservedGeneration(u)).To(Succeed())
	got, found, err := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(found).To(BeTrue())
	g.Expect(got).To(BeEquivalentTo(4))
}

// TestWithLock checks that the status patch with the lock spliced in is the merge patch to the status together with
// the resourceVersion, which the API server checks (computed once instead of twice).
func TestWithLock(t *testing.T) {
	tests := []struct {
		name            string
		before, after   map[string]any
		resourceVersion string
	}{
		{name: "changed field", before: map[string]any{"status": map[string]any{"a": "1"}}, after: map[string]any{"status": map[string]any{"a": "2"}}, resourceVersion: "42"},
		{name: "status added", before: map[string]any{}, after: map[string]any{"status": map[string]any{"a": "1"}}, resourceVersion: "7"},
		{name: "status removed", before: map[string]any{"status": map[string]any{"a": "1"}}, after: map[string]any{}, resourceVersion: "7"},
		{name: "quote in the version", before: map[string]any{}, after: map[string]any{"status": map[string]any{"a": "1"}}, resourceVersion: `1"2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			patch, err := mergePatch(tt.before, tt.after)
			g.Expect(err).ToNot(HaveOccurred())
			got, err := withLock(patch, tt.resourceVersion)
			g.Expect(err).ToNot(HaveOccurred())
			versioned := map[string]any{"metadata": map[string]any{"resourceVersion": tt.resourceVersion}}
			for k, v := range tt.after {
				versioned[k] = v
			}
			want, err := mergePatch(tt.before, versioned)
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(got).To(MatchJSON(want))
		})
	}
	_, err := withLock([]byte("null"), "1")
	NewWithT(t).Expect(err).To(HaveOccurred())
}
