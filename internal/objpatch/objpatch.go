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

// Package objpatch writes what a reconcile changed on the object it reconciles with as few API requests as
// possible: one merge patch of the status subresource and one of the rest, each only when something changed.
//
// CAPI's patch.Helper writes conditions, spec and metadata, and the rest of the status with separate requests
// (three per reconcile when all change). Here the status is sent whole-field, the conditions list as computed, in
// one request that is optimistically locked with the resourceVersion of the object as read: what the reconcile did
// not recompute (other status fields, conditions of other writers) is written back as it read it, so a copy that
// is no longer the stored object (a stale cache, a concurrent writer) fails with a conflict and the reconcile
// retries, instead of overwriting newer values. Reconcilers keep such conflicts rare by waiting, after a write,
// until their cache shows it (see WrittenResourceVersion).
package objpatch

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/annotations"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Helper remembers an object as read at the start of a reconcile and patches what changed since.
type Helper struct {
	client client.Client
	// before is a copy of the object as read; most reconciles change nothing, and comparing typed objects is far
	// cheaper than converting both to their map form, which Patch does only when they differ.
	before runtime.Object
	// resourceVersion is the object's as read, which locks the status patch.
	resourceVersion string
	// written is the resourceVersion of the object after the last request Patch sent, "" when it sent none.
	written string
}

// NewHelper snapshots obj; Patch later writes the differences to it.
func NewHelper(obj client.Object, c client.Client) (*Helper, error) {
	return &Helper{client: c, before: obj.DeepCopyObject(), resourceVersion: obj.GetResourceVersion()}, nil
}

// Option changes what Patch writes.
type Option func(*options)

type options struct {
	observedGeneration bool
}

// WithStatusObservedGeneration sets status.observedGeneration to the object's generation before patching.
func WithStatusObservedGeneration() Option {
	return func(o *options) { o.observedGeneration = true }
}

// Patch writes the changes of obj since NewHelper: the status with at most one request, then metadata and spec
// with at most one. The status goes first so that a finalizer removal, which may delete the object, comes last.
// The status patch fails with a conflict when the object changed since it was read (see the package comment);
// metadata and spec are merged without lock. obj itself is not updated from the responses.
func (h *Helper) Patch(ctx context.Context, obj client.Object, opts ...Option) error {
	o := &options{}
	for _, opt := range opts {
		opt(o)
	}
	if o.observedGeneration {
		if err := setObservedGeneration(obj); err != nil {
			return err
		}
	}
	// Identical typed objects have identical JSON: nothing to write.
	if reflect.DeepEqual(h.before, obj) {
		return nil
	}
	before, err := runtime.DefaultUnstructuredConverter.ToUnstructured(h.before)
	if err != nil {
		return fmt.Errorf("failed to convert %s: %w", obj.GetName(), err)
	}
	after, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return fmt.Errorf("failed to convert %s: %w", obj.GetName(), err)
	}

	statusPatch, err := mergePatch(statusOnly(before), statusOnly(after))
	if err != nil {
		return err
	}
	// An object that was never read (no resourceVersion) has no version to lock to.
	if statusPatch != nil && h.resourceVersion != "" {
		if statusPatch, err = withLock(statusPatch, h.resourceVersion); err != nil {
			return err
		}
	}
	if statusPatch != nil {
		target := obj.DeepCopyObject().(client.Object)
		err := h.client.Status().Patch(ctx, target, client.RawPatch(types.MergePatchType, statusPatch))
		if err != nil && !isGone(err, obj) {
			return fmt.Errorf("failed to patch the status of %s: %w", obj.GetName(), err)
		}
		if err == nil {
			h.written = target.GetResourceVersion()
		}
	}

	restPatch, err := mergePatch(withoutStatus(before), withoutStatus(after))
	if err != nil {
		return err
	}
	if restPatch != nil {
		target := obj.DeepCopyObject().(client.Object)
		err := h.client.Patch(ctx, target, client.RawPatch(types.MergePatchType, restPatch))
		if err != nil && !isGone(err, obj) {
			return fmt.Errorf("failed to patch %s: %w", obj.GetName(), err)
		}
		if err == nil {
			h.written = target.GetResourceVersion()
		}
	}
	return nil
}

// isGone reports whether err says that obj, which was being deleted, is gone: its deletion completed while the
// reconcile ran, and there is nothing left to write.
func isGone(err error, obj client.Object) bool {
	return apierrors.IsNotFound(err) && !obj.GetDeletionTimestamp().IsZero()
}

