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

// Package workloadaccess opens, for the control-plane controllers, a workload cluster (through CAPI's ClusterCache)
// and its etcd members (through the etcd-proxy pods, TLS verified against the cluster's etcd CA).
package workloadaccess

import (
	"context"
	"fmt"

	"sigs.k8s.io/cluster-api/controllers/clustercache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
	"github.com/k3s-io/cluster-api-k3s/pkg/workload"
)

// Opener opens workload clusters.
type Opener struct {
	ClusterCache  clustercache.ClusterCache
	EtcdConnector etcd.ClusterConnector
}

// Workload returns the workload cluster through the ClusterCache's cached client. When the ClusterCache has no
// connection the error is a RemoteConnectionError: its cluster source reconciles again once it connects.
func (o Opener) Workload(ctx context.Context, cluster client.ObjectKey) (workload.Cluster, error) {
	c, err := o.ClusterCache.GetClient(ctx, cluster)
	if err != nil {
		return nil, unreachable(cluster, err)
	}
	return workload.New(c), nil
}

// Etcd returns a generator of clients to the workload cluster's etcd members: port-forwards through the
// ClusterCache's REST config, etcd-proxy pods listed without a cache (the connector caches the listing), TLS
// verified against the etcd CA, which secrets reads from <cluster>-etcd.
func (o Opener) Etcd(ctx context.Context, cluster client.ObjectKey, secrets client.Reader) (etcd.ClientGenerator, error) {
	restConfig, err := o.ClusterCache.GetRESTConfig(ctx, cluster)
	if err != nil {
		return nil, unreachable(cluster, err)
	}
	reader, err := o.ClusterCache.GetUncachedClient(ctx, cluster)
	if err != nil {
		return nil, unreachable(cluster, err)
	}
	ca, err := etcd.ReadCA(ctx, secrets, cluster)
	if err != nil {
		return nil, fmt.Errorf("failed to read the etcd CA: %w", err)
	}
	return o.EtcdConnector.ForCluster(cluster, restConfig, reader, ca)
}

// unreachable marks a ClusterCache error as a failure to reach the workload cluster.
func unreachable(cluster client.ObjectKey, err error) error {
	return &workload.RemoteConnectionError{Err: fmt.Errorf("cluster %s: %w", cluster, err)}
}
