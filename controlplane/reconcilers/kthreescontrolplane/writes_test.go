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
	"errors"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/objpatch"
	"github.com/k3s-io/cluster-api-k3s/pkg/workload"
)

// writesTestRecorder records every write the controller sends, as "<verb> <kind>[/<subresource>]".
type writesTestRecorder struct {
	mu  sync.Mutex
	log []string
}

func (w *writesTestRecorder) add(verb string, obj any, sub string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	kind := "?"
	switch o := obj.(type) {
	case client.Object:
		kind = o.GetObjectKind().GroupVersionKind().Kind
		if kind == "" {
			if gvks, _, err := machinesTestScheme().ObjectKinds(o); err == nil && len(gvks) > 0 {
				kind = gvks[0].Kind
			}
		}
	case runtime.ApplyConfiguration:
		kind = machinesTestApplyKind(o)
	}
	if sub != "" {
		kind += "/" + sub
	}
	w.log = append(w.log, verb+" "+kind)
}

func (w *writesTestRecorder) reset() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	log := w.log
	w.log = nil
	return log
}

func (w *writesTestRecorder) funcs() interceptor.Funcs {
	return interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			w.add("create", obj, "")
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			w.add("update", obj, "")
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			w.add("patch", obj, "")
			return c.Patch(ctx, obj, patch, opts...)
		},
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			w.add("apply", obj, "")
			return c.Apply(ctx, obj, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			w.add("delete", obj, "")
			return c.Delete(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			w.add("patch", obj, sub)
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			w.add("update", obj, sub)
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
	}
}

// writesTestMachineReconcile runs the Machine part of a reconcile: sync, health (as the workload cluster reports
// it) and the Machine conditions patch.
func writesTestMachineReconcile(ctx context.Context, g Gomega, r *Reconciler, kcp *controlplanev1.KThreesControlPlane) *controlPlane {
	cp := machinesTestNewScope(ctx, g, r, kcp)
	g.Expect(r.syncMachines(ctx, cp)).To(Succeed())
	cp.openWorkload = func(context.Context) (workload.Cluster, error) {
		return nil, &workload.RemoteConnectionError{Err: errors.New("not reachable in this test")}
	}
	r.reconcileWorkloadHealth(ctx, cp)
	g.Expect(r.patchMachines(ctx, cp)).Error().ToNot(HaveOccurred())
	return cp
}

// TestWritesConvergedReconcileWritesNothing: once a new Machine's conditions are written, reconciles write nothing
// while nothing the control plane decides changes, whatever other controllers write meanwhile (status,
// finalizers, spec fields the control plane does not set, which bump resourceVersions and generations).
func TestWritesConvergedReconcileWritesNothing(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	kcp := machinesTestKCP()
	kcp.Status.Initialization.ControlPlaneInitialized = nil
	rec := &writesTestRecorder{}
	c := machinesTestClient(rec.funcs(), kcp)
	r := &Reconciler{Client: c}

	// The reconcile that creates the Machine: one write per object, no conditions patch yet.
	cp := machinesTestScope(kcp)
	created, err := r.createMachine(ctx, cp, "")
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(r.patchMachines(ctx, cp)).Error().ToNot(HaveOccurred())
	g.Expect(rec.reset()).To(ConsistOf("create GenericInfrastructureMachine", "create KThreesConfig", "apply Machine"))

	// Before CAPI's Machine controller wrote its first status, the control plane's conditions wait.
	writesTestMachineReconcile(ctx, g, r, kcp)
	g.Expect(rec.reset()).To(BeEmpty())
	machinesTestMachineControllerWrites(ctx, g, c, created)
	rec.reset()

	// The next reconcile writes the Machine's conditions once, and applies nothing.
	cp = writesTestMachineReconcile(ctx, g, r, kcp)
	g.Expect(rec.reset()).To(Equal([]string{"patch Machine/status"}))
	g.Expect(conditions.IsTrue(cp.Machines[created.Name], clusterv1.MachineUpToDateCondition)).To(BeTrue())

	// Other controllers write: a finalizer and the provider ID on the Machine (a new generation), its status, the
	// InfraMachine's and the KThreesConfig's status.
	m := &clusterv1.Machine{}
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(created), m)).To(Succeed())
	m.Finalizers = []string{"machine.cluster.x-k8s.io"}
	m.Spec.ProviderID = "sim://1"
	m.Generation++
	g.Expect(c.Update(ctx, m)).To(Succeed())
	m.Status.Phase = "Provisioning"
	g.Expect(c.Status().Update(ctx, m)).To(Succeed())
	infra := machinesTestGetInfraMachine(ctx, g, c, created.Name)
	g.Expect(unstructured.SetNestedField(infra.Object, true, "status", "ready")).To(Succeed())
	g.Expect(c.Update(ctx, infra)).To(Succeed())
	config := &bootstrapv1.KThreesConfig{}
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(created), config)).To(Succeed())
	config.Status.DataSecretName = created.Name
	g.Expect(c.Update(ctx, config)).To(Succeed())
	rec.reset()

	// Converged: nothing is applied and the conditions, unchanged but for their observed generation, are not
	// patched.
	for range 2 {
		writesTestMachineReconcile(ctx, g, r, kcp)
		g.Expect(rec.reset()).To(BeEmpty())
	}

	// A change the control plane propagates is applied, once.
	kcp.Spec.MachineTemplate.ObjectMeta.Labels["team"] = "b"
	writesTestMachineReconcile(ctx, g, r, kcp)
	g.Expect(rec.reset()).To(ContainElements("apply Machine", "apply GenericInfrastructureMachine", "apply KThreesConfig"))
	writesTestMachineReconcile(ctx, g, r, kcp)
	g.Expect(rec.reset()).To(BeEmpty())
}

