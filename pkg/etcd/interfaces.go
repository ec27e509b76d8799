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

package etcd

import (
	"context"
	"time"
)

//go:generate go tool mockgen -source=interfaces.go -destination=mock/mock.go -package=mock -copyright_file=../../hack/boilerplate.go.txt

// Client is a connection to the etcd member of one node, through that node's etcd-proxy pod. Each call is
// bounded by the call timeout of the Config the client was opened with. Close it when done.
type Client interface {
	// NodeName returns the name of the node whose member the client is connected to.
	NodeName() string

	// LeaderID returns the ID of the member that was the leader when the client connected, 0 if there was
	// none.
	LeaderID() uint64

	// ServerCertificateExpiry returns when the serving certificate the member presented expires; zero if
	// unknown. K3s issues it with the node's other leaf certificates and renews it with them when it restarts
	// within its renewal window, so it tells when the node's certificates expire.
	ServerCertificateExpiry() time.Time

	// Members lists the members of the etcd cluster, with IsLeader and Alarms filled in (a member list and
	// an alarm list call).
	Members(ctx context.Context) ([]*Member, error)

	// MoveLeader transfers leadership to the member with ID newLeaderID. etcd only accepts it from the
	// current leader, so call it on a client from ClientGenerator.ForLeader.
	MoveLeader(ctx context.Context, newLeaderID uint64) error

	// RemoveMember removes the member with ID id from the etcd cluster.
	RemoveMember(ctx context.Context, id uint64) error

	// Alarms lists the alarms raised on any member of the cluster.
	Alarms(ctx context.Context) ([]Alarm, error)

	// Close closes the connection.
	Close() error
}

// ClientGenerator opens Clients to the etcd members of one workload cluster.
type ClientGenerator interface {
	// ForNode connects to the etcd member of the node, through the Running etcd-proxy pod on it.
	ForNode(ctx context.Context, nodeName string) (Client, error)

	// ForFirstAvailableNode tries the nodes in order and returns a client for the first one that connects.
	ForFirstAvailableNode(ctx context.Context, nodeNames []string) (Client, error)

	// ForLeader returns a client connected to the current leader, which must run on one of the nodes.
	ForLeader(ctx context.Context, nodeNames []string) (Client, error)
}
