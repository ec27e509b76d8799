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

package conversiontest

import (
	"encoding/json"
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/conversion"
	"sigs.k8s.io/yaml"

	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion"
)

// FuzzRoundTrip is the body of a native go fuzz target for one spoke kind: any JSON that decodes into the spoke
// must convert to the hub and back without panicking, down-conversion must never fail, and a second round trip
// must change nothing (conversion is stable once the first round has normalised nil/empty values).
func FuzzRoundTrip[S conversion.Convertible, H conversion.Hub](t *testing.T, data []byte, newSpoke func() S, newHub func() H) {
	t.Helper()
	apiconversion.SetAPIVersionGetter(APIVersionGetter)
	spoke := newSpoke()
	if err := json.Unmarshal(data, spoke); err != nil {
		return
	}
	hub := newHub()
	if err := spoke.ConvertTo(hub); err != nil {
		// Up-conversion may reject input the API server would not store (e.g. an unparsable apiVersion).
		return
	}
	once := newSpoke()
	if err := once.ConvertFrom(hub.DeepCopyObject().(conversion.Hub)); err != nil {
		t.Fatalf("down-conversion failed: %v", err)
	}
	hubAgain := newHub()
	if err := once.DeepCopyObject().(conversion.Convertible).ConvertTo(hubAgain); err != nil {
		t.Fatalf("second up-conversion failed: %v", err)
	}
	twice := newSpoke()
	if err := twice.ConvertFrom(hubAgain.DeepCopyObject().(conversion.Hub)); err != nil {
		t.Fatalf("second down-conversion failed: %v", err)
	}
	if !apiequality.Semantic.DeepEqual(hub, hubAgain) {
		t.Fatalf("hub changed on the second round trip:\n%s\n---\n%s", dump(hub), dump(hubAgain))
	}
	// The annotations hold the hub as JSON; semantically equal hubs (nil vs empty maps) may serialise differently,
	// and the hubs were compared above.
	apiconversion.RemoveData(any(once).(metav1.Object))
	apiconversion.RemoveData(any(twice).(metav1.Object))
	if !apiequality.Semantic.DeepEqual(once, twice) {
		t.Fatalf("spoke changed on the second round trip:\n%s\n---\n%s", dump(once), dump(twice))
	}
}

func dump(obj any) string {
	out, _ := yaml.Marshal(obj)
	return string(out)
}
