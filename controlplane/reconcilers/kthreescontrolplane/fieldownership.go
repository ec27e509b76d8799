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
	"encoding/json"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// applyRequest is a server-side apply of intent to an existing object.
type applyRequest struct {
	intent *unstructured.Unstructured
	// current is the object as this reconcile read it, in map form.
	current map[string]any
	// normalize turns the applied object into the map form current has (typed objects go through their Go type);
	// nil keeps the applied object's map.
	normalize func(*unstructured.Unstructured) (map[string]any, error)
	// created, set for InfraMachines and KThreesConfigs, tells which labels and annotations their creation set for
	// other reasons than the control plane (see createdMetadataKeep); nil for Machines.
	created func(ctx context.Context) (*metadataKeep, error)
}

// applyIfChanged server-side applies req.intent unless the last apply of the object was of the same intent and the
// object still holds what it left in place (the cache remembers that). It returns the object after the apply, or nil when the apply
// was skipped. Field ownership left behind by Updates is taken over after the apply, so that removing a label from
// the control plane removes it from the object.
func (r *Reconciler) applyIfChanged(ctx context.Context, req applyRequest) (*unstructured.Unstructured, error) {
	cache := r.applyCache()
	uid := string(req.intent.GetUID())
	key, err := newSSACacheKey(uid, req.intent, req.current)
	if err != nil {
		return nil, err
	}
	if cache.has(key) {
		return nil, nil
	}
	// Whatever the apply leaves in place, the object no longer holds what the last remembered apply left.
	cache.forget(key)

	applied := req.intent.DeepCopy()
	if err := r.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(applied), client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return nil, fmt.Errorf("failed to apply %s: %w", req.intent.GetKind(), err)
	}
	cacheable, err := r.takeOverFieldOwnership(ctx, applied, req.created)
	if err != nil {
		return nil, err
	}
	if cacheable {
		if err := r.rememberApplied(req.intent, applied, req.normalize); err != nil {
			return nil, err
		}
	}
	return applied, nil
}

// rememberApplied records that obj holds what applying intent leaves in place, so that the next reconcile skips
// the apply while those fields keep their values.
func (r *Reconciler) rememberApplied(intent, obj *unstructured.Unstructured, normalize func(*unstructured.Unstructured) (map[string]any, error)) error {
	if r.remember != nil {
		return r.remember(intent, obj)
	}
	current := obj.Object
	if normalize != nil {
		var err error
		if current, err = normalize(obj); err != nil {
			return err
		}
	}
	key, err := newSSACacheKey(string(obj.GetUID()), intent, current)
	if err != nil {
		return err
	}
	r.applyCache().add(key)
	return nil
}

// legacyUpdateManagers are the managers of Update operations that may share ownership of fields this
// controller applies: upstream's and CAPI's controllers before server-side apply ("manager", the binary name),
// the API server's stand-in for objects without managed fields, and this controller's own Creates.
var legacyUpdateManagers = []string{"manager", "before-first-apply", FieldManager}

// inPlaceFieldPaths are the managed-fields paths under which this controller applies map entries it may later
// remove.
var inPlaceFieldPaths = [][]string{
	{"f:metadata", "f:labels"},
	{"f:metadata", "f:annotations"},
	{"f:spec", "f:deletion"},
	{"f:spec", "f:readinessGates"},
}

// metadataPaths are the managed-fields paths of labels and annotations, and the object paths they stand for.
var metadataPaths = []struct{ fields, object []string }{
	{[]string{"f:metadata", "f:labels"}, []string{"metadata", "labels"}},
	{[]string{"f:metadata", "f:annotations"}, []string{"metadata", "annotations"}},
}

// metadataKeep are the labels and annotations that the Create of an InfraMachine or KThreesConfig set for other
// reasons than the control plane's machine template (e.g. the template clone's), which the takeover never
// removes. all keeps everything, when they cannot be told apart; undecided when that may change (the template
// cannot be read for now), so that the next apply decides again.
type metadataKeep struct {
	all, undecided      bool
	labels, annotations map[string]bool
}

