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

package kthreesconfig

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

const (
	testVersion = "v1.34.5+k3s1"
	eventually  = 30 * time.Second
)

// The tests play CAPI's part: they create Clusters, Machines and KThreesConfigs, set owner references the way the
// Machine controller does and move Cluster status along.

func newCluster(t *testing.T, ctx context.Context, namespace string, paused bool) *clusterv1.Cluster {
	t.Helper()
	g := NewWithT(t)
	cluster := &clusterv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "c1"},
		Spec: clusterv1.ClusterSpec{
			Paused:               ptr.To(paused),
			ControlPlaneEndpoint: clusterv1.APIEndpoint{Host: "10.0.0.1", Port: 6443},
		},
	}
	g.Expect(env.Client.Create(ctx, cluster)).To(Succeed())
	cluster.Status.Initialization.InfrastructureProvisioned = ptr.To(true)
	g.Expect(env.Client.Status().Update(ctx, cluster)).To(Succeed())
	return cluster
}

// markControlPlaneInitialized does what CAPI does once the control plane reports initialization.
func markControlPlaneInitialized(t *testing.T, ctx context.Context, cluster *clusterv1.Cluster) {
	t.Helper()
	g := NewWithT(t)
	g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(cluster), cluster)).To(Succeed())
	cluster.Status.Initialization.ControlPlaneInitialized = ptr.To(true)
	cluster.Status.Conditions = append(cluster.Status.Conditions, metav1.Condition{
		Type: clusterv1.ClusterControlPlaneInitializedCondition, Status: metav1.ConditionTrue, Reason: "Initialized", LastTransitionTime: metav1.Now(),
	})
	g.Expect(env.Client.Status().Update(ctx, cluster)).To(Succeed())
}

type machineOptions struct {
	controlPlane bool
	spec         bootstrapv1.KThreesConfigSpec
	// claimOnly leaves out the owner reference: the Machine claims the config only by its spec.bootstrap.configRef,
	// as it does before CAPI's Machine controller reconciles it.
	claimOnly bool
}

// newMachine creates a KThreesConfig and the Machine that owns it.
func newMachine(t *testing.T, ctx context.Context, cluster *clusterv1.Cluster, name string, o machineOptions) (*clusterv1.Machine, *bootstrapv1.KThreesConfig) {
	t.Helper()
	g := NewWithT(t)
	labels := map[string]string{clusterv1.ClusterNameLabel: cluster.Name}
	if o.controlPlane {
		labels[clusterv1.MachineControlPlaneLabel] = ""
	}
	config := &bootstrapv1.KThreesConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: cluster.Namespace, Name: name, Labels: labels},
		Spec:       o.spec,
	}
	g.Expect(env.Client.Create(ctx, config)).To(Succeed())
	machine := &clusterv1.Machine{
		ObjectMeta: metav1.ObjectMeta{Namespace: cluster.Namespace, Name: name, Labels: labels},
		Spec: clusterv1.MachineSpec{
			ClusterName: cluster.Name,
			Version:     testVersion,
			Bootstrap: clusterv1.Bootstrap{ConfigRef: clusterv1.ContractVersionedObjectReference{
				APIGroup: bootstrapv1.GroupVersion.Group, Kind: "KThreesConfig", Name: name,
			}},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{APIGroup: "infrastructure.cluster.x-k8s.io", Kind: "TestMachine", Name: name},
		},
	}
	g.Expect(env.Client.Create(ctx, machine)).To(Succeed())
	if !o.claimOnly {
		setOwner(t, ctx, config, machine, "Machine")
	}
	return machine, config
}

// setOwner sets the controller owner reference the Machine or MachinePool controller would set.
func setOwner(t *testing.T, ctx context.Context, config *bootstrapv1.KThreesConfig, owner client.Object, kind string) {
	t.Helper()
	g := NewWithT(t)
	g.Eventually(func() error {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(config), config); err != nil {
			return err
		}
		config.OwnerReferences = []metav1.OwnerReference{{
			APIVersion: clusterv1.GroupVersion.String(), Kind: kind, Name: owner.GetName(), UID: owner.GetUID(), Controller: ptr.To(true),
		}}
		return env.Client.Update(ctx, config)
	}, eventually).Should(Succeed())
}

func getConfig(ctx context.Context, g Gomega, config *bootstrapv1.KThreesConfig) *bootstrapv1.KThreesConfig {
	out := &bootstrapv1.KThreesConfig{}
	g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(config), out)).To(Succeed())
	return out
}

// bootstrapSecret returns the bootstrap data secret of a config, or nil while it does not exist.
func bootstrapSecret(ctx context.Context, config *bootstrapv1.KThreesConfig) *corev1.Secret {
	s := &corev1.Secret{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(config), s); err != nil {
		return nil
	}
	return s
}
