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

// Command manager runs the K3s bootstrap provider: the KThreesConfig controller and the webhooks of the
// bootstrap.cluster.x-k8s.io kinds.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/spf13/pflag"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	_ "k8s.io/component-base/logs/json/register"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	bootstrapv1beta1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta1"
	bootstrapv1beta2 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta2"
	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/bootstrap/reconcilers/kthreesconfig"
	"github.com/k3s-io/cluster-api-k3s/bootstrap/webhooks"
	"github.com/k3s-io/cluster-api-k3s/internal/manager"
	"github.com/k3s-io/cluster-api-k3s/pkg/certs"
)

// leaderElectionID is upstream's, so an upstream and a fork manager never run side by side during a swap.
const leaderElectionID = "6b2b21b1.k8s.io"

var scheme = runtime.NewScheme()

func init() {
	for _, add := range []func(*runtime.Scheme) error{
		// CRDs: CAPI's CRD migrator watches them.
		clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, clusterv1.AddToScheme,
		bootstrapv1beta1.AddToScheme, bootstrapv1beta2.AddToScheme, bootstrapv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
}

// options are the bootstrap manager's command-line options.
type options struct {
	manager.Options
	configConcurrency int
	keyAlgorithm      certs.KeyAlgorithm
}

func (o *options) addFlags(fs *pflag.FlagSet) {
	o.AddFlags(fs)
	fs.IntVar(&o.configConcurrency, "kthreesconfig-concurrency", 10, "Number of KThreesConfigs reconciled concurrently.")
	certs.AddKeyAlgorithmFlag(fs, &o.keyAlgorithm)
}

func main() {
	o := &options{}
	o.addFlags(pflag.CommandLine)
	pflag.CommandLine.AddGoFlagSet(flag.CommandLine)
	pflag.Parse()
	if err := manager.Run(ctrl.SetupSignalHandler(), &o.Options, scheme, leaderElectionID, "cluster-api-k3s-bootstrap-manager", o.setup); err != nil {
		ctrl.Log.WithName("setup").Error(err, "Manager stopped")
		os.Exit(1)
	}
}

func (o *options) setup(ctx context.Context, mgr ctrl.Manager) error {
	if os.Getenv("ENABLE_WEBHOOKS") != "false" {
		for _, s := range []func(ctrl.Manager) error{
			(&webhooks.KThreesConfig{}).SetupWebhookWithManager,
			(&webhooks.KThreesConfigTemplate{}).SetupWebhookWithManager,
		} {
			if err := s(mgr); err != nil {
				return fmt.Errorf("failed to set up webhooks: %w", err)
			}
		}
	}
	if err := manager.SetupCRDMigrator(ctx, mgr, o.SkipCRDMigrationPhases, &bootstrapv1.KThreesConfig{}, &bootstrapv1.KThreesConfigTemplate{}); err != nil {
		return err
	}
	return (&kthreesconfig.Reconciler{
		Client:                  mgr.GetClient(),
		APIReader:               mgr.GetAPIReader(),
		WatchFilterValue:        o.WatchFilter,
		CertificateKeyAlgorithm: o.keyAlgorithm,
	}).SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: o.ConcurrencyOr(o.configConcurrency)})
}
