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

package conversiontest

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/randfill"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

var apiGroups = []string{"", "infrastructure.cluster.x-k8s.io", "example.com"}

var apiVersions = []string{"", "v1", "infrastructure.cluster.x-k8s.io/v1beta1", "infrastructure.cluster.x-k8s.io/v1beta2", "example.com/v1alpha1"}

// APIVersionGetter is a deterministic getter for tests: every group is served at v1beta1.
func APIVersionGetter(gk schema.GroupKind) (string, error) {
	return schema.GroupVersion{Group: gk.Group, Version: "v1beta1"}.String(), nil
}

// APIVersion picks a valid apiVersion for a fuzzed object reference.
func APIVersion(c randfill.Continue) string {
	return apiVersions[c.Intn(len(apiVersions))]
}

// ControlPlaneHubFuzzFuncs returns the fuzzer funcs that keep fuzzed hub control-plane objects within the values a
// hub can hold: valid API groups in references and no empty deprecated status.
func ControlPlaneHubFuzzFuncs() []any {
	return []any{
		func(in *controlplanev1.KThreesControlPlaneMachineTemplateSpec, c randfill.Continue) {
			c.FillNoCustom(in)
			in.InfrastructureRef.APIGroup = apiGroups[c.Intn(len(apiGroups))]
		},
		func(in *controlplanev1.KThreesControlPlaneStatus, c randfill.Continue) {
			c.FillNoCustom(in)
			if in.Deprecated != nil && (in.Deprecated.V1Beta1 == nil || isZero(*in.Deprecated.V1Beta1)) {
				in.Deprecated = nil
			}
		},
	}
}

func isZero(in controlplanev1.KThreesControlPlaneV1Beta1DeprecatedStatus) bool {
	return len(in.Conditions) == 0 && in.FailureReason == "" && in.FailureMessage == nil && in.UpdatedReplicas == 0 &&
		in.ReadyReplicas == 0 && in.UnavailableReplicas == 0 && !in.Ready
}

// NonEmptyNamespace gives a fuzzed reference a namespace: an empty namespace deliberately reads back as the
// referencing object's namespace, as upstream's defaulting webhook set it.
func NonEmptyNamespace(ref *corev1.ObjectReference) {
	if ref.Namespace == "" {
		ref.Namespace = "fuzz"
	}
}