// TestWritesStatusIsOnePatch: the control plane's status, conditions included, is written with a single patch,
// and the next reconcile waits for the cache to show it.
func TestWritesStatusIsOnePatch(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	kcp := machinesTestKCP()
	kcp.Generation = 1
	rec := &writesTestRecorder{}
	c := machinesTestClient(rec.funcs(), kcp)
	ctl := &recordingController{}
	r := &Reconciler{Client: c, controller: ctl}

	stored := &controlplanev1.KThreesControlPlane{}
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(kcp), stored)).To(Succeed())
	helper, err := objpatch.NewHelper(stored, c)
	g.Expect(err).ToNot(HaveOccurred())
	before := stored.DeepCopy()
	objpatch.SetNotPausedCondition(stored)
	stored.Status.Replicas = ptr.To[int32](1)
	conditions.Set(stored, metav1.Condition{Type: controlplanev1.KThreesControlPlaneAvailableCondition, Status: metav1.ConditionFalse, Reason: "NotAvailable"})
	v1beta1conditions.MarkFalse(stored, controlplanev1.DeprecatedV1Beta1AvailableCondition, "Waiting", clusterv1.ConditionSeverityInfo, "")
	cp := &controlPlane{KCP: stored}

	wait, err := r.patchControlPlane(ctx, helper, before, cp)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(wait).To(BeZero())
	g.Expect(rec.reset()).To(Equal([]string{"patch KThreesControlPlane/status"}))

	written := &controlplanev1.KThreesControlPlane{}
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(kcp), written)).To(Succeed())
	g.Expect(written.Status.Replicas).To(Equal(ptr.To[int32](1)))
	g.Expect(written.Status.ObservedGeneration).To(Equal(int64(1)))
	g.Expect(conditions.IsFalse(written, clusterv1.PausedCondition)).To(BeTrue())
	g.Expect(conditions.IsFalse(written, controlplanev1.KThreesControlPlaneAvailableCondition)).To(BeTrue())
	g.Expect(v1beta1conditions.IsFalse(written, controlplanev1.DeprecatedV1Beta1AvailableCondition)).To(BeTrue())
	g.Expect(ctl.deferred).To(Equal([]string{"kcp/KThreesControlPlane@" + written.ResourceVersion}))
}

