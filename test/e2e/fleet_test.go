//go:build e2e

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

package e2e

import (
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/cluster-api/test/framework/clusterctl"
)

var _ = Describe("Fleet", func() {
	const clusters = 10
	var (
		namespaces [clusters]*corev1.Namespace
		results    [clusters]*clusterctl.ApplyCustomClusterTemplateAndWaitResult
	)
	AfterEach(func(ctx SpecContext) {
		var wg sync.WaitGroup
		for i := range clusters {
			if results[i] == nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer GinkgoRecover()
				defer wg.Done()
				deleteCluster(ctx, namespaces[i], results[i].Cluster)
			}()
		}
		wg.Wait()
	})

	It("creates 10 single-node clusters at once", func(ctx SpecContext) {
		if *backendName != "sim" {
			Skip("10 clusters of real K3s need more than a CI machine")
		}
		from, _ := e2eBackend.k3sVersions()
		start := time.Now()
		var wg sync.WaitGroup
		for i := range clusters {
			wg.Add(1)
			go func() {
				defer GinkgoRecover()
				defer wg.Done()
				namespaces[i], results[i] = createCluster(ctx, clusterSpec{controlPlaneCount: 1, workerCount: 0, version: from})
			}()
		}
		wg.Wait()
		for i := range clusters {
			Expect(results[i]).ToNot(BeNil())
			verifyClusterHealthy(ctx, results[i].Cluster)
		}
		GinkgoWriter.Printf("%d clusters Available after %s\n", clusters, time.Since(start).Round(time.Second))
	})
})
