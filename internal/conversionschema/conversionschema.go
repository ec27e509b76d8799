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

// Package conversionschema answers conversion requests whose objects cannot be read as their own API version with
// the field errors the API server's schema validation gives.
//
// The API server converts every create or update of a version other than the storage version (v1beta3) to the
// storage version before it validates the object against a schema. An object with a field of the wrong type
// (a string where the schema has a list) then fails in the conversion webhook, which cannot decode it, and the
// client got "json: cannot unmarshal string into Go struct field ..." instead of the field path. Only a failed
// conversion is looked at, and in it only objects the webhook cannot decode: an object that decodes converts as
// before, so stored objects that predate a tighter schema stay readable, and a working conversion costs nothing more.
package conversionschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"sync"

	apiextensions "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/conversion"
)

// convertPath is where controller-runtime serves the conversion webhook.
const convertPath = "/convert"

// maxRequestBytes bounds the conversion requests read; the API server sends at most a list's worth of objects.
const maxRequestBytes = 64 << 20

// Validators hold the schema of every served version of some CRDs.
type Validators map[schema.GroupVersionKind]validation.SchemaCreateValidator

// NewValidators reads the schemas of every version of the CRDs.
func NewValidators(crds []*apiextensionsv1.CustomResourceDefinition) (Validators, error) {
	v := Validators{}
	for _, crd := range crds {
		for _, ver := range crd.Spec.Versions {
			if ver.Schema == nil || ver.Schema.OpenAPIV3Schema == nil {
				continue
			}
			internal := &apiextensions.JSONSchemaProps{}
			if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(ver.Schema.OpenAPIV3Schema, internal, nil); err != nil {
				return nil, fmt.Errorf("failed to read the schema of %s %s: %w", crd.Name, ver.Name, err)
			}
			validator, _, err := validation.NewSchemaValidator(internal)
			if err != nil {
				return nil, fmt.Errorf("failed to build the schema validator of %s %s: %w", crd.Name, ver.Name, err)
			}
			v[schema.GroupVersionKind{Group: crd.Spec.Group, Version: ver.Name, Kind: crd.Spec.Names.Kind}] = validator
		}
	}
	return v, nil
}

// registered are the handlers this package put on webhook servers' /convert path, by server.
var (
	registeredMu sync.Mutex
	registered   = map[webhook.Server]*handler{}
)

// Register puts the conversion webhook of mgr's scheme on /convert of mgr's webhook server, wrapped by Handler with
// the schemas of crds; a later call for the same server adds its CRDs to the same handler. It must run before
// controller-runtime's webhook builder registers /convert itself.
func Register(mgr ctrl.Manager, crds func() ([]*apiextensionsv1.CustomResourceDefinition, error)) error {
	list, err := crds()
	if err != nil {
		return err
	}
	validators, err := NewValidators(list)
	if err != nil {
		return err
	}
	registeredMu.Lock()
	defer registeredMu.Unlock()
	server := mgr.GetWebhookServer()
	if h, ok := registered[server]; ok {
		h.add(validators)
		return nil
	}
	if mux := server.WebhookMux(); mux != nil {
		if existing, pattern := mux.Handler(&http.Request{URL: &url.URL{Path: convertPath}}); existing != nil && pattern == convertPath {
			// Another webhook builder served /convert first (a test plane with more providers): leave it.
			return nil
		}
	}
	h := newHandler(conversion.NewWebhookHandler(mgr.GetScheme(), mgr.GetConverterRegistry()), mgr.GetScheme(), validators)
	server.Register(convertPath, h)
	registered[server] = h
	return nil
}

// Handler wraps a conversion webhook handler: when next fails to convert a ConversionReview with an object that the
// scheme cannot decode and that does not match its version's schema, the answer is a failure listing the schema's
// field errors; every other answer of next is sent unchanged.
func Handler(next http.Handler, scheme *runtime.Scheme, validators Validators) http.Handler {
	return newHandler(next, scheme, validators)
}

type handler struct {
	next    http.Handler
	scheme  *runtime.Scheme
	decoder runtime.Decoder

	mu         sync.RWMutex
	validators Validators
}

func newHandler(next http.Handler, scheme *runtime.Scheme, validators Validators) *handler {
	return &handler{next: next, scheme: scheme, decoder: serializer.NewCodecFactory(scheme).UniversalDeserializer(), validators: maps.Clone(validators)}
}

