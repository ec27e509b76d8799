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

package manager

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	logsv1 "k8s.io/component-base/logs/api/v1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"

	"github.com/k3s-io/cluster-api-k3s/internal/version"
)

// Run builds a manager from the options, lets setup register webhooks and controllers, adds the health checks and
// runs the manager until ctx ends.
func Run(ctx context.Context, o *Options, scheme *runtime.Scheme, leaderElectionID, userAgent string, setup func(context.Context, ctrl.Manager) error) error {
	if o.ShowVersion {
		fmt.Println(version.String())
		return nil
	}
	if err := logsv1.ValidateAndApply(o.Logs, nil); err != nil {
		return fmt.Errorf("invalid logging options: %w", err)
	}
	ctrl.SetLogger(klog.Background())
	ctrl.Log.WithName("setup").Info("Build information", version.Get().KeysAndValues()...)

	mgrOptions, err := o.ManagerOptions(scheme, leaderElectionID)
	if err != nil {
		return err
	}
	restConfig, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("failed to load the management cluster kubeconfig: %w", err)
	}
	restConfig.QPS = o.KubeAPIQPS
	restConfig.Burst = o.KubeAPIBurst
	restConfig.UserAgent = userAgent
	mgr, err := ctrl.NewManager(restConfig, mgrOptions)
	if err != nil {
		return fmt.Errorf("failed to create the manager: %w", err)
	}
	if err := setup(ctx, mgr); err != nil {
		return err
	}
	for name, check := range map[string]healthz.Checker{"webhook": mgr.GetWebhookServer().StartedChecker(), "ping": healthz.Ping} {
		if err := mgr.AddHealthzCheck(name, check); err != nil {
			return fmt.Errorf("failed to add health check %s: %w", name, err)
		}
		if err := mgr.AddReadyzCheck(name, check); err != nil {
			return fmt.Errorf("failed to add readiness check %s: %w", name, err)
		}
	}
	ctrl.Log.WithName("setup").Info("Starting manager")
	return mgr.Start(ctx)
}
