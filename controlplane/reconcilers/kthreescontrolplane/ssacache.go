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

package kthreescontrolplane

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const (
	// ssaCacheTTL is how long an unused entry is kept. Hits refresh it, so steady-state objects stay cached while
	// entries of superseded resourceVersions age out.
	ssaCacheTTL = time.Hour
	// ssaCacheMaxEntries bounds the memory (about 100 bytes an entry); 1,000 clusters with 3 control-plane
	// Machines need 9,000 entries (Machine, InfraMachine and KThreesConfig each).
	ssaCacheMaxEntries = 100_000
	// ssaCacheEvictFraction of the entries, the oldest, are dropped when the cache is full.
	ssaCacheEvictFraction = 10
)

// ssaCacheKey identifies an apply: the object, its resourceVersion and the applied intent.
type ssaCacheKey [sha256.Size]byte

// ssaCache remembers server-side applies that changed nothing: applying the same intent to the same object at
// the same resourceVersion again would not change it either, so the API call can be skipped. It is safe for
// concurrent use.
type ssaCache struct {
	mu         sync.Mutex
	entries    map[ssaCacheKey]time.Time // key → expiry
	ttl        time.Duration
	maxEntries int
	nextSweep  time.Time
	now        func() time.Time
}

// newSSACache returns an empty cache whose entries expire ttl after their last use, holding at most maxEntries.
func newSSACache(ttl time.Duration, maxEntries int) *ssaCache {
	return &ssaCache{
		entries:    map[ssaCacheKey]time.Time{},
		ttl:        ttl,
		maxEntries: max(maxEntries, 1),
		now:        time.Now,
	}
}

// ssaCacheInitMu guards the lazy creation of Reconciler.ssaCache; reconciles run concurrently.
var ssaCacheInitMu sync.Mutex

// applyCache returns the reconciler's cache of no-op applies, creating it on first use.
func (r *Reconciler) applyCache() *ssaCache {
	ssaCacheInitMu.Lock()
	defer ssaCacheInitMu.Unlock()
	if r.ssaCache == nil {
		r.ssaCache = newSSACache(ssaCacheTTL, ssaCacheMaxEntries)
	}
	return r.ssaCache
}

// newSSACacheKey computes the key of applying intent to the object with uid at resourceVersion.
func newSSACacheKey(uid, resourceVersion string, intent *unstructured.Unstructured) (ssaCacheKey, error) {
	// encoding/json sorts map keys, so equal intents give equal bytes.
	data, err := json.Marshal(intent.Object)
	if err != nil {
		return ssaCacheKey{}, fmt.Errorf("failed to hash the apply intent: %w", err)
	}
	h := sha256.New()
	h.Write([]byte(uid))
	h.Write([]byte{0})
	h.Write([]byte(resourceVersion))
	h.Write([]byte{0})
	h.Write(data)
	var key ssaCacheKey
	copy(key[:], h.Sum(nil))
	return key, nil
}

// has reports whether key is cached and not expired, and refreshes it.
func (c *ssaCache) has(key ssaCacheKey) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	expiry, ok := c.entries[key]
	if !ok {
		return false
	}
	if !now.Before(expiry) {
		delete(c.entries, key)
		return false
	}
	c.entries[key] = now.Add(c.ttl)
	return true
}

// add caches key.
func (c *ssaCache) add(key ssaCacheKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if !now.Before(c.nextSweep) {
		c.dropExpired(now)
		c.nextSweep = now.Add(c.ttl)
	}
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.maxEntries {
		c.dropExpired(now)
		if len(c.entries) >= c.maxEntries {
			c.dropOldest(max(c.maxEntries/ssaCacheEvictFraction, 1))
		}
	}
	c.entries[key] = now.Add(c.ttl)
}

// size is the number of entries, expired ones included.
func (c *ssaCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// dropExpired removes the expired entries; c.mu is held.
func (c *ssaCache) dropExpired(now time.Time) {
	for key, expiry := range c.entries {
		if !now.Before(expiry) {
			delete(c.entries, key)
		}
	}
}

// dropOldest removes the n entries that expire first; c.mu is held. Evicting in batches keeps the sorting cost
// amortized over many adds.
func (c *ssaCache) dropOldest(n int) {
	type entry struct {
		key    ssaCacheKey
		expiry time.Time
	}
	all := make([]entry, 0, len(c.entries))
	for key, expiry := range c.entries {
		all = append(all, entry{key, expiry})
	}
	slices.SortFunc(all, func(a, b entry) int { return a.expiry.Compare(b.expiry) })
	for _, e := range all[:min(n, len(all))] {
		delete(c.entries, e.key)
	}
}
