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

package manager

import (
	"context"
	"os"
	"testing"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
)

var env *envtest.Environment

func TestMain(m *testing.M) {
	os.Exit(envtest.Run(m, envtest.Options{
		SkipWebhookManifests: true,
		ManagerOptions:       func(o *ctrl.Options) { o.NewCache = NewCache },
	}, &env))
}

// TestEnv_NewCacheHoldsObjectsWithoutManagedFields reads a Machine from the cache of the real kube-apiserver: it is
// the live object without its managed fields, after its creation (the list) and after an update (a watch event).
func TestEnv_NewCacheHoldsObjectsWithoutManagedFields(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns, err := env.CreateNamespace(ctx, "cache")
	if err != nil {
		t.Fatal(err)
	}
	machine := &clusterv1.Machine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "m", Labels: map[string]string{clusterv1.ClusterNameLabel: "c"}},
		Spec: clusterv1.MachineSpec{
			ClusterName: "c",
			Bootstrap:   clusterv1.Bootstrap{DataSecretName: new("data")},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{
				APIGroup: "infrastructure.cluster.x-k8s.io", Kind: "GenericInfrastructureMachine", Name: "m",
			},
		},
	}
	if err := env.Client.Create(ctx, machine); err != nil {
		t.Fatal(err)
	}
	assertCachedWithoutManagedFields(ctx, t, client.ObjectKeyFromObject(machine))

	machine.Labels["updated"] = "yes"
	if err := env.Client.Update(ctx, machine); err != nil {
		t.Fatal(err)
	}
	assertCachedWithoutManagedFields(ctx, t, client.ObjectKeyFromObject(machine))
}

func assertCachedWithoutManagedFields(ctx context.Context, t *testing.T, key client.ObjectKey) {
	t.Helper()
	live := &clusterv1.Machine{}
	if err := env.Client.Get(ctx, key, live); err != nil {
		t.Fatal(err)
	}
	if len(live.ManagedFields) == 0 {
		t.Fatal("the live Machine has no managed fields: nothing to check")
	}
	live.ManagedFields = nil
	cached := &clusterv1.Machine{}
	err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		if err := env.Manager.GetClient().Get(ctx, key, cached); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return cached.ResourceVersion == live.ResourceVersion, nil
	})
	if err != nil {
		t.Fatalf("the cache did not get resource version %s: %v", live.ResourceVersion, err)
	}
	cached.TypeMeta = metav1.TypeMeta{} // the cache sets it, the typed client does not
	if !apiequality.Semantic.DeepEqual(cached, live) {
		t.Errorf("the cached Machine is not the live one without managed fields:\ncached %+v\nlive   %+v", cached, live)
	}
}
