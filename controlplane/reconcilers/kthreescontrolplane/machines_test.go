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
	"errors"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/collections"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"
	capicontroller "sigs.k8s.io/cluster-api/util/controller"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

const (
	machinesTestNamespace    = "ns"
	machinesTestInfraGroup   = "infrastructure.cluster.x-k8s.io"
	machinesTestTemplateKind = "GenericInfrastructureMachineTemplate"
	machinesTestInfraKind    = "GenericInfrastructureMachine"
)

// machinesTestScheme registers the types the machine tests need, CRDs included (the contract version lookup
// reads their labels).
func machinesTestScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, clusterv1.AddToScheme, bootstrapv1.AddToScheme, controlplanev1.AddToScheme, apiextensionsv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}

// machinesTestCRD is the CRD metadata of a made-up infrastructure kind, labelled for the v1beta2 contract.
func machinesTestCRD(kind string) *apiextensionsv1.CustomResourceDefinition {
	plural := map[string]string{machinesTestTemplateKind: "genericinfrastructuremachinetemplates", machinesTestInfraKind: "genericinfrastructuremachines"}[kind]
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{
			Name:   plural + "." + machinesTestInfraGroup,
			Labels: map[string]string{"cluster.x-k8s.io/v1beta2": "v1beta2"},
		},
	}
}

func machinesTestInfraTemplate(name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": machinesTestInfraGroup + "/v1beta2",
		"kind":       machinesTestTemplateKind,
		"metadata":   map[string]any{"name": name, "namespace": machinesTestNamespace},
		"spec":       map[string]any{"template": map[string]any{"spec": map[string]any{"size": "large"}}},
	}}
}

func machinesTestCluster() *clusterv1.Cluster {
	return &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "cluster", Namespace: machinesTestNamespace, UID: "cluster-uid"}}
}

func machinesTestKCP() *controlplanev1.KThreesControlPlane {
	return &controlplanev1.KThreesControlPlane{
		TypeMeta:   metav1.TypeMeta{APIVersion: controlplanev1.GroupVersion.String(), Kind: "KThreesControlPlane"},
		ObjectMeta: metav1.ObjectMeta{Name: "kcp", Namespace: machinesTestNamespace, UID: "kcp-uid"},
		Spec: controlplanev1.KThreesControlPlaneSpec{
			Replicas: ptr.To[int32](3),
			Version:  "v1.34.5+k3s1",
			MachineTemplate: controlplanev1.KThreesControlPlaneMachineTemplate{
				ObjectMeta: clusterv1.ObjectMeta{
					Labels:      map[string]string{"team": "a", "tier": "gold"},
					Annotations: map[string]string{"note": "one"},
				},
				Spec: controlplanev1.KThreesControlPlaneMachineTemplateSpec{
					InfrastructureRef: clusterv1.ContractVersionedObjectReference{
						APIGroup: machinesTestInfraGroup, Kind: machinesTestTemplateKind, Name: "infra-tpl",
					},
					Deletion: controlplanev1.KThreesControlPlaneMachineTemplateDeletionSpec{NodeDrainTimeoutSeconds: ptr.To[int32](30)},
				},
			},
			KThreesConfigSpec: bootstrapv1.KThreesConfigSpec{
				PreK3sCommands: []string{"echo hi"},
				ServerConfig:   bootstrapv1.KThreesServerConfig{DisableComponents: []string{"traefik"}},
			},
		},
	}
}

// recordingController records what the reconciler asks of CAPI's controller wrapper: the stale-cache guards
// ("<object>/<kind>@<resourceVersion>") and the reconciles let past the rate limit.
type recordingController struct {
	capicontroller.Controller
	deferred []string
	lifted   []reconcile.Request
}

func (c *recordingController) DeferNextReconcileUntilCacheUpToDate(obj metav1.Object, gvkt capicontroller.GroupVersionKindType, rv string) {
	c.deferred = append(c.deferred, obj.GetName()+"/"+gvkt.Kind+"@"+rv)
}

func (c *recordingController) DeferNextReconcile(req reconcile.Request, after time.Time) {
	if after.IsZero() {
		c.lifted = append(c.lifted, req)
	}
}

// machinesTestMachineControllerWrites writes the first status of a Machine as CAPI's Machine controller does on its
// first reconcile (its conditions), which the control plane waits for before writing its own.
func machinesTestMachineControllerWrites(ctx context.Context, g Gomega, c client.Client, m *clusterv1.Machine) {
	stored := &clusterv1.Machine{}
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(m), stored)).To(Succeed())
	conditions.Set(stored, metav1.Condition{Type: clusterv1.MachineReadyCondition, Status: metav1.ConditionFalse, Reason: clusterv1.NotReadyReason})
	v1beta1conditions.MarkFalse(stored, clusterv1.ReadyV1Beta1Condition, "WaitingForBootstrap", clusterv1.ConditionSeverityInfo, "")
	g.Expect(c.Status().Update(ctx, stored)).To(Succeed())
}

