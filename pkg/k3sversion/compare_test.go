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

package k3sversion

import (
	"testing"

	. "github.com/onsi/gomega"
)

func Test_Compare(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want int
	}{
		{name: "equal", a: "v1.34.5+k3s1", b: "v1.34.5+k3s1", want: 0},
		{name: "major", a: "v2.0.0+k3s1", b: "v1.99.99+k3s9", want: 1},
		{name: "minor numeric not lexical", a: "v1.9.0+k3s1", b: "v1.10.0+k3s1", want: -1},
		{name: "patch", a: "v1.34.6+k3s1", b: "v1.34.5+k3s3", want: 1},
		{name: "semver before k3s build", a: "v1.34.5+k3s9", b: "v1.34.6+k3s1", want: -1},
		{name: "k3s build", a: "v1.34.5+k3s2", b: "v1.34.5+k3s1", want: 1},
		{name: "k3s build numeric not lexical", a: "v1.34.5+k3s10", b: "v1.34.5+k3s9", want: 1},
		{name: "pre-release older than release", a: "v1.34.0-rc1+k3s1", b: "v1.34.0+k3s1", want: -1},
		{name: "pre-release ordering", a: "v1.34.0-rc2+k3s1", b: "v1.34.0-rc1+k3s1", want: 1},
		{name: "numeric identifiers", a: "v1.34.0-rc.10+k3s1", b: "v1.34.0-rc.9+k3s1", want: 1},
		{name: "numeric before alphanumeric", a: "v1.34.0-1+k3s1", b: "v1.34.0-alpha+k3s1", want: -1},
		{name: "more identifiers is newer", a: "v1.34.0-rc.1.1+k3s1", b: "v1.34.0-rc.1+k3s1", want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			a, err := Parse(tt.a)
			g.Expect(err).NotTo(HaveOccurred())
			b, err := Parse(tt.b)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(Compare(a, b)).To(Equal(tt.want))
			g.Expect(Compare(b, a)).To(Equal(-tt.want))
		})
	}
}
