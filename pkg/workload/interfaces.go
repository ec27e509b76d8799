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

	corev1 "k8s.io/api/core/v1"
)

//go:generate go tool mockgen -source=interfaces.go -destination=mock/mock.go -package=mock -copyright_file=../../hack/boilerplate.go.txt

// Cluster is what the control-plane controller asks of a workload cluster (mocked in its unit tests).
// Errors reaching the workload API server are RemoteConnectionErrors (see IsRemoteConnectionError).
type Cluster interface {
	// ControlPlaneNodes lists the Nodes that carry the master or the control-plane role label.
	ControlPlaneNodes(ctx context.Context) (*corev1.NodeList, error)

	// Status counts the control-plane Nodes and the Ready ones, and reports whether the k3s-serving
	// secret exists.
	Status(ctx context.Context) (Status, error)

	// IsInitialized reports whether kube-system/k3s-serving exists. NotFound is false; any other error
	// is returned.
	IsInitialized(ctx context.Context) (bool, error)

	// RequestEtcdMemberRemoval asks K3s to remove the etcd member of the named Node by annotating the Node
	// etcd.k3s.cattle.io/remove=true (a merge patch that keeps other annotations). A missing Node is not
	// an error. Calling it again is harmless.
	RequestEtcdMemberRemoval(ctx context.Context, nodeName string) error

	// EtcdMemberRemoved reports whether K3s is done removing the etcd member of the named Node: the Node
	// is gone, or it carries the etcd.k3s.cattle.io/removed-node-name annotation.
	EtcdMemberRemoved(ctx context.Context, nodeName string) (bool, error)
}

// Status summarizes the control plane of a workload cluster.
type Status struct {
	// ControlPlaneNodes is the number of Nodes with a control-plane role label.
	ControlPlaneNodes int32
	// ReadyControlPlaneNodes is how many of them have the Ready condition True.
	ReadyControlPlaneNodes int32
	// HasK3sServingSecret is true when kube-system/k3s-serving exists, i.e. the first server initialized.
	HasK3sServingSecret bool
}