// machinesTestClient builds a fake client with the infrastructure CRDs and template, the Cluster and the control
// plane, plus objs.
func machinesTestClient(funcs interceptor.Funcs, kcp *controlplanev1.KThreesControlPlane, objs ...client.Object) client.WithWatch {
	base := []client.Object{
		machinesTestCRD(machinesTestTemplateKind), machinesTestCRD(machinesTestInfraKind),
		machinesTestInfraTemplate("infra-tpl"), machinesTestInfraTemplate("infra-tpl-2"),
		machinesTestCluster(), kcp.DeepCopy(),
	}
	return fake.NewClientBuilder().
		WithScheme(machinesTestScheme()).
		WithObjects(append(base, objs...)...).
		WithStatusSubresource(&clusterv1.Machine{}, &controlplanev1.KThreesControlPlane{}).
		WithInterceptorFuncs(funcs).
		// Like the API server (and unlike the manager's cache), the fake returns managed fields.
		WithReturnManagedFields().
		Build()
}

// machinesTestScope is an empty scope for kcp.
func machinesTestScope(kcp *controlplanev1.KThreesControlPlane) *controlPlane {
	return &controlPlane{
		KCP:           kcp,
		Cluster:       machinesTestCluster(),
		Machines:      collections.New(),
		InfraMachines: map[string]*unstructured.Unstructured{},
		Configs:       map[string]*bootstrapv1.KThreesConfig{},
		upToDate:      map[string]upToDateResult{},
		reconcileTime: time.Now(),
	}
}

func machinesTestGetInfraMachine(ctx context.Context, g Gomega, c client.Client, name string) *unstructured.Unstructured {
	infra := &unstructured.Unstructured{}
	infra.SetGroupVersionKind(schema.GroupVersionKind{Group: machinesTestInfraGroup, Version: "v1beta2", Kind: machinesTestInfraKind})
	g.Expect(c.Get(ctx, client.ObjectKey{Namespace: machinesTestNamespace, Name: name}, infra)).To(Succeed())
	return infra
}

func machinesTestCountInfraMachines(ctx context.Context, g Gomega, c client.Client) int {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(schema.GroupVersionKind{Group: machinesTestInfraGroup, Version: "v1beta2", Kind: machinesTestInfraKind + "List"})
	g.Expect(c.List(ctx, list, client.InNamespace(machinesTestNamespace))).To(Succeed())
	return len(list.Items)
}

