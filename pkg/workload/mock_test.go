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

package workload_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"go.uber.org/mock/gomock"

	"github.com/k3s-io/cluster-api-k3s/pkg/workload"
	"github.com/k3s-io/cluster-api-k3s/pkg/workload/mock"
)

func TestMockCluster(t *testing.T) {
	g := NewWithT(t)
	ctrl := gomock.NewController(t)
	m := mock.NewMockCluster(ctrl)
	var c workload.Cluster = m
	m.EXPECT().Status(gomock.Any()).Return(workload.Status{ControlPlaneNodes: 3, ReadyControlPlaneNodes: 2, HasK3sServingSecret: true}, nil)
	m.EXPECT().RequestEtcdMemberRemoval(gomock.Any(), "cp1").Return(nil)
	m.EXPECT().EtcdMemberRemoved(gomock.Any(), "cp1").Return(true, nil)

	st, err := c.Status(context.Background())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.ReadyControlPlaneNodes).To(Equal(int32(2)))
	g.Expect(c.RequestEtcdMemberRemoval(context.Background(), "cp1")).To(Succeed())
	removed, err := c.EtcdMemberRemoved(context.Background(), "cp1")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(removed).To(BeTrue())
}
