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
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	. "github.com/onsi/gomega"
)

const fakeCABundle = "-----BEGIN CERTIFICATE-----\nZmFrZQ==\n-----END CERTIFICATE-----\n"

var testTime = time.Unix(1700000000, 0).UTC()

// layerFile is what a test sees of one tar entry.
type layerFile struct {
	typeflag byte
	mode     int64
	uid, gid int
	modTime  int64 // Unix seconds: the tar reader returns local times
	body     string
}

// readLayer returns the entries of a layer's uncompressed tar by name, in order.
func readLayer(t *testing.T, l v1.Layer) ([]string, map[string]layerFile) {
	t.Helper()
	g := NewWithT(t)
	rc, err := l.Uncompressed()
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = rc.Close() }()
	return readTar(t, rc)
}

func readTar(t *testing.T, r io.Reader) ([]string, map[string]layerFile) {
	t.Helper()
	g := NewWithT(t)
	var names []string
	files := map[string]layerFile{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		g.Expect(err).NotTo(HaveOccurred())
		body, err := io.ReadAll(tr)
		g.Expect(err).NotTo(HaveOccurred())
		names = append(names, h.Name)
		files[h.Name] = layerFile{typeflag: h.Typeflag, mode: h.Mode, uid: h.Uid, gid: h.Gid, modTime: h.ModTime.Unix(), body: string(body)}
	}
	return names, files
}

func Test_baseLayer(t *testing.T) {
	g := NewWithT(t)
	l, err := baseLayer([]byte(fakeCABundle), testTime)
	g.Expect(err).NotTo(HaveOccurred())
	mt, err := l.MediaType()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(mt).To(Equal(types.OCILayer))

	names, files := readLayer(t, l)
	dir := func(mode int64, uid int) layerFile {
		return layerFile{typeflag: tar.TypeDir, mode: mode, uid: uid, gid: uid, modTime: testTime.Unix()}
	}
	file := func(body string) layerFile {
		return layerFile{typeflag: tar.TypeReg, mode: 0o644, modTime: testTime.Unix(), body: body}
	}
	g.Expect(files).To(Equal(map[string]layerFile{
		"etc/":                              dir(0o755, 0),
		"etc/group":                         file("root:x:0:\nnonroot:x:65532:\n"),
		"etc/passwd":                        file("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"),
		"etc/ssl/":                          dir(0o755, 0),
		"etc/ssl/certs/":                    dir(0o755, 0),
		"etc/ssl/certs/ca-certificates.crt": file(fakeCABundle),
		"home/":                             dir(0o755, 0),
		"home/nonroot/":                     dir(0o700, 65532),
		"root/":                             dir(0o700, 0),
		"tmp/":                              dir(0o1777, 0),
	}))
	// Parents come before their children, as extractors expect.
	for i, n := range names {
		if parent := filepath.Dir(n[:len(n)-1]) + "/"; parent != "./" {
			g.Expect(names[:i]).To(ContainElement(parent), n)
		}
	}
}

func Test_managerLayer(t *testing.T) {
	g := NewWithT(t)
	l, err := managerLayer([]byte("binary"), testTime)
	g.Expect(err).NotTo(HaveOccurred())
	names, files := readLayer(t, l)
	g.Expect(names).To(Equal([]string{"manager"}))
	g.Expect(files["manager"]).To(Equal(layerFile{typeflag: tar.TypeReg, mode: 0o755, uid: 65532, gid: 65532, modTime: testTime.Unix(), body: "binary"}))
}

func Test_tarLayer_reproducible(t *testing.T) {
	g := NewWithT(t)
	digest := func(mtime time.Time) v1.Hash {
		l, err := baseLayer([]byte(fakeCABundle), mtime)
		g.Expect(err).NotTo(HaveOccurred())
		d, err := l.Digest()
		g.Expect(err).NotTo(HaveOccurred())
		return d
	}
	g.Expect(digest(testTime)).To(Equal(digest(testTime)))
	g.Expect(digest(testTime)).NotTo(Equal(digest(testTime.Add(time.Second))))
}

func Test_readCABundle(t *testing.T) {
	dir := t.TempDir()
	valid := filepath.Join(dir, "ca.crt")
	notPEM := filepath.Join(dir, "empty.crt")
	if err := os.WriteFile(valid, []byte(fakeCABundle), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notPEM, []byte("nothing here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		wantErr string
	}{
		{name: "PEM bundle", path: valid},
		{name: "missing file", path: filepath.Join(dir, "missing.crt"), wantErr: "not found: install the ca-certificates package or pass --ca-bundle"},
		{name: "no certificate", path: notPEM, wantErr: "holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			b, err := readCABundle(tt.path)
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(b)).To(Equal(fakeCABundle))
		})
	}
}
