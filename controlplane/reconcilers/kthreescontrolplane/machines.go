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
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/klog/v2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/controllers/external"
	"sigs.k8s.io/cluster-api/util/conditions"
	capicontroller "sigs.k8s.io/cluster-api/util/controller"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// createMachine creates a control-plane Machine in failureDomain ("" for none): first its InfraMachine, cloned
// from the template, then its KThreesConfig, then the Machine. What was created is deleted again when a later
// step fails. The new Machine joins the scope as up to date.
func (r *Reconciler) createMachine(ctx context.Context, cp *controlPlane, failureDomain string) (*clusterv1.Machine, error) {
	kcp, cluster := cp.KCP, cp.Cluster
	name, err := newMachineName(kcp, cluster)
	if err != nil {
		return nil, fmt.Errorf("failed to create a Machine: %w", err)
	}
	log := ctrl.LoggerFrom(ctx).WithValues("Machine", klog.KRef(kcp.Namespace, name))

	// The template's API version comes from its CRD's contract labels; reading the template also tells a missing
	// template apart from other failures.
	templateRef := kcp.Spec.MachineTemplate.Spec.InfrastructureRef
	template, err := external.GetObjectFromContractVersionedRef(ctx, r.Client, templateRef, kcp.Namespace)
	if err != nil {
		return nil, fmt.Errorf("failed to create Machine %s: failed to read the infrastructure template: %w", name, err)
	}
	owner := kcpOwnerReference(kcp)
	infraMachine, infraRef, err := external.CreateFromTemplate(ctx, &external.CreateFromTemplateInput{
		Client: client.WithFieldOwner(r.Client, FieldManager),
		TemplateRef: &corev1.ObjectReference{
			APIVersion: template.GetAPIVersion(),
			Kind:       template.GetKind(),
			Namespace:  kcp.Namespace,
			Name:       template.GetName(),
		},
		Namespace:   kcp.Namespace,
		Name:        name,
		ClusterName: cluster.Name,
		OwnerRef:    &owner,
		Labels:      desiredMachineLabels(kcp, cluster.Name),
		Annotations: desiredTemplateAnnotations(kcp),
	})
	if err != nil {
		return nil, fmt.Errorf("failed to create Machine %s: failed to create the InfraMachine: %w", name, err)
	}

	config := desiredKThreesConfig(kcp, cluster, name)
	if err := r.Client.Create(ctx, config, client.FieldOwner(FieldManager)); err != nil {
		err = fmt.Errorf("failed to create Machine %s: failed to create the KThreesConfig: %w", name, err)
		return nil, r.cleanupAfterFailedCreate(ctx, err, infraMachine)
	}

	infraMachine, err = r.applyCreatedMetadata(ctx, cp, infraMachine, config)
	if err != nil {
		err = fmt.Errorf("failed to create Machine %s: %w", name, err)
		return nil, r.cleanupAfterFailedCreate(ctx, err, infraMachine, config)
	}

	machine, err := r.applyNewMachine(ctx, kcp, cluster, name, failureDomain, infraRef)
	if err != nil {
		err = fmt.Errorf("failed to create Machine %s: %w", name, err)
		return nil, r.cleanupAfterFailedCreate(ctx, err, infraMachine, config)
	}
	log.Info("Created control-plane Machine", "failureDomain", failureDomain)

	if r.controller != nil {
		// The next reconcile waits for the cache to see the Machine, so that it cannot create another one.
		r.controller.DeferNextReconcileUntilCacheUpToDate(kcp, capicontroller.StructuredObject(clusterv1.GroupVersion, "Machine"), machine.ResourceVersion)
	}
	// The replacement of a remediated Machine exists: the remediation is over. The control plane's deferred patch
	// persists this.
	delete(kcp.Annotations, controlplanev1.RemediationInProgressAnnotation)

	cp.InfraMachines[name] = infraMachine
	cp.Configs[name] = config
	if err := cp.setMachine(machine, r.Client); err != nil {
		return nil, err
	}
	if cp.upToDate == nil {
		cp.upToDate = map[string]upToDateResult{}
	}
	cp.upToDate[name] = upToDateResult{UpToDate: true}
	setMachineUpToDateCondition(machine, cp.upToDate[name])
	return machine, nil
}

