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
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DurationToSeconds converts a duration to whole seconds, clamped to the int32 range. It reports whether the
// conversion was exact, so the caller can keep the original value when it was not.
func DurationToSeconds(d *metav1.Duration) (*int32, bool) {
	if d == nil {
		return nil, true
	}
	secs := d.Duration / time.Second
	exact := d.Duration%time.Second == 0
	switch {
	case secs > math.MaxInt32:
		secs, exact = math.MaxInt32, false
	case secs < math.MinInt32:
		secs, exact = math.MinInt32, false
	}
	s := int32(secs)
	return &s, exact
}

// SecondsToDuration converts seconds to a duration. When restored is a duration that converts to the same seconds,
// restored is returned instead, so a value written with sub-second precision survives a round trip.
func SecondsToDuration(secs *int32, restored *metav1.Duration) *metav1.Duration {
	if secs == nil {
		return nil
	}
	if restored != nil {
		if back, _ := DurationToSeconds(restored); back != nil && *back == *secs {
			return restored.DeepCopy()
		}
	}
	return &metav1.Duration{Duration: time.Duration(*secs) * time.Second}
}

// BoolToPointer converts a bool of an old API version to the *bool of the hub: true becomes &true, false becomes
// nil unless the hub the object was converted from held &false.
func BoolToPointer(in bool, restored *bool) *bool {
	if in {
		return &in
	}
	if restored != nil && !*restored {
		return restored
	}
	return nil
}

// Int32ToPointer converts an int32 of an old API version to the *int32 of the hub: 0 becomes nil unless the hub the
// object was converted from held &0.
func Int32ToPointer(in int32, restored *int32) *int32 {
	if in != 0 {
		return &in
	}
	if restored != nil && *restored == 0 {
		return restored
	}
	return nil
}

// StringToPointer converts a string of the hub to the *string of an old API version: "" becomes nil.
func StringToPointer(in string) *string {
	if in == "" {
		return nil
	}
	return &in
}

// PointerToString converts a *string of an old API version to the string of the hub: nil becomes "".
func PointerToString(in *string) string {
	if in == nil {
		return ""
	}
	return *in
}

// TimeFromPointer converts an optional time of an old API version to the hub's value type.
func TimeFromPointer(in *metav1.Time) metav1.Time {
	if in == nil {
		return metav1.Time{}
	}
	return *in
}

// TimeToPointer converts the hub's time value to the optional time of an old API version; the zero time becomes nil.
func TimeToPointer(in metav1.Time) *metav1.Time {
	if in.IsZero() {
		return nil
	}
	return &in
}
