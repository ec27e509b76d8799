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

package kubeconfig

import (
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Test_expiryMemo checks that a kubeconfig Secret is parsed again exactly when it changed: the memo answers for the
// resource version it read, and never for a kubeconfig that could not be checked.
func Test_expiryMemo(t *testing.T) {
	now := time.Now()
	fresh := kubeconfigExpiringAt(t, "https://h:6443", now.Add(RenewalThreshold+time.Hour))
	expiring := kubeconfigExpiringAt(t, "https://h:6443", now.Add(RenewalThreshold-time.Hour))
	secretOf := func(uid types.UID, resourceVersion string, kubeconfig []byte) *corev1.Secret {
		return &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{UID: uid, ResourceVersion: resourceVersion},
			Data:       map[string][]byte{DataKey: kubeconfig},
		}
	}
	tests := []struct {
		name    string
		first   *corev1.Secret
		then    *corev1.Secret
		want    bool
		wantErr bool
	}{
		// The same resource version with other data cannot happen on a server; here it shows the memo answered.
		{name: "unchanged: remembered", first: secretOf("u", "1", fresh), then: secretOf("u", "1", expiring), want: false},
		{name: "unchanged and expiring: remembered", first: secretOf("u", "1", expiring), then: secretOf("u", "1", fresh), want: true},
		{name: "a new resource version is read", first: secretOf("u", "1", fresh), then: secretOf("u", "2", expiring), want: true},
		{name: "another Secret is read", first: secretOf("u", "1", fresh), then: secretOf("v", "1", expiring), want: true},
		{name: "a kubeconfig that could not be checked is not remembered", first: secretOf("u", "1", []byte("{{{")), then: secretOf("u", "1", fresh), want: false},
		{name: "no uid: not remembered", first: secretOf("", "1", fresh), then: secretOf("", "1", expiring), want: true},
		{name: "no resource version: not remembered", first: secretOf("u", "", fresh), then: secretOf("u", "", expiring), want: true},
		{name: "unchanged and not checkable", first: secretOf("u", "1", []byte("{{{")), then: secretOf("u", "1", []byte("{{{")), want: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			memo := &expiryMemo{entries: map[types.UID]checkedExpiry{}}
			_, _ = memo.needsRotation(tt.first, now)
			got, err := memo.needsRotation(tt.then, now)
			if tt.wantErr {
				g.Expect(err).To(HaveOccurred())
			} else {
				g.Expect(err).ToNot(HaveOccurred())
			}
			g.Expect(got).To(Equal(tt.want))
		})
	}

	t.Run("the remembered expiry is compared with the time of each call", func(t *testing.T) {
		g := NewWithT(t)
		memo := &expiryMemo{entries: map[types.UID]checkedExpiry{}}
		g.Expect(memo.needsRotation(secretOf("u", "1", fresh), now)).To(BeFalse())
		g.Expect(memo.needsRotation(secretOf("u", "1", fresh), now.Add(2*time.Hour))).To(BeTrue())
	})
	t.Run("a Secret without uid or resource version is not remembered", func(t *testing.T) {
		g := NewWithT(t)
		memo := &expiryMemo{entries: map[types.UID]checkedExpiry{}}
		g.Expect(memo.needsRotation(secretOf("", "1", fresh), now)).To(BeFalse())
		g.Expect(memo.needsRotation(secretOf("u", "", fresh), now)).To(BeFalse())
		g.Expect(memo.entries).To(BeEmpty())
	})
	t.Run("a full memo starts over", func(t *testing.T) {
		g := NewWithT(t)
		memo := &expiryMemo{entries: map[types.UID]checkedExpiry{}}
		for i := range maxCheckedExpiries {
			memo.entries[types.UID(strconv.Itoa(i))] = checkedExpiry{}
		}
		g.Expect(memo.needsRotation(secretOf("u", "1", fresh), now)).To(BeFalse())
		g.Expect(memo.entries).To(HaveLen(1))
	})
}
