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
	"fmt"
	"net/http"
	"strconv"
	"strings"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cloudv1 "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/cloud/api/v1alpha1"
	inmemoryruntime "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/runtime"
)

// AlarmAnnotation on an etcd member pod raises an alarm of the member: the name of an etcd alarm type (NOSPACE,
// CORRUPT).
const AlarmAnnotation = "k3ssim.infrastructure.cluster.x-k8s.io/etcd-alarm"

// EtcdMemberLabels select the etcd member pods in kube-system, as the inmemory etcd handler does.
var EtcdMemberLabels = map[string]string{"component": "etcd", "tier": "control-plane"}

// alarmServer answers Maintenance/Alarm from the member pods of the cluster: the active alarms are those of
// the members' AlarmAnnotation. Activating or deactivating alarms changes nothing (only the pods do).
type alarmServer struct {
	pb.UnimplementedMaintenanceServer
	manager inmemoryruntime.Manager
	resolve func(string) (string, error)
}

func newAlarmHandler(manager inmemoryruntime.Manager, resolve func(string) (string, error)) http.Handler {
	s := grpc.NewServer()
	pb.RegisterMaintenanceServer(s, &alarmServer{manager: manager, resolve: resolve})
	return s
}

// Alarm lists the alarms of all members (etcd's alarms are cluster-wide).
func (s *alarmServer) Alarm(ctx context.Context, req *pb.AlarmRequest) (*pb.AlarmResponse, error) {
	rg, err := s.resolve("")
	if err != nil {
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	self := ""
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		self = strings.Join(md.Get(":authority"), ",")
	}
	pods := &corev1.PodList{}
	if err := s.manager.GetResourceGroup(rg).GetClient().List(ctx, pods,
		client.InNamespace(metav1.NamespaceSystem), client.MatchingLabels(EtcdMemberLabels)); err != nil {
		return nil, status.Errorf(codes.Internal, "failed to list etcd members: %v", err)
	}
	resp := &pb.AlarmResponse{Header: &pb.ResponseHeader{}}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if _, removed := pod.Annotations[cloudv1.EtcdMemberRemoved]; removed {
			if pod.Name == self {
				return nil, status.Error(codes.Unavailable, "etcd member has been removed")
			}
			continue
		}
		alarm, ok := pod.Annotations[AlarmAnnotation]
		if !ok {
			continue
		}
		id, err := strconv.ParseUint(pod.Annotations[cloudv1.EtcdMemberIDAnnotationName], 10, 64)
		if err != nil {
			return nil, status.Errorf(codes.Internal, "etcd member pod %s has no valid member ID: %v", pod.Name, err)
		}
		alarmType, ok := pb.AlarmType_value[alarm]
		if !ok {
			return nil, status.Error(codes.Internal, fmt.Sprintf("etcd member pod %s has an unknown alarm %q", pod.Name, alarm))
		}
		if req.MemberID != 0 && req.MemberID != id {
			continue
		}
		resp.Alarms = append(resp.Alarms, &pb.AlarmMember{MemberID: id, Alarm: pb.AlarmType(alarmType)})
	}
	return resp, nil
}
