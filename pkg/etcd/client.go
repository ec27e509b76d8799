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
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"k8s.io/client-go/rest"
	capietcd "sigs.k8s.io/cluster-api/controlplane/kubeadm/pkg/etcd"
	"sigs.k8s.io/cluster-api/controlplane/kubeadm/pkg/proxy"

	"github.com/k3s-io/cluster-api-k3s/pkg/etcdproxy"
)

// capiClient is the part of CAPI's etcd client that proxyClient uses.
type capiClient interface {
	Members(ctx context.Context) ([]*capietcd.Member, error)
	MoveLeader(ctx context.Context, newLeaderID uint64) error
	RemoveMember(ctx context.Context, id uint64) error
	Alarms(ctx context.Context) ([]capietcd.MemberAlarm, error)
	Close() error
}

// proxyClient is a Client on top of CAPI's etcd client, connected through the etcd-proxy pod of a node.
type proxyClient struct {
	etcd     capiClient
	leaderID uint64
	nodeName string
	podName  string
	// serverCertNotAfter is when the member's serving certificate expires, as seen when connecting (or when the
	// connection was last refreshed for reuse).
	serverCertNotAfter time.Time
	// status asks the member for the leader's ID; handshake is the record of the connection's TLS handshakes. Both
	// serve refresh, when the connection is reused.
	status    func(ctx context.Context) (uint64, error)
	handshake *handshake
	// callFailed is set when a call fails: the connection is then closed rather than kept.
	callFailed atomic.Bool
}

var _ reusable = &proxyClient{}

var _ Client = &proxyClient{}

// connDialer opens the byte stream to a member's etcd; addr is the gRPC endpoint, the etcd-proxy pod's name.
type connDialer func(ctx context.Context, addr string) (net.Conn, error)

// dialThroughProxy returns the dialFunc that connects through a port-forward to port 2379 of the etcd-proxy
// pod, opened by CAPI's proxy dialer.
func dialThroughProxy(cfg Config) dialFunc {
	return func(ctx context.Context, t dialTarget) (Client, error) {
		return connect(ctx, cfg, t, portForward(t.restConfig))
	}
}

// portForward returns a connDialer opening a port-forward to port 2379 of a pod in the etcd-proxy namespace.
//
// Each connection gets its own CAPI proxy.Dialer. A Dialer keeps one SPDY round tripper, which records the
// connection it upgraded in a field, so connections dialed concurrently through one Dialer race
// (kubernetes-sigs/cluster-api#12778, unfixed in v1.14.2). clientv3 does dial concurrently: Status opens a
// connection of its own next to the client's. This is also why capietcd.NewClient, which shares one Dialer
// between all connections of a client, is not used.
func portForward(restConfig *rest.Config) connDialer {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		d, err := proxy.NewDialer(proxy.Proxy{
			Kind:      "pods",
			Namespace: etcdproxy.Namespace,
			// NewDialer sets the config's timeout; give it a copy of its own.
			KubeConfig: rest.CopyConfig(restConfig),
			Port:       etcdproxy.Port,
		})
		if err != nil {
			return nil, fmt.Errorf("failed to create a port-forward dialer for pod %s/%s: %w", etcdproxy.Namespace, addr, err)
		}
		return d.DialContextWithAddr(ctx, addr)
	}
}

// connect opens an etcd client to the pod of the target over connections from dial, and asks the member for
// its status to learn the leader. The pod's name is the gRPC endpoint, hence also the TLS server name. Calls
// are then made through CAPI's etcd client wrapper.
func connect(ctx context.Context, cfg Config, t dialTarget, dial connDialer) (Client, error) {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{t.podName},
		DialTimeout: cfg.DialTimeout,
		DialOptions: []grpc.DialOption{grpc.WithContextDialer(dial)},
		TLS:         t.tlsConfig,
		Logger:      cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("failed to create the etcd client: %w", err)
	}
	status := statusOverConnection(cli)
	statusCtx, cancel := context.WithTimeout(ctx, cfg.CallTimeout)
	defer cancel()
	leader, err := status(statusCtx)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("failed to get etcd status within %s: %w", cfg.CallTimeout, err), cli.Close())
	}
	c := &capietcd.Client{EtcdClient: cli, Endpoint: t.podName, LeaderID: leader, CallTimeout: cfg.CallTimeout}
	pc := newProxyClient(c, leader, t.nodeName, t.podName)
	pc.handshake = t.handshake
	pc.serverCertNotAfter = t.handshake.serverNotAfter()
	pc.status = func(ctx context.Context) (uint64, error) {
		leader, err := status(ctx)
		if err == nil {
			c.LeaderID = leader
		}
		return leader, err
	}
	return pc, nil
}

