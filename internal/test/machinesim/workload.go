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

package machinesim

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/k3s-io/cluster-api-k3s/pkg/workload"
)

// ScopedWorkload returns the workload cluster of one simulated cluster: Node lists hold only the cluster's Nodes
// and kube-system/k3s-serving reads the cluster's simulated serving secret.
func ScopedWorkload(c client.Client, cluster client.ObjectKey) workload.Cluster {
	return workload.New(&scopedClient{Client: c, cluster: cluster})
}

type scopedClient struct {
	client.Client
	cluster client.ObjectKey
}

func (s *scopedClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if _, ok := obj.(*corev1.Secret); ok && key == (client.ObjectKey{Namespace: workload.K3sServingSecretNamespace, Name: workload.K3sServingSecretName}) {
		key = client.ObjectKey{Namespace: s.cluster.Namespace, Name: ServingSecretName(s.cluster.Name)}
	}
	return s.Client.Get(ctx, key, obj, opts...)
}

func (s *scopedClient) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if err := s.Client.List(ctx, list, opts...); err != nil {
		return err
	}
	nodes, ok := list.(*corev1.NodeList)
	if !ok {
		return nil
	}
	kept := nodes.Items[:0]
	for _, n := range nodes.Items {
		if n.Annotations[clusterv1.ClusterNameAnnotation] == s.cluster.Name && n.Annotations[clusterv1.ClusterNamespaceAnnotation] == s.cluster.Namespace {
			kept = append(kept, n)
		}
	}
	nodes.Items = kept
	return nil
}
