//go:build e2e

package e2e

import . "github.com/onsi/ginkgo/v2"

var _ = Describe("Quick start", func() {
	It("creates a cluster with one control-plane Machine, then deletes it", func() {})
	DescribeTable("upgrades",
		func(n int) {},
		Entry("maxSurge 0: an old Machine leaves first", 0),
	)
})