// TestWritesAggregateOnlyChangesWait: a status change that only follows the Machines' provisioning waits up to
// aggregateStatusDelay; any other change, or a Machine turning ready, is written at once.
func TestWritesAggregateOnlyChangesWait(t *testing.T) {
	notReady := func(message string) func(*controlplanev1.KThreesControlPlane) {
		return func(kcp *controlplanev1.KThreesControlPlane) {
			conditions.Set(kcp, metav1.Condition{Type: controlplanev1.KThreesControlPlaneMachinesReadyCondition, Status: metav1.ConditionFalse,
				Reason: controlplanev1.KThreesControlPlaneMachinesNotReadyReason, Message: message})
			v1beta1conditions.MarkFalse(kcp, controlplanev1.DeprecatedV1Beta1MachinesReadyCondition, message, clusterv1.ConditionSeverityInfo, "")
			v1beta1conditions.MarkFalse(kcp, controlplanev1.DeprecatedV1Beta1ReadyCondition, message, clusterv1.ConditionSeverityInfo, "")
		}
	}
	tests := []struct {
		name   string
		change func(*controlplanev1.KThreesControlPlane)
		want   bool
	}{
		{name: "nothing changed", change: func(*controlplanev1.KThreesControlPlane) {}, want: false},
		{name: "the Machines progress", change: notReady("* Machine m: InfrastructureReady: booting"), want: true},
		{name: "a Machine becomes unknown", change: func(kcp *controlplanev1.KThreesControlPlane) {
			conditions.Set(kcp, metav1.Condition{Type: controlplanev1.KThreesControlPlaneMachinesReadyCondition, Status: metav1.ConditionUnknown,
				Reason: controlplanev1.KThreesControlPlaneMachinesReadyUnknownReason, Message: "* Machine m: NodeHealthy: waiting"})
		}, want: true},
		{name: "the Machines become ready", change: func(kcp *controlplanev1.KThreesControlPlane) {
			conditions.Set(kcp, metav1.Condition{Type: controlplanev1.KThreesControlPlaneMachinesReadyCondition, Status: metav1.ConditionTrue,
				Reason: controlplanev1.KThreesControlPlaneMachinesReadyReason})
		}, want: false},
		{name: "the v1beta1 Machine aggregate turns True", change: func(kcp *controlplanev1.KThreesControlPlane) {
			v1beta1conditions.MarkTrue(kcp, controlplanev1.DeprecatedV1Beta1MachinesReadyCondition)
		}, want: true},
		{name: "the v1beta1 Ready summary turns True", change: func(kcp *controlplanev1.KThreesControlPlane) {
			v1beta1conditions.MarkTrue(kcp, controlplanev1.DeprecatedV1Beta1ReadyCondition)
		}, want: false},
		{name: "another condition changes too", change: func(kcp *controlplanev1.KThreesControlPlane) {
			notReady("* Machine m: booting")(kcp)
			conditions.Set(kcp, metav1.Condition{Type: controlplanev1.KThreesControlPlaneInitializedCondition, Status: metav1.ConditionTrue,
				Reason: controlplanev1.KThreesControlPlaneInitializedReason})
		}, want: false},
		{name: "a counter changes too", change: func(kcp *controlplanev1.KThreesControlPlane) {
			notReady("* Machine m: booting")(kcp)
			kcp.Status.ReadyReplicas = ptr.To[int32](1)
		}, want: false},
		{name: "a new generation", change: func(kcp *controlplanev1.KThreesControlPlane) {
			notReady("* Machine m: booting")(kcp)
			kcp.Generation = 2
		}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			before := machinesTestKCP()
			before.Generation = 1
			before.Status.ObservedGeneration = 1
			notReady("* Machine m: BootstrapConfigReady: waiting")(before)
			after := before.DeepCopy()
			tt.change(after)
			g.Expect(aggregateOnlyChange(before, after)).To(Equal(tt.want))
		})
	}

	t.Run("the Machines progress while the v1beta1 aggregate stays True", func(t *testing.T) {
		g := NewWithT(t)
		before := machinesTestKCP()
		notReady("* Machine m: one")(before)
		v1beta1conditions.MarkTrue(before, controlplanev1.DeprecatedV1Beta1MachinesReadyCondition)
		after := before.DeepCopy()
		conditions.Set(after, metav1.Condition{Type: controlplanev1.KThreesControlPlaneMachinesReadyCondition, Status: metav1.ConditionFalse,
			Reason: controlplanev1.KThreesControlPlaneMachinesNotReadyReason, Message: "* Machine m: two"})
		g.Expect(aggregateOnlyChange(before, after)).To(BeTrue())
	})

	t.Run("the wait is bounded", func(t *testing.T) {
		g := NewWithT(t)
		r := &Reconciler{}
		before := machinesTestKCP()
		notReady("* Machine m: one")(before)
		after := before.DeepCopy()
		notReady("* Machine m: two")(after)
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

		wait, ok := r.deferAggregateOnly(before, after, false, start)
		g.Expect(ok).To(BeTrue())
		g.Expect(wait).To(Equal(aggregateStatusDelay))
		wait, ok = r.deferAggregateOnly(before, after, false, start.Add(2*time.Second))
		g.Expect(ok).To(BeTrue())
		g.Expect(wait).To(Equal(aggregateStatusDelay - 2*time.Second))
		_, ok = r.deferAggregateOnly(before, after, false, start.Add(aggregateStatusDelay))
		g.Expect(ok).To(BeFalse(), "written once the delay is over")
		_, ok = r.deferAggregateOnly(before, after, false, start.Add(aggregateStatusDelay+time.Second))
		g.Expect(ok).To(BeTrue(), "a new wait starts after a write")
	})

	t.Run("the first status of a control plane waiting for its Cluster waits too", func(t *testing.T) {
		g := NewWithT(t)
		r := &Reconciler{}
		before := machinesTestKCP()
		before.Status = controlplanev1.KThreesControlPlaneStatus{}
		after := before.DeepCopy()
		conditions.Set(after, metav1.Condition{Type: controlplanev1.KThreesControlPlaneAvailableCondition, Status: metav1.ConditionFalse, Reason: "NotAvailable"})
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

		_, ok := r.deferAggregateOnly(before, after, false, start)
		g.Expect(ok).To(BeFalse(), "written at once when the reconcile went on")
		wait, ok := r.deferAggregateOnly(before, after, true, start)
		g.Expect(ok).To(BeTrue())
		g.Expect(wait).To(Equal(aggregateStatusDelay))
		_, ok = r.deferAggregateOnly(before, after, true, start.Add(aggregateStatusDelay))
		g.Expect(ok).To(BeFalse(), "written once the delay is over, still waiting")

		written := after.DeepCopy()
		written.Status.ObservedGeneration = 1
		later := written.DeepCopy()
		conditions.Set(later, metav1.Condition{Type: controlplanev1.KThreesControlPlaneAvailableCondition, Status: metav1.ConditionFalse, Reason: "Other"})
		_, ok = r.deferAggregateOnly(written, later, true, start.Add(time.Minute))
		g.Expect(ok).To(BeFalse(), "only the first status waits")
	})
}

