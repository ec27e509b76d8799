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
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/collections"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// TestEnv_CreateScaleDownDelete creates a 3-replica control plane (Machines one after the other), restarts the
// controllers in the middle of the scale down to 1 (etcd members removed only after drain), then deletes it.
func TestEnv_CreateScaleDownDelete(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	e := newEnvCluster(t, ctx, 3)

	samplingCtx, stopSampling := context.WithCancel(ctx)
	maxProvisioning := e.watchMaxProvisioning(samplingCtx)
	ctrls := startControllers(t, e.sim)
	e.expectConverged(t, ctx, 3, envVersion)
	stopSampling()
	g.Expect(maxProvisioning()).To(Equal(1), "Machines are created one after the other")
	e.expectQuiet(t, ctx)

	kcp := e.getKCP(g, ctx)
	kcp.Spec.Replicas = ptr.To(int32(1))
	g.Expect(env.Client.Update(ctx, kcp)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(len(e.machines(g, ctx))).To(BeNumerically("<", 3))
	}, envEventually, envPoll).Should(Succeed())
	ctrls.stop()
	ctrls2 := startControllers(t, e.sim)
	e.expectConverged(t, ctx, 1, envVersion)
	remaining := e.machines(g, ctx)[0]
	g.Expect(e.etcd.LeaderNode(e.key())).To(Equal(remaining.Status.NodeRef.Name))

	// Delete, restarting the controllers once the deletion started.
	g.Expect(env.Client.Delete(ctx, e.getKCP(g, ctx))).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(e.getKCP(g, ctx).Status.Conditions).To(ContainElement(HaveField("Type", controlplanev1.KThreesControlPlaneDeletingCondition)))
	}, envEventually, envPoll).Should(Succeed())
	ctrls2.stop()
	startControllers(t, e.sim)
	g.Eventually(func(g Gomega) {
		g.Expect(e.machines(g, ctx)).To(BeEmpty())
		err := env.Client.Get(ctx, client.ObjectKeyFromObject(e.kcp), &controlplanev1.KThreesControlPlane{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the finalizer is removed once the Machines are gone")
	}, envEventually, envPoll).Should(Succeed())
}

// TestEnv_Rollout upgrades a 3-replica control plane with maxSurge 1 and 0, restarting the controllers in the
// middle, and checks the surge limit.
func TestEnv_Rollout(t *testing.T) {
	for _, tt := range []struct {
		name        string
		maxSurge    int32
		maxMachines int
	}{
		{name: "maxSurge 1", maxSurge: 1, maxMachines: 4},
		{name: "maxSurge 0", maxSurge: 0, maxMachines: 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx := t.Context()
			e := newEnvCluster(t, ctx, 3, func(kcp *controlplanev1.KThreesControlPlane) {
				kcp.Spec.Rollout.Strategy.RollingUpdate.MaxSurge = ptr.To(intstr.FromInt32(tt.maxSurge))
			})
			ctrls := startControllers(t, e.sim)
			e.expectConverged(t, ctx, 3, envVersion)
			old := e.machines(g, ctx)

			samplingCtx, stopSampling := context.WithCancel(ctx)
			maxMachines := e.watchMachineCount(samplingCtx)
			kcp := e.getKCP(g, ctx)
			kcp.Spec.Version = envNewVersion
			g.Expect(env.Client.Update(ctx, kcp)).To(Succeed())

			// Restart once the first old Machine is gone.
			g.Eventually(func(g Gomega) {
				err := env.Client.Get(ctx, client.ObjectKeyFromObject(old[0]), &clusterv1.Machine{})
				g.Expect(apierrors.IsNotFound(err)).To(BeTrue())
			}, envEventually, envPoll).Should(Succeed())
			ctrls.stop()
			startControllers(t, e.sim)

			e.expectConverged(t, ctx, 3, envNewVersion)
			stopSampling()
			g.Expect(maxMachines()).To(BeNumerically("<=", tt.maxMachines), describe(e.machines(g, ctx)))
			for _, m := range old {
				err := env.Client.Get(ctx, client.ObjectKeyFromObject(m), &clusterv1.Machine{})
				g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "old Machine %s replaced", m.Name)
			}
		})
	}
}

