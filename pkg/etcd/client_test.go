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
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	capietcd "sigs.k8s.io/cluster-api/controlplane/kubeadm/pkg/etcd"
	"sigs.k8s.io/cluster-api/controlplane/kubeadm/pkg/etcd/fake"
)

// newFakeProxyClient returns a proxyClient on CAPI's etcd client over CAPI's fake clientv3.
func newFakeProxyClient(f *fake.FakeEtcdClient, leaderID uint64) *proxyClient {
	c := &capietcd.Client{EtcdClient: f, Endpoint: "etcd-proxy-x2k9p", LeaderID: leaderID, CallTimeout: time.Second}
	return newProxyClient(c, c.LeaderID, "server-0", "etcd-proxy-x2k9p")
}

func TestProxyClient_Members(t *testing.T) {
	g := NewWithT(t)
	f := &fake.FakeEtcdClient{
		MemberListResponse: &clientv3.MemberListResponse{
			Header: &etcdserverpb.ResponseHeader{ClusterId: 42},
			Members: []*etcdserverpb.Member{
				{ID: 1, Name: "server-0-0a1b2c3d", PeerURLs: []string{"https://10.0.0.1:2380"}, ClientURLs: []string{"https://10.0.0.1:2379"}},
				{ID: 2, Name: "server-1-deadbeef", PeerURLs: []string{"https://[fd00::2]:2380"}, ClientURLs: []string{"https://[fd00::2]:2379"}},
				{ID: 3, PeerURLs: []string{"https://10.0.0.3:2380"}, IsLearner: true},
			},
		},
		AlarmResponse: &clientv3.AlarmResponse{Alarms: []*etcdserverpb.AlarmMember{
			{MemberID: 2, Alarm: etcdserverpb.AlarmType_NOSPACE},
			{MemberID: 2, Alarm: etcdserverpb.AlarmType_CORRUPT},
			{MemberID: 1, Alarm: etcdserverpb.AlarmType_NONE},
		}},
	}
	c := newFakeProxyClient(f, 2)
	g.Expect(c.NodeName()).To(Equal("server-0"))
	g.Expect(c.LeaderID()).To(BeEquivalentTo(2))

	got, err := c.Members(t.Context())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal([]*Member{
		{ID: 1, ClusterID: 42, Name: "server-0-0a1b2c3d", NodeName: "server-0",
			PeerURLs: []string{"https://10.0.0.1:2380"}, ClientURLs: []string{"https://10.0.0.1:2379"}},
		{ID: 2, ClusterID: 42, Name: "server-1-deadbeef", NodeName: "server-1", IsLeader: true,
			PeerURLs: []string{"https://[fd00::2]:2380"}, ClientURLs: []string{"https://[fd00::2]:2379"},
			Alarms: []AlarmType{AlarmNoSpace, AlarmCorrupt}},
		{ID: 3, ClusterID: 42, PeerURLs: []string{"https://10.0.0.3:2380"}, IsLearner: true},
	}))
}

func TestProxyClient_calls(t *testing.T) {
	g := NewWithT(t)
	f := &fake.FakeEtcdClient{
		MoveLeaderResponse:   &clientv3.MoveLeaderResponse{},
		MemberRemoveResponse: &clientv3.MemberRemoveResponse{},
		AlarmResponse: &clientv3.AlarmResponse{Alarms: []*etcdserverpb.AlarmMember{
			{MemberID: 7, Alarm: etcdserverpb.AlarmType_NOSPACE},
		}},
	}
	c := newFakeProxyClient(f, 1)

	g.Expect(c.MoveLeader(t.Context(), 0xabc)).To(Succeed())
	g.Expect(f.MovedLeader).To(BeEquivalentTo(0xabc))
	g.Expect(c.RemoveMember(t.Context(), 0xdef)).To(Succeed())
	g.Expect(f.RemovedMember).To(BeEquivalentTo(0xdef))
	alarms, err := c.Alarms(t.Context())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(alarms).To(Equal([]Alarm{{MemberID: 7, Type: AlarmNoSpace}}))
	g.Expect(c.Close()).To(Succeed())
}

func TestProxyClient_errors(t *testing.T) {
	boom := errors.New("boom")
	where := `through etcd-proxy pod etcd-proxy-x2k9p on node "server-0"`
	tests := []struct {
		name    string
		fake    *fake.FakeEtcdClient
		call    func(c *proxyClient) error
		wantErr string
	}{
		{name: "members", fake: &fake.FakeEtcdClient{MemberListError: boom},
			call:    func(c *proxyClient) error { _, err := c.Members(t.Context()); return err },
			wantErr: "failed to list etcd members " + where},
		{name: "alarms of members", fake: &fake.FakeEtcdClient{
			MemberListResponse: &clientv3.MemberListResponse{Header: &etcdserverpb.ResponseHeader{}}, AlarmError: boom},
			call:    func(c *proxyClient) error { _, err := c.Members(t.Context()); return err },
			wantErr: "failed to list etcd alarms " + where},
		{name: "alarms", fake: &fake.FakeEtcdClient{AlarmError: boom},
			call:    func(c *proxyClient) error { _, err := c.Alarms(t.Context()); return err },
			wantErr: "failed to list etcd alarms " + where},
		{name: "move leader", fake: &fake.FakeEtcdClient{MoveLeaderError: boom},
			call:    func(c *proxyClient) error { return c.MoveLeader(t.Context(), 0xabc) },
			wantErr: "failed to move the etcd leadership to member abc " + where},
		{name: "remove member", fake: &fake.FakeEtcdClient{MemberRemoveError: boom},
			call:    func(c *proxyClient) error { return c.RemoveMember(t.Context(), 0xdef) },
			wantErr: "failed to remove etcd member def " + where},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			err := tt.call(newFakeProxyClient(tt.fake, 1))
			g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
			g.Expect(err).To(MatchError(boom))
		})
	}
}
