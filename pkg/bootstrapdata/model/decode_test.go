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

package model

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestFile_Decode(t *testing.T) {
	tests := []struct {
		name        string
		file        File
		wantData    string
		wantGzipped bool
		wantErr     string
	}{
		{name: "plain", file: File{Content: "a\n"}, wantData: "a\n"},
		{name: "plain bytes", file: File{Content: "\xff\x00"}, wantData: "\xff\x00"},
		{name: "base64", file: File{Encoding: EncodingBase64, Content: "aGVsbG8="}, wantData: "hello"},
		{name: "base64 with line breaks and no padding", file: File{Encoding: EncodingBase64, Content: "aGVs\r\nbG8"},
			wantData: "hello"},
		{name: "gzip", file: File{Encoding: EncodingGzip, Content: "\x1f\x8b"}, wantData: "\x1f\x8b", wantGzipped: true},
		{name: "gzip+base64", file: File{Encoding: EncodingGzipBase64, Content: "H4s="}, wantData: "\x1f\x8b",
			wantGzipped: true},
		{name: "invalid base64", file: File{Encoding: EncodingBase64, Content: "a!"}, wantErr: "invalid base64"},
		{name: "unknown encoding", file: File{Encoding: "b64"}, wantErr: `unknown encoding "b64"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			data, gzipped, err := tt.file.Decode()
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(data)).To(Equal(tt.wantData))
			g.Expect(gzipped).To(Equal(tt.wantGzipped))
		})
	}
}

func TestIsKnownEncoding(t *testing.T) {
	g := NewWithT(t)
	for _, e := range []string{"", EncodingBase64, EncodingGzip, EncodingGzipBase64} {
		g.Expect(IsKnownEncoding(e)).To(BeTrue(), e)
	}
	for _, e := range []string{"b64", "gz", "text/plain", "BASE64"} {
		g.Expect(IsKnownEncoding(e)).To(BeFalse(), e)
	}
}