func TestMachinesCreateMachine(t *testing.T) {
	g := NewWithT(t)
	ctx := ctrl.LoggerInto(context.Background(), ctrl.Log)

	kcp := machinesTestKCP()
	kcp.Annotations = map[string]string{controlplanev1.RemediationInProgressAnnotation: `{"machine":"old","timestamp":"2026-01-01T00:00:00Z","retryCount":1}`}
	c := machinesTestClient(interceptor.Funcs{}, kcp)
	ctl := &recordingController{}
	r := &Reconciler{Client: c, controller: ctl}
	cp := machinesTestScope(kcp)

	machine, err := r.createMachine(ctx, cp, "fd-1")
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(machine.Name).To(MatchRegexp(`^kcp-[a-z0-9]{5}$`))

	// The Machine, as stored.
	stored := &clusterv1.Machine{}
	g.Expect(c.Get(ctx, client.ObjectKey{Namespace: machinesTestNamespace, Name: machine.Name}, stored)).To(Succeed())
	g.Expect(stored.Labels).To(Equal(map[string]string{
		"team": "a", "tier": "gold",
		clusterv1.ClusterNameLabel:             "cluster",
		clusterv1.MachineControlPlaneLabel:     "",
		clusterv1.MachineControlPlaneNameLabel: "kcp",
	}))
	serverConfig, _ := json.Marshal(kcp.Spec.KThreesConfigSpec.ServerConfig)
	g.Expect(stored.Annotations).To(Equal(map[string]string{
		"note": "one",
		controlplanev1.KThreesServerConfigurationAnnotation: string(serverConfig),
		controlplanev1.RemediationForAnnotation:             `{"machine":"old","timestamp":"2026-01-01T00:00:00Z","retryCount":1}`,
		controlplanev1.EtcdRemovalHookAnnotation:            controlplanev1.EtcdRemovalHookValue,
	}))
	g.Expect(stored.OwnerReferences).To(HaveLen(1))
	g.Expect(stored.OwnerReferences[0].UID).To(BeEquivalentTo("kcp-uid"))
	g.Expect(ptr.Deref(stored.OwnerReferences[0].Controller, false)).To(BeTrue())
	g.Expect(stored.Spec.ClusterName).To(Equal("cluster"))
	g.Expect(stored.Spec.Version).To(Equal("v1.34.5+k3s1"))
	g.Expect(stored.Spec.FailureDomain).To(Equal("fd-1"))
	g.Expect(stored.Spec.Bootstrap.ConfigRef).To(Equal(clusterv1.ContractVersionedObjectReference{
		APIGroup: bootstrapv1.GroupVersion.Group, Kind: "KThreesConfig", Name: machine.Name,
	}))
	g.Expect(stored.Spec.InfrastructureRef).To(Equal(clusterv1.ContractVersionedObjectReference{
		APIGroup: machinesTestInfraGroup, Kind: machinesTestInfraKind, Name: machine.Name,
	}))
	g.Expect(stored.Spec.Deletion.NodeDrainTimeoutSeconds).To(Equal(ptr.To[int32](30)))
	g.Expect(stored.Spec.ReadinessGates).To(ConsistOf(
		clusterv1.MachineReadinessGate{ConditionType: controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition},
		clusterv1.MachineReadinessGate{ConditionType: controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition},
	))
	g.Expect(stored.ManagedFields).To(ContainElement(And(
		HaveField("Manager", FieldManager), HaveField("Operation", metav1.ManagedFieldsOperationApply))))

	// The InfraMachine, cloned from the template.
	infra := machinesTestGetInfraMachine(ctx, g, c, machine.Name)
	g.Expect(infra.GetAnnotations()).To(HaveKeyWithValue(clusterv1.TemplateClonedFromNameAnnotation, "infra-tpl"))
	g.Expect(infra.GetAnnotations()).To(HaveKeyWithValue(clusterv1.TemplateClonedFromGroupKindAnnotation, machinesTestTemplateKind+"."+machinesTestInfraGroup))
	g.Expect(infra.GetAnnotations()).To(HaveKeyWithValue("note", "one"))
	g.Expect(infra.GetLabels()).To(HaveKeyWithValue(clusterv1.MachineControlPlaneNameLabel, "kcp"))
	g.Expect(infra.GetLabels()).To(HaveKeyWithValue("team", "a"))
	g.Expect(infra.GetOwnerReferences()).To(ConsistOf(HaveField("UID", BeEquivalentTo("kcp-uid"))))
	g.Expect(infra.GetOwnerReferences()[0].Controller).To(BeNil())
	size, _, _ := unstructured.NestedString(infra.Object, "spec", "size")
	g.Expect(size).To(Equal("large"))

	// The KThreesConfig, a copy of the control plane's spec.
	config := &bootstrapv1.KThreesConfig{}
	g.Expect(c.Get(ctx, client.ObjectKey{Namespace: machinesTestNamespace, Name: machine.Name}, config)).To(Succeed())
	wantSpec := kcp.Spec.KThreesConfigSpec.DeepCopy()
	wantSpec.Version = kcp.Spec.Version
	g.Expect(config.Spec).To(Equal(*wantSpec))
	g.Expect(config.Labels).To(HaveKeyWithValue(clusterv1.ClusterNameLabel, "cluster"))
	g.Expect(config.Annotations).To(Equal(map[string]string{"note": "one"}))
	g.Expect(config.OwnerReferences).To(ConsistOf(HaveField("UID", BeEquivalentTo("kcp-uid"))))
	g.Expect(config.OwnerReferences[0].Controller).To(BeNil())

	// The stale-cache guard, the remediation hand-over and the scope.
	g.Expect(ctl.deferred).To(Equal([]string{"kcp/Machine@" + stored.ResourceVersion}))
	g.Expect(kcp.Annotations).ToNot(HaveKey(controlplanev1.RemediationInProgressAnnotation))
	g.Expect(cp.Machines.Names()).To(ConsistOf(machine.Name))
	g.Expect(cp.machinesBefore).To(HaveKey(machine.Name))
	g.Expect(cp.InfraMachines).To(HaveKey(machine.Name))
	g.Expect(cp.Configs).To(HaveKey(machine.Name))
	g.Expect(cp.upToDate[machine.Name].UpToDate).To(BeTrue())
	g.Expect(conditions.IsTrue(cp.Machines[machine.Name], clusterv1.MachineUpToDateCondition)).To(BeTrue())
}

func TestMachinesCreateMachineNamingTemplate(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()

	kcp := machinesTestKCP()
	kcp.Spec.MachineNaming.Template = "{{ .cluster.name }}-cp-{{ .random }}"
	c := machinesTestClient(interceptor.Funcs{}, kcp)
	r := &Reconciler{Client: c}
	cp := machinesTestScope(kcp)

	machine, err := r.createMachine(ctx, cp, "")
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(machine.Name).To(MatchRegexp(`^cluster-cp-[a-z0-9]{5}$`))
	g.Expect(machine.Spec.FailureDomain).To(BeEmpty())
	machinesTestGetInfraMachine(ctx, g, c, machine.Name)
	g.Expect(c.Get(ctx, client.ObjectKey{Namespace: machinesTestNamespace, Name: machine.Name}, &bootstrapv1.KThreesConfig{})).To(Succeed())
}

