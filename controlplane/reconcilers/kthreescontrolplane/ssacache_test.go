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
	"fmt"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ssacacheTestClock is a settable clock.
type ssacacheTestClock struct{ t time.Time }

func (c *ssacacheTestClock) now() time.Time { return c.t }

func ssacacheTestCache(ttl time.Duration, maxEntries int) (*ssaCache, *ssacacheTestClock) {
	clock := &ssacacheTestClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := newSSACache(ttl, maxEntries)
	c.now = clock.now
	return c, clock
}

func ssacacheTestKey(g Gomega, uid, rv string, labels map[string]string) ssaCacheKey {
	intent := &unstructured.Unstructured{}
	intent.SetAPIVersion("v1")
	intent.SetKind("Thing")
	intent.SetName("thing")
	intent.SetUID("uid")
	intent.SetLabels(labels)
	key, err := newSSACacheKey(uid, rv, intent)
	g.Expect(err).ToNot(HaveOccurred())
	return key
}

func TestSSACacheKey(t *testing.T) {
	g := NewWithT(t)
	base := ssacacheTestKey(g, "uid", "1", map[string]string{"a": "1", "b": "2"})
	g.Expect(ssacacheTestKey(g, "uid", "1", map[string]string{"b": "2", "a": "1"})).To(Equal(base))
	for name, other := range map[string]ssaCacheKey{
		"uid":             ssacacheTestKey(g, "uid-2", "1", map[string]string{"a": "1", "b": "2"}),
		"resourceVersion": ssacacheTestKey(g, "uid", "2", map[string]string{"a": "1", "b": "2"}),
		"intent":          ssacacheTestKey(g, "uid", "1", map[string]string{"a": "1"}),
		"separator":       ssacacheTestKey(g, "uid1", "", map[string]string{"a": "1", "b": "2"}),
	} {
		g.Expect(other).ToNot(Equal(base), name)
	}
}

func TestSSACacheHasAndExpiry(t *testing.T) {
	g := NewWithT(t)
	c, clock := ssacacheTestCache(time.Hour, 10)
	key := ssacacheTestKey(g, "uid", "1", nil)
	other := ssacacheTestKey(g, "uid", "2", nil)

	g.Expect(c.has(key)).To(BeFalse())
	c.add(key)
	g.Expect(c.has(key)).To(BeTrue())
	g.Expect(c.has(other)).To(BeFalse())

	// A hit refreshes the entry.
	clock.t = clock.t.Add(50 * time.Minute)
	g.Expect(c.has(key)).To(BeTrue())
	clock.t = clock.t.Add(50 * time.Minute)
	g.Expect(c.has(key)).To(BeTrue())

	// Unused for the TTL, it expires and is dropped.
	clock.t = clock.t.Add(time.Hour)
	g.Expect(c.has(key)).To(BeFalse())
	g.Expect(c.size()).To(BeZero())
}

func TestSSACacheDropsExpiredEntriesOnAdd(t *testing.T) {
	g := NewWithT(t)
	c, clock := ssacacheTestCache(time.Hour, 100)
	for i := range 10 {
		c.add(ssacacheTestKey(g, "uid", fmt.Sprint(i), nil))
	}
	g.Expect(c.size()).To(Equal(10))

	clock.t = clock.t.Add(2 * time.Hour)
	fresh := ssacacheTestKey(g, "uid", "fresh", nil)
	c.add(fresh)
	g.Expect(c.size()).To(Equal(1))
	g.Expect(c.has(fresh)).To(BeTrue())
}

func TestSSACacheIsBounded(t *testing.T) {
	g := NewWithT(t)
	c, clock := ssacacheTestCache(time.Hour, 20)
	var keys []ssaCacheKey
	for i := range 20 {
		clock.t = clock.t.Add(time.Second)
		key := ssacacheTestKey(g, "uid", fmt.Sprint(i), nil)
		keys = append(keys, key)
		c.add(key)
	}
	g.Expect(c.size()).To(Equal(20))
	// Refreshing the oldest entry makes it the newest.
	clock.t = clock.t.Add(time.Second)
	g.Expect(c.has(keys[0])).To(BeTrue())

	clock.t = clock.t.Add(time.Second)
	newest := ssacacheTestKey(g, "uid", "newest", nil)
	c.add(newest)
	g.Expect(c.size()).To(BeNumerically("<=", 20))
	g.Expect(c.has(newest)).To(BeTrue())
	g.Expect(c.has(keys[0])).To(BeTrue())
	// The entries that expire first (the oldest not refreshed) went.
	g.Expect(c.has(keys[1])).To(BeFalse())
	g.Expect(c.has(keys[19])).To(BeTrue())

	// Re-adding a present key never evicts.
	sizeBefore := c.size()
	c.add(newest)
	g.Expect(c.size()).To(Equal(sizeBefore))
}

func TestSSACacheLazyCreationIsConcurrencySafe(t *testing.T) {
	g := NewWithT(t)
	r := &Reconciler{}
	caches := make([]*ssaCache, 50)
	var wg sync.WaitGroup
	for i := range caches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := r.applyCache()
			c.add(ssaCacheKey{byte(i)})
			caches[i] = c
		}()
	}
	wg.Wait()
	for _, c := range caches {
		g.Expect(c).To(BeIdenticalTo(caches[0]))
	}
	g.Expect(caches[0].size()).To(Equal(len(caches)))
}
