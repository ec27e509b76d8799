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

package config

import (
	"testing"

	"sigs.k8s.io/cluster-api/util/contract"

	infrav1 "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/api/v1beta1"
)

func TestCRDs(t *testing.T) {
	crds, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, kind := range []string{"K3sSimCluster", "K3sSimClusterTemplate", "K3sSimMachine", "K3sSimMachineTemplate"} {
		want[contract.CalculateCRDName(infrav1.GroupVersion.Group, kind)] = true
	}
	if len(crds) != len(want) {
		t.Fatalf("got %d CRDs, want %d", len(crds), len(want))
	}
	for _, crd := range crds {
		if !want[crd.Name] {
			t.Errorf("unexpected CRD name %q (contract name mismatch)", crd.Name)
		}
		if got := crd.Labels["cluster.x-k8s.io/v1beta2"]; got != infrav1.GroupVersion.Version {
			t.Errorf("CRD %s: contract label cluster.x-k8s.io/v1beta2=%q, want %q", crd.Name, got, infrav1.GroupVersion.Version)
		}
	}
}
