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
	"slices"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/k3s-io/cluster-api-k3s/pkg/etcdproxy"
)

// generator is the ClientGenerator of one cluster.
type generator struct {
	connector  *Connector
	cluster    client.ObjectKey
	restConfig *rest.Config
	reader     client.Reader
	ca         *etcdCA
}

var _ ClientGenerator = &generator{}

// ForNode connects to the member of the node. If the connection fails, the cluster's cache is dropped; if the
// pod came from a cached listing and a new listing names another pod, that pod is tried once.
func (g *generator) ForNode(ctx context.Context, nodeName string) (Client, error) {
	if nodeName == "" {
		return nil, errors.New("cannot connect to etcd: empty node name")
	}
	pod, fresh, err := g.connector.proxyPod(ctx, g.cluster, g.reader, nodeName)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to etcd on node %q: %w", nodeName, err)
	}
	c, err := g.dial(ctx, nodeName, pod)
	if err == nil || fresh {
		return c, err
	}
	retry, _, listErr := g.connector.proxyPod(ctx, g.cluster, g.reader, nodeName)
	if listErr != nil {
		return nil, errors.Join(err, listErr)
	}
	if retry == pod {
		return nil, err
	}
	return g.dial(ctx, nodeName, retry)
}

// dial connects through the pod, or reuses the connection kept for it, dropping the cluster's cache on failure.
func (g *generator) dial(ctx context.Context, nodeName, pod string) (Client, error) {
	clusterTLS, err := g.connector.tlsConfig(g.cluster, g.ca)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to etcd on node %q: %w", nodeName, err)
	}
	if c := g.connector.reuse(ctx, g.cluster, nodeName, pod, clusterTLS); c != nil {
		return c, nil
	}
	tlsConfig, hs := recordVerification(clusterTLS)
	c, err := g.connector.dial(ctx, dialTarget{restConfig: g.restConfig, nodeName: nodeName, podName: pod, tlsConfig: tlsConfig, handshake: hs})
	if err != nil {
		if vErr := hs.lastFailure(); vErr != nil {
			err = errors.Join(err, vErr)
		}
		g.connector.Invalidate(g.cluster)
		return nil, fmt.Errorf("failed to connect to etcd on node %q through pod %s/%s of cluster %s: %w",
			nodeName, etcdproxy.Namespace, pod, g.cluster, err)
	}
	return g.connector.lend(g.cluster, nodeName, pod, clusterTLS, c), nil
}

// ForFirstAvailableNode tries the nodes in order and returns a client for the first one that connects.
func (g *generator) ForFirstAvailableNode(ctx context.Context, nodeNames []string) (Client, error) {
	if len(nodeNames) == 0 {
		return nil, errors.New("cannot connect to etcd: no nodes given")
	}
	var errs []error
	for _, name := range nodeNames {
		c, err := g.ForNode(ctx, name)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("could not connect to etcd on any of the nodes %v: %w", nodeNames, errors.Join(errs...))
}

// ForLeader asks the first node that answers which member leads, and returns a client for the leader's
// node, reusing the connection when that node is the one asked. It fails if the leader does not run on one
// of the nodes.
func (g *generator) ForLeader(ctx context.Context, nodeNames []string) (Client, error) {
	if len(nodeNames) == 0 {
		return nil, errors.New("cannot connect to the etcd leader: no nodes given")
	}
	var errs []error
	for _, name := range nodeNames {
		c, leader, err := g.leaderSeenFrom(ctx, name)
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if leader.NodeName == c.NodeName() {
			return c, nil
		}
		_ = c.Close()
		if !slices.Contains(nodeNames, leader.NodeName) {
			return nil, fmt.Errorf("etcd leader %s (member %x) runs on node %q, which is not one of %v",
				leader.Name, leader.ID, leader.NodeName, nodeNames)
		}
		c, err = g.ForNode(ctx, leader.NodeName)
		if err != nil {
			return nil, fmt.Errorf("failed to connect to the etcd leader %s: %w", leader.Name, err)
		}
		return c, nil
	}
	return nil, fmt.Errorf("could not find the etcd leader through any of the nodes %v: %w", nodeNames, errors.Join(errs...))
}

// leaderSeenFrom connects to the node and returns the client with the leader it knows; the client is closed
// on error.
func (g *generator) leaderSeenFrom(ctx context.Context, nodeName string) (Client, *Member, error) {
	c, err := g.ForNode(ctx, nodeName)
	if err != nil {
		return nil, nil, err
	}
	members, err := c.Members(ctx)
	if err != nil {
		_ = c.Close()
		return nil, nil, err
	}
	for _, m := range members {
		if m.IsLeader {
			return c, m, nil
		}
	}
	leaderID := c.LeaderID() // read before Close gives the connection to the next caller
	_ = c.Close()
	return nil, nil, fmt.Errorf("etcd member on node %q knows no leader among %d members (leader ID %x)",
		nodeName, len(members), leaderID)
}
