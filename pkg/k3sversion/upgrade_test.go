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

func Test_ValidateUpgrade(t *testing.T) {
	tests := []struct {
		name    string
		from    string
		to      string
		wantErr error
	}{
		{name: "no change", from: "v1.30.2+k3s1", to: "v1.30.2+k3s1"},
		{name: "k3s build upgrade", from: "v1.30.2+k3s1", to: "v1.30.2+k3s2"},
		{name: "patch upgrade", from: "v1.30.2+k3s2", to: "v1.30.5+k3s1"},
		{name: "minor upgrade", from: "v1.30.2+k3s1", to: "v1.31.0+k3s1"},
		{name: "release candidate to release", from: "v1.31.0-rc1+k3s1", to: "v1.31.0+k3s1"},
		{name: "minor skip", from: "v1.30.2+k3s1", to: "v1.32.0+k3s1", wantErr: ErrMinorSkip},
		{name: "major change", from: "v1.30.2+k3s1", to: "v2.0.0+k3s1", wantErr: ErrMinorSkip},
		{name: "minor downgrade", from: "v1.31.0+k3s1", to: "v1.30.9+k3s1", wantErr: ErrDowngrade},
		{name: "patch downgrade", from: "v1.31.2+k3s1", to: "v1.31.1+k3s3", wantErr: ErrDowngrade},
		{name: "k3s build downgrade", from: "v1.31.2+k3s2", to: "v1.31.2+k3s1", wantErr: ErrDowngrade},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			err := ValidateUpgradeString(tt.from, tt.to)
			if tt.wantErr == nil {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(MatchError(tt.wantErr))
		})
	}
}

func Test_ValidateUpgradeString(t *testing.T) {
	g := NewWithT(t)
	g.Expect(ValidateUpgradeString("bad", "v1.30.0+k3s1")).To(MatchError(ErrInvalidVersion))
	g.Expect(ValidateUpgradeString("v1.30.0+k3s1", "")).To(MatchError(ErrInvalidVersion))
}
