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

package kthreesconfig

import (
	"context"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	"github.com/k3s-io/cluster-api-k3s/bootstrap/webhooks"
	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
)

var env *envtest.Environment

func TestMain(m *testing.M) {
	os.Exit(envtest.Run(m, envtest.Options{
		ManagerOptions: func(o *ctrl.Options) {
			// As in the manager: Secrets and ConfigMaps are read from the API server.
			o.Client.Cache = &client.CacheOptions{DisableFor: []client.Object{&corev1.ConfigMap{}, &corev1.Secret{}}}
		},
		Setup: []func(ctrl.Manager) error{
			(&webhooks.KThreesConfig{}).SetupWebhookWithManager,
			func(mgr ctrl.Manager) error {
				return (&Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader()}).
					SetupWithManager(context.Background(), mgr, controller.Options{MaxConcurrentReconciles: 10, SkipNameValidation: ptr.To(true)})
			},
		},
	}, &env))
}
