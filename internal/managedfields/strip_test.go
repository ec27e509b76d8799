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
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestAppendStripped(t *testing.T) {
	const mf = `"managedFields":[{"manager":"m","fieldsV1":{"f:spec":{}}}]`
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "object, managedFields first", in: `{"metadata":{` + mf + `,"name":"a"}}`, want: `{"metadata":{"name":"a"}}`},
		{name: "object, managedFields in the middle", in: `{"metadata":{"name":"a",` + mf + `,"uid":"u"}}`, want: `{"metadata":{"name":"a","uid":"u"}}`},
		{name: "object, managedFields last", in: `{"metadata":{"name":"a",` + mf + `}}`, want: `{"metadata":{"name":"a"}}`},
		{name: "object, managedFields only", in: `{"metadata":{` + mf + `}}`, want: `{"metadata":{}}`},
		{name: "object, managedFields twice", in: `{"metadata":{` + mf + `,` + mf + `,"name":"a",` + mf + `}}`, want: `{"metadata":{"name":"a"}}`},
		{name: "watch event", in: `{"type":"MODIFIED","object":{"kind":"Machine","metadata":{"name":"a",` + mf + `},"spec":{}}}`,
			want: `{"type":"MODIFIED","object":{"kind":"Machine","metadata":{"name":"a"},"spec":{}}}`},
		{name: "list items", in: `{"kind":"MachineList","metadata":{"resourceVersion":"1"},"items":[{"metadata":{` + mf + `,"name":"a"}},{"metadata":{"name":"b",` + mf + `}}]}`,
			want: `{"kind":"MachineList","metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]}`},
		{name: "whitespace around the cut", in: "{ \"metadata\" : { \"name\" : \"a\" ,\n " + mf + " \n } }", want: "{ \"metadata\" : { \"name\" : \"a\"  \n } }"},
		{name: "managedFields outside metadata stays", in: `{"spec":{` + mf + `},"status":{"metadata":{` + mf + `}}}`, want: `{"spec":{` + mf + `},"status":{"metadata":{` + mf + `}}}`},
		{name: "a template's metadata stays", in: `{"metadata":{"name":"a"},"spec":{"template":{"metadata":{` + mf + `}}}}`, want: `{"metadata":{"name":"a"},"spec":{"template":{"metadata":{` + mf + `}}}}`},
		{name: "a watch event's object's spec stays", in: `{"object":{"spec":{"metadata":{` + mf + `}}}}`, want: `{"object":{"spec":{"metadata":{` + mf + `}}}}`},
		{name: "an escaped key stays", in: `{"metadata":{"managed\u0046ields":[]}}`, want: `{"metadata":{"managed\u0046ields":[]}}`},
		{name: "strings with quotes and brackets", in: `{"metadata":{"annotations":{"a":"}\"]{"},` + mf + `}}`, want: `{"metadata":{"annotations":{"a":"}\"]{"}}}`},
		{name: "not an object", in: `["a",1,true,null]`, want: `["a",1,true,null]`},
		{name: "malformed: unchanged", in: `{"metadata":{` + mf + `,}}`, want: `{"metadata":{` + mf + `,}}`},
		{name: "malformed value in managedFields: unchanged", in: `{"metadata":{"managedFields":[01]}}`, want: `{"metadata":{"managedFields":[01]}}`},
		{name: "truncated: unchanged", in: `{"metadata":{` + mf, want: `{"metadata":{` + mf},
		{name: "two values: unchanged", in: `{"metadata":{` + mf + `}} {}`, want: `{"metadata":{` + mf + `}} {}`},
		{name: "managedFields null", in: `{"metadata":{"managedFields":null,"name":"a"}}`, want: `{"metadata":{"name":"a"}}`},
		{name: "managedFields not a list: left for the decoder to refuse", in: `{"metadata":{"managedFields":1}}`, want: `{"metadata":{"managedFields":1}}`},
		{name: "nested deeper than the decoder accepts: unchanged", in: deeplyNested(maxDepth), want: deeplyNested(maxDepth)},
		{name: "nested as deep as the decoder accepts", in: deeplyNested(maxDepth - 2), want: strings.Replace(deeplyNested(maxDepth-2), `,"managedFields":[]`, "", 1)},
		{name: "empty", in: ``, want: ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(AppendStripped(nil, []byte(tt.in))); got != tt.want {
				t.Errorf("AppendStripped(%s)\n got %s\nwant %s", tt.in, got, tt.want)
			}
			if got := string(AppendStripped([]byte("x"), []byte(tt.in))); got != "x"+tt.want {
				t.Errorf("AppendStripped does not append to dst: %s", got)
			}
		})
	}
}

