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

// Command manager runs the K3s control-plane provider: the KThreesControlPlane controller, the etcd pre-terminate
// hook controller for control-plane Machines, and the conversion and admission webhooks of the
// controlplane.cluster.x-k8s.io kinds.
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

	bootstrapv1beta1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta1"
	bootstrapv1beta2 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta2"
	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1beta1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta1"
	controlplanev1beta2 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta2"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/controlplane/reconcilers/setup"
	"github.com/k3s-io/cluster-api-k3s/controlplane/webhooks"
	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion"
	"github.com/k3s-io/cluster-api-k3s/internal/manager"
	"github.com/k3s-io/cluster-api-k3s/pkg/contract"
)

// leaderElectionID is upstream's, so an upstream and a fork manager never run side by side during a swap.
const leaderElectionID = "148fa072.controlplane.cluster.x-k8s.io"

// userAgent identifies the manager to the management and workload API servers.
const userAgent = "cluster-api-k3s-control-plane-manager"

var scheme = runtime.NewScheme()

func init() {
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, clusterv1.AddToScheme,
		bootstrapv1beta1.AddToScheme, bootstrapv1beta2.AddToScheme, bootstrapv1.AddToScheme,
		controlplanev1beta1.AddToScheme, controlplanev1beta2.AddToScheme, controlplanev1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
}

// options are the control-plane manager's flags on top of the shared ones.
type options struct {
	manager.Options
	controllers setup.Options
}

func (o *options) addFlags(fs *pflag.FlagSet) {
	o.AddFlags(fs)
	o.controllers.AddFlags(fs)
	o.Customize = setup.CustomizeManager
}

func main() {
	o := &options{}
	o.addFlags(pflag.CommandLine)
	pflag.CommandLine.AddGoFlagSet(flag.CommandLine)
	pflag.Parse()
	if err := o.controllers.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := manager.Run(ctrl.SetupSignalHandler(), &o.Options, scheme, leaderElectionID, userAgent, o.setup); err != nil {
		ctrl.Log.WithName("setup").Error(err, "Manager stopped")
		os.Exit(1)
	}
}

// controllerOptions are the flags with upstream's --concurrency applied and the user agent set.
func (o *options) controllerOptions() setup.Options {
	c := o.controllers
	c.ControlPlaneConcurrency = o.ConcurrencyOr(c.ControlPlaneConcurrency)
	c.MachineConcurrency = o.ConcurrencyOr(c.MachineConcurrency)
	c.WatchFilter = o.WatchFilter
	c.UserAgent = userAgent
	c.SkipCRDMigrationPhases = o.SkipCRDMigrationPhases
	return c
}

func (o *options) setup(ctx context.Context, mgr ctrl.Manager) error {
	// Down-converting the infrastructure reference of a KThreesControlPlane needs the API version the referenced
	// kind is served at under the CAPI contract.
	apiconversion.SetAPIVersionGetter(contract.APIVersionGetter(mgr.GetClient()))
	if os.Getenv("ENABLE_WEBHOOKS") != "false" {
		for _, s := range []func(ctrl.Manager) error{
			(&webhooks.KThreesControlPlane{}).SetupWebhookWithManager,
			(&webhooks.KThreesControlPlaneTemplate{}).SetupWebhookWithManager,
		} {
			if err := s(mgr); err != nil {
				return fmt.Errorf("failed to set up webhooks: %w", err)
			}
		}
	}
	_, err := setup.Controllers(ctx, mgr, o.controllerOptions())
	return err
}
