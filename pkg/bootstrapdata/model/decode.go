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
	"encoding/base64"
	"fmt"
	"strings"
)

// Decode returns the bytes that f declares and whether they are gzip-compressed: Content itself for the
// encodings "" and EncodingGzip, the base64-decoded Content for EncodingBase64 and EncodingGzipBase64. Base64
// may be padded or not and may contain white space, such as line breaks. It returns an error for an unknown
// encoding or invalid base64.
func (f File) Decode() (data []byte, gzipped bool, err error) {
	switch f.Encoding {
	case "":
		return []byte(f.Content), false, nil
	case EncodingGzip:
		return []byte(f.Content), true, nil
	case EncodingBase64, EncodingGzipBase64:
		b, err := decodeBase64(f.Content)
		if err != nil {
			return nil, false, fmt.Errorf("content is declared %s: %w", f.Encoding, err)
		}
		return b, f.Encoding == EncodingGzipBase64, nil
	default:
		return nil, false, fmt.Errorf("unknown encoding %q: must be empty, %q, %q or %q",
			f.Encoding, EncodingBase64, EncodingGzip, EncodingGzipBase64)
	}
}

// decodeBase64 decodes standard base64, padded or not, ignoring white space.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			return -1
		}
		return r
	}, s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err == nil {
		return b, nil
	}
	if b, rawErr := base64.RawStdEncoding.DecodeString(s); rawErr == nil {
		return b, nil
	}
	return nil, fmt.Errorf("invalid base64: %w", err)
}
