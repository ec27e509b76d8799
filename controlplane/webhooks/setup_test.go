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

package webhooks

import (
	"testing"

	. "github.com/onsi/gomega"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/test/webhooktest"
)

func TestKThreesControlPlane_SetupWebhookWithManager(t *testing.T) {
	g := NewWithT(t)
	mgr := webhooktest.NewManager(t, controlplanev1.AddToScheme)
	g.Expect((&KThreesControlPlane{}).SetupWebhookWithManager(mgr)).To(Succeed())
	webhooktest.ExpectMarkerPathsRegistered(t, mgr, "kthreescontrolplane.go",
		"/mutate-controlplane-cluster-x-k8s-io-v1beta3-kthreescontrolplane",
		"/validate-controlplane-cluster-x-k8s-io-v1beta3-kthreescontrolplane")
}

func TestKThreesControlPlaneTemplate_SetupWebhookWithManager(t *testing.T) {
	g := NewWithT(t)
	mgr := webhooktest.NewManager(t, controlplanev1.AddToScheme)
	g.Expect((&KThreesControlPlaneTemplate{}).SetupWebhookWithManager(mgr)).To(Succeed())
	webhooktest.ExpectMarkerPathsRegistered(t, mgr, "kthreescontrolplanetemplate.go",
		"/mutate-controlplane-cluster-x-k8s-io-v1beta3-kthreescontrolplanetemplate",
		"/validate-controlplane-cluster-x-k8s-io-v1beta3-kthreescontrolplanetemplate")
}
