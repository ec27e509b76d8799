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

import "fmt"

// Member is a member of a K3s cluster's etcd cluster, as reported by the member a Client is connected to.
type Member struct {
	// ID is the member's ID, as used by MoveLeader and RemoveMember.
	ID uint64

	// ClusterID is the ID of the etcd cluster, from the header of the member list response.
	ClusterID uint64

	// Name is the member's name; K3s names members `<node name>-<8 hex characters>`. It is empty while a
	// member that was added has not started.
	Name string

	// NodeName is the name of the Kubernetes Node the member runs on, derived from Name with
	// NodeNameFromMemberName.
	NodeName string

	// PeerURLs are the URLs the member serves its peers on.
	PeerURLs []string

	// ClientURLs are the URLs the member serves clients on; empty while the member has not started.
	ClientURLs []string

	// IsLearner tells whether the member is a raft learner (non-voting).
	IsLearner bool

	// IsLeader tells whether the member was the leader when the Client connected.
	IsLeader bool

	// Alarms are the alarms raised on the member, empty when there are none.
	Alarms []AlarmType
}

// AlarmType is the type of an etcd alarm; the values are those of etcd's AlarmType enum.
type AlarmType int32

const (
	// AlarmNone is no alarm.
	AlarmNone AlarmType = 0

	// AlarmNoSpace is raised when the member's backend database exceeded its quota.
	AlarmNoSpace AlarmType = 1

	// AlarmCorrupt is raised when the member's data was found inconsistent with the other members'.
	AlarmCorrupt AlarmType = 2
)

// String returns etcd's name of the alarm type, NONE, NOSPACE or CORRUPT.
func (a AlarmType) String() string {
	switch a {
	case AlarmNone:
		return "NONE"
	case AlarmNoSpace:
		return "NOSPACE"
	case AlarmCorrupt:
		return "CORRUPT"
	default:
		return fmt.Sprintf("AlarmType(%d)", int32(a))
	}
}

// Alarm is an alarm raised on a member.
type Alarm struct {
	// MemberID is the ID of the member the alarm is raised on.
	MemberID uint64

	// Type is the type of the alarm.
	Type AlarmType
}

// FindMemberByNodeName returns the first member running on the node, or nil if there is none.
func FindMemberByNodeName(members []*Member, nodeName string) *Member {
	for _, m := range members {
		if m != nil && m.NodeName == nodeName && nodeName != "" {
			return m
		}
	}
	return nil
}
