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

package apiconversion

import (
	"math"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func Test_DurationToSeconds(t *testing.T) {
	tests := []struct {
		name      string
		in        *metav1.Duration
		want      *int32
		wantExact bool
	}{
		{name: "nil", in: nil, want: nil, wantExact: true},
		{name: "whole seconds", in: &metav1.Duration{Duration: 2 * time.Minute}, want: ptr.To[int32](120), wantExact: true},
		{name: "sub-second precision is inexact", in: &metav1.Duration{Duration: 1500 * time.Millisecond}, want: ptr.To[int32](1), wantExact: false},
		{name: "negative", in: &metav1.Duration{Duration: -3 * time.Second}, want: ptr.To[int32](-3), wantExact: true},
		{name: "clamped to int32", in: &metav1.Duration{Duration: time.Duration(math.MaxInt64)}, want: ptr.To[int32](math.MaxInt32), wantExact: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, exact := DurationToSeconds(tt.in)
			g.Expect(got).To(Equal(tt.want))
			g.Expect(exact).To(Equal(tt.wantExact))
		})
	}
}

func Test_SecondsToDuration(t *testing.T) {
	g := NewWithT(t)
	g.Expect(SecondsToDuration(nil, nil)).To(BeNil())
	g.Expect(SecondsToDuration(ptr.To[int32](90), nil)).To(Equal(&metav1.Duration{Duration: 90 * time.Second}))
	// A kept duration that rounds to the same seconds wins; one that does not is ignored.
	kept := &metav1.Duration{Duration: 90*time.Second + 250*time.Millisecond}
	g.Expect(SecondsToDuration(ptr.To[int32](90), kept)).To(Equal(kept))
	g.Expect(SecondsToDuration(ptr.To[int32](91), kept)).To(Equal(&metav1.Duration{Duration: 91 * time.Second}))
}

func Test_PointerIntent(t *testing.T) {
	g := NewWithT(t)
	g.Expect(BoolToPointer(true, nil)).To(Equal(ptr.To(true)))
	g.Expect(BoolToPointer(false, nil)).To(BeNil())
	g.Expect(BoolToPointer(false, ptr.To(false))).To(Equal(ptr.To(false)))
	g.Expect(BoolToPointer(false, ptr.To(true))).To(BeNil())
	g.Expect(Int32ToPointer(0, nil)).To(BeNil())
	g.Expect(Int32ToPointer(0, ptr.To[int32](0))).To(Equal(ptr.To[int32](0)))
	g.Expect(Int32ToPointer(2, nil)).To(Equal(ptr.To[int32](2)))
	g.Expect(StringToPointer("")).To(BeNil())
	g.Expect(PointerToString(nil)).To(Equal(""))
	g.Expect(TimeToPointer(metav1.Time{})).To(BeNil())
	g.Expect(TimeFromPointer(nil)).To(Equal(metav1.Time{}))
}

func Test_CloudProviderRule(t *testing.T) {
	g := NewWithT(t)
	name, disable := CloudProviderFromDisableExternal(false)
	g.Expect(*name).To(Equal("external"))
	g.Expect(*disable).To(BeTrue())
	g.Expect(DisableExternalFromCloudProvider(name, disable)).To(BeFalse())

	name, disable = CloudProviderFromDisableExternal(true)
	g.Expect(*name).To(BeEmpty())
	g.Expect(*disable).To(BeFalse())
	g.Expect(DisableExternalFromCloudProvider(name, disable)).To(BeTrue())

	g.Expect(DisableExternalFromCloudProvider(nil, nil)).To(BeFalse())
	g.Expect(DisableExternalFromCloudProvider(ptr.To("aws"), ptr.To(false))).To(BeFalse())
}