func TestMachinesCreateMachineCleanup(t *testing.T) {
	errInjected := errors.New("injected")
	failMachineApply := interceptor.Funcs{
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			if machinesTestApplyKind(obj) == "Machine" {
				return errInjected
			}
			return c.Apply(ctx, obj, opts...)
		},
	}
	failConfigCreate := interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if _, ok := obj.(*bootstrapv1.KThreesConfig); ok {
				return errInjected
			}
			return c.Create(ctx, obj, opts...)
		},
	}

	tests := []struct {
		name    string
		funcs   interceptor.Funcs
		mutate  func(*controlplanev1.KThreesControlPlane)
		wantErr string
	}{
		{name: "Machine apply fails", funcs: failMachineApply, wantErr: "injected"},
		{name: "KThreesConfig create fails", funcs: failConfigCreate, wantErr: "failed to create the KThreesConfig"},
		{
			name: "infrastructure template missing",
			mutate: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.MachineTemplate.Spec.InfrastructureRef.Name = "missing"
			},
			wantErr: "failed to read the infrastructure template",
		},
		{
			name: "naming template does not execute",
			mutate: func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.MachineNaming.Template = "{{ .nope.name }}-{{ .random }}"
			},
			wantErr: "spec.machineNaming.template",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx := context.Background()
			kcp := machinesTestKCP()
			kcp.Annotations = map[string]string{controlplanev1.RemediationInProgressAnnotation: "{}"}
			if tt.mutate != nil {
				tt.mutate(kcp)
			}
			c := machinesTestClient(tt.funcs, kcp)
			ctl := &recordingController{}
			r := &Reconciler{Client: c, controller: ctl}
			cp := machinesTestScope(kcp)

			machine, err := r.createMachine(ctx, cp, "")
			g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
			g.Expect(machine).To(BeNil())

			// Nothing is left behind and the scope is unchanged.
			g.Expect(machinesTestCountInfraMachines(ctx, g, c)).To(BeZero())
			configs := &bootstrapv1.KThreesConfigList{}
			g.Expect(c.List(ctx, configs)).To(Succeed())
			g.Expect(configs.Items).To(BeEmpty())
			machines := &clusterv1.MachineList{}
			g.Expect(c.List(ctx, machines)).To(Succeed())
			g.Expect(machines.Items).To(BeEmpty())
			g.Expect(cp.Machines).To(BeEmpty())
			g.Expect(cp.InfraMachines).To(BeEmpty())
			g.Expect(cp.Configs).To(BeEmpty())
			g.Expect(ctl.deferred).To(BeEmpty())
			g.Expect(kcp.Annotations).To(HaveKey(controlplanev1.RemediationInProgressAnnotation))
		})
	}
}

// machinesTestApplyKind is the kind of an apply configuration, typed or unstructured.
func machinesTestApplyKind(obj runtime.ApplyConfiguration) string {
	switch o := obj.(type) {
	case interface{ GetKind() string }:
		return o.GetKind()
	case interface{ GetKind() *string }:
		return ptr.Deref(o.GetKind(), "")
	}
	return ""
}

// machinesTestApplyCounter counts server-side applies by kind.
type machinesTestApplyCounter struct {
	machines, others atomic.Int32
}

func (a *machinesTestApplyCounter) funcs() interceptor.Funcs {
	return interceptor.Funcs{
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			if machinesTestApplyKind(obj) == "Machine" {
				a.machines.Add(1)
			} else {
				a.others.Add(1)
			}
			return c.Apply(ctx, obj, opts...)
		},
	}
}

// machinesTestNewScope reads the scope the way a reconcile does.
func machinesTestNewScope(ctx context.Context, g Gomega, r *Reconciler, kcp *controlplanev1.KThreesControlPlane) *controlPlane {
	cp, err := r.newControlPlane(ctx, machinesTestCluster(), kcp)
	g.Expect(err).ToNot(HaveOccurred())
	return cp
}

