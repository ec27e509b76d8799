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
	"net"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
)

// fakeEtcdServer serves the etcd Maintenance and Cluster calls the provider uses, for one member of a
// three-member cluster led by member 2, and records what it saw of the client.
type fakeEtcdServer struct {
	etcdserverpb.UnimplementedMaintenanceServer
	etcdserverpb.UnimplementedClusterServer

	mu          sync.Mutex
	clientCNs   []string
	movedLeader uint64
}

func (s *fakeEtcdServer) record(ctx context.Context) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return
	}
	if info, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(info.State.PeerCertificates) > 0 {
		s.mu.Lock()
		s.clientCNs = append(s.clientCNs, info.State.PeerCertificates[0].Subject.CommonName)
		s.mu.Unlock()
	}
}

func (s *fakeEtcdServer) header() *etcdserverpb.ResponseHeader {
	return &etcdserverpb.ResponseHeader{ClusterId: 42, MemberId: 1}
}

func (s *fakeEtcdServer) Status(ctx context.Context, _ *etcdserverpb.StatusRequest) (*etcdserverpb.StatusResponse, error) {
	s.record(ctx)
	return &etcdserverpb.StatusResponse{Header: s.header(), Leader: 2, Version: "3.5.21"}, nil
}

func (s *fakeEtcdServer) Alarm(ctx context.Context, _ *etcdserverpb.AlarmRequest) (*etcdserverpb.AlarmResponse, error) {
	s.record(ctx)
	return &etcdserverpb.AlarmResponse{Header: s.header(), Alarms: []*etcdserverpb.AlarmMember{
		{MemberID: 3, Alarm: etcdserverpb.AlarmType_NOSPACE},
	}}, nil
}

func (s *fakeEtcdServer) MoveLeader(ctx context.Context, req *etcdserverpb.MoveLeaderRequest) (*etcdserverpb.MoveLeaderResponse, error) {
	s.record(ctx)
	s.mu.Lock()
	s.movedLeader = req.TargetID
	s.mu.Unlock()
	return &etcdserverpb.MoveLeaderResponse{Header: s.header()}, nil
}

func (s *fakeEtcdServer) MemberList(ctx context.Context, _ *etcdserverpb.MemberListRequest) (*etcdserverpb.MemberListResponse, error) {
	s.record(ctx)
	return &etcdserverpb.MemberListResponse{Header: s.header(), Members: []*etcdserverpb.Member{
		{ID: 1, Name: "server-0-0a1b2c3d"},
		{ID: 2, Name: "server-1-1a2b3c4d"},
		{ID: 3, Name: "server-2-2a3b4c5d"},
	}}, nil
}

// startFakeEtcd serves a fakeEtcdServer over TLS on 127.0.0.1, with the serving certificate, trusting client
// certificates signed by clientCA. It returns the server and the names the TLS clients asked for (SNI).
func startFakeEtcd(t *testing.T, serving tls.Certificate, clientCA *testCA) (*fakeEtcdServer, net.Listener, <-chan string) {
	t.Helper()
	serverNames := make(chan string, 100)
	creds := credentials.NewTLS(&tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{serving},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    poolOf(clientCA),
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			serverNames <- hello.ServerName
			return nil, nil
		},
	})
	srv := &fakeEtcdServer{}
	gs := grpc.NewServer(grpc.Creds(creds))
	etcdserverpb.RegisterMaintenanceServer(gs, srv)
	etcdserverpb.RegisterClusterServer(gs, srv)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	go func() { _ = gs.Serve(l) }()
	t.Cleanup(gs.Stop)
	return srv, l, serverNames
}

