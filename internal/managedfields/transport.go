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
	"mime"
	"net/http"
)

// Transport returns next with the JSON responses to GET requests (lists, watches and reads) without managed fields.
// It is for a cache's client only: anything that reads managed fields (server-side apply, CAPI's CRD migrator) must
// use another.
func Transport(next http.RoundTripper) http.RoundTripper {
	return transport{next: next}
}

type transport struct{ next http.RoundTripper }

// WrappedRoundTripper lets client-go's helpers (utilnet.CloseIdleConnectionsFor) reach the transport below.
func (t transport) WrappedRoundTripper() http.RoundTripper { return t.next }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || resp.Body == nil || !isPlainJSON(resp.Header) {
		return resp, err
	}
	resp.Body = NewReader(resp.Body)
	resp.ContentLength = -1
	resp.Header.Del("Content-Length")
	return resp, nil
}

// isPlainJSON reports whether the response is uncompressed JSON (protobuf and CBOR responses pass untouched).
func isPlainJSON(h http.Header) bool {
	if enc := h.Get("Content-Encoding"); enc != "" && enc != "identity" {
		return false
	}
	mediaType, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && mediaType == "application/json"
}
