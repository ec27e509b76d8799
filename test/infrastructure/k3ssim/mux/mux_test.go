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
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/cluster-api/util/certs"
	"sigs.k8s.io/cluster-api/util/secret"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cloudv1 "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/cloud/api/v1alpha1"
	inmemoryruntime "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/runtime"

	k3scerts "github.com/k3s-io/cluster-api-k3s/pkg/certs"
)

// testPorts are the ports the tests of this package use; other packages use other ranges.
const testMinPort, testMaxPort = 21900, 21949

func newRuntime(t *testing.T) inmemoryruntime.Manager {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	m := inmemoryruntime.NewManager(scheme)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return m
}

func newMux(t *testing.T, m inmemoryruntime.Manager, opts Options) *Mux {
	t.Helper()
	if opts.MinPort == 0 {
		opts.MinPort, opts.MaxPort = testMinPort, testMaxPort
	}
	mx, err := New(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mx.Shutdown(context.Background()) })
	return mx
}

type ca struct {
	cert *x509.Certificate
	key  crypto.Signer
	pool *x509.CertPool
}

// newCAs returns the cluster CAs the bootstrap provider generates (RSA): the server CA and the etcd CA.
func newCAs(t *testing.T) (server, etcd ca) {
	t.Helper()
	c := k3scerts.NewClusterCertificates("")
	if err := c.Generate(); err != nil {
		t.Fatal(err)
	}
	load := func(p secret.Purpose) ca {
		kp := c.GetByPurpose(p).KeyPair
		cert, err := certs.DecodeCertPEM(kp.Cert)
		if err != nil {
			t.Fatal(err)
		}
		key, err := certs.DecodePrivateKeyPEM(kp.Key)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AddCert(cert)
		return ca{cert: cert, key: key, pool: pool}
	}
	return load(secret.ClusterCA), load(secret.EtcdCA)
}

