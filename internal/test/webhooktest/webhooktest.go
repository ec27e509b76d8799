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

// Package webhooktest holds test helpers shared by the webhook packages.
package webhooktest

import (
	"net/http/httptest"
	"os"
	"regexp"
	"testing"

	"github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// markerPathPattern finds the paths of the kubebuilder webhook markers in a source file.
var markerPathPattern = regexp.MustCompile(`(?m)^// \+kubebuilder:webhook:.*\bpath=([^,]+),`)

// NewManager returns a manager that is never started; it is only used to register webhooks.
func NewManager(t *testing.T, addToScheme func(*runtime.Scheme) error) ctrl.Manager {
	t.Helper()
	g := gomega.NewWithT(t)
	scheme := runtime.NewScheme()
	g.Expect(addToScheme(scheme)).To(gomega.Succeed())
	mgr, err := ctrl.NewManager(&rest.Config{Host: "https://127.0.0.1:1"}, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	return mgr
}

// ExpectMarkerPathsRegistered checks that the kubebuilder markers of file name exactly the given paths and that
// the manager's webhook server serves each of them, so the generated manifests and the registered handlers agree.
func ExpectMarkerPathsRegistered(t *testing.T, mgr ctrl.Manager, file string, wantPaths ...string) {
	t.Helper()
	g := gomega.NewWithT(t)
	src, err := os.ReadFile(file)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	var markerPaths []string
	for _, m := range markerPathPattern.FindAllStringSubmatch(string(src), -1) {
		markerPaths = append(markerPaths, m[1])
	}
	g.Expect(markerPaths).To(gomega.ConsistOf(wantPaths))
	mux := mgr.GetWebhookServer().WebhookMux()
	for _, p := range markerPaths {
		_, pattern := mux.Handler(httptest.NewRequest("POST", p, nil))
		g.Expect(pattern).To(gomega.Equal(p), "path %s is not registered", p)
	}
}
