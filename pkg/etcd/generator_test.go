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
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// fakeClient is a Client whose members are fixed.
type fakeClient struct {
	nodeName   string
	podName    string
	leaderID   uint64
	members    []*Member
	membersErr error

	mu     sync.Mutex
	closed bool
}

var _ Client = &fakeClient{}

func (c *fakeClient) NodeName() string                   { return c.nodeName }
func (c *fakeClient) LeaderID() uint64                   { return c.leaderID }
func (c *fakeClient) ServerCertificateExpiry() time.Time { return time.Time{} }
func (c *fakeClient) Members(context.Context) ([]*Member, error) {
	if c.membersErr != nil {
		return nil, c.membersErr
	}
	out := make([]*Member, 0, len(c.members))
	for _, m := range c.members {
		cp := *m
		cp.IsLeader = m.ID == c.leaderID
		out = append(out, &cp)
	}
	return out, nil
}
func (c *fakeClient) MoveLeader(context.Context, uint64) error   { return nil }
func (c *fakeClient) RemoveMember(context.Context, uint64) error { return nil }
func (c *fakeClient) Alarms(context.Context) ([]Alarm, error)    { return nil, nil }
func (c *fakeClient) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}
func (c *fakeClient) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// fakeNetwork answers dials per pod name and records them.
type fakeNetwork struct {
	mu sync.Mutex
	// down are pods whose dial fails.
	down map[string]bool
	// leaderID and members are what every reachable member reports, unless view overrides it per node.
	leaderID uint64
	members  []*Member
	view     map[string]*fakeClient
	// dialed are the pods dialed, in order, and targets the dial targets.
	dialed  []string
	targets []dialTarget
	clients []*fakeClient
}

var errUnreachable = errors.New("port-forward failed")

func (n *fakeNetwork) dial(_ context.Context, t dialTarget) (Client, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.dialed = append(n.dialed, t.podName)
	n.targets = append(n.targets, t)
	if n.down[t.podName] {
		return nil, fmt.Errorf("dial %s: %w", t.podName, errUnreachable)
	}
	c := &fakeClient{nodeName: t.nodeName, podName: t.podName, leaderID: n.leaderID, members: n.members}
	if v, ok := n.view[t.nodeName]; ok {
		c.leaderID, c.members, c.membersErr = v.leaderID, v.members, v.membersErr
	}
	n.clients = append(n.clients, c)
	return c, nil
}

// members returns K3s members for the nodes, with IDs 1, 2, ...
func members(nodes ...string) []*Member {
	out := make([]*Member, 0, len(nodes))
	for i, n := range nodes {
		name := fmt.Sprintf("%s-%08x", n, i+0xabc)
		out = append(out, &Member{ID: uint64(i + 1), Name: name, NodeName: NodeNameFromMemberName(name)})
	}
	return out
}

// testGenerator returns a generator for cluster ns/c1 over the network, with etcd-proxy pods
// etcd-proxy-<node> on the nodes.
func testGenerator(t *testing.T, network *fakeNetwork, nodes ...string) (*generator, client.Client, *Connector) {
	t.Helper()
	pods := make([]*corev1.Pod, 0, len(nodes))
	for _, n := range nodes {
		pods = append(pods, proxyPod("etcd-proxy-"+n, n))
	}
	reader := podReader(nil, pods...)
	c, _ := newTestConnector(Config{})
	c.dial = network.dial
	gen, err := c.ForCluster(client.ObjectKey{Namespace: "ns", Name: "c1"}, &rest.Config{Host: "https://[fd00::1]:6443"}, reader, newTestCA(t, "etcd-ca").keyPair)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return gen.(*generator), reader, c
}

func TestGenerator_ForNode(t *testing.T) {
	g := NewWithT(t)
	network := &fakeNetwork{}
	gen, _, _ := testGenerator(t, network, "n1", "n2")

	c, err := gen.ForNode(t.Context(), "n2")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.NodeName()).To(Equal("n2"))
	g.Expect(network.dialed).To(Equal([]string{"etcd-proxy-n2"}))
	target := network.targets[0]
	g.Expect(target.restConfig.Host).To(Equal("https://[fd00::1]:6443"))
	g.Expect(target.tlsConfig.Certificates).To(HaveLen(1))
	g.Expect(target.tlsConfig.Certificates[0].Leaf.CheckSignatureFrom(gen.ca.cert)).To(Succeed())
	g.Expect(target.tlsConfig.VerifyConnection).NotTo(BeNil())

	c, err = gen.ForNode(t.Context(), "n1")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.NodeName()).To(Equal("n1"))
	g.Expect(network.targets[1].tlsConfig.Certificates[0].Leaf).To(BeIdenticalTo(target.tlsConfig.Certificates[0].Leaf), "TLS material is reused")
}

