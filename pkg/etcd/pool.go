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
	"sync/atomic"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// A connection to an etcd member costs a port-forward through the workload cluster's API server and two TLS
// handshakes, more than the health check it serves. A cluster's reconciles come seconds apart while it changes, so
// the Connector keeps each member's connection for Config.IdleTimeout after it was closed and hands it to the next
// caller for that node, after a Status call (the leader may have moved). A connection on which a call failed is
// closed instead. K3s drops its connections when it restarts (an upgrade, renewed certificates) and gRPC's
// reconnection handshakes again, so the server certificate a reused connection reports stays the current one.

// reuseCheckTimeout bounds the Status call that checks a kept connection: a live member answers at once, and a
// connection to a member that went away would otherwise hold the caller for the whole call timeout before it dials
// afresh.
const reuseCheckTimeout = 3 * time.Second

// reusable is a connection the Connector may keep for the next caller once it is closed.
type reusable interface {
	Client
	// refresh checks the connection before it is handed out again and re-reads the leader; an error means it
	// must not be used.
	refresh(ctx context.Context) error
	// failed reports whether a call on it failed.
	failed() bool
	// closeConn closes the connection for good.
	closeConn() error
}

// idleConn is a connection kept for reuse.
type idleConn struct {
	conn reusable
	pod  string
	// tls is the cluster's TLS configuration it was dialled with; a renewed client certificate or another CA
	// retires it.
	tls   *tls.Config
	timer *time.Timer
}

// lease is a reusable connection handed to a caller; closing it gives it back to the Connector.
type lease struct {
	reusable
	closed  atomic.Bool
	release func(reusable)
}

func (l *lease) Close() error {
	if l.closed.Swap(true) {
		return nil
	}
	l.release(l.reusable)
	return nil
}

// lend wraps a freshly dialled connection so that closing it keeps it for reuse; clients that cannot be reused
// are returned as they are.
func (c *Connector) lend(cluster client.ObjectKey, nodeName, pod string, tlsConfig *tls.Config, conn Client) Client {
	r, ok := conn.(reusable)
	if !ok || c.cfg.IdleTimeout <= 0 {
		return conn
	}
	return c.leaseOf(c.state(cluster), nodeName, pod, tlsConfig, r)
}

// leaseOf hands conn out; closing the lease gives it back to the cluster's state s.
func (c *Connector) leaseOf(s *clusterState, nodeName, pod string, tlsConfig *tls.Config, conn reusable) *lease {
	return &lease{reusable: conn, release: func(r reusable) { c.keep(s, nodeName, pod, tlsConfig, r) }}
}

// reuse returns the kept connection to the node's member through pod, dialled with tlsConfig and still answering,
// or nil.
func (c *Connector) reuse(ctx context.Context, cluster client.ObjectKey, nodeName, pod string, tlsConfig *tls.Config) Client {
	s := c.state(cluster)
	s.mu.Lock()
	kept := s.idle[nodeName]
	delete(s.idle, nodeName)
	s.mu.Unlock()
	if kept == nil {
		return nil
	}
	kept.timer.Stop()
	if kept.pod != pod || kept.tls != tlsConfig {
		_ = kept.conn.closeConn()
		return nil
	}
	refreshCtx, cancel := context.WithTimeout(ctx, min(c.cfg.CallTimeout, reuseCheckTimeout))
	defer cancel()
	if err := kept.conn.refresh(refreshCtx); err != nil {
		_ = kept.conn.closeConn()
		return nil
	}
	return c.leaseOf(s, nodeName, pod, tlsConfig, kept.conn)
}

// keep holds a closed lease's connection for reuse until the idle timeout, unless a call on it failed, another
// connection to the node is kept already, or the cluster's TLS material changed or was dropped (drop) meanwhile.
func (c *Connector) keep(s *clusterState, nodeName, pod string, tlsConfig *tls.Config, conn reusable) {
	if conn.failed() {
		_ = conn.closeConn()
		return
	}
	s.mu.Lock()
	if s.idle == nil {
		s.idle = map[string]*idleConn{}
	}
	if _, taken := s.idle[nodeName]; taken || s.tls == nil || s.tls.config != tlsConfig {
		s.mu.Unlock()
		_ = conn.closeConn()
		return
	}
	kept := &idleConn{conn: conn, pod: pod, tls: tlsConfig}
	kept.timer = time.AfterFunc(c.cfg.IdleTimeout, func() { s.expire(nodeName, kept) })
	s.idle[nodeName] = kept
	s.mu.Unlock()
}

// expire closes a kept connection whose idle timeout passed, unless it was taken meanwhile.
func (s *clusterState) expire(nodeName string, kept *idleConn) {
	s.mu.Lock()
	if s.idle[nodeName] != kept {
		s.mu.Unlock()
		return
	}
	delete(s.idle, nodeName)
	s.mu.Unlock()
	_ = kept.conn.closeConn()
}

// drop empties the state of a cluster the Connector no longer tracks and closes its kept connections; without TLS
// material, connections given back later are closed instead of kept (keep).
func (s *clusterState) drop() {
	s.mu.Lock()
	s.tls, s.pods = nil, nil
	kept := s.dropIdleLocked()
	s.mu.Unlock()
	closeAll(kept)
}

// dropIdleLocked takes the cluster's kept connections out; the caller closes them (closeAll) once it no longer holds
// s.mu.
func (s *clusterState) dropIdleLocked() []*idleConn {
	out := make([]*idleConn, 0, len(s.idle))
	for node, kept := range s.idle {
		kept.timer.Stop()
		out = append(out, kept)
		delete(s.idle, node)
	}
	return out
}

func closeAll(kept []*idleConn) {
	for _, k := range kept {
		_ = k.conn.closeConn()
	}
}
