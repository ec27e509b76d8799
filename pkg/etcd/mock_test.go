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

package etcd_test

import (
	"testing"

	. "github.com/onsi/gomega"
	"go.uber.org/mock/gomock"

	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd/mock"
)

var (
	_ etcd.Client          = &mock.MockClient{}
	_ etcd.ClientGenerator = &mock.MockClientGenerator{}
)

// TestMocks shows how a controller test drives the generated mocks.
func TestMocks(t *testing.T) {
	g := NewWithT(t)
	ctrl := gomock.NewController(t)
	client := mock.NewMockClient(ctrl)
	generator := mock.NewMockClientGenerator(ctrl)

	generator.EXPECT().ForLeader(gomock.Any(), []string{"n1", "n2"}).Return(client, nil)
	client.EXPECT().Members(gomock.Any()).Return([]*etcd.Member{{ID: 1, NodeName: "n1", IsLeader: true}, {ID: 2, NodeName: "n2"}}, nil)
	client.EXPECT().MoveLeader(gomock.Any(), uint64(2)).Return(nil)
	client.EXPECT().Close().Return(nil)

	var gen etcd.ClientGenerator = generator
	c, err := gen.ForLeader(t.Context(), []string{"n1", "n2"})
	g.Expect(err).NotTo(HaveOccurred())
	members, err := c.Members(t.Context())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.MoveLeader(t.Context(), etcd.FindMemberByNodeName(members, "n2").ID)).To(Succeed())
	g.Expect(c.Close()).To(Succeed())
}
