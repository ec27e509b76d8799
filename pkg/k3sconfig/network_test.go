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
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func Test_ValidatePort(t *testing.T) {
	tests := []struct {
		port    string
		wantErr bool
	}{
		{port: ""},
		{port: "1"},
		{port: "6443"},
		{port: "65535"},
		{port: "0", wantErr: true},
		{port: "65536", wantErr: true},
		{port: "06443", wantErr: true},
		{port: "+443", wantErr: true},
		{port: "-1", wantErr: true},
		{port: " 443", wantErr: true},
		{port: "https", wantErr: true},
		{port: "99999999999999999999", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.port, func(t *testing.T) {
			g := NewWithT(t)
			errs := ValidatePort(tt.port, field.NewPath("port"))
			if tt.wantErr {
				g.Expect(errs).To(HaveLen(1))
				g.Expect(errs[0].Error()).To(HavePrefix("port: Invalid value"))
				return
			}
			g.Expect(errs).To(BeEmpty())
		})
	}
}

func Test_ValidateCIDRList(t *testing.T) {
	tests := []struct {
		value   string
		wantErr bool
	}{
		{value: ""},
		{value: "10.42.0.0/16"},
		{value: "fd00:42::/56"},
		{value: "10.42.0.0/16,fd00:42::/56"},
		{value: "10.42.0.0/16, fd00:42::/56"},
		{value: "10.42.0.0", wantErr: true},
		{value: "10.42.0.0/33", wantErr: true},
		{value: ",", wantErr: true},
		{value: "fd00:42::/56,fd00:43::/56", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			g := NewWithT(t)
			errs := ValidateCIDRList(tt.value, field.NewPath("cidr"))
			g.Expect(errs.ToAggregate() != nil).To(Equal(tt.wantErr), "errors: %v", errs)
		})
	}
}

func Test_ValidateIPList(t *testing.T) {
	tests := []struct {
		value   string
		wantErr bool
	}{
		{value: ""},
		{value: "10.43.0.10"},
		{value: "10.43.0.10,fd00:43::a"},
		{value: "10.43.0.10,", wantErr: true},
		{value: "10.43.0.0/16", wantErr: true},
		{value: "dns.local", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			g := NewWithT(t)
			errs := ValidateIPList(tt.value, field.NewPath("dns"))
			g.Expect(errs.ToAggregate() != nil).To(Equal(tt.wantErr), "errors: %v", errs)
		})
	}
}
