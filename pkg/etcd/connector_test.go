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
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/cluster-api/util/certs"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// newTestConnector returns a Connector with a settable clock and no real dialing.
func newTestConnector(cfg Config) (*Connector, *fakeClock) {
	c := NewConnector(cfg)
	clock := &fakeClock{t: time.Now()}
	c.now = clock.now
	c.dial = nil
	return c, clock
}

// keyOf returns the key of cluster ns/<name>.
func keyOf(name string) client.ObjectKey { return client.ObjectKey{Namespace: "ns", Name: name} }

// mustParseCA parses a test CA.
func mustParseCA(t testing.TB, ca *testCA) *etcdCA {
	t.Helper()
	parsed, err := parseCA(ca.keyPair)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return parsed
}

func TestConnector_tlsConfig(t *testing.T) {
	cluster := client.ObjectKey{Namespace: "ns", Name: "c1"}
	ca := newTestCA(t, "etcd-ca")
	rotated := newTestCA(t, "etcd-ca")

	tests := []struct {
		name string
		// between runs after the first call, and returns the CA of the second call.
		between     func(c *Connector, clock *fakeClock) *testCA
		wantReissue bool
	}{
		{name: "cache hit", between: func(*Connector, *fakeClock) *testCA { return ca }},
		{name: "CA changed", between: func(*Connector, *fakeClock) *testCA { return rotated }, wantReissue: true},
		{name: "more than an hour before expiry", between: func(c *Connector, clock *fakeClock) *testCA {
			clock.t = leafOf(c, cluster).NotAfter.Add(-2 * time.Hour)
			return ca
		}},
		{name: "less than an hour before expiry", between: func(c *Connector, clock *fakeClock) *testCA {
			clock.t = leafOf(c, cluster).NotAfter.Add(-30 * time.Minute)
			return ca
		}, wantReissue: true},
		{name: "expired", between: func(c *Connector, clock *fakeClock) *testCA {
			clock.t = leafOf(c, cluster).NotAfter.Add(time.Minute)
			return ca
		}, wantReissue: true},
		{name: "invalidated", between: func(c *Connector, _ *fakeClock) *testCA {
			c.Invalidate(cluster)
			return ca
		}, wantReissue: true},
		{name: "forgotten", between: func(c *Connector, _ *fakeClock) *testCA {
			c.Forget(cluster)
			return ca
		}, wantReissue: true},
		{name: "another cluster invalidated", between: func(c *Connector, _ *fakeClock) *testCA {
			c.Invalidate(client.ObjectKey{Namespace: "ns", Name: "c2"})
			c.Forget(client.ObjectKey{Namespace: "ns", Name: "c3"})
			return ca
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			c, clock := newTestConnector(Config{})
			first, err := c.tlsConfig(cluster, mustParseCA(t, ca))
			g.Expect(err).NotTo(HaveOccurred())

			nextCA := tt.between(c, clock)
			second, err := c.tlsConfig(cluster, mustParseCA(t, nextCA))
			g.Expect(err).NotTo(HaveOccurred())

			if !tt.wantReissue {
				g.Expect(second).To(BeIdenticalTo(first))
				return
			}
			g.Expect(second).NotTo(BeIdenticalTo(first))
			g.Expect(second.Certificates[0].Leaf.SerialNumber).NotTo(Equal(first.Certificates[0].Leaf.SerialNumber))
			g.Expect(second.Certificates[0].Leaf.CheckSignatureFrom(nextCA.cert)).To(Succeed(), "signed by the current CA")
			g.Expect(second.RootCAs.Equal(poolOf(nextCA))).To(BeTrue(), "servers verified against the current CA")
		})
	}
}

// leafOf returns the cached client certificate of the cluster.
func leafOf(c *Connector, cluster client.ObjectKey) *x509.Certificate {
	s := c.state(cluster)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tls.config.Certificates[0].Leaf
}

func TestConnector_tlsConfigPerCluster(t *testing.T) {
	g := NewWithT(t)
	c, _ := newTestConnector(Config{})
	ca := mustParseCA(t, newTestCA(t, "etcd-ca"))
	a, err := c.tlsConfig(client.ObjectKey{Namespace: "ns", Name: "a"}, ca)
	g.Expect(err).NotTo(HaveOccurred())
	b, err := c.tlsConfig(client.ObjectKey{Namespace: "other", Name: "a"}, ca)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(b).NotTo(BeIdenticalTo(a), "clusters never share TLS material, even with the same CA")
}

func TestConnector_tlsConfigError(t *testing.T) {
	g := NewWithT(t)
	c, _ := newTestConnector(Config{})
	ca := newTestCA(t, "etcd-ca")
	parsed, err := parseCA(certs.KeyPair{Cert: ca.keyPair.Cert})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.tlsConfig(client.ObjectKey{Namespace: "ns", Name: "c1"}, parsed)
	g.Expect(err).To(MatchError(And(ContainSubstring("cluster ns/c1"), ContainSubstring("no private key"))))
}