// TestEnv_Remediation replaces a Machine a MachineHealthCheck marked unhealthy, keeping etcd quorum.
func TestEnv_Remediation(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	e := newEnvCluster(t, ctx, 3)
	ctrls := startControllers(t, e.sim)
	e.expectConverged(t, ctx, 3, envVersion)

	target := e.machines(g, ctx)[1]
	// What CAPI's MachineHealthCheck controller does.
	conditions.Set(target, metav1.Condition{Type: clusterv1.MachineHealthCheckSucceededCondition, Status: metav1.ConditionFalse, Reason: "UnhealthyNode"})
	conditions.Set(target, metav1.Condition{Type: clusterv1.MachineOwnerRemediatedCondition, Status: metav1.ConditionFalse, Reason: clusterv1.MachineOwnerRemediatedWaitingForRemediationReason})
	g.Expect(env.Client.Status().Update(ctx, target)).To(Succeed())

	g.Eventually(func(g Gomega) {
		err := env.Client.Get(ctx, client.ObjectKeyFromObject(target), &clusterv1.Machine{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue())
	}, envEventually, envPoll).Should(Succeed())
	// Restart between the deletion and the replacement: the remediation-in-progress record carries over.
	ctrls.stop()
	startControllers(t, e.sim)
	e.expectConverged(t, ctx, 3, envVersion)
	g.Eventually(func(g Gomega) {
		g.Expect(e.getKCP(g, ctx).Status.LastRemediation.Machine).To(Equal(target.Name))
	}, envEventually, envPoll).Should(Succeed())
}

// TestEnv_Adoption adopts a control-plane Machine without a controller instead of stalling (upstream's behaviour).
func TestEnv_Adoption(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	e := newEnvCluster(t, ctx, 1)

	config := &bootstrapv1.KThreesConfig{ObjectMeta: metav1.ObjectMeta{Namespace: e.cluster.Namespace, Name: "orphan"}}
	g.Expect(env.Client.Create(ctx, config)).To(Succeed())
	orphan := &clusterv1.Machine{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.cluster.Namespace, Name: "orphan", Labels: map[string]string{
			clusterv1.ClusterNameLabel: e.cluster.Name, clusterv1.MachineControlPlaneLabel: "",
		}},
		Spec: clusterv1.MachineSpec{
			ClusterName: e.cluster.Name, Version: envVersion,
			Bootstrap: clusterv1.Bootstrap{ConfigRef: clusterv1.ContractVersionedObjectReference{
				APIGroup: bootstrapv1.GroupVersion.Group, Kind: "KThreesConfig", Name: config.Name,
			}},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{
				APIGroup: "infrastructure.cluster.x-k8s.io", Kind: "GenericInfrastructureMachine", Name: "orphan",
			},
		},
	}
	g.Expect(env.Client.Create(ctx, orphan)).To(Succeed())

	ctrls := startControllers(t, e.sim)
	g.Eventually(func(g Gomega) {
		m := &clusterv1.Machine{}
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(orphan), m)).To(Succeed())
		g.Expect(metav1.GetControllerOf(m)).ToNot(BeNil())
	}, envEventually, envPoll).Should(Succeed())
	ctrls.stop()
	startControllers(t, e.sim)
	e.expectConverged(t, ctx, 1, envVersion)
	g.Expect(e.machines(g, ctx)).To(HaveLen(1), "the adopted Machine is kept, not replaced")
	adopted := &clusterv1.Machine{}
	g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(orphan), adopted)).To(Succeed())
	g.Expect(metav1.GetControllerOf(adopted)).ToNot(BeNil())
	g.Expect(metav1.GetControllerOf(adopted).UID).To(Equal(e.getKCP(g, ctx).UID))
}