// keeps reports whether the key under the object path objectPath is kept.
func (k *metadataKeep) keeps(objectPath []string, key string) bool {
	if k == nil || k.all {
		return true
	}
	if objectPath[len(objectPath)-1] == "labels" {
		return k.labels[key]
	}
	return k.annotations[key]
}

// takeOverFieldOwnership drops, from the Update entries of legacyUpdateManagers, the fields under
// inPlaceFieldPaths that this controller's apply owns too. While another manager co-owns a field, server-side apply
// does not remove it when this controller stops applying it.
//
// InfraMachines and KThreesConfigs are created with a plain Create whose Update entry owns the labels and
// annotations of the machine template of that time; this controller applies them only once they change (see
// createMachine). Labels and annotations that entry still owns alone, that the apply no longer sets and that
// created does not keep, were dropped from the machine template meanwhile: they are removed from the object.
//
// obj is the object returned by the apply (the cache strips managed fields, the apply response has them); it is
// updated in place. It returns false when the ownership could not be taken over yet, or when labels or annotations
// were kept only because created could not decide about them: the next apply retries.
func (r *Reconciler) takeOverFieldOwnership(ctx context.Context, obj *unstructured.Unstructured, created func(context.Context) (*metadataKeep, error)) (bool, error) {
	entries := obj.GetManagedFields()
	var own map[string]any
	for _, e := range entries {
		if e.Manager == FieldManager && e.Operation == metav1.ManagedFieldsOperationApply && e.Subresource == "" && e.FieldsV1 != nil {
			if err := json.Unmarshal(e.FieldsV1.Raw, &own); err != nil {
				return false, fmt.Errorf("failed to read the managed fields of %s %s: %w", obj.GetKind(), obj.GetName(), err)
			}
		}
	}
	if own == nil {
		return true, nil
	}

	fieldsOf := make([]map[string]any, len(entries))
	for i, e := range entries {
		if e.FieldsV1 == nil {
			continue
		}
		if err := json.Unmarshal(e.FieldsV1.Raw, &fieldsOf[i]); err != nil {
			return false, fmt.Errorf("failed to read the managed fields of %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
	}

	base := obj.DeepCopy()
	changed, undecided := false, false
	cleaned := make([]metav1.ManagedFieldsEntry, 0, len(entries))
	for i, e := range entries {
		fields := fieldsOf[i]
		if e.Operation != metav1.ManagedFieldsOperationUpdate || e.Subresource != "" || fields == nil || !isLegacyUpdateManager(e.Manager) {
			cleaned = append(cleaned, e)
			continue
		}
		dropped := dropSharedFields(fields, own)
		if created != nil && e.Manager == FieldManager {
			removed, kept, err := r.removeDroppedMetadata(ctx, obj, fields, own, fieldsOf, i, created)
			if err != nil {
				return false, err
			}
			dropped = dropped || removed
			undecided = undecided || kept
		}
		if !dropped {
			cleaned = append(cleaned, e)
			continue
		}
		changed = true
		if len(fields) == 0 {
			continue
		}
		raw, err := json.Marshal(fields)
		if err != nil {
			return false, fmt.Errorf("failed to write the managed fields of %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
		e.FieldsV1 = &metav1.FieldsV1{Raw: raw}
		cleaned = append(cleaned, e)
	}
	if !changed {
		return !undecided, nil
	}

	obj.SetManagedFields(cleaned)
	// The optimistic lock makes sure no ownership recorded meanwhile is rolled back.
	if err := r.Client.Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			ctrl.LoggerFrom(ctx).V(4).Info("Could not take over field ownership yet", "kind", obj.GetKind(), "name", obj.GetName(), "reason", err.Error())
			return false, nil
		}
		return false, fmt.Errorf("failed to take over the field ownership of %s %s: %w", obj.GetKind(), obj.GetName(), err)
	}
	ctrl.LoggerFrom(ctx).V(4).Info("Took over field ownership from older clients", "kind", obj.GetKind(), "name", obj.GetName())
	return !undecided, nil
}

// removeDroppedMetadata removes from obj, and from fields (the Update entry at index self of this controller's
// Create), the labels and annotations only that entry owns, that own (the apply) does not set and that created
// does not keep. It reports whether it removed any, and whether it kept any that created could not decide about.
func (r *Reconciler) removeDroppedMetadata(ctx context.Context, obj *unstructured.Unstructured, fields, own map[string]any,
	fieldsOf []map[string]any, self int, created func(context.Context) (*metadataKeep, error)) (bool, bool, error) {
	var keep *metadataKeep
	removed, undecided := false, false
	for _, p := range metadataPaths {
		theirs := fieldSet(fields, p.fields)
		ours := fieldSet(own, p.fields)
		for fieldKey := range theirs {
			key, ok := metadataKeyOf(fieldKey)
			if !ok {
				continue
			}
			if _, applied := ours[fieldKey]; applied || ownedByOthers(fieldsOf, self, p.fields, fieldKey) {
				continue
			}
			if keep == nil {
				var err error
				if keep, err = created(ctx); err != nil {
					return false, false, err
				}
			}
			if keep.keeps(p.object, key) {
				undecided = undecided || keep.undecided
				continue
			}
			delete(theirs, fieldKey)
			unstructured.RemoveNestedField(obj.Object, append(slices.Clone(p.object), key)...)
			removed = true
		}
		pruneEmpty(fields, p.fields)
	}
	if removed {
		ctrl.LoggerFrom(ctx).V(2).Info("Removing labels and annotations dropped from the machine template", "kind", obj.GetKind(), "name", obj.GetName())
	}
	return removed, undecided, nil
}

// metadataKeyOf is the label or annotation key of a managed-fields entry ("f:<key>").
func metadataKeyOf(fieldKey string) (string, bool) {
	if len(fieldKey) < 2 || fieldKey[:2] != "f:" {
		return "", false
	}
	return fieldKey[2:], true
}

// ownedByOthers reports whether an entry other than self owns fieldKey under path.
func ownedByOthers(fieldsOf []map[string]any, self int, path []string, fieldKey string) bool {
	for i, fields := range fieldsOf {
		if i == self || fields == nil {
			continue
		}
		if _, ok := fieldSet(fields, path)[fieldKey]; ok {
			return true
		}
	}
	return false
}

// isLegacyUpdateManager reports whether manager is one of legacyUpdateManagers.
func isLegacyUpdateManager(manager string) bool {
	return slices.Contains(legacyUpdateManagers, manager)
}

// dropSharedFields removes from fields the entries under inPlaceFieldPaths that own also has, prunes what became
// empty, and reports whether it removed anything.
func dropSharedFields(fields, own map[string]any) bool {
	dropped := false
	for _, path := range inPlaceFieldPaths {
		theirs, ours := fieldSet(fields, path), fieldSet(own, path)
		if theirs == nil || ours == nil {
			continue
		}
		for key := range ours {
			// "." marks ownership of the map itself, not of an entry.
			if key == "." {
				continue
			}
			if _, ok := theirs[key]; ok {
				delete(theirs, key)
				dropped = true
			}
		}
		pruneEmpty(fields, path)
	}
	return dropped
}

// fieldSet returns the nested field set at path, or nil.
func fieldSet(fields map[string]any, path []string) map[string]any {
	current := fields
	for _, p := range path {
		next, ok := current[p].(map[string]any)
		if !ok {
			return nil
		}
		current = next
	}
	return current
}

// pruneEmpty removes the field sets along path, deepest first, that are empty or only mark their own existence.
func pruneEmpty(fields map[string]any, path []string) {
	for depth := len(path); depth > 0; depth-- {
		parent := fieldSet(fields, path[:depth-1])
		child, ok := parent[path[depth-1]].(map[string]any)
		if !ok {
			return
		}
		_, onlyDot := child["."]
		if len(child) == 0 || (onlyDot && len(child) == 1) {
			delete(parent, path[depth-1])
			continue
		}
		return
	}
}