func TestMachinesSyncMachines(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()

	kcp := machinesTestKCP()
	counter := &machinesTestApplyCounter{}
	c := machinesTestClient(counter.funcs(), kcp)
	r := &Reconciler{Client: c}

	kcp.Annotations = map[string]string{controlplanev1.RemediationInProgressAnnotation: "remediation-1"}
	created, err := r.createMachine(ctx, machinesTestScope(kcp), "")
	g.Expect(err).ToNot(HaveOccurred())
	machinesTestMachineControllerWrites(ctx, g, c, created)
	originalServerConfig := created.Annotations[controlplanev1.KThreesServerConfigurationAnnotation]

	// The control plane changes: a label is removed, one added, an annotation and the timeouts change, a
	// readiness gate is added, the server configuration and version change (the latter two need a rollout, not
	// an in-place change), and another remediation is in progress.
	kcp.Spec.MachineTemplate.ObjectMeta.Labels = map[string]string{"team": "b", "new": "yes"}
	kcp.Spec.MachineTemplate.ObjectMeta.Annotations = map[string]string{"note": "two"}
	kcp.Spec.MachineTemplate.Spec.Deletion = controlplanev1.KThreesControlPlaneMachineTemplateDeletionSpec{NodeVolumeDetachTimeoutSeconds: ptr.To[int32](60)}
	kcp.Spec.MachineTemplate.Spec.ReadinessGates = []clusterv1.MachineReadinessGate{{ConditionType: "Custom"}}
	kcp.Spec.KThreesConfigSpec.ServerConfig.DisableComponents = []string{"servicelb"}
	kcp.Spec.Version = "v1.35.0+k3s1"
	kcp.Annotations = map[string]string{controlplanev1.RemediationInProgressAnnotation: "remediation-2"}

	cp := machinesTestNewScope(ctx, g, r, kcp)
	counter.machines.Store(0)
	counter.others.Store(0)
	g.Expect(r.syncMachines(ctx, cp)).To(Succeed())
	g.Expect(counter.machines.Load()).To(BeEquivalentTo(1))
	g.Expect(counter.others.Load()).To(BeEquivalentTo(2))

	stored := &clusterv1.Machine{}
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(created), stored)).To(Succeed())
	g.Expect(stored.Labels).To(Equal(map[string]string{
		"team": "b", "new": "yes",
		clusterv1.ClusterNameLabel:             "cluster",
		clusterv1.MachineControlPlaneLabel:     "",
		clusterv1.MachineControlPlaneNameLabel: "kcp",
	}))
	g.Expect(stored.Annotations).To(Equal(map[string]string{
		"note": "two",
		controlplanev1.KThreesServerConfigurationAnnotation: originalServerConfig,
		controlplanev1.RemediationForAnnotation:             "remediation-1",
		controlplanev1.EtcdRemovalHookAnnotation:            controlplanev1.EtcdRemovalHookValue,
	}))
	g.Expect(stored.Spec.Deletion).To(Equal(clusterv1.MachineDeletionSpec{NodeVolumeDetachTimeoutSeconds: ptr.To[int32](60)}))
	g.Expect(stored.Spec.ReadinessGates).To(HaveLen(3))
	g.Expect(stored.Spec.ReadinessGates[0].ConditionType).To(Equal("Custom"))
	// Not in place: version, failure domain and references stay.
	g.Expect(stored.Spec.Version).To(Equal("v1.34.5+k3s1"))
	g.Expect(stored.Spec.InfrastructureRef).To(Equal(created.Spec.InfrastructureRef))
	g.Expect(stored.Spec.Bootstrap.ConfigRef).To(Equal(created.Spec.Bootstrap.ConfigRef))

	infra := machinesTestGetInfraMachine(ctx, g, c, created.Name)
	g.Expect(infra.GetLabels()).To(HaveKeyWithValue("team", "b"))
	g.Expect(infra.GetLabels()).To(HaveKeyWithValue("new", "yes"))
	g.Expect(infra.GetLabels()).ToNot(HaveKey("tier"))
	g.Expect(infra.GetAnnotations()).To(HaveKeyWithValue("note", "two"))
	g.Expect(infra.GetAnnotations()).To(HaveKeyWithValue(clusterv1.TemplateClonedFromNameAnnotation, "infra-tpl"))
	config := &bootstrapv1.KThreesConfig{}
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(created), config)).To(Succeed())
	g.Expect(config.Labels).To(HaveKeyWithValue("team", "b"))
	g.Expect(config.Labels).ToNot(HaveKey("tier"))
	g.Expect(config.Annotations).To(Equal(map[string]string{"note": "two"}))
	// The spec of the KThreesConfig is not propagated in place.
	g.Expect(config.Spec.ServerConfig.DisableComponents).To(Equal([]string{"traefik"}))

	// The scope holds the applied objects, and the UpToDate condition reports the pending rollout.
	inScope := cp.Machines[created.Name]
	g.Expect(inScope.Labels).To(HaveKeyWithValue("team", "b"))
	g.Expect(cp.InfraMachines[created.Name].GetLabels()).To(HaveKeyWithValue("team", "b"))
	g.Expect(cp.Configs[created.Name].Labels).To(HaveKeyWithValue("team", "b"))
	cond := conditions.Get(inScope, clusterv1.MachineUpToDateCondition)
	g.Expect(cond).ToNot(BeNil())
	g.Expect(cond.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(cond.Reason).To(Equal(clusterv1.MachineNotUpToDateReason))
	g.Expect(cond.Message).To(Equal("* Version v1.34.5+k3s1, v1.35.0+k3s1 required\n* KThreesConfig differs from spec.kthreesConfigSpec in serverConfig"))

	// A second reconcile with nothing new applies nothing.
	cp = machinesTestNewScope(ctx, g, r, kcp)
	counter.machines.Store(0)
	counter.others.Store(0)
	g.Expect(r.syncMachines(ctx, cp)).To(Succeed())
	g.Expect(counter.machines.Load()).To(BeZero())
	g.Expect(counter.others.Load()).To(BeZero())
	g.Expect(conditions.IsFalse(cp.Machines[created.Name], clusterv1.MachineUpToDateCondition)).To(BeTrue())

	// The conditions reach the API server through the patch helpers.
	g.Expect(r.patchMachines(ctx, cp)).Error().ToNot(HaveOccurred())
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(created), stored)).To(Succeed())
	g.Expect(conditions.IsFalse(stored, clusterv1.MachineUpToDateCondition)).To(BeTrue())

	// Once the spec is back to what the Machine runs, it is up to date again.
	kcp.Spec.Version = "v1.34.5+k3s1"
	kcp.Spec.KThreesConfigSpec.ServerConfig.DisableComponents = []string{"traefik"}
	cp = machinesTestNewScope(ctx, g, r, kcp)
	g.Expect(r.syncMachines(ctx, cp)).To(Succeed())
	cond = conditions.Get(cp.Machines[created.Name], clusterv1.MachineUpToDateCondition)
	g.Expect(cond.Status).To(Equal(metav1.ConditionTrue))
	g.Expect(cond.Reason).To(Equal(clusterv1.MachineUpToDateReason))
}

