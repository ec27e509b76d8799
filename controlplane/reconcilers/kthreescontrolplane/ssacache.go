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
	"maps"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const (
	// ssaCacheTTL is how long an unused entry is kept. Hits refresh it, so steady-state objects stay cached while
	// the entries of deleted objects age out.
	ssaCacheTTL = time.Hour
	// ssaCacheMaxEntries bounds the memory (about 200 bytes an entry); 1,000 clusters with 3 control-plane
	// Machines need 9,000 entries (Machine, InfraMachine and KThreesConfig each).
	ssaCacheMaxEntries = 100_000
	// ssaCacheEvictFraction of the entries, the oldest, are dropped when the cache is full.
	ssaCacheEvictFraction = 10
)

// ssaCacheObject identifies the object an apply is for. The uid tells a re-created object from its predecessor;
// kind, namespace and name tell apart objects whose uid is unknown.
type ssaCacheObject struct {
	uid, groupKind, namespace, name string
}

// ssaCacheKey identifies an apply: the object, and a digest of the applied intent and of the object's values at
// the intent's fields.
type ssaCacheKey struct {
	object ssaCacheObject
	digest [sha256.Size]byte
}

// ssaCacheEntry is the digest of the last apply of an object and when the entry expires.
type ssaCacheEntry struct {
	digest [sha256.Size]byte
	expiry time.Time
}

// ssaCache remembers, per object, the last server-side apply whose intent the object satisfied afterwards: while
// the object holds that intent's values at the intent's fields and the intent stays the same, applying it again
// would change nothing and the API call is skipped. Writes of other fields (status, finalizers, labels the intent
// does not name) leave the entry valid. Only the last apply of an object is remembered: an older intent that
// comes back (a label added and removed again) is applied, since the object may hold fields of a later apply that
// the older intent removes. It is safe for concurrent use.
type ssaCache struct {
	mu         sync.Mutex
	entries    map[ssaCacheObject]ssaCacheEntry
	ttl        time.Duration
	maxEntries int
	nextSweep  time.Time
	now        func() time.Time
}

// newSSACache returns an empty cache whose entries expire ttl after their last use, holding at most maxEntries.
func newSSACache(ttl time.Duration, maxEntries int) *ssaCache {
	return &ssaCache{
		entries:    map[ssaCacheObject]ssaCacheEntry{},
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

// newSSACacheKey computes the key of applying intent to the object with uid whose map form is current.
func newSSACacheKey(uid string, intent *unstructured.Unstructured, current map[string]any) (ssaCacheKey, error) {
	object := ssaCacheObject{
		uid:       uid,
		groupKind: intent.GroupVersionKind().GroupKind().String(),
		namespace: intent.GetNamespace(),
		name:      intent.GetName(),
	}
	// encoding/json sorts map keys, so equal intents give equal bytes.
	data, err := json.Marshal(intent.Object)
	if err != nil {
		return ssaCacheKey{}, fmt.Errorf("failed to hash the apply intent: %w", err)
	}
	// Objects read through typed clients may lack apiVersion and kind; the intent names them anyway.
	fields := maps.Clone(intent.Object)
	delete(fields, "apiVersion")
	delete(fields, "kind")
	values, err := json.Marshal(intentValues(current, fields))
	if err != nil {
		return ssaCacheKey{}, fmt.Errorf("failed to hash the applied object: %w", err)
	}
	h := sha256.New()
	h.Write([]byte(uid))
	h.Write([]byte{0})
	h.Write(data)
	h.Write([]byte{0})
	h.Write(values)
	key := ssaCacheKey{object: object}
	copy(key.digest[:], h.Sum(nil))
	return key, nil
}

// intentValues is the part of obj at the fields intent sets: maps are followed key by key, anything else (lists,
// scalars) is taken whole. A field obj lacks is left out, so that a removed field changes the result.
func intentValues(obj, intent map[string]any) map[string]any {
	out := make(map[string]any, len(intent))
	for key, want := range intent {
		have, ok := obj[key]
		if !ok {
			continue
		}
		wantMap, wantIsMap := want.(map[string]any)
		haveMap, haveIsMap := have.(map[string]any)
		if wantIsMap && len(wantMap) == 0 {
			// An empty map sets nothing: what obj holds there (e.g. annotations others wrote, where the control
			// plane applies none) is not what the apply left.
			continue
		}
		if wantIsMap && haveIsMap {
			out[key] = intentValues(haveMap, wantMap)
			continue
		}
		out[key] = have
	}
	return out
}

// has reports whether the last apply remembered for key's object is key's, not expired, and refreshes it.
func (c *ssaCache) has(key ssaCacheKey) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	entry, ok := c.entries[key.object]
	if !ok {
		return false
	}
	if !now.Before(entry.expiry) {
		delete(c.entries, key.object)
		return false
	}
	if entry.digest != key.digest {
		return false
	}
	entry.expiry = now.Add(c.ttl)
	c.entries[key.object] = entry
	return true
}

// add remembers key as the last apply of its object, replacing the one before.
func (c *ssaCache) add(key ssaCacheKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if !now.Before(c.nextSweep) {
		c.dropExpired(now)
		c.nextSweep = now.Add(c.ttl)
	}
	if _, ok := c.entries[key.object]; !ok && len(c.entries) >= c.maxEntries {
		c.dropExpired(now)
		if len(c.entries) >= c.maxEntries {
			c.dropOldest(max(c.maxEntries/ssaCacheEvictFraction, 1))
		}
	}
	c.entries[key.object] = ssaCacheEntry{digest: key.digest, expiry: now.Add(c.ttl)}
}

// forget drops the entry of key's object: an apply is being sent, so the last one remembered no longer tells
// what the object holds.
func (c *ssaCache) forget(key ssaCacheKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key.object)
}

// size is the number of entries, expired ones included.
func (c *ssaCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// dropExpired removes the expired entries; c.mu is held.
func (c *ssaCache) dropExpired(now time.Time) {
	for object, entry := range c.entries {
		if !now.Before(entry.expiry) {
			delete(c.entries, object)
		}
	}
}

// dropOldest removes the n entries that expire first; c.mu is held. Evicting in batches keeps the sorting cost
// amortized over many adds.
func (c *ssaCache) dropOldest(n int) {
	type entry struct {
		object ssaCacheObject
		expiry time.Time
	}
	all := make([]entry, 0, len(c.entries))
	for object, e := range c.entries {
		all = append(all, entry{object, e.expiry})
	}
	slices.SortFunc(all, func(a, b entry) int { return a.expiry.Compare(b.expiry) })
	for _, e := range all[:min(n, len(all))] {
		delete(c.entries, e.object)
	}
}
