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

package mgmtplane

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	clusterv1beta1 "sigs.k8s.io/cluster-api/api/core/v1beta1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
)

// TestV1Beta1Conversion reads and writes CAPI core objects in cluster.x-k8s.io/v1beta1 with a client that knows only
// that version, as clients built on CAPI v1.10/v1.11 do: the plane must convert them the way CAPI's own manager does,
// so references come back complete (apiVersion, kind, name, namespace) and writes in either version round-trip.
func TestV1Beta1Conversion(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	contract := map[string]string{"cluster.x-k8s.io/v1beta2": "v1beta2"}
	plane, err := Start(ctx, Options{InfrastructureCRDs: []*apiextensionsv1.CustomResourceDefinition{
		envtest.InfrastructureCRD("ConvCluster", contract), envtest.InfrastructureCRD("ConvMachine", contract),
		envtest.InfrastructureCRD("ConvMachineTemplate", contract),
	}})
	g.Expect(err).ToNot(HaveOccurred())
	t.Cleanup(func() { g.Expect(plane.Stop()).To(Succeed()) })

	// CAPI's CRDs convert through the plane's webhook server on 127.0.0.1, as CAPI's deployment has them.
	for _, plural := range []string{
		"clusters", "clusterclasses", "machines", "machinesets", "machinedeployments", "machinehealthchecks", "machinepools",
	} {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		g.Expect(plane.Env.Client.Get(ctx, client.ObjectKey{Name: plural + ".cluster.x-k8s.io"}, crd)).To(Succeed())
		g.Expect(crd.Spec.Conversion.Strategy).To(Equal(apiextensionsv1.WebhookConverter), plural)
		g.Expect(crd.Spec.Conversion.Webhook.ClientConfig.URL).To(HaveValue(HavePrefix("https://127.0.0.1:")), plural)
	}

	v1beta1Scheme := runtime.NewScheme()
	g.Expect(clusterv1beta1.AddToScheme(v1beta1Scheme)).To(Succeed())
	old, err := client.New(plane.Env.Config, client.Options{Scheme: v1beta1Scheme})
	g.Expect(err).ToNot(HaveOccurred())
	ns, err := plane.Env.CreateNamespace(ctx, "conversion")
	g.Expect(err).ToNot(HaveOccurred())

	const (
		infraGroup    = "infrastructure.cluster.x-k8s.io"
		infraVersion  = infraGroup + "/v1beta2"
		cpVersion     = "controlplane.cluster.x-k8s.io/v1beta3"
		bootstrapGVer = "bootstrap.cluster.x-k8s.io/v1beta3"
	)
	ref := func(apiVersion, kind, name string) *corev1.ObjectReference {
		return &corev1.ObjectReference{APIVersion: apiVersion, Kind: kind, Name: name, Namespace: ns.Name}
	}

	// A Cluster written in v1beta2 reads in v1beta1 with complete references.
	cluster := &clusterv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "c1"},
		Spec: clusterv1.ClusterSpec{
			ControlPlaneRef: clusterv1.ContractVersionedObjectReference{
				APIGroup: "controlplane.cluster.x-k8s.io", Kind: "KThreesControlPlane", Name: "c1-cp",
			},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{APIGroup: infraGroup, Kind: "ConvCluster", Name: "c1"},
		},
	}
	g.Expect(plane.Env.Client.Create(ctx, cluster)).To(Succeed())
	oldCluster := &clusterv1beta1.Cluster{}
	g.Expect(old.Get(ctx, client.ObjectKeyFromObject(cluster), oldCluster)).To(Succeed())
	g.Expect(oldCluster.Spec.ControlPlaneRef).To(Equal(ref(cpVersion, "KThreesControlPlane", "c1-cp")))
	g.Expect(oldCluster.Spec.InfrastructureRef).To(Equal(ref(infraVersion, "ConvCluster", "c1")))

	// A read-modify-write in v1beta1 keeps the references and the change, read in either version.
	g.Expect(updateLabel(ctx, old, oldCluster)).To(Succeed())
	g.Expect(plane.Env.Client.Get(ctx, client.ObjectKeyFromObject(cluster), cluster)).To(Succeed())
	g.Expect(cluster.Labels).To(HaveKeyWithValue("edge.example.com/site", "s1"))
	g.Expect(cluster.Spec.ControlPlaneRef).To(Equal(clusterv1.ContractVersionedObjectReference{
		APIGroup: "controlplane.cluster.x-k8s.io", Kind: "KThreesControlPlane", Name: "c1-cp",
	}))
	g.Expect(cluster.Spec.InfrastructureRef.APIGroup).To(Equal(infraGroup))
	oldClusters := &clusterv1beta1.ClusterList{}
	g.Expect(old.List(ctx, oldClusters, client.InNamespace(ns.Name))).To(Succeed())
	g.Expect(oldClusters.Items).To(HaveLen(1))
	g.Expect(oldClusters.Items[0].Spec.ControlPlaneRef).To(Equal(ref(cpVersion, "KThreesControlPlane", "c1-cp")))

	// A Cluster written in v1beta1 reads in v1beta2 with apiGroup references.
	created := &clusterv1beta1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "c2"},
		Spec: clusterv1beta1.ClusterSpec{
			ControlPlaneRef:   ref(cpVersion, "KThreesControlPlane", "c2-cp"),
			InfrastructureRef: ref(infraVersion, "ConvCluster", "c2"),
		},
	}
	g.Expect(old.Create(ctx, created)).To(Succeed())
	c2 := &clusterv1.Cluster{}
	g.Expect(plane.Env.Client.Get(ctx, client.ObjectKeyFromObject(created), c2)).To(Succeed())
	g.Expect(c2.Spec.ControlPlaneRef).To(Equal(clusterv1.ContractVersionedObjectReference{
		APIGroup: "controlplane.cluster.x-k8s.io", Kind: "KThreesControlPlane", Name: "c2-cp",
	}))
	g.Expect(c2.Spec.InfrastructureRef).To(Equal(clusterv1.ContractVersionedObjectReference{
		APIGroup: infraGroup, Kind: "ConvCluster", Name: "c2",
	}))

	// A Machine written in v1beta2 reads in v1beta1 with complete bootstrap and infrastructure references.
	machine := &clusterv1.Machine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "m1"},
		Spec: clusterv1.MachineSpec{
			ClusterName: "c1",
			Version:     "v1.33.1+k3s1",
			Bootstrap: clusterv1.Bootstrap{ConfigRef: clusterv1.ContractVersionedObjectReference{
				APIGroup: "bootstrap.cluster.x-k8s.io", Kind: "KThreesConfig", Name: "m1",
			}},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{APIGroup: infraGroup, Kind: "ConvMachine", Name: "m1"},
		},
	}
	g.Expect(plane.Env.Client.Create(ctx, machine)).To(Succeed())
	oldMachine := &clusterv1beta1.Machine{}
	g.Expect(old.Get(ctx, client.ObjectKeyFromObject(machine), oldMachine)).To(Succeed())
	g.Expect(oldMachine.Spec.Bootstrap.ConfigRef).To(Equal(ref(bootstrapGVer, "KThreesConfig", "m1")))
	g.Expect(oldMachine.Spec.InfrastructureRef).To(Equal(*ref(infraVersion, "ConvMachine", "m1")))
	g.Expect(oldMachine.Spec.Version).To(Equal(ptr.To("v1.33.1+k3s1")))

	// ... and round-trips through a v1beta1 update.
	g.Expect(updateLabel(ctx, old, oldMachine)).To(Succeed())
	g.Expect(plane.Env.Client.Get(ctx, client.ObjectKeyFromObject(machine), machine)).To(Succeed())
	g.Expect(machine.Labels).To(HaveKeyWithValue("edge.example.com/site", "s1"))
	g.Expect(machine.Spec.Bootstrap.ConfigRef).To(Equal(clusterv1.ContractVersionedObjectReference{
		APIGroup: "bootstrap.cluster.x-k8s.io", Kind: "KThreesConfig", Name: "m1",
	}))
	g.Expect(machine.Spec.InfrastructureRef).To(Equal(clusterv1.ContractVersionedObjectReference{
		APIGroup: infraGroup, Kind: "ConvMachine", Name: "m1",
	}))

	// A MachineDeployment's template references convert too.
	md := &clusterv1.MachineDeployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "md1"},
		Spec: clusterv1.MachineDeploymentSpec{
			ClusterName: "c1",
			Replicas:    ptr.To[int32](0),
			Selector:    metav1.LabelSelector{MatchLabels: map[string]string{"md": "md1"}},
			Template: clusterv1.MachineTemplateSpec{
				ObjectMeta: clusterv1.ObjectMeta{Labels: map[string]string{"md": "md1"}},
				Spec: clusterv1.MachineSpec{
					ClusterName: "c1",
					Bootstrap: clusterv1.Bootstrap{ConfigRef: clusterv1.ContractVersionedObjectReference{
						APIGroup: "bootstrap.cluster.x-k8s.io", Kind: "KThreesConfigTemplate", Name: "md1",
					}},
					InfrastructureRef: clusterv1.ContractVersionedObjectReference{
						APIGroup: infraGroup, Kind: "ConvMachineTemplate", Name: "md1",
					},
				},
			},
		},
	}
	g.Expect(plane.Env.Client.Create(ctx, md)).To(Succeed())
	oldMD := &clusterv1beta1.MachineDeployment{}
	g.Expect(old.Get(ctx, client.ObjectKeyFromObject(md), oldMD)).To(Succeed())
	g.Expect(oldMD.Spec.Template.Spec.Bootstrap.ConfigRef).To(Equal(ref(bootstrapGVer, "KThreesConfigTemplate", "md1")))
	g.Expect(oldMD.Spec.Template.Spec.InfrastructureRef).To(Equal(*ref(infraVersion, "ConvMachineTemplate", "md1")))
}

// updateLabel reads obj with c, sets the label edge.example.com/site=s1 and updates it, retrying on conflicts with
// the controllers that write the same object.
func updateLabel(ctx context.Context, c client.Client, obj client.Object) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		labels := obj.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels["edge.example.com/site"] = "s1"
		obj.SetLabels(labels)
		return c.Update(ctx, obj)
	})
}