// TestWritesHealthUnknownBeforeInitialization: before the control plane is initialized, Machines whose health is
// Unknown keep the reason they have (e.g. waiting for the Node) instead of changing it for a moment; known health
// and missing conditions become Unknown.
func TestWritesHealthUnknownBeforeInitialization(t *testing.T) {
	g := NewWithT(t)
	provisioned := healthMachine("m1", "n1", 0)
	setAgentHealthy(provisioned, healthResult{status: metav1.ConditionUnknown, reason: controlplanev1.KThreesControlPlaneMachineAgentProvisioningReason, message: "Waiting for the Machine's Node"})
	setEtcdMemberHealthy(provisioned, healthResult{status: metav1.ConditionUnknown, reason: controlplanev1.KThreesControlPlaneMachineEtcdMemberInspectionFailedReason, message: "Waiting for the Machine's Node"})
	known := healthMachine("m2", "n2", 1)
	setAgentHealthy(known, healthResult{status: metav1.ConditionTrue, reason: "Healthy"})
	fresh := healthMachine("m3", "n3", 2)
	cp := healthControlPlane(false, provisioned, known, fresh)
	cp.KCP.Status.Initialization.ControlPlaneInitialized = nil
	cp.openWorkload = func(context.Context) (workload.Cluster, error) {
		return nil, &workload.RemoteConnectionError{Err: errors.New("connection refused")}
	}

	(&Reconciler{}).reconcileWorkloadHealth(context.Background(), cp)

	healthExpectCondition(g, cp.Machines["m1"], controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, metav1.ConditionUnknown,
		controlplanev1.KThreesControlPlaneMachineAgentProvisioningReason, "Waiting for the Machine's Node")
	healthExpectCondition(g, cp.Machines["m1"], controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition, metav1.ConditionUnknown,
		controlplanev1.KThreesControlPlaneMachineEtcdMemberInspectionFailedReason, "Waiting for the Machine's Node")
	for _, name := range []string{"m2", "m3"} {
		healthExpectCondition(g, cp.Machines[name], controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition, metav1.ConditionUnknown,
			clusterv1.InspectionFailedReason, "Waiting for the control plane to be initialized")
	}
	healthExpectCondition(g, cp.KCP, controlplanev1.KThreesControlPlaneControlPlaneComponentsHealthyCondition, metav1.ConditionUnknown,
		clusterv1.InspectionFailedReason, "Waiting for the control plane to be initialized")
}

