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
	"fmt"
	"slices"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/cluster-api/util/certs"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
)

// Etcd is a fake etcd per workload cluster. It implements the EtcdConnector interface of the control-plane
// reconcilers, so their etcd clients reach it instead of real members.
type Etcd struct {
	mu       sync.Mutex
	clusters map[client.ObjectKey]*etcdCluster
	nextID   uint64
}

type etcdCluster struct {
	id       uint64
	members  []*etcd.Member
	leaderID uint64
	// unreachable nodes cannot be connected to.
	unreachable map[string]bool
	// certificatesExpiry is when the serving certificate of a node's member expires; zero when not set.
	certificatesExpiry map[string]time.Time
}

// NewEtcd returns an empty fake.
func NewEtcd() *Etcd {
	return &Etcd{clusters: map[client.ObjectKey]*etcdCluster{}, nextID: 1000}
}

func (e *Etcd) cluster(key client.ObjectKey) *etcdCluster {
	c, ok := e.clusters[key]
	if !ok {
		e.nextID++
		c = &etcdCluster{id: e.nextID, unreachable: map[string]bool{}, certificatesExpiry: map[string]time.Time{}}
		e.clusters[key] = c
	}
	return c
}

// AddMember adds the member of a server node, as K3s does when the server starts; the first member leads.
func (e *Etcd) AddMember(cluster client.ObjectKey, nodeName string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.cluster(cluster)
	for _, m := range c.members {
		if m.NodeName == nodeName {
			return
		}
	}
	e.nextID++
	c.members = append(c.members, &etcd.Member{
		ID: e.nextID, ClusterID: c.id, Name: fmt.Sprintf("%s-%08x", nodeName, e.nextID), NodeName: nodeName,
		PeerURLs: []string{"https://" + nodeName + ":2380"}, ClientURLs: []string{"https://" + nodeName + ":2379"},
	})
	if c.leaderID == 0 {
		c.leaderID = e.nextID
	}
}

// RemoveMemberOfNode removes the member of a node and returns its name ("" if there was none).
func (e *Etcd) RemoveMemberOfNode(cluster client.ObjectKey, nodeName string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.cluster(cluster)
	for i, m := range c.members {
		if m.NodeName == nodeName {
			c.removeAt(i)
			return m.Name
		}
	}
	return ""
}

// removeAt removes the i-th member; a removed leader hands leadership to the first remaining member.
func (c *etcdCluster) removeAt(i int) {
	removed := c.members[i]
	c.members = slices.Delete(c.members, i, i+1)
	if c.leaderID == removed.ID {
		c.leaderID = 0
		if len(c.members) > 0 {
			c.leaderID = c.members[0].ID
		}
	}
}

// MemberNodes returns the node names of the cluster's members.
func (e *Etcd) MemberNodes(cluster client.ObjectKey) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var names []string
	for _, m := range e.cluster(cluster).members {
		names = append(names, m.NodeName)
	}
	return names
}

// LeaderNode returns the node name of the leader, "" if none.
func (e *Etcd) LeaderNode(cluster client.ObjectKey) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.cluster(cluster)
	for _, m := range c.members {
		if m.ID == c.leaderID {
			return m.NodeName
		}
	}
	return ""
}

// SetUnreachable makes the member of a node unreachable (or reachable again).
func (e *Etcd) SetUnreachable(cluster client.ObjectKey, nodeName string, unreachable bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cluster(cluster).unreachable[nodeName] = unreachable
}

// SetCertificatesExpiry sets when the serving certificate of a node's member expires, as its clients see it; the
// node name "" sets it for the members of nodes without one of their own.
func (e *Etcd) SetCertificatesExpiry(cluster client.ObjectKey, nodeName string, expiry time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cluster(cluster).certificatesExpiry[nodeName] = expiry
}

// ForCluster implements the EtcdConnector interface.
func (e *Etcd) ForCluster(cluster client.ObjectKey, _ *rest.Config, _ client.Reader, _ certs.KeyPair) (etcd.ClientGenerator, error) {
	return &generator{etcd: e, cluster: cluster}, nil
}

// Invalidate implements the EtcdConnector interface.
func (e *Etcd) Invalidate(client.ObjectKey) {}

// Forget implements the EtcdConnector interface.
func (e *Etcd) Forget(client.ObjectKey) {}

type generator struct {
	etcd    *Etcd
	cluster client.ObjectKey
}

func (g *generator) ForNode(_ context.Context, nodeName string) (etcd.Client, error) {
	g.etcd.mu.Lock()
	defer g.etcd.mu.Unlock()
	c := g.etcd.cluster(g.cluster)
	if c.unreachable[nodeName] {
		return nil, fmt.Errorf("etcd member on node %s is unreachable", nodeName)
	}
	for _, m := range c.members {
		if m.NodeName == nodeName {
			expiry, ok := c.certificatesExpiry[nodeName]
			if !ok {
				expiry = c.certificatesExpiry[""]
			}
			return &memberClient{generator: g, nodeName: nodeName, leaderID: c.leaderID, certificatesExpiry: expiry}, nil
		}
	}
	return nil, fmt.Errorf("no etcd-proxy pod on node %s", nodeName)
}

func (g *generator) ForFirstAvailableNode(ctx context.Context, nodeNames []string) (etcd.Client, error) {
	var errs []error
	for _, n := range nodeNames {
		c, err := g.ForNode(ctx, n)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("no etcd member reachable: %v", errs)
}

func (g *generator) ForLeader(ctx context.Context, nodeNames []string) (etcd.Client, error) {
	leader := g.etcd.LeaderNode(g.cluster)
	if !slices.Contains(nodeNames, leader) {
		return nil, fmt.Errorf("the etcd leader (node %q) is not among %v", leader, nodeNames)
	}
	return g.ForNode(ctx, leader)
}

type memberClient struct {
	generator          *generator
	nodeName           string
	leaderID           uint64
	certificatesExpiry time.Time
}

func (c *memberClient) NodeName() string                   { return c.nodeName }
func (c *memberClient) LeaderID() uint64                   { return c.leaderID }
func (c *memberClient) ServerCertificateExpiry() time.Time { return c.certificatesExpiry }

func (c *memberClient) Members(context.Context) ([]*etcd.Member, error) {
	e := c.generator.etcd
	e.mu.Lock()
	defer e.mu.Unlock()
	cl := e.cluster(c.generator.cluster)
	out := make([]*etcd.Member, 0, len(cl.members))
	for _, m := range cl.members {
		cp := *m
		cp.IsLeader = m.ID == cl.leaderID
		out = append(out, &cp)
	}
	return out, nil
}

func (c *memberClient) MoveLeader(_ context.Context, id uint64) error {
	e := c.generator.etcd
	e.mu.Lock()
	defer e.mu.Unlock()
	cl := e.cluster(c.generator.cluster)
	for _, m := range cl.members {
		if m.ID == id {
			cl.leaderID = id
			return nil
		}
	}
	return fmt.Errorf("member %x not found", id)
}

func (c *memberClient) RemoveMember(_ context.Context, id uint64) error {
	e := c.generator.etcd
	e.mu.Lock()
	defer e.mu.Unlock()
	cl := e.cluster(c.generator.cluster)
	for i, m := range cl.members {
		if m.ID == id {
			cl.removeAt(i)
			return nil
		}
	}
	return fmt.Errorf("member %x not found", id)
}

func (c *memberClient) Alarms(context.Context) ([]etcd.Alarm, error) { return nil, nil }
func (c *memberClient) Close() error                                 { return nil }