// statusOverConnection asks the member for the leader over the client's own connection. clientv3's Status dials a
// connection of its own for every call, which here is one more port-forward and two more TLS handshakes.
func statusOverConnection(cli *clientv3.Client) func(ctx context.Context) (uint64, error) {
	return func(ctx context.Context) (uint64, error) {
		resp, err := etcdserverpb.NewMaintenanceClient(cli.ActiveConnection()).Status(ctx, &etcdserverpb.StatusRequest{}, grpc.WaitForReady(true))
		if err != nil {
			return 0, err
		}
		return resp.Leader, nil
	}
}

// refresh asks the member for the leader again before the connection is reused, and takes the expiry of the
// certificate its last handshake saw (gRPC handshakes again when it reconnects, after K3s restarted).
func (c *proxyClient) refresh(ctx context.Context) error {
	if c.status == nil {
		return errors.New("the connection cannot be refreshed")
	}
	leader, err := c.status(ctx)
	if err != nil {
		return c.wrap("get the etcd status", err)
	}
	c.leaderID = leader
	if notAfter := c.handshake.serverNotAfter(); !notAfter.IsZero() {
		c.serverCertNotAfter = notAfter
	}
	return nil
}

func (c *proxyClient) failed() bool { return c.callFailed.Load() }

func (c *proxyClient) closeConn() error { return c.Close() }

// newProxyClient wraps a connected CAPI etcd client.
func newProxyClient(c capiClient, leaderID uint64, nodeName, podName string) *proxyClient {
	return &proxyClient{etcd: c, leaderID: leaderID, nodeName: nodeName, podName: podName}
}

// NodeName returns the name of the node whose member the client is connected to.
func (c *proxyClient) NodeName() string { return c.nodeName }

// LeaderID returns the ID of the leader when the client connected, or when its connection was reused.
func (c *proxyClient) LeaderID() uint64 { return c.leaderID }

// ServerCertificateExpiry returns when the member's serving certificate expires.
func (c *proxyClient) ServerCertificateExpiry() time.Time { return c.serverCertNotAfter }

// Members lists the members, with IsLeader and Alarms filled in.
func (c *proxyClient) Members(ctx context.Context) ([]*Member, error) {
	members, err := c.etcd.Members(ctx)
	if err != nil {
		return nil, c.wrap("list etcd members", err)
	}
	alarms, err := c.Alarms(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Member, 0, len(members))
	for _, m := range members {
		if m == nil {
			continue
		}
		member := &Member{
			ID:         m.ID,
			ClusterID:  m.ClusterID,
			Name:       m.Name,
			NodeName:   NodeNameFromMemberName(m.Name),
			PeerURLs:   m.PeerURLs,
			ClientURLs: m.ClientURLs,
			IsLearner:  m.IsLearner,
			IsLeader:   c.leaderID != 0 && m.ID == c.leaderID,
		}
		for _, a := range alarms {
			if a.MemberID == m.ID && a.Type != AlarmNone {
				member.Alarms = append(member.Alarms, a.Type)
			}
		}
		out = append(out, member)
	}
	return out, nil
}

// MoveLeader transfers leadership to the member with ID newLeaderID.
func (c *proxyClient) MoveLeader(ctx context.Context, newLeaderID uint64) error {
	if err := c.etcd.MoveLeader(ctx, newLeaderID); err != nil {
		return c.wrap(fmt.Sprintf("move the etcd leadership to member %x", newLeaderID), err)
	}
	return nil
}

// RemoveMember removes the member with ID id.
func (c *proxyClient) RemoveMember(ctx context.Context, id uint64) error {
	if err := c.etcd.RemoveMember(ctx, id); err != nil {
		return c.wrap(fmt.Sprintf("remove etcd member %x", id), err)
	}
	return nil
}

// Alarms lists the alarms of the cluster.
func (c *proxyClient) Alarms(ctx context.Context) ([]Alarm, error) {
	alarms, err := c.etcd.Alarms(ctx)
	if err != nil {
		return nil, c.wrap("list etcd alarms", err)
	}
	out := make([]Alarm, 0, len(alarms))
	for _, a := range alarms {
		out = append(out, Alarm{MemberID: a.MemberID, Type: AlarmType(a.Type)})
	}
	return out, nil
}

// Close closes the connection.
func (c *proxyClient) Close() error {
	if err := c.etcd.Close(); err != nil {
		return c.wrap("close the etcd client", err)
	}
	return nil
}

// wrap adds the operation and the node and pod to an error.
func (c *proxyClient) wrap(op string, err error) error {
	c.callFailed.Store(true)
	return fmt.Errorf("failed to %s through etcd-proxy pod %s on node %q: %w", op, c.podName, c.nodeName, err)
}