// TestWritesCreatedObjectsDropRemovedLabels: an InfraMachine and a KThreesConfig keep the Create's ownership of
// the machine template's labels and annotations until these change; then the dropped ones are removed, while what
// the infrastructure template's clone set stays.
func TestWritesCreatedObjectsDropRemovedLabels(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	kcp := machinesTestKCP()
	template := machinesTestInfraTemplate("infra-tpl-meta")
	g.Expect(unstructured.SetNestedStringMap(template.Object, map[string]string{"from-template": "yes", "tier": "template"}, "spec", "template", "metadata", "labels")).To(Succeed())
	g.Expect(unstructured.SetNestedStringMap(template.Object, map[string]string{"template-note": "t"}, "spec", "template", "metadata", "annotations")).To(Succeed())
	kcp.Spec.MachineTemplate.Spec.InfrastructureRef.Name = "infra-tpl-meta"
	rec := &writesTestRecorder{}
	c := machinesTestClient(rec.funcs(), kcp, template)
	r := &Reconciler{Client: c}
	created, err := r.createMachine(ctx, machinesTestScope(kcp), "")
	g.Expect(err).ToNot(HaveOccurred())
	infra := machinesTestGetInfraMachine(ctx, g, c, created.Name)
	g.Expect(infra.GetLabels()).To(HaveKeyWithValue("tier", "gold"), "the control plane's labels win over the template's")
	g.Expect(infra.GetLabels()).To(HaveKeyWithValue("from-template", "yes"))

	// "team" and the annotation "note" are dropped from the machine template, "tier" changes.
	kcp.Spec.MachineTemplate.ObjectMeta.Labels = map[string]string{"tier": "silver"}
	kcp.Spec.MachineTemplate.ObjectMeta.Annotations = nil
	g.Expect(r.syncMachines(ctx, machinesTestNewScope(ctx, g, r, kcp))).To(Succeed())

	infra = machinesTestGetInfraMachine(ctx, g, c, created.Name)
	g.Expect(infra.GetLabels()).ToNot(HaveKey("team"))
	g.Expect(infra.GetLabels()).To(HaveKeyWithValue("tier", "silver"))
	g.Expect(infra.GetLabels()).To(HaveKeyWithValue("from-template", "yes"))
	g.Expect(infra.GetLabels()).To(HaveKeyWithValue(clusterv1.ClusterNameLabel, "cluster"))
	g.Expect(infra.GetAnnotations()).ToNot(HaveKey("note"))
	g.Expect(infra.GetAnnotations()).To(HaveKeyWithValue("template-note", "t"))
	g.Expect(infra.GetAnnotations()).To(HaveKeyWithValue(clusterv1.TemplateClonedFromNameAnnotation, "infra-tpl-meta"))
	config := &bootstrapv1.KThreesConfig{}
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(created), config)).To(Succeed())
	g.Expect(config.Labels).ToNot(HaveKey("team"))
	g.Expect(config.Labels).To(HaveKeyWithValue("tier", "silver"))
	g.Expect(config.Annotations).To(BeEmpty())

	// Later removals go through the apply alone.
	kcp.Spec.MachineTemplate.ObjectMeta.Labels = nil
	g.Expect(r.syncMachines(ctx, machinesTestNewScope(ctx, g, r, kcp))).To(Succeed())
	infra = machinesTestGetInfraMachine(ctx, g, c, created.Name)
	g.Expect(infra.GetLabels()).ToNot(HaveKey("tier"))
	g.Expect(infra.GetLabels()).To(HaveKeyWithValue("from-template", "yes"))
}

