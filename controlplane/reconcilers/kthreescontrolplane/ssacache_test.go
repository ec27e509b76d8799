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
	"maps"
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

// ssacacheTestKey is the key of applying labels (label "a" always among them) to an object whose label "a" has the
// value state.
func ssacacheTestKey(g Gomega, uid, state string, labels map[string]string) ssaCacheKey {
	labels = maps.Clone(labels)
	if labels == nil {
		labels = map[string]string{}
	}
	if _, ok := labels["a"]; !ok {
		labels["a"] = "1"
	}
	intent := &unstructured.Unstructured{}
	intent.SetAPIVersion("v1")
	intent.SetKind("Thing")
	intent.SetName("thing")
	intent.SetUID("uid")
	intent.SetLabels(labels)
	current := intent.DeepCopy()
	current.SetLabels(map[string]string{"a": state, "b": "2"})
	key, err := newSSACacheKey(uid, intent, current.Object)
	g.Expect(err).ToNot(HaveOccurred())
	return key
}

func TestSSACacheKey(t *testing.T) {
	g := NewWithT(t)
	base := ssacacheTestKey(g, "uid", "1", map[string]string{"a": "1", "b": "2"})
	g.Expect(ssacacheTestKey(g, "uid", "1", map[string]string{"b": "2", "a": "1"})).To(Equal(base))
	for name, other := range map[string]ssaCacheKey{
		"uid":    ssacacheTestKey(g, "uid-2", "1", map[string]string{"a": "1", "b": "2"}),
		"values": ssacacheTestKey(g, "uid", "2", map[string]string{"a": "1", "b": "2"}),
		"intent": ssacacheTestKey(g, "uid", "1", map[string]string{"a": "1"}),
	} {
		g.Expect(other).ToNot(Equal(base), name)
	}
}