func TestMachinesSyncMachinesSkipsDeletingMachines(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()

	kcp := machinesTestKCP()
	counter := &machinesTestApplyCounter{}
	c := machinesTestClient(counter.funcs(), kcp)
	r := &Reconciler{Client: c}
	created, err := r.createMachine(ctx, machinesTestScope(kcp), "")
	g.Expect(err).ToNot(HaveOccurred())

	// A finalizer keeps the Machine while it is being deleted.
	stored := &clusterv1.Machine{}
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(created), stored)).To(Succeed())
	stored.Finalizers = []string{"test"}
	g.Expect(c.Update(ctx, stored)).To(Succeed())
	g.Expect(c.Delete(ctx, stored)).To(Succeed())

	kcp.Spec.MachineTemplate.ObjectMeta.Labels = map[string]string{"team": "b"}
	cp := machinesTestNewScope(ctx, g, r, kcp)
	counter.machines.Store(0)
	counter.others.Store(0)
	g.Expect(r.syncMachines(ctx, cp)).To(Succeed())
	g.Expect(counter.machines.Load()).To(BeZero())
	g.Expect(counter.others.Load()).To(BeZero())
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(created), stored)).To(Succeed())
	g.Expect(stored.Labels).To(HaveKeyWithValue("team", "a"))
}

