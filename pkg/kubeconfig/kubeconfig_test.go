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

package kubeconfig

import (
	"context"
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// failGet returns interceptor funcs that fail the Get of the named secret with err.
func failGet(name string, err error) interceptor.Funcs {
	return interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if key.Name == name {
				return err
			}
			return c.Get(ctx, key, obj, opts...)
		},
	}
}

func TestReconcile_Errors(t *testing.T) {
	injected := apierrors.NewServiceUnavailable("injected")
	conflict := apierrors.NewConflict(schema.GroupResource{Resource: "secrets"}, "c1-kubeconfig", errors.New("modified concurrently"))
	_, clientCA := testCAs(t)
	withCAData := func(name string, data map[string][]byte) func(t *testing.T) []client.Object {
		return func(t *testing.T) []client.Object {
			objs := caSecrets(t)
			for _, o := range objs {
				if o.GetName() == name {
					o.(*corev1.Secret).Data = data
				}
			}
			return objs
		}
	}
	onlyCA := func(name string) func(t *testing.T) []client.Object {
		return func(t *testing.T) []client.Object {
			var objs []client.Object
			for _, o := range caSecrets(t) {
				if o.GetName() == name {
					objs = append(objs, o)
				}
			}
			return objs
		}
	}
	expiringSecret := func(t *testing.T) *corev1.Secret {
		return &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c1-kubeconfig", OwnerReferences: []metav1.OwnerReference{testOwner}},
			Data:       map[string][]byte{"value": kubeconfigExpiringAt(t, gatewayServer, time.Now().Add(time.Hour))},
		}
	}
	freshUnlabelled := func(t *testing.T) []client.Object {
		s := expiringSecret(t)
		s.Data["value"] = kubeconfigExpiringAt(t, gatewayServer, time.Now().Add(300*24*time.Hour))
		return append(caSecrets(t), s)
	}
	mismatchedKey := clientCA.secretData(t)
	mismatchedKey["tls.key"] = newECCA(t, "other").secretData(t)["tls.key"]
	noUID := testOwner
	noUID.UID = ""

	tests := []struct {
		name       string
		objects    func(t *testing.T) []client.Object
		funcs      interceptor.Funcs
		cluster    client.ObjectKey
		endpoint   clusterv1.APIEndpoint
		owner      metav1.OwnerReference
		wantErr    error
		wantNotErr error
		wantNoErr  bool
	}{
		{name: "server CA secret missing", objects: onlyCA("c1-cca"), wantErr: ErrCAMissing},
		{name: "client CA secret missing", objects: onlyCA("c1-ca"), wantErr: ErrCAMissing},
		{name: "no CA secrets", objects: func(*testing.T) []client.Object { return nil }, wantErr: ErrCAMissing},
		{name: "server CA certificate invalid", objects: withCAData("c1-ca", map[string][]byte{"tls.crt": []byte("garbage")}), wantErr: ErrCAMissing},
		{name: "client CA without key", objects: withCAData("c1-cca", map[string][]byte{"tls.crt": clientCA.secretData(t)["tls.crt"]}), wantErr: ErrCAMissing},
		{name: "client CA without certificate", objects: withCAData("c1-cca", map[string][]byte{"tls.key": clientCA.secretData(t)["tls.key"]}), wantErr: ErrCAMissing},
		{name: "client CA key does not match its certificate", objects: withCAData("c1-cca", mismatchedKey), wantErr: ErrCAMissing},
		{
			name:    "rotation without CA secrets",
			objects: func(t *testing.T) []client.Object { return []client.Object{expiringSecret(t)} },
			wantErr: ErrCAMissing,
		},
		{name: "endpoint without host", endpoint: clusterv1.APIEndpoint{Port: 6443}, wantErr: ErrEndpointNotSet},
		{name: "endpoint without port", endpoint: clusterv1.APIEndpoint{Host: "10.0.0.1"}, wantErr: ErrEndpointNotSet},
		{name: "getting the kubeconfig secret fails", funcs: failGet("c1-kubeconfig", injected), wantErr: injected, wantNotErr: ErrCAMissing},
		{name: "getting the server CA secret fails", funcs: failGet("c1-ca", injected), wantErr: injected, wantNotErr: ErrCAMissing},
		{name: "getting the client CA secret fails", funcs: failGet("c1-cca", injected), wantErr: injected, wantNotErr: ErrCAMissing},
		{
			name: "creating the secret fails",
			funcs: interceptor.Funcs{Create: func(context.Context, client.WithWatch, client.Object, ...client.CreateOption) error {
				return injected
			}},
			wantErr: injected,
		},
		{
			name: "creating the secret loses a race",
			funcs: interceptor.Funcs{Create: func(context.Context, client.WithWatch, client.Object, ...client.CreateOption) error {
				return apierrors.NewAlreadyExists(schema.GroupResource{Resource: "secrets"}, "c1-kubeconfig")
			}},
			wantNoErr: true,
		},
		{
			name:    "updating a rotated secret conflicts",
			objects: func(t *testing.T) []client.Object { return append(caSecrets(t), expiringSecret(t)) },
			funcs: interceptor.Funcs{Update: func(context.Context, client.WithWatch, client.Object, ...client.UpdateOption) error {
				return conflict
			}},
			wantErr: conflict,
		},
		{
			name:    "adding the label fails",
			objects: freshUnlabelled,
			funcs: interceptor.Funcs{Update: func(context.Context, client.WithWatch, client.Object, ...client.UpdateOption) error {
				return injected
			}},
			wantErr: injected,
		},
		{name: "owner without UID", owner: noUID, wantNotErr: ErrCAMissing},
		{name: "owner with an invalid apiVersion", owner: metav1.OwnerReference{APIVersion: "a/b/c", Kind: "K", Name: "n", UID: "u"}},
		{name: "cluster without name", cluster: client.ObjectKey{Namespace: "ns"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			b := fake.NewClientBuilder().WithScheme(newScheme(t)).WithInterceptorFuncs(tt.funcs)
			if tt.objects == nil {
				tt.objects = func(t *testing.T) []client.Object { return caSecrets(t) }
			}
			b = b.WithObjects(tt.objects(t)...)
			c := b.Build()
			cluster, endpoint, owner := testCluster, testEndpoint, testOwner
			if tt.cluster != (client.ObjectKey{}) {
				cluster = tt.cluster
			}
			if tt.endpoint != (clusterv1.APIEndpoint{}) {
				endpoint = tt.endpoint
			}
			if tt.owner.Kind != "" {
				owner = tt.owner
			}

			res, err := Reconcile(t.Context(), c, cluster, endpoint, owner)
			g.Expect(res).To(Equal(Result{}))
			if tt.wantNoErr {
				g.Expect(err).ToNot(HaveOccurred())
				return
			}
			g.Expect(err).To(HaveOccurred())
			if tt.wantErr != nil {
				g.Expect(errors.Is(err, tt.wantErr)).To(BeTrue(), "error %q wraps %q", err, tt.wantErr)
			}
			if tt.wantNotErr != nil {
				g.Expect(errors.Is(err, tt.wantNotErr)).To(BeFalse(), "error %q does not wrap %q", err, tt.wantNotErr)
			}
		})
	}
}

// TestReconcile_CreateThenSteadyState runs the first reconcile and the next ones of a cluster.
func TestReconcile_CreateThenSteadyState(t *testing.T) {
	g := NewWithT(t)
	writes := 0
	c := fake.NewClientBuilder().WithScheme(newScheme(t)).WithObjects(caSecrets(t)...).
		WithInterceptorFuncs(countWrites(&writes)).Build()

	res, err := Reconcile(t.Context(), c, testCluster, testEndpoint, testOwner)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(res).To(Equal(Result{Created: true}))
	created := getKubeconfig(t, c)

	for range 3 {
		res, err = Reconcile(t.Context(), c, testCluster, clusterv1.APIEndpoint{Host: "changed.example", Port: 1}, testOwner)
		g.Expect(err).ToNot(HaveOccurred())
		g.Expect(res).To(Equal(Result{}))
	}
	g.Expect(writes).To(Equal(1), "only the create writes")
	g.Expect(getKubeconfig(t, c).Data).To(Equal(created.Data))
}