func TestMux_APIServerLifecycle(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	rt := newRuntime(t)
	mx := newMux(t, rt, Options{})
	serverCA, _ := newCAs(t)

	port, err := mx.InitWorkloadClusterListener("ns/a", 0)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(port).To(BeNumerically(">=", testMinPort))
	g.Expect(mx.InitWorkloadClusterListener("ns/a", 0)).To(Equal(port), "idempotent")
	other, err := mx.InitWorkloadClusterListener("ns/b", 0)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(other).ToNot(Equal(port))
	_, err = mx.InitWorkloadClusterListener("ns/c", port)
	g.Expect(err).To(MatchError(ContainSubstring("is used by workload cluster ns/a")))

	rt.AddResourceGroup("ns/a")
	g.Expect(mx.RegisterResourceGroup("ns/a", "ns/a")).To(Succeed())
	g.Expect(rt.GetResourceGroup("ns/a").GetClient().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-system"}})).To(Succeed())

	g.Expect(mx.StartListener("ns/a")).To(MatchError(ContainSubstring("has no API server")))
	g.Expect(mx.AddAPIServer("ns/a", "server-1", serverCA.cert, serverCA.key)).To(Succeed())
	g.Expect(mx.StartListener("ns/a")).To(Succeed())
	g.Expect(mx.Serving("ns/a")).To(BeTrue())

	cfg, err := mx.RESTConfig("ns/a")
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(cfg.Host).To(Equal("https://127.0.0.1:" + strconv.Itoa(int(port))))
	c, err := client.New(cfg, client.Options{})
	g.Expect(err).ToNot(HaveOccurred())
	namespaces := &corev1.NamespaceList{}
	g.Expect(c.List(ctx, namespaces)).To(Succeed())
	g.Expect(namespaces.Items).To(HaveLen(1))

	// The serving certificate is signed by the server CA and valid for 127.0.0.1.
	conn, err := tls.Dial("tcp", net.JoinHostPort(Host, strconv.Itoa(int(port))), &tls.Config{RootCAs: serverCA.pool, MinVersion: tls.VersionTLS12})
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(conn.Close()).To(Succeed())
	servingCert, _, err := mx.ServingCertificate("ns/a")
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(servingCert).ToNot(BeEmpty())

	// A second API server must use the same CA.
	otherCA, _ := newCAs(t)
	g.Expect(mx.AddAPIServer("ns/a", "server-2", otherCA.cert, otherCA.key)).To(MatchError(ContainSubstring("uses another CA")))
	g.Expect(mx.AddAPIServer("ns/a", "server-2", serverCA.cert, serverCA.key)).To(Succeed())
	g.Expect(mx.APIServers("ns/a")).To(ConsistOf("server-1", "server-2"))

	// The listener stops with the last API server.
	g.Expect(mx.DeleteAPIServer("ns/a", "server-1")).To(Succeed())
	g.Expect(mx.Serving("ns/a")).To(BeTrue())
	g.Expect(mx.DeleteAPIServer("ns/a", "server-2")).To(Succeed())
	g.Expect(mx.Serving("ns/a")).To(BeFalse())
	_, err = net.DialTimeout("tcp", net.JoinHostPort(Host, strconv.Itoa(int(port))), time.Second)
	g.Expect(err).To(HaveOccurred())

	// Deleting the listener frees the port.
	g.Expect(mx.DeleteWorkloadClusterListener("ns/a")).To(Succeed())
	g.Expect(mx.InitWorkloadClusterListener("ns/c", port)).To(Equal(port))
}

func TestMux_PortRange(t *testing.T) {
	g := NewWithT(t)
	rt := newRuntime(t)
	mx := newMux(t, rt, Options{MinPort: testMaxPort - 1, MaxPort: testMaxPort})
	_, err := mx.InitWorkloadClusterListener("ns/a", 0)
	g.Expect(err).ToNot(HaveOccurred())
	_, err = mx.InitWorkloadClusterListener("ns/b", 0)
	g.Expect(err).ToNot(HaveOccurred())
	_, err = mx.InitWorkloadClusterListener("ns/c", 0)
	g.Expect(err).To(MatchError(ContainSubstring("no free port")))

	for _, opts := range []Options{{MinPort: 0, MaxPort: 10}, {MinPort: 20, MaxPort: 10}, {MinPort: 10, MaxPort: 70000}, {MinPort: 10, MaxPort: 20, DebugPort: -1}} {
		_, err := New(rt, opts)
		g.Expect(err).To(HaveOccurred(), fmt.Sprintf("%+v", opts))
	}
}

func TestMux_DebugServerOnLoopback(t *testing.T) {
	g := NewWithT(t)
	rt := newRuntime(t)
	mx := newMux(t, rt, Options{DebugPort: testMaxPort - 5})
	_, err := mx.InitWorkloadClusterListener("ns/a", 0)
	g.Expect(err).ToNot(HaveOccurred())
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/listeners", testMaxPort-5)) //nolint:noctx // test.
	g.Expect(err).ToNot(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
}

func TestMux_EtcdMembers(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	rt := newRuntime(t)
	mx := newMux(t, rt, Options{})
	serverCA, etcdCA := newCAs(t)
	port, err := mx.InitWorkloadClusterListener("ns/a", 0)
	g.Expect(err).ToNot(HaveOccurred())
	rt.AddResourceGroup("ns/a")
	g.Expect(mx.RegisterResourceGroup("ns/a", "ns/a")).To(Succeed())
	g.Expect(mx.AddAPIServer("ns/a", "n1", serverCA.cert, serverCA.key)).To(Succeed())
	g.Expect(mx.StartListener("ns/a")).To(Succeed())
	addr := net.JoinHostPort(Host, strconv.Itoa(int(port)))

	const pod1, pod2 = "etcd-n1-0123abcd", "etcd-n2-4567cdef"
	rg := rt.GetResourceGroup("ns/a").GetClient()
	for i, name := range []string{pod1, pod2} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: metav1.NamespaceSystem, Labels: EtcdMemberLabels,
			Annotations: map[string]string{
				cloudv1.EtcdClusterIDAnnotationName: "42",
				cloudv1.EtcdMemberIDAnnotationName:  strconv.Itoa(100 + i),
			},
		}}
		if i == 0 {
			pod.Annotations[cloudv1.EtcdLeaderFromAnnotationName] = time.Now().Format(time.RFC3339)
		} else {
			pod.Annotations[AlarmAnnotation] = "NOSPACE"
		}
		g.Expect(rg.Create(ctx, pod)).To(Succeed())
	}
	firstExpiry := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	g.Expect(mx.AddEtcdMember("ns/a", pod1, etcdCA.cert, etcdCA.key, firstExpiry)).To(Succeed())
	g.Expect(mx.HasEtcdMember("ns/a", pod1)).To(BeTrue())
	servedExpiry := func() time.Time {
		conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: pod1, RootCAs: etcdCA.pool, MinVersion: tls.VersionTLS12})
		g.Expect(err).ToNot(HaveOccurred())
		defer func() { _ = conn.Close() }()
		return conn.ConnectionState().PeerCertificates[0].NotAfter
	}
	g.Expect(servedExpiry()).To(BeTemporally("==", firstExpiry), "the member's certificate expires with the node's")
	held, err := tls.Dial("tcp", addr, &tls.Config{ServerName: pod1, RootCAs: etcdCA.pool, MinVersion: tls.VersionTLS12})
	g.Expect(err).ToNot(HaveOccurred())
	defer func() { _ = held.Close() }()
	g.Expect(mx.AddEtcdMember("ns/a", pod1, etcdCA.cert, etcdCA.key, firstExpiry)).To(Succeed())
	expectOpen(g, held)
	renewedExpiry := firstExpiry.Add(365 * 24 * time.Hour)
	g.Expect(mx.AddEtcdMember("ns/a", pod1, etcdCA.cert, etcdCA.key, renewedExpiry)).To(Succeed())
	expectDropped(g, held, "K3s restarts to renew: its connections drop")
	g.Expect(servedExpiry()).To(BeTemporally("==", renewedExpiry), "a renewal issues a new certificate")

	// The server name selects the certificate.
	verify := func(serverName string, roots *x509.CertPool) error {
		conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: serverName, RootCAs: roots, MinVersion: tls.VersionTLS12})
		if err == nil {
			_ = conn.Close()
		}
		return err
	}
	g.Expect(verify(pod1, etcdCA.pool)).To(Succeed())
	g.Expect(verify(pod1, serverCA.pool)).ToNot(Succeed())
	g.Expect(verify("localhost", serverCA.pool)).To(Succeed())
	g.Expect(verify(pod2, etcdCA.pool)).ToNot(Succeed(), "not registered")

	// gRPC reaches the inmemory etcd handler, and the alarm server for alarms.
	conn, err := grpc.NewClient(addr, grpc.WithAuthority(pod1),
		grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{ServerName: pod1, RootCAs: etcdCA.pool, MinVersion: tls.VersionTLS12})))
	g.Expect(err).ToNot(HaveOccurred())
	defer func() { _ = conn.Close() }()
	members, err := pb.NewClusterClient(conn).MemberList(ctx, &pb.MemberListRequest{})
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(members.Members).To(HaveLen(2))
	alarms, err := pb.NewMaintenanceClient(conn).Alarm(ctx, &pb.AlarmRequest{Action: pb.AlarmRequest_GET})
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(alarms.Alarms).To(ConsistOf(HaveField("MemberID", uint64(101))))
	g.Expect(alarms.Alarms[0].Alarm).To(Equal(pb.AlarmType_NOSPACE))
	status, err := pb.NewMaintenanceClient(conn).Status(ctx, &pb.StatusRequest{})
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(status.Leader).To(Equal(uint64(100)))

	held, err = tls.Dial("tcp", addr, &tls.Config{ServerName: pod1, RootCAs: etcdCA.pool, MinVersion: tls.VersionTLS12})
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(mx.DeleteEtcdMember("ns/a", pod1)).To(Succeed())
	expectDropped(g, held, "a removed member's connections drop")
	g.Expect(mx.HasEtcdMember("ns/a", pod1)).To(BeFalse())
	g.Expect(verify(pod1, etcdCA.pool)).ToNot(Succeed())
}

