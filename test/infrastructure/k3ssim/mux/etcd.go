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

package mux

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"net"
	"time"
)

// An etcd member of a workload cluster is a serving certificate behind the cluster's listener, chosen by the TLS
// server name (the etcd-proxy pod's name), and the connections made to it, which drop when K3s would restart.

// AddEtcdMember registers the serving certificate of an etcd member, signed by the etcd CA and expiring at
// notAfter (when the node's K3s certificates do); TLS connections whose server name is pod get it. A member already
// registered gets a new certificate when notAfter changed, as K3s issues one when it renews its certificates.
func (m *Mux) AddEtcdMember(name, pod string, caCert *x509.Certificate, caKey crypto.Signer, notAfter time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.clusterLocked(name)
	if err != nil {
		return err
	}
	if cert, ok := c.etcdCerts[pod]; ok && cert.Leaf != nil && cert.Leaf.NotAfter.Equal(notAfter.Truncate(time.Second)) {
		return nil
	}
	if caCert == nil || caKey == nil {
		return fmt.Errorf("workload cluster %s: etcd member %s needs a CA certificate and key", name, pod)
	}
	cert, err := newEtcdServingCertificate(caCert, caKey, pod, notAfter)
	if err != nil {
		return fmt.Errorf("workload cluster %s: failed to create the serving certificate of etcd member %s: %w", name, pod, err)
	}
	_, renewed := c.etcdCerts[pod]
	c.etcdCerts[pod] = cert
	if renewed {
		c.dropEtcdConns(pod)
	}
	m.log.Info("etcd member serving", "cluster", name, "pod", pod, "certificateExpiry", cert.Leaf.NotAfter, "renewed", renewed)
	return nil
}

// DeleteEtcdMember drops the serving certificate of an etcd member: connections to it fail TLS verification.
func (m *Mux) DeleteEtcdMember(name, pod string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.clusters[name]; ok {
		if _, ok := c.etcdCerts[pod]; ok {
			delete(c.etcdCerts, pod)
			c.dropEtcdConns(pod)
			m.log.Info("etcd member removed", "cluster", name, "pod", pod)
		}
	}
	return nil
}

// HasEtcdMember tells whether the etcd member is registered.
func (m *Mux) HasEtcdMember(name, pod string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.clusters[name]
	if !ok {
		return false
	}
	_, ok = c.etcdCerts[pod]
	return ok
}

func (c *workloadCluster) trackEtcdConn(pod string, conn net.Conn) {
	c.connsMu.Lock()
	defer c.connsMu.Unlock()
	if c.etcdConns[pod] == nil {
		c.etcdConns[pod] = map[net.Conn]struct{}{}
	}
	c.etcdConns[pod][conn] = struct{}{}
}

func (c *workloadCluster) untrackEtcdConn(conn net.Conn) {
	c.connsMu.Lock()
	defer c.connsMu.Unlock()
	for pod, conns := range c.etcdConns {
		delete(conns, conn)
		if len(conns) == 0 {
			delete(c.etcdConns, pod)
		}
	}
}

// dropEtcdConns closes the connections to the member, as its K3s restart does; clients reconnect and see its
// new certificate.
func (c *workloadCluster) dropEtcdConns(pod string) {
	c.connsMu.Lock()
	conns := c.etcdConns[pod]
	delete(c.etcdConns, pod)
	c.connsMu.Unlock()
	for conn := range conns {
		_ = conn.Close()
	}
}
