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

package conversionschema_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	controlplanev1beta2 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta2"
	crd "github.com/k3s-io/cluster-api-k3s/controlplane/config/crd"
	"github.com/k3s-io/cluster-api-k3s/internal/conversionschema"
)

// review is a ConversionReview of one KThreesControlPlane at v1beta2 whose spec is spec (JSON).
func review(spec string) []byte {
	obj := `{"apiVersion":"controlplane.cluster.x-k8s.io/v1beta2","kind":"KThreesControlPlane",` +
		`"metadata":{"name":"cp","namespace":"ns"},"spec":` + spec + `}`
	data, err := json.Marshal(&apiextensionsv1.ConversionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "ConversionReview"},
		Request: &apiextensionsv1.ConversionRequest{
			UID: "uid-1", DesiredAPIVersion: "controlplane.cluster.x-k8s.io/v1beta3",
			Objects: []runtime.RawExtension{{Raw: []byte(obj)}},
		},
	})
	if err != nil {
		panic(err)
	}
	return data
}

func TestHandler(t *testing.T) {
	scheme := runtime.NewScheme()
	NewWithT(t).Expect(controlplanev1beta2.AddToScheme(scheme)).To(Succeed())
	crds, err := crd.CRDs()
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	validators, err := conversionschema.NewValidators(crds)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())

	tests := []struct {
		name string
		spec string
		// wantNext: the request reaches the wrapped handler, unchanged; otherwise wantMessage is the failure's.
		wantNext    bool
		wantMessage string
		// alsoWant is another part of the message (the schema's errors come in no fixed order).
		alsoWant string
	}{
		{name: "an object that decodes goes on", wantNext: true,
			spec: `{"version":"v1.29.6+k3s1","kthreesConfigSpec":{"agentConfig":{"nodeLabels":["a=b"]}}}`},
		{name: "an object that breaks a schema rule but decodes goes on: schema validation happens later", wantNext: true,
			spec: `{"version":"v1.29.6+k3s1","replicas":-5}`},
		{name: "a string where the schema has a list is answered with the field error",
			spec:        `{"version":"v1.29.6+k3s1","kthreesConfigSpec":{"agentConfig":{"nodeLabels":"a=b"}}}`,
			wantMessage: `KThreesControlPlane.controlplane.cluster.x-k8s.io "cp" is invalid: spec.kthreesConfigSpec.agentConfig.nodeLabels: Invalid value: "string": spec.kthreesConfigSpec.agentConfig.nodeLabels in body must be of type array: "string"`},
		{name: "a value the schema lets pass but the Go type cannot hold is named from the decoder's error",
			spec:        `{"version":"v1.29.6+k3s1","rolloutAfter":["x"]}`,
			wantMessage: `spec.rolloutAfter: Invalid value: "array": spec.rolloutAfter in body must be of type string: "array"`},
		{name: "every field error is listed",
			spec:        `{"version":7,"replicas":"three"}`,
			wantMessage: `spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`,
			alsoWant:    `spec.version: Invalid value: "integer": spec.version in body must be of type string: "integer"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			body := review(tt.spec)
			var nextBody []byte
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				nextBody, _ = io.ReadAll(r.Body)
				w.WriteHeader(http.StatusOK)
			})
			rec := httptest.NewRecorder()
			conversionschema.Handler(next, scheme, validators).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/convert", bytes.NewReader(body)))

			if tt.wantNext {
				g.Expect(nextBody).To(Equal(body))
				return
			}
			g.Expect(nextBody).To(BeNil())
			out := &apiextensionsv1.ConversionReview{}
			g.Expect(json.Unmarshal(rec.Body.Bytes(), out)).To(Succeed())
			g.Expect(out.Response.UID).To(BeEquivalentTo("uid-1"))
			g.Expect(out.Response.Result.Status).To(Equal(metav1.StatusFailure))
			g.Expect(out.Response.Result.Message).To(ContainSubstring(tt.wantMessage))
			g.Expect(out.Response.Result.Message).To(ContainSubstring(tt.alsoWant))
		})
	}
}

// FuzzHandler: whatever the spec, the handler answers; it stops a request only for an object that the scheme
// cannot decode, and then with a failure that names the object. Input that is not JSON is sent as the request body
// itself, which goes on to the wrapped handler.
func FuzzHandler(f *testing.F) {
	scheme := runtime.NewScheme()
	if err := controlplanev1beta2.AddToScheme(scheme); err != nil {
		f.Fatal(err)
	}
	crds, err := crd.CRDs()
	if err != nil {
		f.Fatal(err)
	}
	validators, err := conversionschema.NewValidators(crds)
	if err != nil {
		f.Fatal(err)
	}
	decoder := serializer.NewCodecFactory(scheme).UniversalDeserializer()
	f.Fuzz(func(t *testing.T, spec []byte) {
		body := spec
		if json.Valid(spec) {
			body = review(string(spec))
		}
		nextCalled := false
		next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { nextCalled = true })
		rec := httptest.NewRecorder()
		conversionschema.Handler(next, scheme, validators).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/convert", bytes.NewReader(body)))
		if nextCalled {
			return
		}
		if !json.Valid(spec) {
			t.Fatalf("a request that is not a ConversionReview was stopped: %s", rec.Body.String())
		}
		obj := `{"apiVersion":"controlplane.cluster.x-k8s.io/v1beta2","kind":"KThreesControlPlane","metadata":{"name":"cp","namespace":"ns"},"spec":` + string(spec) + `}`
		if _, _, err := decoder.Decode([]byte(obj), nil, nil); err == nil {
			t.Fatalf("an object that decodes was stopped: %s", rec.Body.String())
		}
		out := &apiextensionsv1.ConversionReview{}
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil || out.Response == nil {
			t.Fatalf("not a ConversionReview: %q", rec.Body.String())
		}
		if out.Response.Result.Status != metav1.StatusFailure || !strings.Contains(out.Response.Result.Message, `KThreesControlPlane.controlplane.cluster.x-k8s.io "cp" is invalid`) {
			t.Fatalf("unexpected result: %+v", out.Response.Result)
		}
	})
}