// expectOpen checks that nothing arrives on conn, nor does it close, within a short wait.
func expectOpen(g Gomega, conn *tls.Conn) {
	g.Expect(conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))).To(Succeed())
	_, err := conn.Read(make([]byte, 1))
	var netErr net.Error
	g.Expect(errors.As(err, &netErr) && netErr.Timeout()).To(BeTrue(), "the connection stays open: %v", err)
	g.Expect(conn.SetReadDeadline(time.Time{})).To(Succeed())
}

// expectDropped checks that the server closes conn.
func expectDropped(g Gomega, conn *tls.Conn, why string) {
	g.Expect(conn.SetReadDeadline(time.Now().Add(5 * time.Second))).To(Succeed())
	_, err := conn.Read(make([]byte, 1))
	var netErr net.Error
	g.Expect(err).To(HaveOccurred(), why)
	g.Expect(errors.As(err, &netErr) && netErr.Timeout()).To(BeFalse(), "%s: %v", why, err)
}

func TestMux_ListensOnLoopbackOnly(t *testing.T) {
	g := NewWithT(t)
	var external net.IP
	addrs, err := net.InterfaceAddrs()
	g.Expect(err).ToNot(HaveOccurred())
	for _, a := range addrs {
		if ipNet, ok := a.(*net.IPNet); ok && !ipNet.IP.IsLoopback() && ipNet.IP.To4() != nil {
			external = ipNet.IP
			break
		}
	}
	if external == nil {
		t.Skip("no non-loopback IPv4 address to dial")
	}
	rt := newRuntime(t)
	debugPort := int32(testMaxPort - 6)
	mx := newMux(t, rt, Options{DebugPort: debugPort})
	serverCA, _ := newCAs(t)
	port, err := mx.InitWorkloadClusterListener("ns/a", 0)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(mx.AddAPIServer("ns/a", "n1", serverCA.cert, serverCA.key)).To(Succeed())
	g.Expect(mx.StartListener("ns/a")).To(Succeed())
	for _, p := range []int32{port, debugPort} {
		conn, err := net.DialTimeout("tcp", net.JoinHostPort(Host, strconv.Itoa(int(p))), time.Second)
		g.Expect(err).ToNot(HaveOccurred(), "port %d on loopback", p)
		_ = conn.Close()
		_, err = net.DialTimeout("tcp", net.JoinHostPort(external.String(), strconv.Itoa(int(p))), time.Second)
		g.Expect(err).To(HaveOccurred(), "port %d must not answer on %s", p, external)
	}
}
