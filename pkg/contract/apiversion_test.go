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

package contract

import (
	"context"
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

func Test_VersionFromLabels(t *testing.T) {
	tests := []struct {
		name    string
		labels  map[string]string
		want    string
		wantErr bool
	}{
		{name: "v1beta2 contract wins", labels: map[string]string{"cluster.x-k8s.io/v1beta1": "v1beta1_v1beta2", "cluster.x-k8s.io/v1beta2": "v1beta3"}, want: "v1beta3"},
		{name: "highest version within a label", labels: map[string]string{"cluster.x-k8s.io/v1beta1": "v1beta2_v1alpha4_v1beta1"}, want: "v1beta2"},
		{name: "GA beats beta", labels: map[string]string{"cluster.x-k8s.io/v1beta2": "v1beta2_v1"}, want: "v1"},
		{name: "empty label is skipped", labels: map[string]string{"cluster.x-k8s.io/v1beta2": "", "cluster.x-k8s.io/v1beta1": "v1beta1"}, want: "v1beta1"},
		{name: "no label", labels: map[string]string{"other": "x"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := VersionFromLabels(tt.labels)
			if tt.wantErr {
				g.Expect(err).To(HaveOccurred())
				return
			}
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}

func Test_GetAPIVersion(t *testing.T) {
	g := NewWithT(t)
	scheme := runtime.NewScheme()
	g.Expect(apiextensionsv1.AddToScheme(scheme)).To(Succeed())
	crd := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{
		Name:   "dockermachinetemplates.infrastructure.cluster.x-k8s.io",
		Labels: map[string]string{"cluster.x-k8s.io/v1beta1": "v1beta1", "cluster.x-k8s.io/v1beta2": "v1beta2"},
	}}
	// Only the CRD's metadata is read: through a cached client, a metadata informer, not a cache of whole CRDs.
	var readTypes []string
	c := interceptor.NewClient(fake.NewClientBuilder().WithScheme(scheme).WithObjects(crd).Build(), interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			readTypes = append(readTypes, fmt.Sprintf("%T", obj))
			return c.Get(ctx, key, obj, opts...)
		},
	})

	got, err := APIVersionGetter(c)(schema.GroupKind{Group: "infrastructure.cluster.x-k8s.io", Kind: "DockerMachineTemplate"})
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(got).To(Equal("infrastructure.cluster.x-k8s.io/v1beta2"))
	g.Expect(readTypes).To(Equal([]string{"*v1.PartialObjectMetadata"}))

	_, err = APIVersionGetter(c)(schema.GroupKind{Group: "infrastructure.cluster.x-k8s.io", Kind: "Missing"})
	g.Expect(err).To(HaveOccurred())
}
