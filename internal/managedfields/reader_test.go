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
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReader(t *testing.T) {
	machine, cluster := readTestdata(t, "testdata/machine.json"), readTestdata(t, "testdata/cluster.json")
	stream := bytes.Join([][]byte{watchEvent(t, "ADDED", machine), watchEvent(t, "MODIFIED", cluster), watchEvent(t, "DELETED", machine)}, []byte("\n"))
	stream = append(stream, '\n')
	var want []byte
	for _, line := range bytes.SplitAfter(stream, []byte("\n")) {
		want = AppendStripped(want, bytes.TrimSuffix(line, []byte("\n")))
		if bytes.HasSuffix(line, []byte("\n")) {
			want = append(want, '\n')
		}
	}

	tests := []struct {
		name string
		body io.Reader
		want []byte
	}{
		{name: "watch events", body: bytes.NewReader(stream), want: want},
		{name: "watch events a byte at a time", body: iotest.OneByteReader(bytes.NewReader(stream)), want: want},
		{name: "watch events in halves", body: iotest.HalfReader(bytes.NewReader(stream)), want: want},
		{name: "a list", body: bytes.NewReader([]byte(`{"items":[{"metadata":{"managedFields":[],"name":"a"}}]}`)), want: []byte(`{"items":[{"metadata":{"name":"a"}}]}`)},
		{name: "a value cut short goes on as it is", body: strings.NewReader(`{"metadata":{"managedFields":[]}}{"metadata":{"managedFields":`),
			want: []byte(`{"metadata":{}}{"metadata":{"managedFields":`)},
		{name: "not JSON objects: passed on", body: strings.NewReader(" 12 {\"metadata\":{\"managedFields\":[]}}"), want: []byte(" 12 {\"metadata\":{\"managedFields\":[]}}")},
		{name: "empty", body: strings.NewReader(""), want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := io.ReadAll(NewReader(io.NopCloser(tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestReaderHandsOutAnEventOnceComplete checks that a watch event is readable before the next one arrives: the
// decoder must not wait for the stream to go on.
func TestReaderHandsOutAnEventOnceComplete(t *testing.T) {
	pr, pw := io.Pipe()
	r := NewReader(pr)
	go func() {
		_, _ = pw.Write([]byte(`{"type":"ADDED","object":{"metadata":{"managedFields":[{}],`))
		_, _ = pw.Write([]byte(`"name":"a"}}}` + "\n" + `{"type":`))
	}()
	want := `{"type":"ADDED","object":{"metadata":{"name":"a"}}}`
	got := make([]byte, 0, len(want))
	buf := make([]byte, 8)
	for len(got) < len(want) {
		n, err := r.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if string(got[:len(want)]) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	_ = pw.CloseWithError(errors.New("stream ended"))
	rest, err := io.ReadAll(r)
	if err == nil || err.Error() != "stream ended" {
		t.Errorf("the stream's error is not passed on: %v", err)
	}
	if rest = append(got[len(want):], rest...); string(rest) != "\n{\"type\":" {
		t.Errorf("the bytes after the event: got %q", rest)
	}
}

// FuzzReader reads streams in chunks of any size: a stream of well-formed values comes out as each value stripped
// with the bytes between values kept; a stream without managed fields comes out unchanged, well-formed or not.
func FuzzReader(f *testing.F) {
	machine := readTestdata(f, "testdata/machine.json")
	f.Add(append(append(watchEvent(f, "ADDED", machine), '\n'), watchEvent(f, "DELETED", machine)...), uint8(7))
	f.Add([]byte(`{"a":"\\\"}"} [1,{"metadata":{"managedFields":[]}}] {"metadata":{"managedFields":[],"b":"}"}}`), uint8(1))
	f.Add([]byte(`{"metadata":{"managedFields":[`), uint8(3))
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint8) {
		got, err := io.ReadAll(NewReader(io.NopCloser(&chunkReader{data: stream, size: int(chunk%64) + 1})))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(stream, []byte("managedFields")) && !bytes.Equal(got, stream) {
			t.Fatalf("a stream without managed fields changed:\n%q\n%q", stream, got)
		}
		if want, ok := strippedValues(stream); ok && !bytes.Equal(got, want) {
			t.Fatalf("got  %q\nwant %q", got, want)
		}
	})
}

// strippedValues is the reference: the stream's values, found by encoding/json, each through AppendStripped; false
// when the stream is not a sequence of objects and arrays.
func strippedValues(stream []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(stream))
	var out []byte
	prev := 0
	for {
		var v json.RawMessage
		if err := dec.Decode(&v); err == io.EOF {
			return append(out, stream[prev:]...), true
		} else if err != nil || (v[0] != '{' && v[0] != '[') {
			return nil, false
		}
		end := int(dec.InputOffset())
		valueStart := end - len(v)
		out = append(out, stream[prev:valueStart]...)
		out = AppendStripped(out, stream[valueStart:end])
		prev = end
	}
}

// chunkReader returns its data size bytes at a time.
type chunkReader struct {
	data []byte
	size int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.size)], c.data)
	c.data = c.data[n:]
	return n, nil
}

func TestReaderCloseClosesTheBody(t *testing.T) {
	body := &closeRecorder{Reader: strings.NewReader("{}")}
	if err := NewReader(body).Close(); err != nil {
		t.Fatal(err)
	}
	if !body.closed {
		t.Error("the body was not closed")
	}
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error {
	c.closed = true
	return nil
}
