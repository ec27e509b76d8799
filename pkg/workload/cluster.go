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
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// LabelNodeRoleMaster is the legacy control-plane role label; K3s stopped setting it in v1.34.
	LabelNodeRoleMaster = "node-role.kubernetes.io/master"
	// LabelNodeRoleControlPlane is the control-plane role label set by every K3s server.
	LabelNodeRoleControlPlane = "node-role.kubernetes.io/control-plane"

	// K3sServingSecretNamespace is the namespace of the K3s serving certificate secret.
	K3sServingSecretNamespace = "kube-system"
	// K3sServingSecretName is the secret K3s writes once the first server has initialized.
	K3sServingSecretName = "k3s-serving"
)

// workloadCluster implements Cluster over a client of the workload cluster.
type workloadCluster struct {
	client client.Client
}

// New returns a Cluster that reads and writes the workload cluster through c (typically a client from
// CAPI's ClusterCache).
func New(c client.Client) Cluster {
	return &workloadCluster{client: c}
}

// ControlPlaneNodes implements Cluster. It lists all Nodes once and filters in Go, because the role
// label has two possible keys.
func (w *workloadCluster) ControlPlaneNodes(ctx context.Context) (*corev1.NodeList, error) {
	all := &corev1.NodeList{}
	if err := w.client.List(ctx, all); err != nil {
		return nil, classify(fmt.Errorf("listing workload cluster nodes: %w", err))
	}
	cp := &corev1.NodeList{ListMeta: all.ListMeta}
	for i := range all.Items {
		if IsControlPlaneNode(&all.Items[i]) {
			cp.Items = append(cp.Items, all.Items[i])
		}
	}
	return cp, nil
}

// Status implements Cluster.
func (w *workloadCluster) Status(ctx context.Context) (Status, error) {
	nodes, err := w.ControlPlaneNodes(ctx)
	if err != nil {
		return Status{}, err
	}
	var st Status
	for i := range nodes.Items {
		st.ControlPlaneNodes++
		if IsNodeReady(&nodes.Items[i]) {
			st.ReadyControlPlaneNodes++
		}
	}
	if st.HasK3sServingSecret, err = w.IsInitialized(ctx); err != nil {
		return Status{}, err
	}
	return st, nil
}

// IsInitialized implements Cluster.
func (w *workloadCluster) IsInitialized(ctx context.Context) (bool, error) {
	key := client.ObjectKey{Namespace: K3sServingSecretNamespace, Name: K3sServingSecretName}
	if err := w.client.Get(ctx, key, &corev1.Secret{}); err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, classify(fmt.Errorf("getting secret %s: %w", key, err))
	}
	return true, nil
}

// IsControlPlaneNode reports whether node carries the master or the control-plane role label, whatever
// its value ("true" for K3s, "" for kubeadm-style clusters).
func IsControlPlaneNode(node *corev1.Node) bool {
	if node == nil {
		return false
	}
	_, master := node.Labels[LabelNodeRoleMaster]
	_, controlPlane := node.Labels[LabelNodeRoleControlPlane]
	return master || controlPlane
}

// IsNodeReady reports whether node has the Ready condition with status True. A missing condition or
// status False/Unknown is not ready.
func IsNodeReady(node *corev1.Node) bool {
	if node == nil {
		return false
	}
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