// TestSSACacheKeyIgnoresFieldsOutsideTheIntent: writes of other fields (status, other labels, the resourceVersion)
// keep the key, a changed or removed value of an intended field changes it.
func TestSSACacheKeyIgnoresFieldsOutsideTheIntent(t *testing.T) {
	g := NewWithT(t)
	intent := &unstructured.Unstructured{Object: map[string]any{
		// No annotations are applied: an empty map, as metadataApplyIntent sets it.
		"metadata": map[string]any{"name": "m", "labels": map[string]any{"a": "1"}, "annotations": map[string]any{}},
		"spec":     map[string]any{"gates": []any{"x"}, "timeouts": map[string]any{"drain": int64(5)}},
	}}
	object := func(mutate func(map[string]any)) map[string]any {
		obj := map[string]any{
			"metadata": map[string]any{"name": "m", "resourceVersion": "1", "labels": map[string]any{"a": "1", "other": "o"}},
			"spec":     map[string]any{"gates": []any{"x"}, "timeouts": map[string]any{"drain": int64(5), "detach": int64(1)}, "providerID": "p"},
			"status":   map[string]any{"ready": false},
		}
		if mutate != nil {
			mutate(obj)
		}
		return obj
	}
	key := func(obj map[string]any) ssaCacheKey {
		k, err := newSSACacheKey("uid", intent, obj)
		g.Expect(err).ToNot(HaveOccurred())
		return k
	}
	base := key(object(nil))
	for name, mutate := range map[string]func(map[string]any){
		"status":          func(o map[string]any) { o["status"] = map[string]any{"ready": true} },
		"resourceVersion": func(o map[string]any) { o["metadata"].(map[string]any)["resourceVersion"] = "2" },
		"other label":     func(o map[string]any) { o["metadata"].(map[string]any)["labels"].(map[string]any)["other"] = "changed" },
		"other spec":      func(o map[string]any) { o["spec"].(map[string]any)["providerID"] = "q" },
		"other timeout":   func(o map[string]any) { o["spec"].(map[string]any)["timeouts"].(map[string]any)["detach"] = int64(2) },
		// e.g. the certificates expiry the control plane records: it made every KThreesConfig be applied again.
		"annotations of others where none are applied": func(o map[string]any) {
			o["metadata"].(map[string]any)["annotations"] = map[string]any{"machine.cluster.x-k8s.io/certificates-expiry": "2027-12-07T05:00:00Z"}
		},
	} {
		g.Expect(key(object(mutate))).To(Equal(base), name)
	}
	for name, mutate := range map[string]func(map[string]any){
		"changed label":   func(o map[string]any) { o["metadata"].(map[string]any)["labels"].(map[string]any)["a"] = "2" },
		"removed label":   func(o map[string]any) { delete(o["metadata"].(map[string]any)["labels"].(map[string]any), "a") },
		"list grew":       func(o map[string]any) { o["spec"].(map[string]any)["gates"] = []any{"x", "y"} },
		"changed timeout": func(o map[string]any) { o["spec"].(map[string]any)["timeouts"].(map[string]any)["drain"] = int64(6) },
	} {
		g.Expect(key(object(mutate))).ToNot(Equal(base), name)
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

// TestSSACacheKeepsTheLastApplyOfAnObject: an object has one entry, its last apply; an earlier apply of it is
// not skipped any more, even when the object holds that apply's values again (a label added, then removed).
func TestSSACacheKeepsTheLastApplyOfAnObject(t *testing.T) {
	g := NewWithT(t)
	first := ssacacheTestKey(g, "uid", "1", map[string]string{"a": "1"})
	second := ssacacheTestKey(g, "uid", "1", map[string]string{"a": "1", "extra": "x"})
	otherObject := ssacacheTestKey(g, "uid-2", "1", map[string]string{"a": "1"})
	tests := []struct {
		name    string
		applied []ssaCacheKey
		want    map[ssaCacheKey]bool
	}{
		{name: "a later apply replaces the earlier one", applied: []ssaCacheKey{first, second},
			want: map[ssaCacheKey]bool{first: false, second: true}},
		{name: "the earlier intent applied again replaces the later one", applied: []ssaCacheKey{first, second, first},
			want: map[ssaCacheKey]bool{first: true, second: false}},
		{name: "other objects keep their entries", applied: []ssaCacheKey{first, otherObject, second},
			want: map[ssaCacheKey]bool{first: false, second: true, otherObject: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			c, _ := ssacacheTestCache(time.Hour, 10)
			for _, key := range tt.applied {
				c.add(key)
			}
			for key, want := range tt.want {
				g.Expect(c.has(key)).To(Equal(want))
			}
		})
	}

	t.Run("forget drops the object's entry", func(t *testing.T) {
		g := NewWithT(t)
		c, _ := ssacacheTestCache(time.Hour, 10)
		c.add(first)
		c.add(otherObject)
		c.forget(second)
		g.Expect(c.has(first)).To(BeFalse())
		g.Expect(c.has(otherObject)).To(BeTrue())
		g.Expect(c.size()).To(Equal(1))
	})
}

func TestSSACacheDropsExpiredEntriesOnAdd(t *testing.T) {
	g := NewWithT(t)
	c, clock := ssacacheTestCache(time.Hour, 100)
	for i := range 10 {
		c.add(ssacacheTestKey(g, fmt.Sprint("uid-", i), "1", nil))
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
		key := ssacacheTestKey(g, fmt.Sprint("uid-", i), "1", nil)
		keys = append(keys, key)
		c.add(key)
	}
	g.Expect(c.size()).To(Equal(20))
	// Refreshing the oldest entry makes it the newest.
	clock.t = clock.t.Add(time.Second)
	g.Expect(c.has(keys[0])).To(BeTrue())

	clock.t = clock.t.Add(time.Second)
	newest := ssacacheTestKey(g, "uid-newest", "1", nil)
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
			c.add(ssaCacheKey{object: ssaCacheObject{uid: fmt.Sprint(i)}})
			caches[i] = c
		}()
	}
	wg.Wait()
	for _, c := range caches {
		g.Expect(c).To(BeIdenticalTo(caches[0]))
	}
	g.Expect(caches[0].size()).To(Equal(len(caches)))
}
