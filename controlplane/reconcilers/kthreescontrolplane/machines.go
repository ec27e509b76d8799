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
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
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

	machine, err := r.applyNewMachine(ctx, kcp, cluster, name, failureDomain, infraRef)
	if err != nil {
		err = fmt.Errorf("failed to create Machine %s: %w", name, err)
		return nil, r.cleanupAfterFailedCreate(ctx, err, infraMachine, config)
	}
	// The Creates set the machine template's labels and annotations; syncMachine applies them (and so owns them
	// with server-side apply) only once they change, which saves an apply and an ownership patch per object.
	r.rememberCreated(ctx, cp, infraMachine, config)
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
	cp.setMachine(machine)
	if cp.upToDate == nil {
		cp.upToDate = map[string]upToDateResult{}
	}
	cp.upToDate[name] = upToDateResult{UpToDate: true}
	setMachineUpToDateCondition(machine, cp.upToDate[name])
	if cp.createdMachines == nil {
		cp.createdMachines = map[string]bool{}
	}
	cp.createdMachines[name] = true
	return machine, nil
}

// rememberCreated records that a just created InfraMachine and KThreesConfig hold the labels and annotations the
// control plane wants, so that syncMachine applies them only once they change. A failure costs an apply later.
func (r *Reconciler) rememberCreated(ctx context.Context, cp *controlPlane, infraMachine *unstructured.Unstructured, config *bootstrapv1.KThreesConfig) {
	labels, annotations := desiredMachineLabels(cp.KCP, cp.Cluster.Name), desiredTemplateAnnotations(cp.KCP)
	infraIntent := metadataApplyIntent(infraMachine.GetAPIVersion(), infraMachine.GetKind(), infraMachine, labels, annotations)
	err := r.rememberApplied(infraIntent, infraMachine, nil)
	if err == nil {
		var configObj map[string]any
		if configObj, err = runtime.DefaultUnstructuredConverter.ToUnstructured(config); err == nil {
			configIntent := metadataApplyIntent(bootstrapv1.GroupVersion.String(), "KThreesConfig", config, labels, annotations)
			err = r.rememberApplied(configIntent, &unstructured.Unstructured{Object: configObj}, nil)
		}
	}
	if err != nil {
		ctrl.LoggerFrom(ctx).V(4).Info("Could not record the created InfraMachine and KThreesConfig", "error", err.Error())
	}
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
	applied := intent.DeepCopy()
	if err := r.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(applied), client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return nil, fmt.Errorf("failed to apply the Machine: %w", err)
	}
	machine := &clusterv1.Machine{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(applied.Object, machine); err != nil {
		return nil, fmt.Errorf("failed to read the applied Machine: %w", err)
	}
	// The Machine exists: failing to remember its apply costs an apply later, and must not make createMachine
	// delete the InfraMachine and KThreesConfig it references.
	if err := r.rememberNewMachine(kcp, cluster, intent, applied, machine); err != nil {
		ctrl.LoggerFrom(ctx).V(2).Info("Could not record the apply of the new Machine; the next reconcile applies it again",
			"Machine", klog.KObj(machine), "error", err.Error())
	}
	return machine, nil
}