func TestGenerator_ForNodeErrors(t *testing.T) {
	tests := []struct {
		name       string
		node       string
		down       map[string]bool
		wantErr    []string
		wantIs     error
		wantDialed []string
	}{
		{name: "empty node name", node: "", wantErr: []string{"empty node name"}},
		{name: "no proxy pod", node: "n9", wantIs: ErrNoProxyPod,
			wantErr: []string{`cannot connect to etcd on node "n9"`, "cluster ns/c1", `no running etcd-proxy pod on node "n9"`}},
		{name: "dial fails", node: "n1", down: map[string]bool{"etcd-proxy-n1": true}, wantIs: errUnreachable,
			wantErr:    []string{`failed to connect to etcd on node "n1" through pod kube-system/etcd-proxy-n1 of cluster ns/c1`},
			wantDialed: []string{"etcd-proxy-n1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			network := &fakeNetwork{down: tt.down}
			gen, _, _ := testGenerator(t, network, "n1", "n2")
			c, err := gen.ForNode(t.Context(), tt.node)
			g.Expect(c).To(BeNil())
			for _, want := range tt.wantErr {
				g.Expect(err).To(MatchError(ContainSubstring(want)))
			}
			if tt.wantIs != nil {
				g.Expect(err).To(MatchError(tt.wantIs))
			}
			g.Expect(network.dialed).To(Equal(tt.wantDialed))
		})
	}
}

func TestGenerator_ForNodeInvalidatesOnFailure(t *testing.T) {
	g := NewWithT(t)
	network := &fakeNetwork{}
	gen, _, conn := testGenerator(t, network, "n1")

	_, err := gen.ForNode(t.Context(), "n1")
	g.Expect(err).NotTo(HaveOccurred())
	before := network.targets[0].tlsConfig

	network.down = map[string]bool{"etcd-proxy-n1": true}
	_, err = gen.ForNode(t.Context(), "n1")
	g.Expect(err).To(MatchError(errUnreachable))
	g.Expect(network.dialed).To(Equal([]string{"etcd-proxy-n1", "etcd-proxy-n1"}), "same pod after a new listing: no retry")
	s := conn.state(gen.cluster)
	s.mu.Lock()
	g.Expect(s.tls).To(BeNil(), "TLS material dropped")
	g.Expect(s.pods).NotTo(BeNil(), "the retry listing is kept")
	s.mu.Unlock()

	network.down = nil
	_, err = gen.ForNode(t.Context(), "n1")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(network.targets[2].tlsConfig.Certificates[0].Leaf.SerialNumber).NotTo(Equal(before.Certificates[0].Leaf.SerialNumber),
		"a new client certificate after a failure")
}

func TestGenerator_ForNodeRetriesReplacedPod(t *testing.T) {
	g := NewWithT(t)
	network := &fakeNetwork{}
	gen, reader, _ := testGenerator(t, network, "n1")

	_, err := gen.ForNode(t.Context(), "n1")
	g.Expect(err).NotTo(HaveOccurred())

	// The DaemonSet replaced the pod; the cached listing still names the old one.
	g.Expect(reader.Delete(t.Context(), proxyPod("etcd-proxy-n1", "n1"))).To(Succeed())
	g.Expect(reader.Create(t.Context(), proxyPod("etcd-proxy-n1-new", "n1"))).To(Succeed())
	network.down = map[string]bool{"etcd-proxy-n1": true}

	c, err := gen.ForNode(t.Context(), "n1")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.(*fakeClient).podName).To(Equal("etcd-proxy-n1-new"))
	g.Expect(network.dialed).To(Equal([]string{"etcd-proxy-n1", "etcd-proxy-n1", "etcd-proxy-n1-new"}))
}

