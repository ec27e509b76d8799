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
	"time"

	. "github.com/onsi/gomega"
	"github.com/spf13/pflag"
	"go.uber.org/zap"
)

func TestConfig_withDefaults(t *testing.T) {
	logger := zap.NewExample()
	tests := []struct {
		name string
		in   Config
		want Config
	}{
		{name: "zero", in: Config{}, want: Config{DialTimeout: 10 * time.Second, CallTimeout: 15 * time.Second,
			PodCacheTTL: time.Minute, MaxClusters: 1024, IdleTimeout: 30 * time.Second}},
		{name: "negative, reuse off", in: Config{DialTimeout: -1, CallTimeout: -1, PodCacheTTL: -1, MaxClusters: -1, IdleTimeout: -1},
			want: Config{DialTimeout: 10 * time.Second, CallTimeout: 15 * time.Second, PodCacheTTL: time.Minute, MaxClusters: 1024, IdleTimeout: -1}},
		{name: "set", in: Config{DialTimeout: time.Second, CallTimeout: 2 * time.Second, PodCacheTTL: 3 * time.Second, MaxClusters: 4, IdleTimeout: 5 * time.Second, Logger: logger},
			want: Config{DialTimeout: time.Second, CallTimeout: 2 * time.Second, PodCacheTTL: 3 * time.Second, MaxClusters: 4, IdleTimeout: 5 * time.Second, Logger: logger}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got := tt.in.withDefaults()
			g.Expect(got.Logger).NotTo(BeNil())
			if tt.want.Logger == nil {
				got.Logger = nil
			}
			g.Expect(got).To(Equal(tt.want))
		})
	}
}

func TestConfig_AddFlags(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		wantDial    time.Duration
		wantCall    time.Duration
		wantErrText string
	}{
		{name: "defaults", wantDial: 10 * time.Second, wantCall: 15 * time.Second},
		{name: "set", args: []string{"--etcd-dial-timeout-duration=3s", "--etcd-call-timeout-duration=1m"},
			wantDial: 3 * time.Second, wantCall: time.Minute},
		{name: "invalid", args: []string{"--etcd-call-timeout-duration=soon"}, wantErrText: "etcd-call-timeout-duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			var cfg Config
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			cfg.AddFlags(fs)
			err := fs.Parse(tt.args)
			if tt.wantErrText != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErrText)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(cfg.DialTimeout).To(Equal(tt.wantDial))
			g.Expect(cfg.CallTimeout).To(Equal(tt.wantCall))
		})
	}
}