// TestMachinesSyncMachinesAdoptsUpdateOwnership covers objects written with plain Creates/Updates (by older
// controllers, or this controller's own Creates): once adopted, labels the control plane drops are removed.
func TestMachinesSyncMachinesAdoptsUpdateOwnership(t *testing.T) {
	for _, manager := range []string{"manager", "before-first-apply", FieldManager} {
		t.Run(manager, func(t *testing.T) {
			g := NewWithT(t)
			ctx := context.Background()

			kcp := machinesTestKCP()
			c := machinesTestClient(interceptor.Funcs{}, kcp)
			r := &Reconciler{Client: c}

			// An InfraMachine and a KThreesConfig as createMachine leaves them, and a Machine created by an
			// Update-based client with the labels and annotations of the time.
			cp := machinesTestScope(kcp)
			created, err := r.createMachine(ctx, cp, "")
			g.Expect(err).ToNot(HaveOccurred())
			legacy := &clusterv1.Machine{}
			g.Expect(c.Get(ctx, client.ObjectKeyFromObject(created), legacy)).To(Succeed())
			g.Expect(c.Delete(ctx, legacy)).To(Succeed())
			legacy = &clusterv1.Machine{
				ObjectMeta: metav1.ObjectMeta{
					// The fake client assigns no UIDs; the API server gives a recreated object a new one.
					Name: created.Name, Namespace: machinesTestNamespace, UID: "legacy-uid",
					Labels:          created.Labels,
					Annotations:     created.Annotations,
					OwnerReferences: created.OwnerReferences,
				},
				Spec: created.Spec,
			}
			g.Expect(c.Create(ctx, legacy, client.FieldOwner(manager))).To(Succeed())
			g.Expect(legacy.ManagedFields).To(ConsistOf(HaveField("Manager", manager)))

			// The first sync adopts the objects; nothing changes yet.
			g.Expect(r.syncMachines(ctx, machinesTestNewScope(ctx, g, r, kcp))).To(Succeed())
			g.Expect(c.Get(ctx, client.ObjectKeyFromObject(created), legacy)).To(Succeed())
			g.Expect(legacy.Labels).To(HaveKeyWithValue("tier", "gold"))
			for _, e := range legacy.ManagedFields {
				if e.Manager == manager && e.Operation == metav1.ManagedFieldsOperationUpdate {
					g.Expect(string(e.FieldsV1.Raw)).ToNot(ContainSubstring(`"f:tier"`))
				}
			}

			// The control plane drops a label and an annotation: they go from all three objects.
			delete(kcp.Spec.MachineTemplate.ObjectMeta.Labels, "tier")
			kcp.Spec.MachineTemplate.ObjectMeta.Annotations = nil
			g.Expect(r.syncMachines(ctx, machinesTestNewScope(ctx, g, r, kcp))).To(Succeed())

			g.Expect(c.Get(ctx, client.ObjectKeyFromObject(created), legacy)).To(Succeed())
			g.Expect(legacy.Labels).ToNot(HaveKey("tier"))
			g.Expect(legacy.Labels).To(HaveKeyWithValue("team", "a"))
			g.Expect(legacy.Annotations).ToNot(HaveKey("note"))
			g.Expect(legacy.Annotations).To(HaveKey(controlplanev1.KThreesServerConfigurationAnnotation))
			// Fields the controller does not apply stay with their owner.
			g.Expect(legacy.Spec.Version).To(Equal("v1.34.5+k3s1"))

			infra := machinesTestGetInfraMachine(ctx, g, c, created.Name)
			g.Expect(infra.GetLabels()).ToNot(HaveKey("tier"))
			g.Expect(infra.GetAnnotations()).ToNot(HaveKey("note"))
			g.Expect(infra.GetAnnotations()).To(HaveKeyWithValue(clusterv1.TemplateClonedFromNameAnnotation, "infra-tpl"))
			config := &bootstrapv1.KThreesConfig{}
			g.Expect(c.Get(ctx, client.ObjectKeyFromObject(created), config)).To(Succeed())
			g.Expect(config.Labels).ToNot(HaveKey("tier"))
			g.Expect(config.Annotations).ToNot(HaveKey("note"))
		})
	}
}

// TestMachinesSyncMachinesUpstreamMachine covers a Machine created by upstream's controller with server-side
// apply under the same field manager: it is updated in place without adoption.
func TestMachinesSyncMachinesUpstreamMachine(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()

	kcp := machinesTestKCP()
	c := machinesTestClient(interceptor.Funcs{}, kcp)
	r := &Reconciler{Client: c}

	upstream := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": clusterv1.GroupVersion.String(),
		"kind":       "Machine",
		"metadata": map[string]any{
			"name": "kcp-abcde", "namespace": machinesTestNamespace,
			"labels": map[string]any{
				"team": "a", "tier": "gold",
				clusterv1.ClusterNameLabel: "cluster", clusterv1.MachineControlPlaneLabel: "", clusterv1.MachineControlPlaneNameLabel: "",
			},
			"annotations": map[string]any{
				controlplanev1.KThreesServerConfigurationAnnotation: `{"disableComponents":["traefik"]}`,
			},
			"ownerReferences": []any{map[string]any{
				"apiVersion": "controlplane.cluster.x-k8s.io/v1beta2", "kind": "KThreesControlPlane", "name": "kcp", "uid": "kcp-uid",
				"controller": true, "blockOwnerDeletion": true,
			}},
		},
		"spec": map[string]any{
			"clusterName": "cluster", "version": "v1.34.5+k3s1",
			"bootstrap":         map[string]any{"configRef": map[string]any{"apiGroup": bootstrapv1.GroupVersion.Group, "kind": "KThreesConfig", "name": "kcp-xyz12"}},
			"infrastructureRef": map[string]any{"apiGroup": machinesTestInfraGroup, "kind": machinesTestInfraKind, "name": "infra-tpl-qwert"},
		},
	}}
	g.Expect(c.Apply(ctx, client.ApplyConfigurationFromUnstructured(upstream), client.FieldOwner(FieldManager), client.ForceOwnership)).To(Succeed())

	delete(kcp.Spec.MachineTemplate.ObjectMeta.Labels, "tier")
	cp := machinesTestNewScope(ctx, g, r, kcp)
	g.Expect(cp.upToDate["kcp-abcde"].UpToDate).To(BeTrue())
	g.Expect(r.syncMachines(ctx, cp)).To(Succeed())

	stored := &clusterv1.Machine{}
	g.Expect(c.Get(ctx, client.ObjectKey{Namespace: machinesTestNamespace, Name: "kcp-abcde"}, stored)).To(Succeed())
	g.Expect(stored.Labels).ToNot(HaveKey("tier"))
	g.Expect(stored.Labels).To(HaveKeyWithValue(clusterv1.MachineControlPlaneNameLabel, "kcp"))
	g.Expect(stored.Annotations).To(HaveKeyWithValue(controlplanev1.KThreesServerConfigurationAnnotation, `{"disableComponents":["traefik"]}`))
	g.Expect(stored.Annotations).To(HaveKeyWithValue(controlplanev1.EtcdRemovalHookAnnotation, controlplanev1.EtcdRemovalHookValue))
	g.Expect(stored.Annotations).ToNot(HaveKey(controlplanev1.RemediationForAnnotation))
	g.Expect(stored.Spec.Bootstrap.ConfigRef.Name).To(Equal("kcp-xyz12"))
	g.Expect(stored.Spec.InfrastructureRef.Name).To(Equal("infra-tpl-qwert"))
	g.Expect(stored.OwnerReferences).To(HaveLen(1))
	g.Expect(conditions.IsTrue(cp.Machines["kcp-abcde"], clusterv1.MachineUpToDateCondition)).To(BeTrue())
}

