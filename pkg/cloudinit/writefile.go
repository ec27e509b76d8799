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

package cloudinit

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata/model"
)

// writeFile is one write_files entry, with its content already in the encoding that is written.
type writeFile struct {
	path        string
	encoding    string
	owner       string
	permissions string
	content     string
}

// newWriteFile checks f and turns it into a write_files entry. Content that YAML cannot carry as text is
// re-encoded so that the file written on the node holds the same bytes: raw bytes that are not valid UTF-8
// become base64, and gzip bytes become gzip+base64.
func newWriteFile(f model.File) (writeFile, error) {
	if f.Path == "" {
		return writeFile{}, errors.New("path must not be empty")
	}
	if strings.ContainsRune(f.Path, 0) {
		return writeFile{}, errors.New("path must not contain a NUL character")
	}
	for _, field := range []struct{ name, value string }{
		{"path", f.Path}, {"owner", f.Owner}, {"permissions", f.Permissions},
	} {
		if err := checkText(field.value); err != nil {
			return writeFile{}, fmt.Errorf("%s: %w", field.name, err)
		}
	}
	w := writeFile{path: f.Path, owner: f.Owner, permissions: f.Permissions, encoding: f.Encoding, content: f.Content}
	switch f.Encoding {
	case "":
		if !utf8.ValidString(f.Content) {
			w.encoding = model.EncodingBase64
			w.content = base64.StdEncoding.EncodeToString([]byte(f.Content))
		}
	case model.EncodingGzip:
		w.encoding = model.EncodingGzipBase64
		w.content = base64.StdEncoding.EncodeToString([]byte(f.Content))
	case model.EncodingBase64, model.EncodingGzipBase64:
		if !utf8.ValidString(f.Content) {
			return writeFile{}, fmt.Errorf("content is declared %s but is not text", f.Encoding)
		}
	default:
		return writeFile{}, fmt.Errorf("unknown encoding %q: must be empty, %q, %q or %q",
			f.Encoding, model.EncodingBase64, model.EncodingGzip, model.EncodingGzipBase64)
	}
	return w, nil
}

// node returns the write_files entry: path, encoding (if set), owner (if set), permissions (if set), content.
func (w writeFile) node() *yaml.Node {
	m := mapping()
	addPair(m, "path", pathScalar(w.path))
	if w.encoding != "" {
		addPair(m, "encoding", doubleQuoted(w.encoding))
	}
	if w.owner != "" {
		addPair(m, "owner", ownerScalar(w.owner))
	}
	if w.permissions != "" {
		addPair(m, "permissions", singleQuoted(w.permissions))
	}
	addPair(m, "content", literal(w.content))
	return m
}

// checkText returns an error when s cannot be written as YAML text.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("must be valid UTF-8 text")
	}
	return nil
}
