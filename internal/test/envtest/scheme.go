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

package envtest

import (
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	bootstrapv1beta1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta1"
	bootstrapv1beta2 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta2"
	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1beta1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta1"
	controlplanev1beta2 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta2"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// NewScheme returns a scheme with the client-go types, apiextensions.k8s.io/v1 (to read CRDs), CAPI core v1beta2 and
// every version of this repository's bootstrap and control-plane API groups.
func NewScheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	for _, add := range []struct {
		name string
		fn   func(*runtime.Scheme) error
	}{
		{"client-go", clientgoscheme.AddToScheme},
		{"apiextensions.k8s.io/v1", apiextensionsv1.AddToScheme},
		{"cluster.x-k8s.io/v1beta2", clusterv1.AddToScheme},
		{"bootstrap v1beta1", bootstrapv1beta1.AddToScheme},
		{"bootstrap v1beta2", bootstrapv1beta2.AddToScheme},
		{"bootstrap v1beta3", bootstrapv1.AddToScheme},
		{"controlplane v1beta1", controlplanev1beta1.AddToScheme},
		{"controlplane v1beta2", controlplanev1beta2.AddToScheme},
		{"controlplane v1beta3", controlplanev1.AddToScheme},
	} {
		if err := add.fn(scheme); err != nil {
			return nil, fmt.Errorf("failed to add %s to the scheme: %w", add.name, err)
		}
	}
	return scheme, nil
}
