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

package manager

import (
	"fmt"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	"github.com/k3s-io/cluster-api-k3s/internal/managedfields"
)

// NewCache builds the managers' informer cache on an HTTP client of its own, whose list and watch responses come
// without managed fields (internal/managedfields): half of a CAPI object's bytes that no controller here reads from
// the cache, and that decoding every watch event would pay for. Reads that need managed fields (server-side apply
// responses, CAPI's CRD migrator) go through the manager's client and API reader, which keep them.
func NewCache(config *rest.Config, opts cache.Options) (cache.Cache, error) {
	cacheConfig := rest.CopyConfig(config)
	cacheConfig.Wrap(managedfields.Transport)
	httpClient, err := rest.HTTPClientFor(cacheConfig)
	if err != nil {
		return nil, fmt.Errorf("failed to create the cache's HTTP client: %w", err)
	}
	opts.HTTPClient = httpClient
	return cache.New(config, opts)
}
