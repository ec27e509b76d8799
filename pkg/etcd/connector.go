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
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/cluster-api/util/certs"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ClusterConnector opens etcd clients for workload clusters; *Connector implements it. Reconcilers depend on the
// interface so tests can connect them to fakes.
type ClusterConnector interface {
	// ForCluster returns a ClientGenerator for a workload cluster; see Connector.ForCluster.
	ForCluster(cluster client.ObjectKey, restConfig *rest.Config, reader client.Reader, ca certs.KeyPair) (ClientGenerator, error)
	// Invalidate drops what is cached for the cluster after a failure.
	Invalidate(cluster client.ObjectKey)
	// Forget drops the cluster for good.
	Forget(cluster client.ObjectKey)
}

var _ ClusterConnector = &Connector{}

// clientCertRenewBefore is how long before its expiry a cached client certificate is replaced.
const clientCertRenewBefore = time.Hour

// dialTarget is what a dialFunc connects to.
type dialTarget struct {
	restConfig *rest.Config
	nodeName   string
	podName    string
	tlsConfig  *tls.Config
	// handshake records what the connection's TLS handshakes saw; it may be nil.
	handshake *handshake
}

// dialFunc opens a Client to the etcd member behind an etcd-proxy pod.
type dialFunc func(ctx context.Context, target dialTarget) (Client, error)

// Connector opens etcd clients for workload clusters and caches, per cluster, the TLS material (the client
// certificate minted from the cluster's etcd CA) and the listing of the etcd-proxy pods. A client certificate
// is reused until it nears expiry or the CA changes. A connection failure drops the cluster's cache, so the
// next attempt starts afresh instead of reusing stale state (CAPRKE2 #919); Invalidate does the same for
// failures seen by callers, and Forget drops the cluster for good when it is deleted. At most
// Config.MaxClusters clusters are cached. Connections are kept for reuse (pool.go). A Connector is safe for
// concurrent use; create one per manager.
type Connector struct {
	cfg  Config
	now  func() time.Time
	dial dialFunc

	mu       sync.Mutex
	clusters map[client.ObjectKey]*clusterState
}

// clusterState is the cached state of one cluster. Its mutex serialises certificate minting and pod
// listing for the cluster, so that concurrent callers do that work once.
type clusterState struct {
	// lastUsed orders clusters for eviction; guarded by Connector.mu.
	lastUsed time.Time

	mu   sync.Mutex
	tls  *tlsEntry
	pods *proxyPods
	// idle are the connections kept for reuse, by node name.
	idle map[string]*idleConn
}

// tlsEntry is the cached TLS configuration of a cluster for one CA.
type tlsEntry struct {
	fingerprint [sha256.Size]byte
	notAfter    time.Time
	config      *tls.Config
}

// NewConnector returns a Connector opening connections as configured.
func NewConnector(cfg Config) *Connector {
	cfg = cfg.withDefaults()
	return &Connector{
		cfg:      cfg,
		now:      time.Now,
		dial:     dialThroughProxy(cfg),
		clusters: map[client.ObjectKey]*clusterState{},
	}
}

// ForCluster returns a ClientGenerator for the workload cluster: restConfig reaches its API server (for
// the port-forwards), reader lists its pods (in kube-system, labelled app=etcd-proxy) and ca is its etcd CA
// (see ReadCA). The generator is cheap; create one per reconciliation.
func (c *Connector) ForCluster(cluster client.ObjectKey, restConfig *rest.Config, reader client.Reader, ca certs.KeyPair) (ClientGenerator, error) {
	if restConfig == nil || reader == nil {
		return nil, fmt.Errorf("cluster %s: a REST config and a reader of the workload cluster are required", cluster)
	}
	parsed, err := parseCA(ca)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cluster, err)
	}
	return &generator{connector: c, cluster: cluster, restConfig: restConfig, reader: reader, ca: parsed}, nil
}

// Invalidate drops the cached TLS material and pod listing of the cluster, after a failure that may come
// from stale state.
func (c *Connector) Invalidate(cluster client.ObjectKey) {
	c.mu.Lock()
	s := c.clusters[cluster]
	c.mu.Unlock()
	if s == nil {
		return
	}
	s.mu.Lock()
	s.tls, s.pods = nil, nil
	kept := s.dropIdleLocked()
	s.mu.Unlock()
	closeAll(kept)
}

// Forget drops everything cached for the cluster; call it when the cluster is deleted.
func (c *Connector) Forget(cluster client.ObjectKey) {
	c.mu.Lock()
	s := c.clusters[cluster]
	delete(c.clusters, cluster)
	c.mu.Unlock()
	if s != nil {
		s.drop()
	}
}

// state returns the state of the cluster, creating it, and evicting the least recently used cluster when
// the cache is full.
func (c *Connector) state(cluster client.ObjectKey) *clusterState {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.clusters[cluster]; ok {
		s.lastUsed = now
		return s
	}
	for len(c.clusters) >= c.cfg.MaxClusters {
		c.evictLocked()
	}
	s := &clusterState{lastUsed: now}
	c.clusters[cluster] = s
	return s
}

// evictLocked drops the least recently used cluster; c.mu must be held.
func (c *Connector) evictLocked() {
	var oldest client.ObjectKey
	var oldestUse time.Time
	first := true
	for key, s := range c.clusters {
		if first || s.lastUsed.Before(oldestUse) {
			oldest, oldestUse, first = key, s.lastUsed, false
		}
	}
	if s := c.clusters[oldest]; s != nil {
		// Not under c.mu: s.mu may be held by a slow pod listing of that cluster.
		go s.drop()
	}
	delete(c.clusters, oldest)
}

// tlsConfig returns the TLS configuration for the cluster's etcd, minting a client certificate if there is
// none for this CA or the cached one expires within clientCertRenewBefore. The result must not be modified.
func (c *Connector) tlsConfig(cluster client.ObjectKey, ca *etcdCA) (*tls.Config, error) {
	s := c.state(cluster)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.tls; e != nil && e.fingerprint == ca.fingerprint && c.now().Add(clientCertRenewBefore).Before(e.notAfter) {
		return e.config, nil
	}
	cert, err := newClientCertificate(ca)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cluster, err)
	}
	s.tls = &tlsEntry{fingerprint: ca.fingerprint, notAfter: cert.Leaf.NotAfter, config: newTLSConfig(ca, cert, c.now)}
	return s.tls.config, nil
}