// watchMaxProvisioning samples until ctx ends and returns the highest number of Machines seen at once without a
// Node.
func (e *envCluster) watchMaxProvisioning(ctx context.Context) func() int {
	maxSeen := make(chan int, 1)
	go func() {
		highest := 0
		for ctx.Err() == nil {
			ms, err := collections.GetFilteredMachinesForCluster(ctx, env.Client, e.cluster, collections.ControlPlaneMachines(e.cluster.Name))
			if err == nil {
				n := len(ms.Filter(func(m *clusterv1.Machine) bool { return !m.Status.NodeRef.IsDefined() }))
				highest = max(highest, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
		maxSeen <- highest
	}()
	return func() int { return <-maxSeen }
}

// TestEnv_SwapFromUpstream starts the controllers on a running control plane left by upstream's controller
// (Machines, KThreesConfigs and InfraMachines as upstream creates them) and checks that nothing rolls out.
func TestEnv_SwapFromUpstream(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	e := newEnvCluster(t, ctx, 3, func(kcp *controlplanev1.KThreesControlPlane) {
		kcp.Spec.KThreesConfigSpec.ServerConfig.DisableComponents = []string{"traefik"}
		kcp.Spec.KThreesConfigSpec.PreK3sCommands = []string{"echo hello"}
	})
	kcp := e.getKCP(g, ctx)
	var names []string
	for i := range 3 {
		name := fmt.Sprintf("kcp-up%d", i)
		names = append(names, name)
		owner := metav1.OwnerReference{APIVersion: controlplanev1.GroupVersion.String(), Kind: "KThreesControlPlane", Name: kcp.Name, UID: kcp.UID}
		labels := map[string]string{clusterv1.ClusterNameLabel: e.cluster.Name, clusterv1.MachineControlPlaneLabel: "", clusterv1.MachineControlPlaneNameLabel: ""}
		config := &bootstrapv1.KThreesConfig{
			ObjectMeta: metav1.ObjectMeta{Namespace: e.cluster.Namespace, Name: name + "-cfg", Labels: labels, OwnerReferences: []metav1.OwnerReference{owner}},
			Spec:       *kcp.Spec.KThreesConfigSpec.DeepCopy(),
		}
		// The bootstrap controller records the version it installed.
		config.Spec.Version = envVersion
		g.Expect(env.Client.Create(ctx, config)).To(Succeed())
		infra := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2", "kind": "GenericInfrastructureMachine",
			"metadata": map[string]any{
				"namespace": e.cluster.Namespace, "name": name + "-infra",
				"annotations": map[string]any{
					clusterv1.TemplateClonedFromNameAnnotation:      "infra-v1",
					clusterv1.TemplateClonedFromGroupKindAnnotation: "GenericInfrastructureMachineTemplate.infrastructure.cluster.x-k8s.io",
				},
			},
		}}
		g.Expect(env.Client.Create(ctx, infra)).To(Succeed())
		controller := owner
		controller.Controller = ptr.To(true)
		controller.BlockOwnerDeletion = ptr.To(true)
		m := &clusterv1.Machine{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: e.cluster.Namespace, Name: name, Labels: labels, OwnerReferences: []metav1.OwnerReference{controller},
				Annotations: map[string]string{controlplanev1.KThreesServerConfigurationAnnotation: `{"disableComponents":["traefik"]}`},
			},
			Spec: clusterv1.MachineSpec{
				ClusterName: e.cluster.Name, Version: envVersion,
				Bootstrap: clusterv1.Bootstrap{ConfigRef: clusterv1.ContractVersionedObjectReference{
					APIGroup: bootstrapv1.GroupVersion.Group, Kind: "KThreesConfig", Name: config.Name,
				}},
				InfrastructureRef: clusterv1.ContractVersionedObjectReference{
					APIGroup: "infrastructure.cluster.x-k8s.io", Kind: "GenericInfrastructureMachine", Name: name + "-infra",
				},
			},
		}
		g.Expect(env.Client.Create(ctx, m)).To(Succeed())
	}
	// Upstream's controller had initialized the control plane.
	kcp.Status.Initialization.ControlPlaneInitialized = ptr.To(true)
	g.Expect(env.Client.Status().Update(ctx, kcp)).To(Succeed())

	startControllers(t, e.sim)
	e.expectConverged(t, ctx, 3, envVersion)
	// Nothing rolled out: the same Machines, none deleting.
	g.Consistently(func(g Gomega) {
		var got []string
		for _, m := range e.machines(g, ctx) {
			g.Expect(m.DeletionTimestamp.IsZero()).To(BeTrue())
			got = append(got, m.Name)
		}
		g.Expect(got).To(ConsistOf(names))
	}, 3*time.Second, envPoll).Should(Succeed())
}

// TestEnv_InPlacePropagation changes the Machines' metadata and deletion timeouts through the control plane and
// checks that they reach the existing Machines without replacing any.
func TestEnv_InPlacePropagation(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	e := newEnvCluster(t, ctx, 1, func(kcp *controlplanev1.KThreesControlPlane) {
		kcp.Spec.MachineTemplate.ObjectMeta.Labels = map[string]string{"tier": "edge", "old": "yes"}
	})
	startControllers(t, e.sim)
	e.expectConverged(t, ctx, 1, envVersion)
	before := e.machines(g, ctx)[0]
	g.Expect(before.Labels).To(HaveKeyWithValue("old", "yes"))

	kcp := e.getKCP(g, ctx)
	kcp.Spec.MachineTemplate.ObjectMeta.Labels = map[string]string{"tier": "core"}
	kcp.Spec.MachineTemplate.ObjectMeta.Annotations = map[string]string{"example.com/owner": "team-a"}
	kcp.Spec.MachineTemplate.Spec.Deletion.NodeDrainTimeoutSeconds = ptr.To(int32(120))
	g.Expect(env.Client.Update(ctx, kcp)).To(Succeed())

	g.Eventually(func(g Gomega) {
		ms := e.machines(g, ctx)
		g.Expect(ms).To(HaveLen(1))
		m := ms[0]
		g.Expect(m.Name).To(Equal(before.Name), "no rollout")
		g.Expect(m.Labels).To(HaveKeyWithValue("tier", "core"))
		g.Expect(m.Labels).ToNot(HaveKey("old"))
		g.Expect(m.Annotations).To(HaveKeyWithValue("example.com/owner", "team-a"))
		g.Expect(m.Spec.Deletion.NodeDrainTimeoutSeconds).To(Equal(ptr.To(int32(120))))
		config := &bootstrapv1.KThreesConfig{}
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: m.Spec.Bootstrap.ConfigRef.Name}, config)).To(Succeed())
		g.Expect(config.Labels).To(HaveKeyWithValue("tier", "core"))
		g.Expect(config.Labels).ToNot(HaveKey("old"))
	}, envEventually, envPoll).Should(Succeed())
	e.expectConverged(t, ctx, 1, envVersion)
}