// TestWritesRevertedChangeIsApplied: a change propagated in place and then reverted is applied both times, also
// when the reverted intent is the one of an earlier apply (the Create's, or the revert of an earlier round): only
// the last apply of an object is skipped while its result is in place.
func TestWritesRevertedChangeIsApplied(t *testing.T) {
	type objects struct {
		machine *clusterv1.Machine
		infra   *unstructured.Unstructured
		config  *bootstrapv1.KThreesConfig
	}
	tests := []struct {
		name   string
		change func(*controlplanev1.KThreesControlPlane)
		// holds reports whether the objects hold the change.
		holds func(objects) []bool
	}{
		{
			name: "a label",
			change: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.MachineTemplate.ObjectMeta.Labels["extra"] = "x"
			},
			holds: func(o objects) []bool {
				_, m := o.machine.Labels["extra"]
				_, i := o.infra.GetLabels()["extra"]
				_, c := o.config.Labels["extra"]
				return []bool{m, i, c}
			},
		},
		{
			name: "an annotation",
			change: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.MachineTemplate.ObjectMeta.Annotations["extra"] = "x"
			},
			holds: func(o objects) []bool {
				_, m := o.machine.Annotations["extra"]
				_, i := o.infra.GetAnnotations()["extra"]
				_, c := o.config.Annotations["extra"]
				return []bool{m, i, c}
			},
		},
		{
			name: "the volume detach timeout",
			change: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.MachineTemplate.Spec.Deletion.NodeVolumeDetachTimeoutSeconds = ptr.To[int32](5)
			},
			holds: func(o objects) []bool { return []bool{o.machine.Spec.Deletion.NodeVolumeDetachTimeoutSeconds != nil} },
		},
		{
			name: "a readiness gate",
			change: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.MachineTemplate.Spec.ReadinessGates = []clusterv1.MachineReadinessGate{{ConditionType: "Extra"}}
			},
			holds: func(o objects) []bool {
				has := false
				for _, gate := range o.machine.Spec.ReadinessGates {
					has = has || gate.ConditionType == "Extra"
				}
				return []bool{has}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx := context.Background()
			kcp := machinesTestKCP()
			original := kcp.DeepCopy()
			c := machinesTestClient(interceptor.Funcs{}, kcp)
			r := &Reconciler{Client: c}
			created, err := r.createMachine(ctx, machinesTestScope(kcp), "")
			g.Expect(err).ToNot(HaveOccurred())
			read := func() objects {
				o := objects{machine: &clusterv1.Machine{}, config: &bootstrapv1.KThreesConfig{}}
				g.Expect(c.Get(ctx, client.ObjectKeyFromObject(created), o.machine)).To(Succeed())
				g.Expect(c.Get(ctx, client.ObjectKeyFromObject(created), o.config)).To(Succeed())
				o.infra = machinesTestGetInfraMachine(ctx, g, c, created.Name)
				return o
			}

			for round := range 2 {
				tt.change(kcp)
				g.Expect(r.syncMachines(ctx, machinesTestNewScope(ctx, g, r, kcp))).To(Succeed())
				g.Expect(tt.holds(read())).To(HaveEach(true), "round %d: the change is applied", round)

				kcp.Spec = *original.Spec.DeepCopy()
				g.Expect(r.syncMachines(ctx, machinesTestNewScope(ctx, g, r, kcp))).To(Succeed())
				g.Expect(tt.holds(read())).To(HaveEach(false), "round %d: the revert is applied", round)
			}
		})
	}
}

// TestWritesCreatedObjectKeepsDroppedLabelsUndecided: while the infrastructure template an InfraMachine was cloned
// from cannot be read, the labels and annotations dropped from the machine template stay (they cannot be told
// from the clone's) and the apply is not remembered: each sync applies again, and the first one that can read the
// template removes them.
func TestWritesCreatedObjectKeepsDroppedLabelsUndecided(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	kcp := machinesTestKCP()
	rec := &writesTestRecorder{}
	c := machinesTestClient(rec.funcs(), kcp)
	r := &Reconciler{Client: c}
	created, err := r.createMachine(ctx, machinesTestScope(kcp), "")
	g.Expect(err).ToNot(HaveOccurred())

	template := machinesTestInfraTemplate("infra-tpl")
	g.Expect(c.Delete(ctx, template)).To(Succeed())
	delete(kcp.Spec.MachineTemplate.ObjectMeta.Labels, "team")
	rec.reset()
	for round := range 2 {
		g.Expect(r.syncMachines(ctx, machinesTestNewScope(ctx, g, r, kcp))).To(Succeed())
		g.Expect(rec.reset()).To(ContainElement("apply GenericInfrastructureMachine"), "round %d", round)
		g.Expect(machinesTestGetInfraMachine(ctx, g, c, created.Name).GetLabels()).To(HaveKey("team"), "round %d", round)
	}

	template = machinesTestInfraTemplate("infra-tpl")
	g.Expect(c.Create(ctx, template)).To(Succeed())
	g.Expect(r.syncMachines(ctx, machinesTestNewScope(ctx, g, r, kcp))).To(Succeed())
	g.Expect(machinesTestGetInfraMachine(ctx, g, c, created.Name).GetLabels()).ToNot(HaveKey("team"))
	rec.reset()
	g.Expect(r.syncMachines(ctx, machinesTestNewScope(ctx, g, r, kcp))).To(Succeed())
	g.Expect(rec.reset()).To(BeEmpty(), "decided: the apply is remembered again")
}

