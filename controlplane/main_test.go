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

package main

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/spf13/pflag"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

func Test_options(t *testing.T) {
	tests := []struct {
		name                    string
		args                    []string
		wantLeader              bool
		wantControlPlane        int
		wantMachine             int
		wantMetrics             string
		wantQPS                 float32
		wantClusterCacheQPS     float32
		wantEtcdDial            time.Duration
		wantEtcdCall            time.Duration
		wantGracePeriod         time.Duration
		wantRemovalTimeout      time.Duration
		wantClusterCacheWorkers int
	}{
		{
			name: "defaults", wantControlPlane: 10, wantMachine: 10, wantMetrics: ":8443", wantQPS: 100, wantClusterCacheQPS: 20,
			wantEtcdDial: 10 * time.Second, wantEtcdCall: 15 * time.Second, wantGracePeriod: 5 * time.Minute,
			wantRemovalTimeout: 5 * time.Minute, wantClusterCacheWorkers: 100,
		},
		{
			name:       "upstream's manifest args keep working; --concurrency sets every controller",
			args:       []string{"--metrics-addr=127.0.0.1:8080", "--enable-leader-election", "--concurrency=4", "--etcd-dial-timeout-duration=3s", "--etcd-call-timeout-duration=7s"},
			wantLeader: true, wantControlPlane: 4, wantMachine: 4, wantMetrics: "127.0.0.1:8080", wantQPS: 100, wantClusterCacheQPS: 20,
			wantEtcdDial: 3 * time.Second, wantEtcdCall: 7 * time.Second, wantGracePeriod: 5 * time.Minute,
			wantRemovalTimeout: 5 * time.Minute, wantClusterCacheWorkers: 100,
		},
		{
			name: "scale flags",
			args: []string{"--kthreescontrolplane-concurrency=200", "--machine-concurrency=50", "--clustercache-concurrency=300",
				"--clustercache-client-qps=40", "--kube-api-qps=300", "--remote-conditions-grace-period=10m", "--etcd-member-removal-timeout=1m"},
			wantControlPlane: 200, wantMachine: 50, wantMetrics: ":8443", wantQPS: 300, wantClusterCacheQPS: 40,
			wantEtcdDial: 10 * time.Second, wantEtcdCall: 15 * time.Second, wantGracePeriod: 10 * time.Minute,
			wantRemovalTimeout: time.Minute, wantClusterCacheWorkers: 300,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			o := &options{}
			o.addFlags(fs)
			g.Expect(fs.Parse(tt.args)).To(Succeed())
			mgrOptions, err := o.ManagerOptions(scheme, leaderElectionID)
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(mgrOptions.LeaderElection).To(Equal(tt.wantLeader))
			g.Expect(mgrOptions.LeaderElectionID).To(Equal("148fa072.controlplane.cluster.x-k8s.io"))
			g.Expect(mgrOptions.Metrics.BindAddress).To(Equal(tt.wantMetrics))
			g.Expect(o.controllerOptions().ControlPlaneConcurrency).To(Equal(tt.wantControlPlane))
			g.Expect(o.controllerOptions().MachineConcurrency).To(Equal(tt.wantMachine))
			g.Expect(o.controllers.ClusterCacheConcurrency).To(Equal(tt.wantClusterCacheWorkers))
			g.Expect(o.KubeAPIQPS).To(Equal(tt.wantQPS))
			g.Expect(o.controllers.ClusterCacheClientQPS).To(Equal(tt.wantClusterCacheQPS))
			g.Expect(o.controllers.Etcd.DialTimeout).To(Equal(tt.wantEtcdDial))
			g.Expect(o.controllers.Etcd.CallTimeout).To(Equal(tt.wantEtcdCall))
			g.Expect(o.controllers.RemoteConditionsGracePeriod).To(Equal(tt.wantGracePeriod))
			g.Expect(o.controllers.EtcdMemberRemovalTimeout).To(Equal(tt.wantRemovalTimeout))
			// Only control-plane KThreesConfigs are cached; infrastructure objects are read from the cache.
			g.Expect(mgrOptions.Cache.ByObject).To(HaveKey(BeAssignableToTypeOf(&bootstrapv1.KThreesConfig{})))
			g.Expect(mgrOptions.Client.Cache.Unstructured).To(BeTrue())
		})
	}
}
