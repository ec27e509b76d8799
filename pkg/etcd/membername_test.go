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
	"testing"

	. "github.com/onsi/gomega"
)

func TestNodeNameFromMemberName(t *testing.T) {
	tests := []struct {
		name       string
		memberName string
		want       string
	}{
		{name: "k3s member", memberName: "server-0-3f2a9c1b", want: "server-0"},
		{name: "node name with many dashes", memberName: "my-cluster-control-plane-x7k2p-0a1b2c3d", want: "my-cluster-control-plane-x7k2p"},
		{name: "node name ending in an 8-hex segment", memberName: "node-deadbeef-01234567", want: "node-deadbeef"},
		{name: "node name that is 8 hex characters", memberName: "deadbeef-01234567", want: "deadbeef"},
		{name: "node name ending in a short hex segment", memberName: "cp-abc-89abcdef", want: "cp-abc"},
		{name: "single-character node name", memberName: "a-00000000", want: "a"},
		{name: "fully qualified node name", memberName: "ip-10-0-0-1.eu-west-1.compute.internal-a1b2c3d4", want: "ip-10-0-0-1.eu-west-1.compute.internal"},
		{name: "IPv6-ish node name", memberName: "fd00--1-2-abcdef01", want: "fd00--1-2"},
		{name: "IPv6 literal as node name", memberName: "fd00::1-abcdef01", want: "fd00::1"},
		{name: "no suffix", memberName: "server-0", want: "server-0"},
		{name: "no dash", memberName: "server0", want: "server0"},
		// Inherently ambiguous; K3s always appends the suffix, so it is taken to be one.
		{name: "unsuffixed name ending in 8 hex characters", memberName: "node-deadbeef", want: "node"},
		{name: "uppercase hex is not a k3s suffix", memberName: "server-0-3F2A9C1B", want: "server-0-3F2A9C1B"},
		{name: "seven hex characters", memberName: "server-0-3f2a9c1", want: "server-0-3f2a9c1"},
		{name: "nine hex characters", memberName: "server-0-3f2a9c1b0", want: "server-0-3f2a9c1b0"},
		{name: "non-hex suffix", memberName: "server-0-3f2a9c1g", want: "server-0-3f2a9c1g"},
		{name: "suffix without node name", memberName: "-3f2a9c1b", want: "-3f2a9c1b"},
		{name: "only the suffix", memberName: "3f2a9c1b", want: "3f2a9c1b"},
		{name: "double dash before suffix", memberName: "server--3f2a9c1b", want: "server-"},
		{name: "unstarted member", memberName: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(NodeNameFromMemberName(tt.memberName)).To(Equal(tt.want))
		})
	}
}

func TestFindMemberByNodeName(t *testing.T) {
	a := &Member{ID: 1, Name: "a-00000001", NodeName: "a"}
	b := &Member{ID: 2, Name: "b-00000002", NodeName: "b"}
	unstarted := &Member{ID: 3}
	members := []*Member{a, nil, unstarted, b}
	tests := []struct {
		name     string
		nodeName string
		want     *Member
	}{
		{name: "first", nodeName: "a", want: a},
		{name: "last", nodeName: "b", want: b},
		{name: "missing", nodeName: "c", want: nil},
		{name: "empty node name never matches unstarted members", nodeName: "", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(FindMemberByNodeName(members, tt.nodeName)).To(BeIdenticalTo(tt.want))
		})
	}
}

func TestAlarmTypeString(t *testing.T) {
	tests := []struct {
		alarm AlarmType
		want  string
	}{
		{AlarmNone, "NONE"},
		{AlarmNoSpace, "NOSPACE"},
		{AlarmCorrupt, "CORRUPT"},
		{AlarmType(7), "AlarmType(7)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			NewWithT(t).Expect(tt.alarm.String()).To(Equal(tt.want))
		})
	}
}