// TestWritesUnrememberedApplyReplacesTheLastOne: an apply that is not remembered (undecided, see above) still
// replaces the last remembered one, so that going back to the earlier intent applies it and removes what the
// unremembered apply added.
func TestWritesUnrememberedApplyReplacesTheLastOne(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	kcp := machinesTestKCP()
	original := kcp.DeepCopy()
	c := machinesTestClient(interceptor.Funcs{}, kcp)
	r := &Reconciler{Client: c}
	created, err := r.createMachine(ctx, machinesTestScope(kcp), "")
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(c.Delete(ctx, machinesTestInfraTemplate("infra-tpl"))).To(Succeed())

	// "team" dropped (undecided while the template is gone) and "extra" added.
	kcp.Spec.MachineTemplate.ObjectMeta.Labels = map[string]string{"tier": "gold", "extra": "x"}
	g.Expect(r.syncMachines(ctx, machinesTestNewScope(ctx, g, r, kcp))).To(Succeed())
	g.Expect(machinesTestGetInfraMachine(ctx, g, c, created.Name).GetLabels()).To(And(HaveKey("team"), HaveKey("extra")))

	// Back to the labels of the creation: the InfraMachine holds them all, but "extra" goes.
	kcp.Spec = *original.Spec.DeepCopy()
	g.Expect(r.syncMachines(ctx, machinesTestNewScope(ctx, g, r, kcp))).To(Succeed())
	g.Expect(machinesTestGetInfraMachine(ctx, g, c, created.Name).GetLabels()).To(And(HaveKeyWithValue("team", "a"), Not(HaveKey("extra"))))
}

// TestWritesCreateSurvivesAFailureToRemember: remembering the applies of a creation is an optimisation; when it
// fails, the created Machine, InfraMachine and KThreesConfig stay and the next sync applies them.
func TestWritesCreateSurvivesAFailureToRemember(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	kcp := machinesTestKCP()
	rec := &writesTestRecorder{}
	c := machinesTestClient(rec.funcs(), kcp)
	r := &Reconciler{Client: c}
	r.remember = func(*unstructured.Unstructured, *unstructured.Unstructured) error { return errors.New("injected") }

	cp := machinesTestScope(kcp)
	created, err := r.createMachine(ctx, cp, "")
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(created).ToNot(BeNil())
	g.Expect(cp.Machines).To(HaveKey(created.Name))
	g.Expect(rec.reset()).To(ConsistOf("create GenericInfrastructureMachine", "create KThreesConfig", "apply Machine"), "nothing is deleted")
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(created), &clusterv1.Machine{})).To(Succeed())
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(created), &bootstrapv1.KThreesConfig{})).To(Succeed())
	machinesTestGetInfraMachine(ctx, g, c, created.Name)

	r.remember = nil
	g.Expect(r.syncMachines(ctx, machinesTestNewScope(ctx, g, r, kcp))).To(Succeed())
	g.Expect(rec.reset()).To(ContainElements("apply Machine", "apply GenericInfrastructureMachine", "apply KThreesConfig"))
}

// writesTestReconcilable is a control plane that Reconcile gets to work on: owned by its Cluster, with the
// finalizer, and Paused=True from before.
func writesTestReconcilable() *controlplanev1.KThreesControlPlane {
	kcp := machinesTestKCP()
	kcp.Finalizers = []string{controlplanev1.KThreesControlPlaneFinalizer}
	kcp.OwnerReferences = []metav1.OwnerReference{{APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster", Name: "cluster", UID: "cluster-uid"}}
	conditions.Set(kcp, metav1.Condition{Type: clusterv1.PausedCondition, Status: metav1.ConditionTrue, Reason: clusterv1.PausedReason})
	return kcp
}

// TestWritesPausedConditionWhenTheReconcileCannotStart: a control plane that is no longer paused gets Paused=False
// even when the reconcile fails before its final patch (here: an InfraMachine cannot be read).
func TestWritesPausedConditionWhenTheReconcileCannotStart(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	kcp := writesTestReconcilable()
	failInfraGet := false
	c := machinesTestClient(interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if failInfraGet && obj.GetObjectKind().GroupVersionKind().Kind == machinesTestInfraKind {
				return errors.New("injected")
			}
			return c.Get(ctx, key, obj, opts...)
		},
	}, kcp)
	ctl := &recordingController{}
	r := &Reconciler{Client: c, controller: ctl}
	_, err := r.createMachine(ctx, machinesTestScope(kcp.DeepCopy()), "")
	g.Expect(err).ToNot(HaveOccurred())
	ctl.deferred = nil

	failInfraGet = true
	_, err = r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(kcp)})
	g.Expect(err).To(MatchError(ContainSubstring("injected")))

	stored := &controlplanev1.KThreesControlPlane{}
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(kcp), stored)).To(Succeed())
	g.Expect(conditions.IsFalse(stored, clusterv1.PausedCondition)).To(BeTrue())
	g.Expect(stored.Status.ObservedGeneration).To(BeZero(), "the reconcile observed nothing")
	g.Expect(ctl.deferred).To(Equal([]string{"kcp/KThreesControlPlane@" + stored.ResourceVersion}))
}

