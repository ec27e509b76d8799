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
	"testing"
	"time"

	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
)

// TestStart starts a management plane, checks that CAPI's webhooks and controllers act on a Cluster, and restarts
// the providers.
func TestStart(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	plane, err := Start(ctx, Options{})
	g.Expect(err).ToNot(HaveOccurred())
	t.Cleanup(func() { g.Expect(plane.Stop()).To(Succeed()) })

	ns, err := plane.Env.CreateNamespace(ctx, "plane")
	g.Expect(err).ToNot(HaveOccurred())
	c := &clusterv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "c1"},
		Spec: clusterv1.ClusterSpec{ControlPlaneRef: clusterv1.ContractVersionedObjectReference{
			APIGroup: "controlplane.cluster.x-k8s.io", Kind: "KThreesControlPlane", Name: "c1",
		}},
	}
	g.Expect(plane.Env.Client.Create(ctx, c)).To(Succeed())
	g.Eventually(func(g Gomega) {
		got := &clusterv1.Cluster{}
		g.Expect(plane.Env.Client.Get(ctx, client.ObjectKeyFromObject(c), got)).To(Succeed())
		// CAPI's Cluster controller adds its finalizer and sets the phase.
		g.Expect(controllerutil.ContainsFinalizer(got, clusterv1.ClusterFinalizer)).To(BeTrue())
		g.Expect(got.Status.Phase).ToNot(BeEmpty())
	}, 30*time.Second, 100*time.Millisecond).Should(Succeed())

	// CAPI's validating webhook is wired: a Machine without a cluster name is rejected.
	m := &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "m1"}}
	err = plane.Env.Client.Create(ctx, m)
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring("clusterName"))

	// The providers run with their generated ClusterRoles only: reading what those do not grant is forbidden.
	for provider, cfg := range plane.providers.configs {
		c, err := client.New(cfg, client.Options{Scheme: plane.Env.Scheme})
		g.Expect(err).ToNot(HaveOccurred())
		err = c.List(ctx, &rbacv1.ClusterRoleList{})
		g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%s provider listing ClusterRoles: %v", provider, err)
		g.Expect(c.List(ctx, &clusterv1.ClusterList{})).To(Succeed(), "%s provider listing Clusters", provider)
	}

	// The providers restart (stop, wait, start) without disturbing the rest of the plane.
	g.Expect(plane.RestartProviders(ctx)).To(Succeed())
	g.Expect(plane.providers.running).To(HaveLen(2))
}