func TestConnector_tlsConfigConcurrent(t *testing.T) {
	g := NewWithT(t)
	c, _ := newTestConnector(Config{})
	ca := mustParseCA(t, newTestCA(t, "etcd-ca"))
	const clusters, callers = 4, 25

	got := make([][]*tls.Config, clusters)
	for i := range got {
		got[i] = make([]*tls.Config, callers)
	}
	var wg sync.WaitGroup
	errs := make(chan error, clusters*callers)
	for i := range clusters {
		for j := range callers {
			wg.Go(func() {
				cluster := client.ObjectKey{Namespace: "ns", Name: fmt.Sprintf("c%d", i)}
				cfg, err := c.tlsConfig(cluster, ca)
				if err != nil {
					errs <- err
				}
				got[i][j] = cfg
				if j%5 == 0 {
					c.state(cluster) // touch the LRU order concurrently
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	g.Expect(errs).To(BeEmpty())
	for i := range got {
		for j := range got[i] {
			g.Expect(got[i][j]).To(BeIdenticalTo(got[i][0]), "one certificate is minted per cluster")
		}
		if i > 0 {
			g.Expect(got[i][0]).NotTo(BeIdenticalTo(got[0][0]))
		}
	}
}

func TestConnector_invalidateAndForgetConcurrent(t *testing.T) {
	g := NewWithT(t)
	c, _ := newTestConnector(Config{MaxClusters: 3})
	ca := mustParseCA(t, newTestCA(t, "etcd-ca"))
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			cluster := client.ObjectKey{Namespace: "ns", Name: fmt.Sprintf("c%d", i%5)}
			if _, err := c.tlsConfig(cluster, ca); err != nil {
				errs <- err
			}
			switch i % 3 {
			case 0:
				c.Invalidate(cluster)
			case 1:
				c.Forget(cluster)
			}
		})
	}
	wg.Wait()
	close(errs)
	g.Expect(errs).To(BeEmpty())
	g.Expect(len(c.clusters)).To(BeNumerically("<=", 3))
}

func TestConnector_boundedCache(t *testing.T) {
	g := NewWithT(t)
	c, clock := newTestConnector(Config{MaxClusters: 2})
	ca := mustParseCA(t, newTestCA(t, "etcd-ca"))
	key := func(name string) client.ObjectKey { return client.ObjectKey{Namespace: "ns", Name: name} }

	a, err := c.tlsConfig(key("a"), ca)
	g.Expect(err).NotTo(HaveOccurred())
	clock.t = clock.t.Add(time.Second)
	_, err = c.tlsConfig(key("b"), ca)
	g.Expect(err).NotTo(HaveOccurred())
	clock.t = clock.t.Add(time.Second)
	again, err := c.tlsConfig(key("a"), ca) // a is now the most recently used
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again).To(BeIdenticalTo(a))
	clock.t = clock.t.Add(time.Second)
	_, err = c.tlsConfig(key("c"), ca) // evicts b
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(c.clusters).To(HaveLen(2))
	g.Expect(c.clusters).To(HaveKey(key("a")))
	g.Expect(c.clusters).To(HaveKey(key("c")))
	g.Expect(c.clusters).NotTo(HaveKey(key("b")))
}

func TestConnector_ForCluster(t *testing.T) {
	ca := newTestCA(t, "etcd-ca")
	reader := fake.NewClientBuilder().Build()
	tests := []struct {
		name       string
		restConfig *rest.Config
		reader     client.Reader
		ca         certs.KeyPair
		wantErr    string
	}{
		{name: "ok", restConfig: &rest.Config{}, reader: reader, ca: ca.keyPair},
		{name: "no REST config", reader: reader, ca: ca.keyPair, wantErr: "a REST config and a reader"},
		{name: "no reader", restConfig: &rest.Config{}, ca: ca.keyPair, wantErr: "a REST config and a reader"},
		{name: "bad CA", restConfig: &rest.Config{}, reader: reader, ca: certs.KeyPair{Cert: []byte("x")}, wantErr: "cluster ns/c1: etcd CA has no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			c := NewConnector(Config{})
			gen, err := c.ForCluster(client.ObjectKey{Namespace: "ns", Name: "c1"}, tt.restConfig, tt.reader, tt.ca)
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				g.Expect(gen).To(BeNil())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(gen).NotTo(BeNil())
		})
	}
}

// BenchmarkConnector_tlsConfigHit measures a cache hit with a parsed CA.
func BenchmarkConnector_tlsConfigHit(b *testing.B) {
	c := NewConnector(Config{})
	ca := mustParseCA(b, newTestCA(b, "etcd-ca"))
	cluster := client.ObjectKey{Namespace: "ns", Name: "c1"}
	if _, err := c.tlsConfig(cluster, ca); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.tlsConfig(cluster, ca); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConnector_ForClusterHit measures what a reconciliation pays for TLS when the certificate is
// cached: parsing the CA secret's PEM in ForCluster, then the cache hit.
func BenchmarkConnector_ForClusterHit(b *testing.B) {
	c := NewConnector(Config{})
	ca := newTestCA(b, "etcd-ca")
	cluster := client.ObjectKey{Namespace: "ns", Name: "c1"}
	reader := fake.NewClientBuilder().Build()
	b.ReportAllocs()
	for b.Loop() {
		gen, err := c.ForCluster(cluster, &rest.Config{}, reader, ca.keyPair)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.tlsConfig(cluster, gen.(*generator).ca); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConnector_tlsConfigMiss measures minting a client certificate (RSA-2048 CA, ECDSA P-256 key).
func BenchmarkConnector_tlsConfigMiss(b *testing.B) {
	c := NewConnector(Config{})
	ca := mustParseCA(b, newTestCA(b, "etcd-ca"))
	cluster := client.ObjectKey{Namespace: "ns", Name: "c1"}
	b.ReportAllocs()
	for b.Loop() {
		c.Invalidate(cluster)
		if _, err := c.tlsConfig(cluster, ca); err != nil {
			b.Fatal(err)
		}
	}
}