// TestWritesDeferredWriteForgotten: the deferred aggregate write of a control plane that is paused or gone is
// dropped.
func TestWritesDeferredWriteForgotten(t *testing.T) {
	tests := []struct {
		name    string
		objects func(kcp *controlplanev1.KThreesControlPlane) []client.Object
	}{
		{name: "paused", objects: func(kcp *controlplanev1.KThreesControlPlane) []client.Object {
			kcp.Annotations = map[string]string{clusterv1.PausedAnnotation: ""}
			return []client.Object{kcp}
		}},
		{name: "gone", objects: func(*controlplanev1.KThreesControlPlane) []client.Object { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx := context.Background()
			kcp := writesTestReconcilable()
			c := fake.NewClientBuilder().WithScheme(machinesTestScheme()).
				WithObjects(append(tt.objects(kcp.DeepCopy()), machinesTestCluster())...).
				WithStatusSubresource(&controlplanev1.KThreesControlPlane{}).Build()
			r := &Reconciler{Client: c}
			key := client.ObjectKeyFromObject(kcp)
			r.aggregateWriteState().pending[key] = time.Now()

			_, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: key})
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(r.aggregateWriteState().pending).To(BeEmpty())
		})
	}
}

// TestWritesCertificatesExpirySurvivesTheTakeover: the certificates expiry recorded on a KThreesConfig before the
// first apply of its metadata is not mistaken, by the takeover of the Create's labels and annotations, for an
// annotation dropped from the machine template (it was removed and written again: two writes instead of one).
func TestWritesCertificatesExpirySurvivesTheTakeover(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	kcp := machinesTestKCP()
	counter := &machinesTestApplyCounter{}
	c := machinesTestClient(counter.funcs(), kcp)
	r := &Reconciler{Client: c, Recorder: record.NewFakeRecorder(10)}
	created, err := r.createMachine(ctx, machinesTestScope(kcp), "")
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(r.syncMachines(ctx, machinesTestNewScope(ctx, g, r, kcp))).To(Succeed())
	applied := counter.others.Load()

	cp := machinesTestNewScope(ctx, g, r, kcp)
	cp.Machines[created.Name].Status.NodeRef = clusterv1.MachineNodeReference{Name: "node-0"}
	expiry := time.Date(2027, 12, 7, 5, 0, 0, 0, time.UTC)
	cp.health = &workloadHealth{certificatesExpiry: map[string]time.Time{"node-0": expiry}}
	g.Expect(r.reconcileCertificatesExpiry(ctx, cp)).To(Succeed())
	g.Expect(r.syncMachines(ctx, machinesTestNewScope(ctx, g, r, kcp))).To(Succeed())
	g.Expect(counter.others.Load()).To(Equal(applied), "recording the expiry makes no apply of the KThreesConfig's metadata necessary")

	// The first apply of the machine template's metadata, with an annotation dropped from it.
	kcp.Spec.MachineTemplate.ObjectMeta.Annotations = nil
	g.Expect(r.syncMachines(ctx, machinesTestNewScope(ctx, g, r, kcp))).To(Succeed())
	config := &bootstrapv1.KThreesConfig{}
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(created), config)).To(Succeed())
	g.Expect(config.Annotations).ToNot(HaveKey("note"), "the dropped annotation is removed")
	g.Expect(config.Annotations).To(HaveKeyWithValue(clusterv1.MachineCertificatesExpiryDateAnnotation, "2027-12-07T05:00:00Z"))
}
