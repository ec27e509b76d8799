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

package workload

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// AnnotationEtcdRemove, set to "true" on a Node, asks the K3s etcd member controller to remove the
	// Node's etcd member.
	AnnotationEtcdRemove = "etcd.k3s.cattle.io/remove"
	// AnnotationEtcdRemovedNodeName is set by K3s on a Node once its etcd member has been removed.
	AnnotationEtcdRemovedNodeName = "etcd.k3s.cattle.io/removed-node-name"
)

// RequestEtcdMemberRemoval implements Cluster.
func (w *workloadCluster) RequestEtcdMemberRemoval(ctx context.Context, nodeName string) error {
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{
			"annotations": map[string]string{AnnotationEtcdRemove: "true"},
		},
	})
	if err != nil {
		return fmt.Errorf("building etcd removal patch for node %s: %w", nodeName, err)
	}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName}}
	if err := w.client.Patch(ctx, node, client.RawPatch(types.MergePatchType, patch)); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return classify(fmt.Errorf("annotating node %s for etcd member removal: %w", nodeName, err))
	}
	return nil
}

// EtcdMemberRemoved implements Cluster.
func (w *workloadCluster) EtcdMemberRemoved(ctx context.Context, nodeName string) (bool, error) {
	node := &corev1.Node{}
	if err := w.client.Get(ctx, client.ObjectKey{Name: nodeName}, node); err != nil {
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, classify(fmt.Errorf("getting node %s: %w", nodeName, err))
	}
	_, removed := node.Annotations[AnnotationEtcdRemovedNodeName]
	return removed, nil
}
