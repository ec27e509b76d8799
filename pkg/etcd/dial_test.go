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
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"
)

// TestDialThroughProxy checks the wiring of the real dial function against a stand-in API server on
// 127.0.0.1 that refuses port-forwards: the pod and namespace asked for, the error, and that the
// caller's REST config is left alone.
func TestDialThroughProxy(t *testing.T) {
	g := NewWithT(t)
	var mu sync.Mutex
	var requests []*http.Request
	apiServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.Clone(r.Context()))
		mu.Unlock()
		http.Error(w, "port-forward refused", http.StatusForbidden)
	}))
	t.Cleanup(apiServer.Close)

	restConfig := &rest.Config{Host: apiServer.URL, Timeout: 42 * time.Second}
	conn, _ := newTestConnector(Config{DialTimeout: 200 * time.Millisecond, CallTimeout: 500 * time.Millisecond})
	tlsConfig, err := conn.tlsConfig(keyOf("c1"), mustParseCA(t, newTestCA(t, "etcd-ca")))
	g.Expect(err).NotTo(HaveOccurred())

	dial := dialThroughProxy(conn.cfg)
	c, err := dial(t.Context(), dialTarget{restConfig: restConfig, nodeName: "n1", podName: "etcd-proxy-x2k9p", tlsConfig: tlsConfig})
	g.Expect(c).To(BeNil())
	g.Expect(err).To(MatchError(ContainSubstring("failed to get etcd status")))
	g.Expect(restConfig.Timeout).To(Equal(42*time.Second), "the caller's REST config is not modified")

	mu.Lock()
	defer mu.Unlock()
	g.Expect(requests).NotTo(BeEmpty())
	for _, r := range requests {
		// The port goes in the stream headers, not the URL.
		g.Expect(r.URL.Path).To(Equal("/api/v1/namespaces/kube-system/pods/etcd-proxy-x2k9p/portforward"))
	}
}
