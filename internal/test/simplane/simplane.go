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

// Package simplane runs a management plane (internal/test/mgmtplane) with the K3s infrastructure simulator
// (test/infrastructure/k3ssim) as its infrastructure provider, and offers what the simulated e2e suite and the local
// demo share: cluster templates, an admin kubeconfig and a clusterctl-describe-like view of a cluster.
package simplane

import (
	"context"
	"errors"
	"os"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/k3s-io/cluster-api-k3s/internal/test/mgmtplane"
	simv1 "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/api/v1beta1"
	simconfig "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/config"
	simcontrollers "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/controllers"
)

// Plane is a running management plane with the simulator.
type Plane struct {
	*mgmtplane.Plane
	// Sim is the K3s infrastructure simulator.
	Sim *simcontrollers.Simulator
}

// Start starts the management plane and the simulator; ctx bounds only the start.
func Start(ctx context.Context, opts mgmtplane.Options) (*Plane, error) {
	crds, err := simconfig.CRDs()
	if err != nil {
		return nil, err
	}
	sim := &simcontrollers.Simulator{}
	opts.AddToScheme = append(opts.AddToScheme, simv1.AddToScheme)
	opts.InfrastructureCRDs = append(opts.InfrastructureCRDs, crds...)
	opts.SetupInfrastructure = func(ctx context.Context, mgr ctrl.Manager) error {
		return sim.SetupWithManager(ctx, mgr, simcontrollers.Options{})
	}
	plane, err := mgmtplane.Start(ctx, opts)
	if err != nil {
		return nil, errors.Join(err, sim.Shutdown(ctx))
	}
	return &Plane{Plane: plane, Sim: sim}, nil
}

// Stop stops the simulator, the controllers and the API server.
func (p *Plane) Stop(ctx context.Context) error {
	return errors.Join(p.Sim.Shutdown(ctx), p.Plane.Stop())
}

// WriteKubeconfig writes an admin kubeconfig of the management plane to path.
func (p *Plane) WriteKubeconfig(path string) error {
	cfg := p.Env.Config
	kubeconfig := clientcmdapi.NewConfig()
	kubeconfig.Clusters["management"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kubeconfig.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData}
	kubeconfig.Contexts["management"] = &clientcmdapi.Context{Cluster: "management", AuthInfo: "admin"}
	kubeconfig.CurrentContext = "management"
	data, err := clientcmd.Write(*kubeconfig)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// Scheme is the scheme of the plane's clients, the simulator's types included.
func (p *Plane) Scheme() *runtime.Scheme {
	return p.Env.Scheme
}
