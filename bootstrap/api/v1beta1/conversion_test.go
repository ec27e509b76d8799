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

package v1beta1

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/apitesting/fuzzer"
	"k8s.io/apimachinery/pkg/runtime"
	runtimeserializer "k8s.io/apimachinery/pkg/runtime/serializer"
	utilconversion "sigs.k8s.io/cluster-api/util/conversion"
	"sigs.k8s.io/randfill"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion/conversiontest"
)

func TestFuzzyConversion(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := bootstrapv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}

	t.Run("for KThreesConfig", utilconversion.FuzzTestFunc(utilconversion.FuzzTestFuncInput{
		Scheme:      scheme,
		Hub:         &bootstrapv1.KThreesConfig{},
		Spoke:       &KThreesConfig{},
		FuzzerFuncs: []fuzzer.FuzzerFuncs{fuzzFuncs},
	}))
	t.Run("for KThreesConfigTemplate", utilconversion.FuzzTestFunc(utilconversion.FuzzTestFuncInput{
		Scheme:      scheme,
		Hub:         &bootstrapv1.KThreesConfigTemplate{},
		Spoke:       &KThreesConfigTemplate{},
		FuzzerFuncs: []fuzzer.FuzzerFuncs{fuzzFuncs},
	}))
}

func fuzzFuncs(_ runtimeserializer.CodecFactory) []any {
	return []any{
		func(in *KThreesConfigStatus, c randfill.Continue) {
			c.FillNoCustom(in)
			conversiontest.NormalizeStringPointer(&in.DataSecretName)
		},
		func(in *bootstrapv1.KThreesConfigStatus, c randfill.Continue) {
			c.FillNoCustom(in)
			if in.Deprecated != nil && (in.Deprecated.V1Beta1 == nil || isEmptyV1Beta1Status(in.Deprecated.V1Beta1)) {
				in.Deprecated = nil
			}
		},
	}
}

func isEmptyV1Beta1Status(in *bootstrapv1.KThreesConfigV1Beta1DeprecatedStatus) bool {
	return len(in.Conditions) == 0 && in.FailureReason == "" && in.FailureMessage == "" && len(in.BootstrapData) == 0
}
