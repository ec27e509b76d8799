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

package k3sconfig

import (
	"testing"

	. "github.com/onsi/gomega"
)

func Test_SplitArg(t *testing.T) {
	tests := []struct {
		arg       string
		wantKey   string
		wantValue string
		wantOK    bool
	}{
		{arg: "max-pods=250", wantKey: "max-pods", wantValue: "250", wantOK: true},
		{arg: "--max-pods=250", wantKey: "max-pods", wantValue: "250", wantOK: true},
		{arg: "feature-gates=A=true,B=false", wantKey: "feature-gates", wantValue: "A=true,B=false", wantOK: true},
		{arg: "empty-value=", wantKey: "empty-value", wantValue: "", wantOK: true},
		{arg: "no-value"},
		{arg: "=value"},
		{arg: "--=value"},
		{arg: ""},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			g := NewWithT(t)
			key, value, ok := SplitArg(tt.arg)
			g.Expect(ok).To(Equal(tt.wantOK))
			g.Expect(key).To(Equal(tt.wantKey))
			g.Expect(value).To(Equal(tt.wantValue))
		})
	}
}
