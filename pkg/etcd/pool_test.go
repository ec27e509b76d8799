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
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/cluster-api/controlplane/kubeadm/pkg/etcd/fake"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// reusableFake is a fakeClient the Connector may keep: refresh answers refreshErr and reports refreshLeader.
type reusableFake struct {
	*fakeClient

	mu            sync.Mutex
	refreshErr    error
	refreshLeader uint64
	refreshes     int
	callFailed    bool
}

func (r *reusableFake) refresh(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refreshes++
	if r.refreshErr == nil && r.refreshLeader != 0 {
		r.leaderID = r.refreshLeader
	}
	return r.refreshErr
}

func (r *reusableFake) failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.callFailed
}

func (r *reusableFake) closeConn() error { return r.Close() }

// reusableNetwork dials reusableFakes over network and records them.
type reusableNetwork struct {
	*fakeNetwork
	conns []*reusableFake
}

func (n *reusableNetwork) dial(ctx context.Context, t dialTarget) (Client, error) {
	c, err := n.fakeNetwork.dial(ctx, t)
	if err != nil {
		return nil, err
	}
	r := &reusableFake{fakeClient: c.(*fakeClient)}
	n.mu.Lock()
	n.conns = append(n.conns, r)
	n.mu.Unlock()
	return r, nil
}

func (n *reusableNetwork) dialCount() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.dialed)
}

func reusableGenerator(t *testing.T, idleTimeout time.Duration, nodes ...string) (*generator, *reusableNetwork, *Connector) {
	t.Helper()
	network := &reusableNetwork{fakeNetwork: &fakeNetwork{leaderID: 1, members: members(nodes...)}}
	gen, _, c := testGenerator(t, network.fakeNetwork, nodes...)
	c.dial = network.dial
	c.cfg.IdleTimeout = idleTimeout
	return gen, network, c
}

func TestConnector_reusesClosedConnections(t *testing.T) {
	g := NewWithT(t)
	gen, network, _ := reusableGenerator(t, time.Minute, "n1", "n2")

	first, err := gen.ForNode(t.Context(), "n1")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(first.Close()).To(Succeed())
	g.Expect(first.Close()).To(Succeed(), "closing twice is harmless")
	network.conns[0].refreshLeader = 2

	again, err := gen.ForNode(t.Context(), "n1")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(network.dialCount()).To(Equal(1), "the kept connection is reused")
	g.Expect(network.conns[0].refreshes).To(Equal(1), "and refreshed first")
	g.Expect(again.LeaderID()).To(Equal(uint64(2)), "the leader is read again")
	g.Expect(network.conns[0].isClosed()).To(BeFalse())

	other, err := gen.ForNode(t.Context(), "n2")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(other.NodeName()).To(Equal("n2"))
	g.Expect(network.dialCount()).To(Equal(2), "connections are kept per node")

	// While the first is lent out, a second caller for the same node gets a connection of its own; of the two
	// given back, one is kept.
	concurrent, err := gen.ForNode(t.Context(), "n1")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(network.dialCount()).To(Equal(3))
	g.Expect(again.Close()).To(Succeed())
	g.Expect(concurrent.Close()).To(Succeed())
	g.Expect(network.conns[2].isClosed()).To(BeTrue(), "the second one given back is closed")
	g.Expect(network.conns[0].isClosed()).To(BeFalse())
}