// connectTCP connects with connect, the production code, over plain TCP connections to the listener instead
// of port-forwards, and a function returning the addresses the dialer has been asked for.
func connectTCP(t *testing.T, l net.Listener, pod string, tlsConfig *tls.Config, timeout time.Duration) (*proxyClient, func() []string, error) {
	t.Helper()
	var mu sync.Mutex
	var dialed []string
	dial := func(ctx context.Context, addr string) (net.Conn, error) {
		mu.Lock()
		dialed = append(dialed, addr)
		mu.Unlock()
		var d net.Dialer
		return d.DialContext(ctx, "tcp", l.Addr().String())
	}
	cfg := Config{DialTimeout: timeout, CallTimeout: timeout}.withDefaults()
	tlsConfig, hs := recordVerification(tlsConfig)
	c, err := connect(t.Context(), cfg, dialTarget{nodeName: "server-0", podName: pod, tlsConfig: tlsConfig, handshake: hs}, dial)
	if err != nil {
		return nil, nil, err
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*proxyClient), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), dialed...)
	}, nil
}

func TestGRPCOverVerifiedTLS(t *testing.T) {
	g := NewWithT(t)
	clusterCA := newTestCA(t, "etcd-server-ca")
	serving := clusterCA.k3sServingCert(t)
	srv, l, serverNames := startFakeEtcd(t, serving, clusterCA)
	conn, _ := newTestConnector(Config{})
	tlsConfig, err := conn.tlsConfig(keyOf("c1"), mustParseCA(t, clusterCA))
	g.Expect(err).NotTo(HaveOccurred())

	c, dialed, err := connectTCP(t, l, "etcd-proxy-x2k9p", tlsConfig, 5*time.Second)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dialed()).To(Equal([]string{"etcd-proxy-x2k9p"}), "the port-forward dialer receives the pod name, once: the status call uses the client's connection")
	g.Expect(<-serverNames).To(Equal("etcd-proxy-x2k9p"), "SNI is the pod name")
	g.Expect(c.LeaderID()).To(BeEquivalentTo(2))
	leaf, err := x509.ParseCertificate(serving.Certificate[0])
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.ServerCertificateExpiry()).To(BeTemporally("==", leaf.NotAfter), "the member's serving certificate expiry is recorded")

	members, err := c.Members(t.Context())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(members).To(HaveLen(3))
	g.Expect(members[1].IsLeader).To(BeTrue())
	g.Expect(members[1].NodeName).To(Equal("server-1"))
	g.Expect(members[2].Alarms).To(Equal([]AlarmType{AlarmNoSpace}))
	g.Expect(members[0].ClusterID).To(BeEquivalentTo(42))

	g.Expect(c.MoveLeader(t.Context(), 3)).To(Succeed())
	g.Expect(c.refresh(t.Context())).To(Succeed())
	g.Expect(c.LeaderID()).To(BeEquivalentTo(2))
	g.Expect(dialed()).To(HaveLen(1), "calls and the reuse check go over the one connection")
	srv.mu.Lock()
	defer srv.mu.Unlock()
	g.Expect(srv.movedLeader).To(BeEquivalentTo(3))
	g.Expect(srv.clientCNs).To(HaveEach("cluster-api.x-k8s.io"))
}

func TestGRPCRejectsServerOfAnotherCA(t *testing.T) {
	g := NewWithT(t)
	clusterCA := newTestCA(t, "etcd-server-ca")
	impostor := newTestCA(t, "etcd-server-ca")
	_, l, _ := startFakeEtcd(t, impostor.k3sServingCert(t), clusterCA)
	conn, _ := newTestConnector(Config{})
	tlsConfig, err := conn.tlsConfig(keyOf("c1"), mustParseCA(t, clusterCA))
	g.Expect(err).NotTo(HaveOccurred())

	tlsConfig, hs := recordVerification(tlsConfig)
	_, _, err = connectTCP(t, l, "etcd-proxy-x2k9p", tlsConfig, time.Second)
	g.Expect(err).To(MatchError(ContainSubstring("failed to get etcd status within 1s")),
		"no call succeeds against a server whose certificate is not from the cluster's etcd CA")
	g.Expect(hs.lastFailure()).To(MatchError(ContainSubstring(`server name "etcd-proxy-x2k9p") is not valid for the cluster's etcd CA`)))
}