// rememberNewMachine records the apply that created machine when it is what syncMachine would apply next, so that
// syncMachine skips that apply.
func (r *Reconciler) rememberNewMachine(kcp *controlplanev1.KThreesControlPlane, cluster *clusterv1.Cluster,
	intent, applied *unstructured.Unstructured, machine *clusterv1.Machine) error {
	syncIntent, err := machineApplyIntent(desiredUpdatedMachine(kcp, cluster, machine))
	if err != nil {
		return err
	}
	intent = intent.DeepCopy()
	intent.SetUID(machine.UID)
	if !equality.Semantic.DeepEqual(intent.Object, syncIntent.Object) {
		return nil
	}
	return r.rememberApplied(syncIntent, applied, machineMapForm)
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
// the scope with the results. Applies whose result is already in place are skipped (see ssaCache).
func (r *Reconciler) syncMachine(ctx context.Context, cp *controlPlane, m *clusterv1.Machine) error {
	intent, err := machineApplyIntent(desiredUpdatedMachine(cp.KCP, cp.Cluster, m))
	if err != nil {
		return fmt.Errorf("failed to sync Machine %s: %w", m.Name, err)
	}
	current, err := runtime.DefaultUnstructuredConverter.ToUnstructured(m)
	if err != nil {
		return fmt.Errorf("failed to sync Machine %s: %w", m.Name, err)
	}
	applied, err := r.applyIfChanged(ctx, applyRequest{intent: intent, current: current, normalize: machineMapForm})
	if err != nil {
		return fmt.Errorf("failed to sync Machine %s: %w", m.Name, err)
	}
	if applied != nil {
		updated := &clusterv1.Machine{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(applied.Object, updated); err != nil {
			return fmt.Errorf("failed to read the applied Machine %s: %w", m.Name, err)
		}
		cp.setMachine(updated)
	}

	labels, annotations := desiredMachineLabels(cp.KCP, cp.Cluster.Name), desiredTemplateAnnotations(cp.KCP)
	if infra, ok := cp.InfraMachines[m.Name]; ok {
		applied, err := r.applyIfChanged(ctx, applyRequest{
			intent:  metadataApplyIntent(infra.GetAPIVersion(), infra.GetKind(), infra, labels, annotations),
			current: infra.Object,
			created: func(ctx context.Context) (*metadataKeep, error) { return r.clonedMetadataKeep(ctx, infra), nil },
		})
		if err != nil {
			return fmt.Errorf("failed to sync the InfraMachine of Machine %s: %w", m.Name, err)
		}
		if applied != nil {
			cp.InfraMachines[m.Name] = applied
		}
	}
	if config, ok := cp.Configs[m.Name]; ok {
		current, err := runtime.DefaultUnstructuredConverter.ToUnstructured(config)
		if err != nil {
			return fmt.Errorf("failed to sync the KThreesConfig of Machine %s: %w", m.Name, err)
		}
		applied, err := r.applyIfChanged(ctx, applyRequest{
			intent:    metadataApplyIntent(bootstrapv1.GroupVersion.String(), "KThreesConfig", config, labels, annotations),
			current:   current,
			normalize: configMapForm,
			// desiredKThreesConfig sets no label or annotation of its own.
			created: func(context.Context) (*metadataKeep, error) { return &metadataKeep{}, nil },
		})
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

// clonedMetadataKeep are the labels and annotations that cloning infra's template set besides the control plane's:
// the template's own metadata, the clone annotations and the cluster name label. When the template cannot be read
// everything is kept for now (undecided: the apply is not remembered, so the next one decides again).
func (r *Reconciler) clonedMetadataKeep(ctx context.Context, infra *unstructured.Unstructured) *metadataKeep {
	keep := &metadataKeep{
		labels: map[string]bool{clusterv1.ClusterNameLabel: true},
		annotations: map[string]bool{
			clusterv1.TemplateClonedFromNameAnnotation:      true,
			clusterv1.TemplateClonedFromGroupKindAnnotation: true,
		},
	}
	name := infra.GetAnnotations()[clusterv1.TemplateClonedFromNameAnnotation]
	groupKind := schema.ParseGroupKind(infra.GetAnnotations()[clusterv1.TemplateClonedFromGroupKindAnnotation])
	if name == "" || groupKind.Kind == "" {
		return &metadataKeep{all: true}
	}
	ref := clusterv1.ContractVersionedObjectReference{APIGroup: groupKind.Group, Kind: groupKind.Kind, Name: name}
	template, err := external.GetObjectFromContractVersionedRef(ctx, r.Client, ref, infra.GetNamespace())
	if err != nil {
		ctrl.LoggerFrom(ctx).V(2).Info("Keeping the labels and annotations dropped from the machine template until the infrastructure template it was cloned from can be read",
			"kind", infra.GetKind(), "name", infra.GetName(), "template", name, "error", err.Error())
		return &metadataKeep{all: true, undecided: true}
	}
	templateLabels, _, _ := unstructured.NestedStringMap(template.Object, "spec", "template", "metadata", "labels")
	templateAnnotations, _, _ := unstructured.NestedStringMap(template.Object, "spec", "template", "metadata", "annotations")
	for k := range templateLabels {
		keep.labels[k] = true
	}
	for k := range templateAnnotations {
		keep.annotations[k] = true
	}
	return keep
}

// machineMapForm and configMapForm turn an applied object into the map form of the typed objects the cache holds.
func machineMapForm(obj *unstructured.Unstructured) (map[string]any, error) {
	return typedMapForm(obj, &clusterv1.Machine{})
}

func configMapForm(obj *unstructured.Unstructured) (map[string]any, error) {
	return typedMapForm(obj, &bootstrapv1.KThreesConfig{})
}

func typedMapForm(obj *unstructured.Unstructured, typed any) (map[string]any, error) {
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, typed); err != nil {
		return nil, fmt.Errorf("failed to read the applied %s %s: %w", obj.GetKind(), obj.GetName(), err)
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(typed)
	if err != nil {
		return nil, fmt.Errorf("failed to convert the applied %s %s: %w", obj.GetKind(), obj.GetName(), err)
	}
	return content, nil
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
