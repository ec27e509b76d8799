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

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	capicontroller "sigs.k8s.io/cluster-api/util/controller"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/objpatch"
)

// patchTestController records the stale-cache guards the reconciler sets.
type patchTestController struct {
	capicontroller.Controller
	deferred []string
}

func (c *patchTestController) DeferNextReconcileUntilCacheUpToDate(obj metav1.Object, gvkt capicontroller.GroupVersionKindType, rv string) {
	c.deferred = append(c.deferred, obj.GetName()+"/"+gvkt.Kind+"@"+rv)
}

// TestPatchKThreesConfigWaitsForTheCache: after writing a config, its next reconcile waits until the cache shows
// the write, so that it does not compute the status again from an older copy; a reconcile that writes nothing
// sets no guard.
func TestPatchKThreesConfigWaitsForTheCache(t *testing.T) {
	tests := []struct {
		name   string
		change func(*bootstrapv1.KThreesConfig)
		want   bool
	}{
		{name: "status written", change: func(config *bootstrapv1.KThreesConfig) { markDataSecretCreated(config, config.Name) }, want: true},
		{name: "nothing written", change: func(*bootstrapv1.KThreesConfig) {}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx := context.Background()
			scheme := runtime.NewScheme()
			g.Expect(bootstrapv1.AddToScheme(scheme)).To(Succeed())
			c := fake.NewClientBuilder().WithScheme(scheme).WithStatusSubresource(&bootstrapv1.KThreesConfig{}).
				WithObjects(&bootstrapv1.KThreesConfig{ObjectMeta: metav1.ObjectMeta{Name: "config", Namespace: "ns"}}).Build()
			ctl := &patchTestController{}
			r := &Reconciler{Client: c, controller: ctl}

			config := &bootstrapv1.KThreesConfig{}
			g.Expect(c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "config"}, config)).To(Succeed())
			helper, err := objpatch.NewHelper(config, c)
			g.Expect(err).ToNot(HaveOccurred())
			tt.change(config)
			g.Expect(r.patchKThreesConfig(ctx, helper, config, false)).To(Succeed())

			written := &bootstrapv1.KThreesConfig{}
			g.Expect(c.Get(ctx, client.ObjectKeyFromObject(config), written)).To(Succeed())
			if !tt.want {
				g.Expect(ctl.deferred).To(BeEmpty())
				return
			}
			g.Expect(written.Status.DataSecretName).To(Equal("config"))
			g.Expect(ctl.deferred).To(Equal([]string{"config/KThreesConfig@" + written.ResourceVersion}))
		})
	}
}