// WrittenResourceVersion is the resourceVersion of the object after the last request of Patch, or "" when Patch
// wrote nothing. A reconciler can make its next reconcile wait until its cache has caught up with it.
func (h *Helper) WrittenResourceVersion() string {
	return h.written
}

// setObservedGeneration sets status.observedGeneration: directly on a typed object with a Status.ObservedGeneration
// int64 field (every reconcile pays for this, and a round trip through the map form costs two conversions), else
// through its map form.
func setObservedGeneration(obj client.Object) error {
	if v := reflect.ValueOf(obj); v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
		if status := v.Elem().FieldByName("Status"); status.IsValid() && status.Kind() == reflect.Struct {
			if f := status.FieldByName("ObservedGeneration"); f.IsValid() && f.CanSet() && f.Kind() == reflect.Int64 {
				f.SetInt(obj.GetGeneration())
				return nil
			}
		}
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return fmt.Errorf("failed to convert %s: %w", obj.GetName(), err)
	}
	if err := unstructured.SetNestedField(content, obj.GetGeneration(), "status", "observedGeneration"); err != nil {
		return fmt.Errorf("failed to set status.observedGeneration of %s: %w", obj.GetName(), err)
	}
	return runtime.DefaultUnstructuredConverter.FromUnstructured(content, obj)
}

// statusOnly is the status of an object's map form.
func statusOnly(content map[string]any) map[string]any {
	out := map[string]any{}
	if status, ok := content["status"]; ok {
		out["status"] = status
	}
	return out
}

// withLock adds metadata.resourceVersion to a merge patch of the status alone, which makes it optimistically
// locked; the patch is computed once (marshalling both versions of the status is most of what it costs).
func withLock(statusPatch []byte, resourceVersion string) ([]byte, error) {
	rv, err := json.Marshal(resourceVersion)
	if err != nil {
		return nil, fmt.Errorf("failed to encode resourceVersion %q: %w", resourceVersion, err)
	}
	if len(statusPatch) < 2 || statusPatch[0] != '{' {
		return nil, fmt.Errorf("unexpected status patch %q", statusPatch)
	}
	locked := make([]byte, 0, len(statusPatch)+len(rv)+32)
	locked = append(locked, `{"metadata":{"resourceVersion":`...)
	locked = append(locked, rv...)
	locked = append(locked, "},"...)
	return append(locked, statusPatch[1:]...), nil
}

// withoutStatus is an object's map form without status and without the resourceVersion, which would make the
// patch optimistically locked.
func withoutStatus(content map[string]any) map[string]any {
	out := make(map[string]any, len(content))
	for k, v := range content {
		if k != "status" {
			out[k] = v
		}
	}
	if metadata, ok := content["metadata"].(map[string]any); ok {
		m := make(map[string]any, len(metadata))
		for k, v := range metadata {
			if k != "resourceVersion" {
				m[k] = v
			}
		}
		out["metadata"] = m
	}
	return out
}

// mergePatch is the JSON merge patch from before to after, or nil when they are equal.
func mergePatch(before, after map[string]any) ([]byte, error) {
	// Most reconciles change nothing; comparing the maps is far cheaper than marshalling both to compute an
	// empty patch. Unstructured maps hold normalised types, so equal objects compare equal.
	if reflect.DeepEqual(before, after) {
		return nil, nil
	}
	data, err := client.MergeFrom(&unstructured.Unstructured{Object: before}).Data(&unstructured.Unstructured{Object: after})
	if err != nil {
		return nil, fmt.Errorf("failed to compute a merge patch: %w", err)
	}
	if string(data) == "{}" {
		return nil, nil
	}
	return data, nil
}

// IsPaused reports whether the reconciliation of obj is paused: by spec.paused of its Cluster or by the
// cluster.x-k8s.io/paused annotation. A paused object is left to CAPI's paused.EnsurePausedCondition, which writes
// its Paused condition at once.
func IsPaused(cluster *clusterv1.Cluster, obj metav1.Object) bool {
	return (cluster != nil && ptr.Deref(cluster.Spec.Paused, false)) || annotations.HasPaused(obj)
}

// SetNotPausedCondition sets the Paused condition of an object that is not paused, as CAPI's
// paused.EnsurePausedCondition does, but without writing it: the reconcile's final patch does, together with
// everything else, instead of a separate patch and a reconcile more.
func SetNotPausedCondition(obj conditions.Setter) {
	conditions.Set(obj, metav1.Condition{
		Type:   clusterv1.PausedCondition,
		Status: metav1.ConditionFalse,
		Reason: clusterv1.NotPausedReason,
	})
}
