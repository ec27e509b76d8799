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
	"io"
)

// readChunk is how much the reader asks of the response body at a time.
const readChunk = 32 << 10

// reader hands out a stream of JSON values (a watch response's events, or a list's one value) each without its
// managed fields. It holds back the bytes of a value until the value is complete, so each event reaches the decoder as
// soon as it arrived, as before. A stream that does not start a value with '{' or '[' is passed on as it is.
type reader struct {
	src io.ReadCloser

	value   []byte // bytes of the value being read
	depth   int    // open objects and arrays of that value
	inStr   bool   // inside a string of that value
	escaped bool   // after a backslash in that string
	raw     bool   // not a stream of objects and arrays: pass the rest on unchanged

	out []byte // bytes ready for Read
	off int    // of out, already read
	buf []byte
	err error
}

// NewReader returns body's JSON values without their managed fields (see AppendStripped). Closing it closes body;
// Close may be called while a Read is blocked.
func NewReader(body io.ReadCloser) io.ReadCloser {
	return &reader{src: body}
}

func (r *reader) Read(p []byte) (int, error) {
	for r.off == len(r.out) {
		r.out, r.off = r.out[:0], 0
		if r.err != nil {
			return 0, r.err
		}
		if r.buf == nil {
			r.buf = make([]byte, readChunk)
		}
		n, err := r.src.Read(r.buf)
		r.scan(r.buf[:n])
		if err != nil {
			// A value cut short goes on as it is: the decoder reports it as it would have.
			r.out = append(r.out, r.value...)
			r.value = r.value[:0]
			r.err = err
		}
	}
	n := copy(p, r.out[r.off:])
	r.off += n
	return n, nil
}

func (r *reader) Close() error {
	return r.src.Close()
}

// scan splits chunk into the bytes between values, which go out at once, and the bytes of values, which go out
// stripped once the value is complete. Most of a value's bytes are in strings, which it skips with IndexByte.
func (r *reader) scan(chunk []byte) {
	start := 0 // of chunk, the first byte not yet in out or value
	for i := 0; i < len(chunk); i++ {
		if r.raw {
			r.out = append(r.out, chunk[start:]...)
			return
		}
		c := chunk[i]
		switch {
		case r.depth == 0:
			switch c {
			case ' ', '\t', '\n', '\r':
			case '{', '[':
				r.out = append(r.out, chunk[start:i]...)
				start = i
				r.depth = 1
			default:
				r.raw = true
				i--
			}
		case r.escaped:
			r.escaped = false
		case r.inStr:
			i += stringEnd(chunk[i:])
			if i < len(chunk) {
				r.escaped = chunk[i] == '\\'
				r.inStr = r.escaped
			}
		case c == '"':
			r.inStr = true
		case c == '{' || c == '[':
			r.depth++
		case c == '}' || c == ']':
			r.depth--
			if r.depth == 0 {
				r.value = append(r.value, chunk[start:i+1]...)
				r.out = AppendStripped(r.out, r.value)
				r.value = r.value[:0]
				start = i + 1
			}
		}
	}
	if r.depth > 0 {
		r.value = append(r.value, chunk[start:]...)
	} else {
		r.out = append(r.out, chunk[start:]...)
	}
}

// stringEnd returns the index of the first quote or backslash in b, or len(b).
func stringEnd(b []byte) int {
	quote := bytes.IndexByte(b, '"')
	if quote < 0 {
		quote = len(b)
	}
	if backslash := bytes.IndexByte(b[:quote], '\\'); backslash >= 0 {
		return backslash
	}
	return quote
}
