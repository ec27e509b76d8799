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
	"time"

	"github.com/spf13/pflag"
	"go.uber.org/zap"
)

const (
	// DefaultDialTimeout is the default time allowed to establish a connection to a member, as upstream.
	DefaultDialTimeout = 10 * time.Second

	// DefaultCallTimeout is the default time allowed for one etcd call, as upstream.
	DefaultCallTimeout = 15 * time.Second

	// DefaultPodCacheTTL is how long a listing of the etcd-proxy pods of a cluster is reused by default.
	DefaultPodCacheTTL = time.Minute

	// DefaultMaxClusters is the default number of clusters whose TLS material and pods are cached.
	DefaultMaxClusters = 1024

	// DefaultIdleTimeout is how long a connection to a member is kept for reuse after its last use, by default:
	// longer than the gaps between a changing cluster's reconciles, short enough that a fleet at rest keeps none.
	DefaultIdleTimeout = 30 * time.Second
)

// Config configures the etcd connections a Connector opens. Zero values mean the defaults.
type Config struct {
	// DialTimeout bounds establishing a connection to a member, port-forward and TLS handshake included.
	DialTimeout time.Duration

	// CallTimeout bounds every etcd call, including the status call made on connecting.
	CallTimeout time.Duration

	// PodCacheTTL is how long a listing of a cluster's etcd-proxy pods is reused. Connection failures and
	// nodes missing from the listing cause a new listing before it expires.
	PodCacheTTL time.Duration

	// MaxClusters bounds the number of clusters with cached state; the least recently used is dropped first.
	MaxClusters int

	// IdleTimeout is how long a connection is kept for reuse after it was closed; negative turns reuse off.
	IdleTimeout time.Duration

	// Logger is the logger of the etcd client library; nil discards its logs (errors are returned anyway).
	Logger *zap.Logger
}

// AddFlags adds upstream's flags for the timeouts, --etcd-dial-timeout-duration and
// --etcd-call-timeout-duration, with their defaults.
func (c *Config) AddFlags(fs *pflag.FlagSet) {
	fs.DurationVar(&c.DialTimeout, "etcd-dial-timeout-duration", DefaultDialTimeout,
		"Duration that the etcd client waits at most to establish a connection with etcd")
	fs.DurationVar(&c.CallTimeout, "etcd-call-timeout-duration", DefaultCallTimeout,
		"Duration that the etcd client waits at most for read and write operations to etcd")
}

// withDefaults returns the configuration with zero and negative values replaced by the defaults.
func (c Config) withDefaults() Config {
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.PodCacheTTL <= 0 {
		c.PodCacheTTL = DefaultPodCacheTTL
	}
	if c.MaxClusters <= 0 {
		c.MaxClusters = DefaultMaxClusters
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}
