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

package v1beta2

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/apitesting/fuzzer"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	runtimeserializer "k8s.io/apimachinery/pkg/runtime/serializer"
	utilconversion "sigs.k8s.io/cluster-api/util/conversion"
	"sigs.k8s.io/randfill"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion"
	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion/conversiontest"
)

func TestFuzzyConversion(t *testing.T) {
	apiconversion.SetAPIVersionGetter(conversiontest.APIVersionGetter)
	t.Cleanup(func() { apiconversion.SetAPIVersionGetter(nil) })
	scheme := runtime.NewScheme()
	if err := AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := controlplanev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}

	t.Run("for KThreesControlPlane", utilconversion.FuzzTestFunc(utilconversion.FuzzTestFuncInput{
		Scheme:      scheme,
		Hub:         &controlplanev1.KThreesControlPlane{},
		Spoke:       &KThreesControlPlane{},
		FuzzerFuncs: []fuzzer.FuzzerFuncs{fuzzFuncs},
	}))
	t.Run("for KThreesControlPlaneTemplate", utilconversion.FuzzTestFunc(utilconversion.FuzzTestFuncInput{
		Scheme:      scheme,
		Hub:         &controlplanev1.KThreesControlPlaneTemplate{},
		Spoke:       &KThreesControlPlaneTemplate{},
		FuzzerFuncs: []fuzzer.FuzzerFuncs{fuzzFuncs},
	}))
}

func fuzzFuncs(_ runtimeserializer.CodecFactory) []any {
	return append(conversiontest.ControlPlaneHubFuzzFuncs(),
		func(in *KThreesControlPlaneSpec, c randfill.Continue) {
			c.FillNoCustom(in)
			in.MachineTemplate.InfrastructureRef.APIVersion = conversiontest.APIVersion(c)
			conversiontest.NonEmptyNamespace(&in.MachineTemplate.InfrastructureRef)
			conversiontest.NormalizeTimePointer(&in.RolloutAfter)
			conversiontest.NilIfZero(&in.RemediationStrategy)
		},
		func(in *KThreesControlPlaneTemplateResource, c randfill.Continue) {
			c.FillNoCustom(in)
			in.ObjectMeta = metav1.ObjectMeta{Labels: in.ObjectMeta.Labels, Annotations: in.ObjectMeta.Annotations}
			conversiontest.NormalizeTimePointer(&in.Spec.RolloutAfter)
			conversiontest.NilIfZero(&in.Spec.RemediationStrategy)
			if in.Spec.MachineTemplate.InfrastructureRef != (corev1.ObjectReference{}) {
				in.Spec.MachineTemplate.InfrastructureRef.APIVersion = conversiontest.APIVersion(c)
			}
		},
		func(in *KThreesControlPlaneStatus, c randfill.Continue) {
			c.FillNoCustom(in)
			conversiontest.NormalizeStringPointer(&in.Version)
		},
	)
}
