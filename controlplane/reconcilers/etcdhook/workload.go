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

package etcdhook

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
	"github.com/k3s-io/cluster-api-k3s/pkg/workload"
)

// openWorkload returns the workload cluster through the ClusterCache's cached client; errors reaching it are
// RemoteConnectionErrors.
func (r *Reconciler) openWorkload(ctx context.Context, cluster client.ObjectKey) (workload.Cluster, error) {
	if r.workloadCluster != nil {
		return r.workloadCluster(ctx, cluster)
	}
	c, err := r.ClusterCache.GetClient(ctx, cluster)
	if err != nil {
		return nil, &workload.RemoteConnectionError{Err: fmt.Errorf("cluster %s: %w", cluster, err)}
	}
	return workload.New(c), nil
}

// openEtcd returns a generator of clients to the workload cluster's etcd members, through the etcd-proxy pods.
func (r *Reconciler) openEtcd(ctx context.Context, cluster client.ObjectKey) (etcd.ClientGenerator, error) {
	if r.etcdClientGenerator != nil {
		return r.etcdClientGenerator(ctx, cluster)
	}
	restConfig, err := r.ClusterCache.GetRESTConfig(ctx, cluster)
	if err != nil {
		return nil, &workload.RemoteConnectionError{Err: fmt.Errorf("cluster %s: %w", cluster, err)}
	}
	reader, err := r.ClusterCache.GetUncachedClient(ctx, cluster)
	if err != nil {
		return nil, &workload.RemoteConnectionError{Err: fmt.Errorf("cluster %s: %w", cluster, err)}
	}
	ca, err := etcd.ReadCA(ctx, r.Client, cluster)
	if err != nil {
		return nil, fmt.Errorf("failed to read the etcd CA: %w", err)
	}
	return r.EtcdConnector.ForCluster(cluster, restConfig, reader, ca)
}
