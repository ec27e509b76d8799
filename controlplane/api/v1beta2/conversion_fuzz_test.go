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

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion/conversiontest"
)

// Seed corpora live in testdata/fuzz/<FuzzName>; run longer with e.g.
// go test ./controlplane/api/v1beta2 -run '^$' -fuzz FuzzKThreesControlPlaneConversion -fuzztime 30s.

func FuzzKThreesControlPlaneConversion(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		conversiontest.FuzzRoundTrip(t, data, func() *KThreesControlPlane { return &KThreesControlPlane{} }, func() *controlplanev1.KThreesControlPlane { return &controlplanev1.KThreesControlPlane{} })
	})
}

func FuzzKThreesControlPlaneTemplateConversion(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		conversiontest.FuzzRoundTrip(t, data, func() *KThreesControlPlaneTemplate { return &KThreesControlPlaneTemplate{} }, func() *controlplanev1.KThreesControlPlaneTemplate {
			return &controlplanev1.KThreesControlPlaneTemplate{}
		})
	})
}
