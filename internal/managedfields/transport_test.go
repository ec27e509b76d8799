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

package managedfields

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
	restwatch "k8s.io/client-go/rest/watch"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

func TestTransport(t *testing.T) {
	const withManagedFields = `{"metadata":{"name":"a","managedFields":[{"manager":"m"}]}}`
	const without = `{"metadata":{"name":"a"}}`
	tests := []struct {
		name        string
		method      string
		contentType string
		encoding    string
		want        string
	}{
		{name: "GET JSON", method: http.MethodGet, contentType: "application/json", want: without},
		{name: "GET JSON with parameters (metadata-only watch)", method: http.MethodGet, contentType: "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1", want: without},
		{name: "PATCH: unchanged (server-side apply reads them)", method: http.MethodPatch, contentType: "application/json", want: withManagedFields},
		{name: "protobuf: unchanged", method: http.MethodGet, contentType: "application/vnd.kubernetes.protobuf", want: withManagedFields},
		{name: "compressed: unchanged", method: http.MethodGet, contentType: "application/json", encoding: "gzip", want: withManagedFields},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				if tt.encoding != "" {
					w.Header().Set("Content-Encoding", tt.encoding)
				}
				_, _ = io.WriteString(w, withManagedFields)
			}))
			defer server.Close()
			req, err := http.NewRequest(tt.method, server.URL, http.NoBody)
			if err != nil {
				t.Fatal(err)
			}
			// DisableCompression keeps the transport from decompressing the "gzip" body it did not ask for.
			resp, err := Transport(&http.Transport{DisableCompression: true}).RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = resp.Body.Close() }()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if string(body) != tt.want {
				t.Errorf("got %s, want %s", body, tt.want)
			}
			if tt.want == without && (resp.ContentLength != -1 || resp.Header.Get("Content-Length") != "") {
				t.Errorf("the length of the changed body is still announced: %d %q", resp.ContentLength, resp.Header.Get("Content-Length"))
			}
		})
	}
}

// TestDecodedLikeTheCacheTransform decodes watch events the way client-go does for a controller-runtime cache: the
// objects equal the ones decoded from the full events with their managed fields dropped afterwards (the transform the
// control-plane manager already applied).
func TestDecodedLikeTheCacheTransform(t *testing.T) {
	stream := watchStream(t, 1)
	full, stripped := decodeWatch(t, io.NopCloser(bytes.NewReader(stream))), decodeWatch(t, NewReader(io.NopCloser(bytes.NewReader(stream))))
	if len(full) != len(stripped) || len(full) == 0 {
		t.Fatalf("%d events decoded from the full stream, %d from the stripped one", len(full), len(stripped))
	}
	for i := range full {
		if len(full[i].GetManagedFields()) == 0 || len(stripped[i].GetManagedFields()) != 0 {
			t.Fatalf("event %d: managed fields %d before, %d after", i, len(full[i].GetManagedFields()), len(stripped[i].GetManagedFields()))
		}
		full[i].SetManagedFields(nil)
		if !equality.Semantic.DeepEqual(full[i], stripped[i]) {
			t.Errorf("event %d differs beyond its managed fields:\n%+v\n%+v", i, full[i], stripped[i])
		}
	}
}

// BenchmarkDecodeWatchEvents decodes a Machine's and a Cluster's watch events as a controller-runtime cache does,
// as kube-apiserver sends them and through NewReader.
func BenchmarkDecodeWatchEvents(b *testing.B) {
	stream := watchStream(b, 50)
	for _, bc := range []struct {
		name string
		body func() io.ReadCloser
	}{
		{name: "as sent", body: func() io.ReadCloser { return io.NopCloser(bytes.NewReader(stream)) }},
		{name: "without managed fields", body: func() io.ReadCloser { return NewReader(io.NopCloser(bytes.NewReader(stream))) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				decodeWatch(b, bc.body())
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*100), "µs/event")
		})
	}
}

func watchStream(tb testing.TB, repeat int) []byte {
	tb.Helper()
	machine, cluster := readTestdata(tb, "testdata/machine.json"), readTestdata(tb, "testdata/cluster.json")
	var stream bytes.Buffer
	for range repeat {
		stream.Write(watchEvent(tb, "MODIFIED", machine))
		stream.WriteByte('\n')
		stream.Write(watchEvent(tb, "MODIFIED", cluster))
		stream.WriteByte('\n')
	}
	return stream.Bytes()
}

// decodeWatch decodes body with client-go's watch decoder and the codecs controller-runtime builds from a scheme.
func decodeWatch(tb testing.TB, body io.ReadCloser) []metav1.Object {
	tb.Helper()
	scheme := runtime.NewScheme()
	if err := clusterv1.AddToScheme(scheme); err != nil {
		tb.Fatal(err)
	}
	codecs := serializer.NewCodecFactory(scheme)
	info, ok := runtime.SerializerInfoForMediaType(codecs.WithoutConversion().SupportedMediaTypes(), runtime.ContentTypeJSON)
	if !ok {
		tb.Fatal("no JSON serializer")
	}
	decoder := restwatch.NewDecoder(streaming.NewDecoder(info.StreamSerializer.NewFrameReader(body), info.StreamSerializer.Serializer),
		codecs.WithoutConversion().DecoderToVersion(info.Serializer, clusterv1.GroupVersion))
	var objects []metav1.Object
	for {
		_, obj, err := decoder.Decode()
		if errors.Is(err, io.EOF) {
			return objects
		}
		if err != nil {
			tb.Fatal(err)
		}
		objects = append(objects, obj.(metav1.Object))
	}
}
