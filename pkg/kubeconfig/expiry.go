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
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// maxCheckedExpiries bounds the memo of checked kubeconfigs; past it the memo starts over (clusters deleted long ago
// leave their entries behind until then).
const maxCheckedExpiries = 1 << 14

// checkedExpiries remembers the client certificates' expiry of each kubeconfig Secret at the resource version it was
// read at: the control plane checks the kubeconfig on every reconcile, and parsing it each time was a few per cent of
// the control-plane manager's CPU in the fleet benchmark. A Secret changed in any way is parsed again.
var checkedExpiries = expiryMemo{entries: map[types.UID]checkedExpiry{}}

type expiryMemo struct {
	mu      sync.Mutex
	entries map[types.UID]checkedExpiry
}

type checkedExpiry struct {
	resourceVersion string
	expiry          time.Time
}

// needsRotation is NeedsRotation for the kubeconfig in s, parsed only when s changed since the last call. A
// kubeconfig that cannot be checked is not remembered: it is rotated.
func (m *expiryMemo) needsRotation(s *corev1.Secret, now time.Time) (bool, error) {
	expiry, err := m.expiry(s)
	if err != nil {
		return true, err
	}
	return expiry.Before(now.Add(RenewalThreshold)), nil
}

// expiry is earliestExpiry of the kubeconfig in s, remembered for s's UID and resource version when it has both.
func (m *expiryMemo) expiry(s *corev1.Secret) (time.Time, error) {
	rememberable := s.UID != "" && s.ResourceVersion != ""
	if rememberable {
		m.mu.Lock()
		checked, ok := m.entries[s.UID]
		m.mu.Unlock()
		if ok && checked.resourceVersion == s.ResourceVersion {
			return checked.expiry, nil
		}
	}
	expiry, err := earliestExpiry(s.Data[DataKey])
	if err != nil || !rememberable {
		return expiry, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.entries) >= maxCheckedExpiries {
		clear(m.entries)
	}
	m.entries[s.UID] = checkedExpiry{resourceVersion: s.ResourceVersion, expiry: expiry}
	return expiry, nil
}
