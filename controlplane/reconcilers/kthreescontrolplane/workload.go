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

package kthreescontrolplane

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/k3s-io/cluster-api-k3s/controlplane/reconcilers/internal/workloadaccess"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
	"github.com/k3s-io/cluster-api-k3s/pkg/workload"
)

// workloadFor returns the workload cluster; errors reaching it are RemoteConnectionErrors.
func (r *Reconciler) workloadFor(ctx context.Context, cluster client.ObjectKey) (workload.Cluster, error) {
	if r.workloadCluster != nil {
		return r.workloadCluster(ctx, cluster)
	}
	return r.opener().Workload(ctx, cluster)
}

// etcdFor returns a generator of etcd clients for the workload cluster; secrets reads the etcd CA.
func (r *Reconciler) etcdFor(ctx context.Context, cluster client.ObjectKey, secrets client.Reader) (etcd.ClientGenerator, error) {
	if r.etcdClientGenerator != nil {
		return r.etcdClientGenerator(ctx, cluster)
	}
	return r.opener().Etcd(ctx, cluster, secrets)
}

// opener opens workload clusters through the reconciler's ClusterCache and etcd connector.
func (r *Reconciler) opener() workloadaccess.Opener {
	return workloadaccess.Opener{ClusterCache: r.ClusterCache, EtcdConnector: r.EtcdConnector}
}
