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
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// corpusHeader is the first line of every file of a Go fuzz corpus.
const corpusHeader = "go test fuzz v1"

// ReadCorpus reads the seed corpus of a native Go fuzz target (testdata/fuzz/<Target>): the arguments of each
// entry, by file name. Only the types the repository's targets take are read: string, []byte and byte (uint8).
func ReadCorpus(dir string) (map[string][]any, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string][]any{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		args, err := parseCorpusEntry(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, e.Name()), err)
		}
		out[e.Name()] = args
	}
	return out, nil
}

// SortedNames returns the names of a corpus in order.
func SortedNames(corpus map[string][]any) []string {
	names := make([]string, 0, len(corpus))
	for n := range corpus {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func parseCorpusEntry(data []byte) ([]any, error) {
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) == 0 || lines[0] != corpusHeader {
		return nil, fmt.Errorf("not a Go fuzz corpus entry (first line %q)", lines[0])
	}
	var args []any
	for _, line := range lines[1:] {
		typ, lit, ok := strings.Cut(strings.TrimSpace(line), "(")
		if !ok || !strings.HasSuffix(lit, ")") {
			return nil, fmt.Errorf("malformed line %q", line)
		}
		lit = strings.TrimSuffix(lit, ")")
		switch typ {
		case "string", "[]byte":
			s, err := strconv.Unquote(lit)
			if err != nil {
				return nil, fmt.Errorf("line %q: %w", line, err)
			}
			if typ == "string" {
				args = append(args, s)
			} else {
				args = append(args, bytes.Clone([]byte(s)))
			}
		case "byte", "uint8":
			v, err := parseByte(lit)
			if err != nil {
				return nil, fmt.Errorf("line %q: %w", line, err)
			}
			args = append(args, v)
		default:
			return nil, fmt.Errorf("line %q: type %s is not supported", line, typ)
		}
	}
	return args, nil
}

// parseByte reads a byte written as a character literal ('\x01', as the fuzzer writes it) or a number.
func parseByte(lit string) (uint8, error) {
	if strings.HasPrefix(lit, "'") {
		v, _, tail, err := strconv.UnquoteChar(strings.TrimSuffix(strings.TrimPrefix(lit, "'"), "'"), '\'')
		if err != nil || tail != "" || v > 0xff {
			return 0, fmt.Errorf("invalid byte literal %s", lit)
		}
		return uint8(v), nil
	}
	v, err := strconv.ParseUint(lit, 0, 8)
	return uint8(v), err
}

// IsCloudConfig reports whether data is a cloud-config document: "#cloud-config" first, or after a
// "## template: jinja" line.
func IsCloudConfig(data []byte) bool {
	first, rest, _ := bytes.Cut(data, []byte("\n"))
	if bytes.HasPrefix(bytes.ToLower(first), []byte("## template:")) {
		first, _, _ = bytes.Cut(rest, []byte("\n"))
	}
	return string(bytes.TrimRight(first, " \t\r")) == "#cloud-config"
}
