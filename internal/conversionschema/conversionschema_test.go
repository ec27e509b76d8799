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

// object is a KThreesControlPlane at v1beta2 whose spec is spec (JSON).
func object(spec string) string {
	return `{"apiVersion":"controlplane.cluster.x-k8s.io/v1beta2","kind":"KThreesControlPlane",` +
		`"metadata":{"name":"cp","namespace":"ns"},"spec":` + spec + `}`
}

// review is a ConversionReview of object(spec).
func review(spec string) []byte {
	data, err := json.Marshal(&apiextensionsv1.ConversionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "ConversionReview"},
		Request: &apiextensionsv1.ConversionRequest{
			UID: "uid-1", DesiredAPIVersion: "controlplane.cluster.x-k8s.io/v1beta3",
			Objects: []runtime.RawExtension{{Raw: []byte(object(spec))}},
		},
	})
	if err != nil {
		panic(err)
	}
	return data
}

// fakeConverter answers like controller-runtime's conversion webhook: a failure with the decoder's message when an
// object cannot be decoded (or always, with failAll), else a success. It counts its calls.
type fakeConverter struct {
	decoder runtime.Decoder
	failAll bool
	calls   int
}

func (f *fakeConverter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls++
	body, _ := io.ReadAll(r.Body)
	in := &apiextensionsv1.ConversionReview{}
	if err := json.Unmarshal(body, in); err != nil || in.Request == nil {
		http.Error(w, "not a ConversionReview", http.StatusBadRequest)
		return
	}
	result := metav1.Status{Status: metav1.StatusSuccess}
	if f.failAll {
		result = metav1.Status{Status: metav1.StatusFailure, Message: "converter refused"}
	}
	for _, o := range in.Request.Objects {
		if _, _, err := f.decoder.Decode(o.Raw, nil, nil); err != nil {
			result = metav1.Status{Status: metav1.StatusFailure, Message: err.Error()}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(&apiextensionsv1.ConversionReview{TypeMeta: in.TypeMeta,
		Response: &apiextensionsv1.ConversionResponse{UID: in.Request.UID, Result: result}})
}

// handlerFixture is the handler under test around a fakeConverter, with the scheme and schemas of v1beta2.
func handlerFixture(tb testing.TB, failAll bool) (http.Handler, *fakeConverter, runtime.Decoder) {
	scheme := runtime.NewScheme()
	if err := controlplanev1beta2.AddToScheme(scheme); err != nil {
		tb.Fatal(err)
	}
	crds, err := crd.CRDs()
	if err != nil {
		tb.Fatal(err)
	}
	validators, err := conversionschema.NewValidators(crds)
	if err != nil {
		tb.Fatal(err)
	}
	decoder := serializer.NewCodecFactory(scheme).UniversalDeserializer()
	next := &fakeConverter{decoder: decoder, failAll: failAll}
	return conversionschema.Handler(next, scheme, validators), next, decoder
}

// serve sends body to h and returns the answer.
func serve(h http.Handler, body []byte) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/convert", bytes.NewReader(body)))
	return rec
}

func TestHandler(t *testing.T) {
	tests := []struct {
		name string
		spec string
		// failAll makes the converter fail every conversion.
		failAll bool
		// wantMessage, when set, is part of the failure the handler answers with instead of the converter's; else
		// the converter's answer is sent unchanged. alsoWant is another part (the schema's errors come in no order).
		wantMessage, alsoWant string
	}{
		{name: "a conversion that works is sent unchanged",
			spec: `{"version":"v1.29.6+k3s1","kthreesConfigSpec":{"agentConfig":{"nodeLabels":["a=b"]}}}`},
		{name: "an object that breaks a schema rule but decodes converts: schema validation happens later",
			spec: `{"version":"v1.29.6+k3s1","replicas":-5}`},
		{name: "a failure with an object that decodes is the converter's", failAll: true,
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
			h, next, _ := handlerFixture(t, tt.failAll)
			body := review(tt.spec)
			direct := serve(next, body)
			got := serve(h, body)

			g.Expect(next.calls).To(Equal(2), "the request reaches the converter")
			if tt.wantMessage == "" {
				g.Expect(got.Code).To(Equal(direct.Code))
				g.Expect(got.Body.String()).To(Equal(direct.Body.String()))
				return
			}
			out := &apiextensionsv1.ConversionReview{}
			g.Expect(json.Unmarshal(got.Body.Bytes(), out)).To(Succeed())
			g.Expect(out.Response.UID).To(BeEquivalentTo("uid-1"))
			g.Expect(out.Response.Result.Status).To(Equal(metav1.StatusFailure))
			g.Expect(out.Response.Result.Message).To(ContainSubstring(tt.wantMessage))
			g.Expect(out.Response.Result.Message).To(ContainSubstring(tt.alsoWant))
		})
	}
}

// FuzzHandler: whatever the spec, the handler answers; it replaces the converter's answer only for an object that
// the scheme cannot decode, and then with a failure that names the object. Input that is not JSON is sent as the
// request body itself, and the converter's answer to it goes out unchanged.
func FuzzHandler(f *testing.F) {
	h, next, decoder := handlerFixture(f, false)
	f.Fuzz(func(t *testing.T, spec []byte) {
		body := spec
		if json.Valid(spec) {
			body = review(string(spec))
		}
		direct := serve(next, body)
		got := serve(h, body)
		if got.Body.String() == direct.Body.String() {
			return
		}
		if !json.Valid(spec) {
			t.Fatalf("the answer to a request that is not a ConversionReview was replaced: %s", got.Body.String())
		}
		if _, _, err := decoder.Decode([]byte(object(string(spec))), nil, nil); err == nil {
			t.Fatalf("the answer for an object that decodes was replaced: %s", got.Body.String())
		}
		out := &apiextensionsv1.ConversionReview{}
		if err := json.Unmarshal(got.Body.Bytes(), out); err != nil || out.Response == nil {
			t.Fatalf("not a ConversionReview: %q", got.Body.String())
		}
		if out.Response.Result.Status != metav1.StatusFailure || !strings.Contains(out.Response.Result.Message, `KThreesControlPlane.controlplane.cluster.x-k8s.io "cp" is invalid`) {
			t.Fatalf("unexpected result: %+v", out.Response.Result)
		}
	})
}