func TestMachinesSetMachineUpToDateCondition(t *testing.T) {
	tests := []struct {
		name        string
		result      upToDateResult
		wantStatus  metav1.ConditionStatus
		wantReason  string
		wantMessage string
	}{
		{name: "up to date", result: upToDateResult{UpToDate: true}, wantStatus: metav1.ConditionTrue, wantReason: clusterv1.MachineUpToDateReason},
		{
			name:        "not up to date",
			result:      upToDateResult{Reasons: []string{"Version a, b required", "Other"}},
			wantStatus:  metav1.ConditionFalse,
			wantReason:  clusterv1.MachineNotUpToDateReason,
			wantMessage: "* Version a, b required\n* Other",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			m := &clusterv1.Machine{}
			setMachineUpToDateCondition(m, tt.result)
			cond := conditions.Get(m, clusterv1.MachineUpToDateCondition)
			g.Expect(cond).ToNot(BeNil())
			g.Expect(cond.Status).To(Equal(tt.wantStatus))
			g.Expect(cond.Reason).To(Equal(tt.wantReason))
			g.Expect(cond.Message).To(Equal(tt.wantMessage))
		})
	}
}

func TestMachinesDropSharedFields(t *testing.T) {
	tests := []struct {
		name        string
		theirs      string
		ours        string
		want        string
		wantDropped bool
	}{
		{
			name:        "shared labels and annotations are dropped, others kept",
			theirs:      `{"f:metadata":{"f:labels":{".":{},"f:a":{},"f:b":{}},"f:annotations":{"f:x":{}}},"f:spec":{"f:version":{}}}`,
			ours:        `{"f:metadata":{"f:labels":{"f:a":{}},"f:annotations":{"f:x":{}}}}`,
			want:        `{"f:metadata":{"f:labels":{".":{},"f:b":{}}},"f:spec":{"f:version":{}}}`,
			wantDropped: true,
		},
		{
			name:        "emptied sets are pruned",
			theirs:      `{"f:metadata":{"f:labels":{".":{},"f:a":{}}},"f:spec":{"f:deletion":{"f:nodeDrainTimeoutSeconds":{}}}}`,
			ours:        `{"f:metadata":{"f:labels":{"f:a":{}}},"f:spec":{"f:deletion":{".":{},"f:nodeDrainTimeoutSeconds":{}}}}`,
			want:        `{}`,
			wantDropped: true,
		},
		{
			name:   "nothing shared",
			theirs: `{"f:metadata":{"f:labels":{"f:b":{}}},"f:spec":{"f:readinessGates":{}}}`,
			ours:   `{"f:metadata":{"f:labels":{"f:a":{}}}}`,
			want:   `{"f:metadata":{"f:labels":{"f:b":{}}},"f:spec":{"f:readinessGates":{}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			var theirs, ours, want map[string]any
			g.Expect(json.Unmarshal([]byte(tt.theirs), &theirs)).To(Succeed())
			g.Expect(json.Unmarshal([]byte(tt.ours), &ours)).To(Succeed())
			g.Expect(json.Unmarshal([]byte(tt.want), &want)).To(Succeed())
			g.Expect(dropSharedFields(theirs, ours)).To(Equal(tt.wantDropped))
			g.Expect(theirs).To(Equal(want))
		})
	}
}