func TestConnector_closesConnectionsItCannotReuse(t *testing.T) {
	tests := []struct {
		name string
		// spoil makes the first connection unfit after it was used.
		spoil func(c *Connector, conn *reusableFake)
	}{
		{name: "a call on it failed", spoil: func(_ *Connector, conn *reusableFake) { conn.callFailed = true }},
		{name: "it no longer answers", spoil: func(_ *Connector, conn *reusableFake) { conn.refreshErr = errUnreachable }},
		{name: "the cluster's cache was invalidated", spoil: func(c *Connector, _ *reusableFake) {
			c.Invalidate(client.ObjectKey{Namespace: "ns", Name: "c1"})
		}},
		{name: "the cluster was forgotten", spoil: func(c *Connector, _ *reusableFake) {
			c.Forget(client.ObjectKey{Namespace: "ns", Name: "c1"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			gen, network, c := reusableGenerator(t, time.Minute, "n1")
			first, err := gen.ForNode(t.Context(), "n1")
			g.Expect(err).NotTo(HaveOccurred())
			tt.spoil(c, network.conns[0])
			g.Expect(first.Close()).To(Succeed())

			second, err := gen.ForNode(t.Context(), "n1")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(network.dialCount()).To(Equal(2), "a new connection is dialled")
			g.Expect(network.conns[0].isClosed()).To(BeTrue(), "the unfit one is closed")
			g.Expect(second.Close()).To(Succeed())
			g.Expect(network.conns[1].isClosed()).To(BeFalse(), "the new one is kept")
		})
	}
}

func TestConnector_keptConnectionsAreClosedWhenIdleOrDropped(t *testing.T) {
	t.Run("idle timeout", func(t *testing.T) {
		g := NewWithT(t)
		gen, network, _ := reusableGenerator(t, 20*time.Millisecond, "n1")
		c, err := gen.ForNode(t.Context(), "n1")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(c.Close()).To(Succeed())
		g.Eventually(network.conns[0].isClosed).Should(BeTrue())
		_, err = gen.ForNode(t.Context(), "n1")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(network.dialCount()).To(Equal(2))
	})
	for name, drop := range map[string]func(c *Connector){
		"invalidated": func(c *Connector) { c.Invalidate(client.ObjectKey{Namespace: "ns", Name: "c1"}) },
		"forgotten":   func(c *Connector) { c.Forget(client.ObjectKey{Namespace: "ns", Name: "c1"}) },
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			gen, network, connector := reusableGenerator(t, time.Minute, "n1")
			c, err := gen.ForNode(t.Context(), "n1")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(c.Close()).To(Succeed())
			g.Expect(network.conns[0].isClosed()).To(BeFalse())
			drop(connector)
			g.Expect(network.conns[0].isClosed()).To(BeTrue())
		})
	}
	t.Run("evicted with its cluster", func(t *testing.T) {
		g := NewWithT(t)
		gen, network, connector := reusableGenerator(t, time.Minute, "n1")
		connector.cfg.MaxClusters = 1
		c, err := gen.ForNode(t.Context(), "n1")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(c.Close()).To(Succeed())
		connector.state(client.ObjectKey{Namespace: "ns", Name: "other"})
		g.Eventually(network.conns[0].isClosed).Should(BeTrue())
	})
}

func TestConnector_reuseOff(t *testing.T) {
	g := NewWithT(t)
	gen, network, _ := reusableGenerator(t, -1, "n1")
	for range 2 {
		c, err := gen.ForNode(t.Context(), "n1")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(c.Close()).To(Succeed())
	}
	g.Expect(network.dialCount()).To(Equal(2))
	g.Expect(network.conns[0].isClosed()).To(BeTrue())
	g.Expect(network.conns[1].isClosed()).To(BeTrue())
}

func TestProxyClient_refresh(t *testing.T) {
	g := NewWithT(t)
	hs := &handshake{}
	first := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	hs.notAfter = first
	leader, statusErr := uint64(7), error(nil)
	c := newFakeProxyClient(&fake.FakeEtcdClient{}, 3)
	c.handshake, c.serverCertNotAfter = hs, first
	c.status = func(context.Context) (uint64, error) { return leader, statusErr }

	g.Expect(c.refresh(t.Context())).To(Succeed())
	g.Expect(c.LeaderID()).To(Equal(uint64(7)))

	// gRPC reconnected after K3s restarted with renewed certificates.
	renewed := first.AddDate(1, 0, 0)
	hs.mu.Lock()
	hs.notAfter = renewed
	hs.mu.Unlock()
	g.Expect(c.refresh(t.Context())).To(Succeed())
	g.Expect(c.ServerCertificateExpiry()).To(Equal(renewed))
	g.Expect(c.failed()).To(BeFalse())

	statusErr = errors.New("connection refused")
	g.Expect(c.refresh(t.Context())).To(MatchError(ContainSubstring("connection refused")))
	g.Expect(c.failed()).To(BeTrue(), "a failed refresh marks the connection")

	c.status = nil
	g.Expect(c.refresh(t.Context())).NotTo(Succeed())
}
