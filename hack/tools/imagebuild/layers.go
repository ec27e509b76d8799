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

package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The user the managers run as: distroless's "nonroot".
const (
	nonrootUID = 65532
	nonrootGID = 65532
)

// caBundlePath is where distroless (and Go's crypto/x509 on Linux) looks for the CA certificates.
const caBundlePath = "etc/ssl/certs/ca-certificates.crt"

const (
	passwdFile = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	groupFile = "root:x:0:\n" +
		"nonroot:x:65532:\n"
)

// tarEntry is one file or directory of a layer; a nil body with Typeflag TypeDir is a directory.
type tarEntry struct {
	header tar.Header
	body   []byte
}

func dirEntry(name string, mode int64, uid, gid int, mtime time.Time) tarEntry {
	return tarEntry{header: tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, Uid: uid, Gid: gid, ModTime: mtime}}
}

func fileEntry(name string, mode int64, uid, gid int, mtime time.Time, body []byte) tarEntry {
	return tarEntry{
		header: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Uid: uid, Gid: gid, ModTime: mtime, Size: int64(len(body))},
		body:   body,
	}
}

// readCABundle reads the host's CA bundle, which the base layer ships so the managers can verify TLS servers.
func readCABundle(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("CA bundle %s not found: install the ca-certificates package or pass --ca-bundle", path)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read CA bundle: %w", err)
	}
	if !bytes.Contains(b, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", path)
	}
	return b, nil
}

// baseEntries is the content of gcr.io/distroless/static:nonroot that matters to a static Go binary: users and
// groups (so the nonroot user has a name and a home), CA certificates and a world-writable /tmp.
func baseEntries(caBundle []byte, mtime time.Time) []tarEntry {
	return []tarEntry{
		dirEntry("etc", 0o755, 0, 0, mtime),
		fileEntry("etc/group", 0o644, 0, 0, mtime, []byte(groupFile)),
		fileEntry("etc/passwd", 0o644, 0, 0, mtime, []byte(passwdFile)),
		dirEntry("etc/ssl", 0o755, 0, 0, mtime),
		dirEntry("etc/ssl/certs", 0o755, 0, 0, mtime),
		fileEntry(caBundlePath, 0o644, 0, 0, mtime, caBundle),
		dirEntry("home", 0o755, 0, 0, mtime),
		dirEntry("home/nonroot", 0o700, nonrootUID, nonrootGID, mtime),
		dirEntry("root", 0o700, 0, 0, mtime),
		dirEntry("tmp", 0o1777, 0, 0, mtime),
	}
}

// baseLayer is the layer of baseEntries; it has the same digest for every platform.
func baseLayer(caBundle []byte, mtime time.Time) (v1.Layer, error) {
	return tarLayer(baseEntries(caBundle, mtime))
}

// managerLayer holds the binary as /manager, executable and owned by the user it runs as.
func managerLayer(binary []byte, mtime time.Time) (v1.Layer, error) {
	return tarLayer([]tarEntry{fileEntry("manager", 0o755, nonrootUID, nonrootGID, mtime, binary)})
}

// tarLayer builds a gzip-compressed OCI layer. Headers carry no user or group names and fixed times, and gzip's
// output only depends on its input and level, so the digest is reproducible.
func tarLayer(entries []tarEntry) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.header
		if err := tw.WriteHeader(&h); err != nil {
			return nil, fmt.Errorf("failed to write tar header of %s: %w", h.Name, err)
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, fmt.Errorf("failed to write %s: %w", h.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("failed to close tar: %w", err)
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(gzip.DefaultCompression),
		// The digest and the layout writer both need the compressed bytes: compress once.
		tarball.WithCompressedCaching)
}