// TestAppendStrippedRealObjects checks objects kube-apiserver wrote in a fleet benchmark: the cut leaves exactly the
// object without metadata.managedFields.
func TestAppendStrippedRealObjects(t *testing.T) {
	for _, file := range []string{"testdata/machine.json", "testdata/cluster.json"} {
		t.Run(file, func(t *testing.T) {
			obj := readTestdata(t, file)
			event := watchEvent(t, "MODIFIED", obj)
			list := []byte(`{"apiVersion":"v1","kind":"List","metadata":{},"items":[` + string(obj) + `,` + string(obj) + `]}`)
			for _, in := range [][]byte{obj, event, list} {
				out := AppendStripped(nil, in)
				assertStrippedLike(t, in, out)
				if len(out) > len(in)*3/4 {
					t.Errorf("%d of %d bytes left: the managed fields of a CAPI object are about half of it", len(out), len(in))
				}
			}
		})
	}
}

// FuzzAppendStripped checks that the cut keeps well-formed input well-formed and equal to the input without the
// managed fields, and leaves malformed input malformed.
func FuzzAppendStripped(f *testing.F) {
	f.Add(readTestdata(f, "testdata/machine.json"))
	f.Add(watchEvent(f, "ADDED", readTestdata(f, "testdata/cluster.json")))
	f.Add([]byte(`{"items":[{"metadata":{"managedFields":[],"a":1}},{"metadata":{"b":[1.5e3,-0,"\u00e9"],"managedFields":{}}}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		out := AppendStripped(nil, in)
		if json.Valid(in) != json.Valid(out) {
			t.Fatalf("well-formed %v in, %v out:\n%q\n%q", json.Valid(in), json.Valid(out), in, out)
		}
		if json.Valid(in) {
			assertStrippedLike(t, in, out)
		}
	})
}

// assertStrippedLike compares out with in decoded and without managedFields where AppendStripped cuts it.
func assertStrippedLike(t *testing.T, in, out []byte) {
	t.Helper()
	var want, got any
	if err := json.Unmarshal(in, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("the cut left malformed JSON: %v\n%s", err, out)
	}
	deleteManagedFields(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %s\nwant the input without managed fields: %s", out, in)
	}
}

// deleteManagedFields is the reference: decoded JSON without the managedFields lists (or nulls) of metadata,
// object.metadata and items[].metadata.
func deleteManagedFields(v any) {
	root, ok := v.(map[string]any)
	if !ok {
		return
	}
	objects := []any{root, root["object"]}
	if items, ok := root["items"].([]any); ok {
		objects = append(objects, items...)
	}
	for _, o := range objects {
		if o, ok := o.(map[string]any); ok {
			if meta, ok := o["metadata"].(map[string]any); ok {
				if _, isList := meta["managedFields"].([]any); isList || meta["managedFields"] == nil {
					delete(meta, "managedFields")
				}
			}
		}
	}
}

// deeplyNested is an object with managed fields and a value nested depth levels deep in its spec.
func deeplyNested(depth int) string {
	return `{"metadata":{"name":"a","managedFields":[]},"spec":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
}

func readTestdata(tb testing.TB, file string) []byte {
	tb.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func watchEvent(tb testing.TB, eventType string, obj []byte) []byte {
	tb.Helper()
	event, err := json.Marshal(map[string]any{"type": eventType, "object": json.RawMessage(obj)})
	if err != nil {
		tb.Fatal(err)
	}
	return event
}