func TestGenerator_ForNodeRetryFindsNoPod(t *testing.T) {
	g := NewWithT(t)
	network := &fakeNetwork{}
	gen, reader, _ := testGenerator(t, network, "n1")
	_, err := gen.ForNode(t.Context(), "n1")
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(reader.Delete(t.Context(), proxyPod("etcd-proxy-n1", "n1"))).To(Succeed())
	network.down = map[string]bool{"etcd-proxy-n1": true}
	_, err = gen.ForNode(t.Context(), "n1")
	g.Expect(err).To(MatchError(errUnreachable))
	g.Expect(err).To(MatchError(ErrNoProxyPod))
}

func TestGenerator_ForFirstAvailableNode(t *testing.T) {
	tests := []struct {
		name       string
		nodes      []string
		down       map[string]bool
		cancelled  bool
		wantNode   string
		wantErr    []string
		wantDialed []string
	}{
		{name: "first", nodes: []string{"n1", "n2"}, wantNode: "n1", wantDialed: []string{"etcd-proxy-n1"}},
		{name: "skips an unreachable node", nodes: []string{"n1", "n2"}, down: map[string]bool{"etcd-proxy-n1": true},
			wantNode: "n2", wantDialed: []string{"etcd-proxy-n1", "etcd-proxy-n2"}},
		{name: "skips a node without proxy", nodes: []string{"n9", "n2"}, wantNode: "n2", wantDialed: []string{"etcd-proxy-n2"}},
		{name: "none reachable", nodes: []string{"n1", "n9"}, down: map[string]bool{"etcd-proxy-n1": true},
			wantErr: []string{"could not connect to etcd on any of the nodes [n1 n9]", `node "n1"`, `node "n9"`}, wantDialed: []string{"etcd-proxy-n1"}},
		{name: "no nodes", wantErr: []string{"no nodes given"}},
		{name: "stops when the context is done", nodes: []string{"n1", "n2"}, down: map[string]bool{"etcd-proxy-n1": true}, cancelled: true,
			wantErr: []string{"could not connect"}, wantDialed: []string{"etcd-proxy-n1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			network := &fakeNetwork{down: tt.down}
			gen, _, _ := testGenerator(t, network, "n1", "n2")
			ctx := t.Context()
			if tt.cancelled {
				// The fake dial ignores the context; cancel it so the loop sees it done after the first failure.
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				cancel()
			}
			c, err := gen.ForFirstAvailableNode(ctx, tt.nodes)
			g.Expect(network.dialed).To(Equal(tt.wantDialed))
			if len(tt.wantErr) > 0 {
				for _, want := range tt.wantErr {
					g.Expect(err).To(MatchError(ContainSubstring(want)))
				}
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(c.NodeName()).To(Equal(tt.wantNode))
		})
	}
}

func TestGenerator_ForFirstAvailableNodeWrapsAll(t *testing.T) {
	g := NewWithT(t)
	network := &fakeNetwork{down: map[string]bool{"etcd-proxy-n1": true}}
	gen, _, _ := testGenerator(t, network, "n1")
	_, err := gen.ForFirstAvailableNode(t.Context(), []string{"n1", "n2"})
	g.Expect(err).To(MatchError(errUnreachable))
	g.Expect(err).To(MatchError(ErrNoProxyPod))
}

func TestGenerator_ForLeader(t *testing.T) {
	all := members("n1", "n2", "n3")
	tests := []struct {
		name       string
		nodes      []string
		leaderID   uint64
		down       map[string]bool
		view       map[string]*fakeClient
		wantNode   string
		wantErr    []string
		wantDialed []string
		wantClosed []string // pods whose clients must have been closed
	}{
		{name: "first node leads", nodes: []string{"n1", "n2"}, leaderID: 1,
			wantNode: "n1", wantDialed: []string{"etcd-proxy-n1"}},
		{name: "leader on another node", nodes: []string{"n1", "n2", "n3"}, leaderID: 3,
			wantNode: "n3", wantDialed: []string{"etcd-proxy-n1", "etcd-proxy-n3"}, wantClosed: []string{"etcd-proxy-n1"}},
		{name: "first node unreachable", nodes: []string{"n1", "n2", "n3"}, leaderID: 3, down: map[string]bool{"etcd-proxy-n1": true},
			wantNode: "n3", wantDialed: []string{"etcd-proxy-n1", "etcd-proxy-n2", "etcd-proxy-n3"}, wantClosed: []string{"etcd-proxy-n2"}},
		{name: "leader not among the nodes", nodes: []string{"n1", "n2"}, leaderID: 3,
			wantErr:    []string{`etcd leader n3-00000abe (member 3) runs on node "n3", which is not one of [n1 n2]`},
			wantDialed: []string{"etcd-proxy-n1"}, wantClosed: []string{"etcd-proxy-n1"}},
		{name: "first node knows no leader", nodes: []string{"n1", "n2"}, leaderID: 2,
			view:     map[string]*fakeClient{"n1": {leaderID: 0, members: all}},
			wantNode: "n2", wantDialed: []string{"etcd-proxy-n1", "etcd-proxy-n2"}, wantClosed: []string{"etcd-proxy-n1"}},
		{name: "first node fails to list members", nodes: []string{"n1", "n2"}, leaderID: 2,
			view:     map[string]*fakeClient{"n1": {membersErr: errors.New("member list timeout")}},
			wantNode: "n2", wantDialed: []string{"etcd-proxy-n1", "etcd-proxy-n2"}, wantClosed: []string{"etcd-proxy-n1"}},
		{name: "no node knows a leader", nodes: []string{"n1", "n2"}, leaderID: 0,
			wantErr:    []string{"could not find the etcd leader through any of the nodes [n1 n2]", `etcd member on node "n1" knows no leader among 3 members`},
			wantDialed: []string{"etcd-proxy-n1", "etcd-proxy-n2"}, wantClosed: []string{"etcd-proxy-n1", "etcd-proxy-n2"}},
		{name: "leader unreachable", nodes: []string{"n1", "n2"}, leaderID: 2, down: map[string]bool{"etcd-proxy-n2": true},
			wantErr:    []string{"failed to connect to the etcd leader n2-00000abd", "port-forward failed"},
			wantDialed: []string{"etcd-proxy-n1", "etcd-proxy-n2"}, wantClosed: []string{"etcd-proxy-n1"}},
		{name: "no nodes", wantErr: []string{"no nodes given"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			network := &fakeNetwork{down: tt.down, leaderID: tt.leaderID, members: all, view: tt.view}
			gen, _, _ := testGenerator(t, network, "n1", "n2", "n3")
			c, err := gen.ForLeader(t.Context(), tt.nodes)
			g.Expect(network.dialed).To(Equal(tt.wantDialed))
			var closed []string
			for _, fc := range network.clients {
				if fc.isClosed() {
					closed = append(closed, fc.podName)
				}
			}
			g.Expect(closed).To(Equal(tt.wantClosed))
			if len(tt.wantErr) > 0 {
				g.Expect(c).To(BeNil())
				for _, want := range tt.wantErr {
					g.Expect(err).To(MatchError(ContainSubstring(want)))
				}
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(c.NodeName()).To(Equal(tt.wantNode))
			g.Expect(c.(*fakeClient).isClosed()).To(BeFalse())
		})
	}
}

func TestGenerator_ForNodeReportsVerificationFailure(t *testing.T) {
	g := NewWithT(t)
	network := &fakeNetwork{}
	gen, _, conn := testGenerator(t, network, "n1")
	impostor := newTestCA(t, "etcd-server-ca").k3sServingCert(t)
	conn.dial = func(ctx context.Context, target dialTarget) (Client, error) {
		// What the TLS handshake does before gRPC gives up with a timeout.
		leaf, err := x509.ParseCertificate(impostor.Certificate[0])
		if err != nil {
			return nil, err
		}
		_ = target.tlsConfig.VerifyConnection(tls.ConnectionState{ServerName: target.podName, PeerCertificates: []*x509.Certificate{leaf}})
		return nil, context.DeadlineExceeded
	}
	_, err := gen.ForNode(t.Context(), "n1")
	g.Expect(err).To(MatchError(context.DeadlineExceeded))
	g.Expect(err).To(MatchError(ContainSubstring(`etcd server certificate "etcd-server" (server name "etcd-proxy-n1") is not valid for the cluster's etcd CA`)))
	g.Expect(err).To(MatchError(ContainSubstring("certificate signed by unknown authority")))
}
