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
	"errors"
	"testing"

	. "github.com/onsi/gomega"
)

func Test_Parse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Version
		wantErr bool
	}{
		{name: "release", in: "v1.34.5+k3s1", want: Version{Major: 1, Minor: 34, Patch: 5, K3sBuild: 1}},
		{name: "multi-digit build", in: "v1.30.14+k3s12", want: Version{Major: 1, Minor: 30, Patch: 14, K3sBuild: 12}},
		{name: "zero patch", in: "v1.31.0+k3s2", want: Version{Major: 1, Minor: 31, K3sBuild: 2}},
		{
			name: "release candidate",
			in:   "v1.31.0-rc1+k3s1",
			want: Version{Major: 1, Minor: 31, PreRelease: "rc1", K3sBuild: 1},
		},
		{
			name: "dotted pre-release",
			in:   "v1.31.0-rc.1+k3s1",
			want: Version{Major: 1, Minor: 31, PreRelease: "rc.1", K3sBuild: 1},
		},
		{name: "empty", in: "", wantErr: true},
		{name: "missing v", in: "1.34.5+k3s1", wantErr: true},
		{name: "missing k3s build", in: "v1.34.5", wantErr: true},
		{name: "k3s0", in: "v1.34.5+k3s0", wantErr: true},
		{name: "leading zero build", in: "v1.34.5+k3s01", wantErr: true},
		{name: "rke2 build", in: "v1.34.5+rke2r1", wantErr: true},
		{name: "dash instead of plus", in: "v1.34.5-k3s1", wantErr: true},
		{name: "two parts", in: "v1.34+k3s1", wantErr: true},
		{name: "leading zero minor", in: "v1.034.5+k3s1", wantErr: true},
		{name: "trailing space", in: "v1.34.5+k3s1 ", wantErr: true},
		{name: "empty pre-release", in: "v1.34.5-+k3s1", wantErr: true},
		{name: "number overflow", in: "v99999999999999999999.1.1+k3s1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := Parse(tt.in)
			if tt.wantErr {
				g.Expect(err).To(HaveOccurred())
				g.Expect(errors.Is(err, ErrInvalidVersion)).To(BeTrue())
				g.Expect(IsValid(tt.in)).To(BeFalse())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
			g.Expect(got.String()).To(Equal(tt.in))
			g.Expect(IsValid(tt.in)).To(BeTrue())
		})
	}
}

func TestVersion_Semver(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Version{Major: 1, Minor: 34, Patch: 5, K3sBuild: 2}.Semver()).To(Equal("v1.34.5"))
	g.Expect(Version{Major: 1, Minor: 31, PreRelease: "rc1", K3sBuild: 1}.Semver()).To(Equal("v1.31.0-rc1"))
}