// applyCreatedMetadata applies the labels and annotations of a just created InfraMachine and KThreesConfig. The
// Create owns them; the apply makes this controller their only owner, so that what the control plane drops later is
// removed from them. It returns the applied InfraMachine and updates config.
func (r *Reconciler) applyCreatedMetadata(ctx context.Context, cp *controlPlane, infraMachine *unstructured.Unstructured,
	config *bootstrapv1.KThreesConfig) (*unstructured.Unstructured, error) {
	labels, annotations := desiredMachineLabels(cp.KCP, cp.Cluster.Name), desiredTemplateAnnotations(cp.KCP)
	intent := metadataApplyIntent(infraMachine.GetAPIVersion(), infraMachine.GetKind(), infraMachine, labels, annotations)
	applied, err := r.applyIfChanged(ctx, intent, infraMachine.GetResourceVersion())
	if err != nil {
		return infraMachine, fmt.Errorf("failed to apply the metadata of the InfraMachine: %w", err)
	}
	if applied != nil {
		infraMachine = applied
	}
	intent = metadataApplyIntent(bootstrapv1.GroupVersion.String(), "KThreesConfig", config, labels, annotations)
	if applied, err = r.applyIfChanged(ctx, intent, config.ResourceVersion); err != nil {
		return infraMachine, fmt.Errorf("failed to apply the metadata of the KThreesConfig: %w", err)
	}
	if applied != nil {
		updated := &bootstrapv1.KThreesConfig{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(applied.Object, updated); err != nil {
			return infraMachine, fmt.Errorf("failed to read the applied KThreesConfig: %w", err)
		}
		*config = *updated
	}
	return infraMachine, nil
}

// applyNewMachine creates the Machine with server-side apply, so that this controller owns the fields it later
// propagates in place.
func (r *Reconciler) applyNewMachine(ctx context.Context, kcp *controlplanev1.KThreesControlPlane, cluster *clusterv1.Cluster,
	name, failureDomain string, infraRef clusterv1.ContractVersionedObjectReference) (*clusterv1.Machine, error) {
	desired, err := desiredNewMachine(kcp, cluster, name, failureDomain, infraRef)
	if err != nil {
		return nil, err
	}
	intent, err := machineApplyIntent(desired)
	if err != nil {
		return nil, err
	}
	if err := r.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(intent), client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return nil, fmt.Errorf("failed to apply the Machine: %w", err)
	}
	machine := &clusterv1.Machine{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(intent.Object, machine); err != nil {
		return nil, fmt.Errorf("failed to read the applied Machine: %w", err)
	}
	return machine, nil
}

// cleanupAfterFailedCreate deletes, best effort, what a failed createMachine created, and returns err together
// with the cleanup errors.
func (r *Reconciler) cleanupAfterFailedCreate(ctx context.Context, err error, created ...client.Object) error {
	errs := []error{err}
	for _, obj := range created {
		if delErr := r.Client.Delete(ctx, obj); delErr != nil && !apierrors.IsNotFound(delErr) {
			errs = append(errs, fmt.Errorf("failed to clean up %s %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), delErr))
		}
	}
	return kerrors.NewAggregate(errs)
}

// syncMachines propagates in place what needs no rollout: labels, annotations, deletion timeouts and readiness
// gates to the Machines, labels and the template's annotations to their InfraMachines and KThreesConfigs. It
// then sets the Machines' UpToDate conditions, which patchMachines writes at the end of the reconcile.
func (r *Reconciler) syncMachines(ctx context.Context, cp *controlPlane) error {
	var errs []error
	for _, m := range cp.Machines.SortedByCreationTimestamp() {
		if !m.DeletionTimestamp.IsZero() {
			continue
		}
		if err := r.syncMachine(ctx, cp, m); err != nil {
			errs = append(errs, err)
		}
	}
	for _, m := range cp.Machines {
		result, ok := cp.upToDate[m.Name]
		if !ok {
			result = machineUpToDate(cp, m)
		}
		setMachineUpToDateCondition(m, result)
	}
	return kerrors.NewAggregate(errs)
}

// syncMachine applies the in-place fields of one Machine, its InfraMachine and its KThreesConfig, and refreshes
// the scope with the results.
func (r *Reconciler) syncMachine(ctx context.Context, cp *controlPlane, m *clusterv1.Machine) error {
	intent, err := machineApplyIntent(desiredUpdatedMachine(cp.KCP, cp.Cluster, m))
	if err != nil {
		return fmt.Errorf("failed to sync Machine %s: %w", m.Name, err)
	}
	applied, err := r.applyIfChanged(ctx, intent, m.ResourceVersion)
	if err != nil {
		return fmt.Errorf("failed to sync Machine %s: %w", m.Name, err)
	}
	if applied != nil {
		updated := &clusterv1.Machine{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(applied.Object, updated); err != nil {
			return fmt.Errorf("failed to read the applied Machine %s: %w", m.Name, err)
		}
		if err := cp.setMachine(updated, r.Client); err != nil {
			return err
		}
	}

	labels, annotations := desiredMachineLabels(cp.KCP, cp.Cluster.Name), desiredTemplateAnnotations(cp.KCP)
	if infra, ok := cp.InfraMachines[m.Name]; ok {
		applied, err := r.applyIfChanged(ctx, metadataApplyIntent(infra.GetAPIVersion(), infra.GetKind(), infra, labels, annotations), infra.GetResourceVersion())
		if err != nil {
			return fmt.Errorf("failed to sync the InfraMachine of Machine %s: %w", m.Name, err)
		}
		if applied != nil {
			cp.InfraMachines[m.Name] = applied
		}
	}
	if config, ok := cp.Configs[m.Name]; ok {
		applied, err := r.applyIfChanged(ctx, metadataApplyIntent(bootstrapv1.GroupVersion.String(), "KThreesConfig", config, labels, annotations), config.ResourceVersion)
		if err != nil {
			return fmt.Errorf("failed to sync the KThreesConfig of Machine %s: %w", m.Name, err)
		}
		if applied != nil {
			updated := &bootstrapv1.KThreesConfig{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(applied.Object, updated); err != nil {
				return fmt.Errorf("failed to read the applied KThreesConfig of Machine %s: %w", m.Name, err)
			}
			cp.Configs[m.Name] = updated
		}
	}
	return nil
}

// setMachineUpToDateCondition sets the Machine's UpToDate condition; only the control plane computes it for its
// Machines.
func setMachineUpToDateCondition(m *clusterv1.Machine, result upToDateResult) {
	if result.UpToDate {
		conditions.Set(m, metav1.Condition{
			Type:   clusterv1.MachineUpToDateCondition,
			Status: metav1.ConditionTrue,
			Reason: clusterv1.MachineUpToDateReason,
		})
		return
	}
	lines := make([]string, 0, len(result.Reasons))
	for _, reason := range result.Reasons {
		lines = append(lines, "* "+reason)
	}
	conditions.Set(m, metav1.Condition{
		Type:    clusterv1.MachineUpToDateCondition,
		Status:  metav1.ConditionFalse,
		Reason:  clusterv1.MachineNotUpToDateReason,
		Message: strings.Join(lines, "\n"),
	})
}

// machineApplyIntent turns a desired Machine into a server-side-apply intent that holds only the fields this
// controller has an opinion on: no status, no creation timestamp, no resourceVersion.
func machineApplyIntent(m *clusterv1.Machine) (*unstructured.Unstructured, error) {
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(m)
	if err != nil {
		return nil, fmt.Errorf("failed to convert the Machine to unstructured: %w", err)
	}
	intent := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": clusterv1.GroupVersion.String(),
		"kind":       "Machine",
	}}
	metadata := map[string]any{}
	if source, ok := content["metadata"].(map[string]any); ok {
		for _, key := range []string{"name", "namespace", "uid", "labels", "annotations", "ownerReferences"} {
			if value, ok := source[key]; ok {
				metadata[key] = value
			}
		}
	}
	intent.Object["metadata"] = metadata
	if spec, ok := content["spec"]; ok {
		intent.Object["spec"] = spec
	}
	return intent, nil
}

// metadataApplyIntent is a server-side-apply intent for labels and annotations of an existing object only; the
// uid makes sure the apply updates that object and never creates one.
func metadataApplyIntent(apiVersion, kind string, obj metav1.Object, labels, annotations map[string]string) *unstructured.Unstructured {
	intent := &unstructured.Unstructured{}
	intent.SetAPIVersion(apiVersion)
	intent.SetKind(kind)
	intent.SetNamespace(obj.GetNamespace())
	intent.SetName(obj.GetName())
	intent.SetUID(obj.GetUID())
	intent.SetLabels(labels)
	intent.SetAnnotations(annotations)
	return intent
}

// applyIfChanged server-side applies intent to an existing object at resourceVersion, unless the same intent
// was already applied to it at that resourceVersion (a no-op the cache remembers). It returns the object after
// the apply, or nil when the apply was skipped. Field ownership left behind by older clients' Updates is taken
// over after the apply, so that removing a label from the control plane removes it from the object.
func (r *Reconciler) applyIfChanged(ctx context.Context, intent *unstructured.Unstructured, resourceVersion string) (*unstructured.Unstructured, error) {
	cache := r.applyCache()
	uid := string(intent.GetUID())
	key, err := newSSACacheKey(uid, resourceVersion, intent)
	if err != nil {
		return nil, err
	}
	if cache.has(key) {
		return nil, nil
	}

	applied := intent.DeepCopy()
	if err := r.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(applied), client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return nil, fmt.Errorf("failed to apply %s: %w", intent.GetKind(), err)
	}
	cacheable, err := r.takeOverFieldOwnership(ctx, applied)
	if err != nil {
		return nil, err
	}
	if cacheable {
		// What was applied is in place at the new resourceVersion: applying it again there changes nothing.
		if key, err = newSSACacheKey(uid, applied.GetResourceVersion(), intent); err != nil {
			return nil, err
		}
		cache.add(key)
	}
	return applied, nil
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

// takeOverFieldOwnership drops, from the Update entries of legacyUpdateManagers, the fields under
// inPlaceFieldPaths that this controller's apply owns too. While another manager co-owns a field, server-side apply
// does not remove it when this controller stops applying it. obj is the object returned by the apply (the cache
// strips managed fields, the apply response has them); it is updated in place. It returns false when the
// ownership could not be taken over yet, which the next apply retries.
func (r *Reconciler) takeOverFieldOwnership(ctx context.Context, obj *unstructured.Unstructured) (bool, error) {
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

	changed := false
	cleaned := make([]metav1.ManagedFieldsEntry, 0, len(entries))
	for _, e := range entries {
		if e.Operation != metav1.ManagedFieldsOperationUpdate || e.Subresource != "" || e.FieldsV1 == nil || !isLegacyUpdateManager(e.Manager) {
			cleaned = append(cleaned, e)
			continue
		}
		var fields map[string]any
		if err := json.Unmarshal(e.FieldsV1.Raw, &fields); err != nil {
			return false, fmt.Errorf("failed to read the managed fields of %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
		if !dropSharedFields(fields, own) {
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
		return true, nil
	}

	base := obj.DeepCopy()
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
	return true, nil
}

// isLegacyUpdateManager reports whether manager is one of legacyUpdateManagers.
func isLegacyUpdateManager(manager string) bool {
	for _, m := range legacyUpdateManagers {
		if m == manager {
			return true
		}
	}
	return false
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
