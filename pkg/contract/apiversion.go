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
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	utilcontract "sigs.k8s.io/cluster-api/util/contract"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Contracts lists the CAPI contracts this provider can work with, newest first.
var Contracts = []string{"v1beta2", "v1beta1"}

// LabelPrefix prefixes the CRD labels that map a contract to the API versions implementing it.
const LabelPrefix = "cluster.x-k8s.io/"

// GetAPIVersion returns the apiVersion (group/version) to use for objects of gk: the highest version listed under
// the newest contract label on the kind's CRD. Only the CRD's metadata is read: through a cached client that is a
// metadata informer, not a cache of whole CRDs with their schemas.
func GetAPIVersion(ctx context.Context, reader client.Reader, gk schema.GroupKind) (string, error) {
	crd := &metav1.PartialObjectMetadata{}
	crd.SetGroupVersionKind(apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"))
	name := utilcontract.CalculateCRDName(gk.Group, gk.Kind)
	if err := reader.Get(ctx, client.ObjectKey{Name: name}, crd); err != nil {
		return "", fmt.Errorf("failed to get CustomResourceDefinition %s: %w", name, err)
	}
	v, err := VersionFromLabels(crd.Labels)
	if err != nil {
		return "", fmt.Errorf("CustomResourceDefinition %s: %w", name, err)
	}
	return schema.GroupVersion{Group: gk.Group, Version: v}.String(), nil
}

// VersionFromLabels picks the API version from CRD labels: the first non-empty contract label (newest contract
// first) wins, and within it the highest version in Kubernetes version order.
func VersionFromLabels(labels map[string]string) (string, error) {
	for _, c := range Contracts {
		value := labels[LabelPrefix+c]
		if value == "" {
			continue
		}
		best := ""
		for _, v := range strings.Split(value, "_") {
			if v != "" && (best == "" || version.CompareKubeAwareVersionStrings(v, best) > 0) {
				best = v
			}
		}
		if best != "" {
			return best, nil
		}
	}
	return "", fmt.Errorf("no %s<contract> label for contracts %v", LabelPrefix, Contracts)
}

// APIVersionGetter adapts GetAPIVersion to the getter used by the API conversions.
func APIVersionGetter(reader client.Reader) func(gk schema.GroupKind) (string, error) {
	return func(gk schema.GroupKind) (string, error) {
		return GetAPIVersion(context.Background(), reader, gk)
	}
}