func (h *handler) add(validators Validators) {
	h.mu.Lock()
	defer h.mu.Unlock()
	maps.Copy(h.validators, validators)
}

func (h *handler) validator(gvk schema.GroupVersionKind) (validation.SchemaCreateValidator, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	v, ok := h.validators[gvk]
	return v, ok
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
	if err != nil {
		http.Error(w, "failed to read the request", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	// The objects are checked only when the conversion failed, so a conversion that works costs no second decode.
	out := &bufferedResponse{header: w.Header(), code: http.StatusOK}
	h.next.ServeHTTP(out, r)
	if !conversionFailed(out.body.Bytes()) {
		out.writeTo(w)
		return
	}
	review := &apiextensionsv1.ConversionReview{}
	if err := json.Unmarshal(body, review); err == nil && review.Request != nil {
		for _, raw := range review.Request.Objects {
			if message, invalid := h.schemaErrors(raw.Raw); invalid {
				writeFailure(w, review, message)
				return
			}
		}
	}
	out.writeTo(w)
}

// conversionFailed reports whether a response of the conversion webhook is a ConversionReview with a failed result.
func conversionFailed(response []byte) bool {
	var review struct {
		Response *struct {
			Result metav1.Status `json:"result"`
		} `json:"response"`
	}
	return json.Unmarshal(response, &review) == nil && review.Response != nil && review.Response.Result.Status == metav1.StatusFailure
}

// bufferedResponse holds a response until the handler decided to send it or another one.
type bufferedResponse struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }

func (b *bufferedResponse) WriteHeader(code int) { b.code = code }

func (b *bufferedResponse) writeTo(w http.ResponseWriter) {
	w.WriteHeader(b.code)
	_, _ = w.Write(b.body.Bytes())
}

// schemaErrors tells whether the object cannot be decoded and breaks its version's schema, and says how.
func (h *handler) schemaErrors(raw []byte) (string, bool) {
	if _, _, err := h.decoder.Decode(raw, nil, nil); err == nil {
		return "", false
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(raw); err != nil {
		return "", false
	}
	gvk := obj.GroupVersionKind()
	validator, ok := h.validator(gvk)
	if !ok {
		return "", false
	}
	// metadata is the API server's to check; the schema of a CRD does not describe it.
	content := obj.UnstructuredContent()
	withoutMetadata := make(map[string]any, len(content))
	for k, v := range content {
		if k != "metadata" {
			withoutMetadata[k] = v
		}
	}
	errs := validation.ValidateCustomResource(nil, withoutMetadata, validator)
	if len(errs) == 0 {
		// The schema can let a value pass that the Go type cannot hold (an array where a date-time string goes):
		// the decoder's error then names the field.
		errs = h.decodeErrors(raw, gvk)
	}
	if len(errs) == 0 {
		return "", false
	}
	return apierrors.NewInvalid(gvk.GroupKind(), obj.GetName(), errs).Error(), true
}

// decodeErrors turns a type error of decoding raw into the Go type of gvk into a field error worded like the
// schema's; nil for any other error.
func (h *handler) decodeErrors(raw []byte, gvk schema.GroupVersionKind) field.ErrorList {
	typed, err := h.scheme.New(gvk)
	if err != nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if err := json.Unmarshal(raw, typed); !errors.As(err, &typeErr) || typeErr.Field == "" {
		return nil
	}
	return field.ErrorList{{
		Type: field.ErrorTypeInvalid, Field: typeErr.Field, BadValue: typeErr.Value,
		Detail: fmt.Sprintf("%s in body must be of type %s: %q", typeErr.Field, jsonType(typeErr.Type), typeErr.Value),
	}}
}

// jsonType names the JSON type a Go type is written as.
func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	default:
		return "object"
	}
}

// writeFailure answers the review with a failed result carrying message.
func writeFailure(w http.ResponseWriter, review *apiextensionsv1.ConversionReview, message string) {
	out := &apiextensionsv1.ConversionReview{
		TypeMeta: review.TypeMeta,
		Response: &apiextensionsv1.ConversionResponse{
			UID:    review.Request.UID,
			Result: metav1.Status{Status: metav1.StatusFailure, Reason: metav1.StatusReasonInvalid, Code: http.StatusUnprocessableEntity, Message: message},
		},
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(out); err != nil {
		http.Error(w, "failed to write the response", http.StatusInternalServerError)
	}
}
