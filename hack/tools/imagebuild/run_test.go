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
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	. "github.com/onsi/gomega"
)

// testOptions build the fake manager instead of the real ones, which take minutes to cross-compile.
func testOptions(t *testing.T) *options {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, []byte(fakeCABundle), 0o600); err != nil {
		t.Fatal(err)
	}
	o := defaultOptions()
	o.Registry = "example.test/capi-k3s"
	o.Tag = "v0.0.1-e2e"
	o.Images = stringList{"fake-manager=./testdata/fakemanager"}
	o.LDFlags = "-X github.com/k3s-io/cluster-api-k3s/internal/version.Version=v0.0.1-e2e"
	o.OutDir = t.TempDir()
	o.CABundle = ca
	o.SourceDateEpoch = "1700000000"
	o.Revision = "0123456789abcdef"
	return o
}

func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles a binary for two platforms")
	}
	g := NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	o := testOptions(t)
	var out bytes.Buffer
	results, err := run(ctx, o, &out)
	g.Expect(err).NotTo(HaveOccurred())
	t.Log(out.String())
	g.Expect(results).To(HaveLen(1))
	res := results[0]
	g.Expect(res.Path).To(Equal(filepath.Join(o.OutDir, "fake-manager-v0.0.1-e2e.oci.tar")))
	g.Expect(res.Platforms).To(HaveLen(2))
	for _, p := range res.Platforms {
		g.Expect(p.Compressed).To(BeNumerically(">", 0))
		g.Expect(out.String()).To(ContainSubstring(platformString(p.Platform) + " " + p.Digest.String() + " compressed "))
	}

	t.Run("reproducible", func(t *testing.T) {
		g := NewWithT(t)
		o2 := testOptions(t)
		again, err := run(ctx, o2, io.Discard)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(again[0].Index).To(Equal(res.Index))
		first, err := os.ReadFile(res.Path)
		g.Expect(err).NotTo(HaveOccurred())
		second, err := os.ReadFile(again[0].Path)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(bytes.Equal(first, second)).To(BeTrue(), "the tarballs differ")

		o3 := testOptions(t)
		o3.SourceDateEpoch = "1700000001"
		later, err := run(ctx, o3, io.Discard)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(later[0].Index).NotTo(Equal(res.Index), "the creation time must change the digest")
	})

	t.Run("OCI layout", func(t *testing.T) {
		checkOCILayout(t, res, o)
	})

	t.Run("docker manifest.json", func(t *testing.T) {
		g := NewWithT(t)
		tag, err := name.NewTag(res.Ref)
		g.Expect(err).NotTo(HaveOccurred())
		img, err := tarball.ImageFromPath(res.Path, &tag)
		g.Expect(err).NotTo(HaveOccurred())
		cf, err := img.ConfigFile()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(cf.Architecture).To(Equal("amd64"))
		digest, err := img.ConfigName()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(digest).To(Equal(configDigest(t, res, "amd64")))
		// Reading the layers checks their digests against manifest.json's blob names.
		layers, err := img.Layers()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(layers).To(HaveLen(2))
	})
}

// openIndex extracts the tarball and returns its OCI layout.
func openIndex(t *testing.T, path string) layout.Path {
	t.Helper()
	g := NewWithT(t)
	dir := t.TempDir()
	f, err := os.Open(path)
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = f.Close() }()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		g.Expect(err).NotTo(HaveOccurred())
		target := filepath.Join(dir, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			g.Expect(os.MkdirAll(target, 0o755)).To(Succeed())
			continue
		}
		b, err := io.ReadAll(tr)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(os.WriteFile(target, b, 0o600)).To(Succeed())
	}
	lp, err := layout.FromPath(dir)
	g.Expect(err).NotTo(HaveOccurred())
	return lp
}

func checkOCILayout(t *testing.T, res result, o *options) {
	g := NewWithT(t)
	top, err := openIndex(t, res.Path).ImageIndex()
	g.Expect(err).NotTo(HaveOccurred())
	topManifest, err := top.IndexManifest()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(topManifest.Manifests).To(HaveLen(1))
	entry := topManifest.Manifests[0]
	g.Expect(entry.Digest).To(Equal(res.Index))
	g.Expect(entry.Annotations).To(Equal(map[string]string{
		annotationRefName:       "v0.0.1-e2e",
		annotationContainerName: "example.test/capi-k3s/fake-manager:v0.0.1-e2e",
	}))

	idx, err := top.ImageIndex(entry.Digest)
	g.Expect(err).NotTo(HaveOccurred())
	im, err := idx.IndexManifest()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(im.Annotations).To(HaveKeyWithValue("org.opencontainers.image.revision", "0123456789abcdef"))
	var platforms []string
	for _, d := range im.Manifests {
		g.Expect(d.Platform).NotTo(BeNil())
		platforms = append(platforms, platformString(*d.Platform))
		img, err := idx.Image(d.Digest)
		g.Expect(err).NotTo(HaveOccurred())
		cf, err := img.ConfigFile()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(cf.OS).To(Equal(d.Platform.OS))
		g.Expect(cf.Architecture).To(Equal(d.Platform.Architecture))
		g.Expect(cf.Created.Time).To(BeTemporally("==", time.Unix(1700000000, 0)))
		g.Expect(cf.Config.User).To(Equal("65532:65532"))
		g.Expect(cf.Config.Entrypoint).To(Equal([]string{"/manager"}))
		g.Expect(cf.Config.Labels).To(HaveKeyWithValue("org.opencontainers.image.source", o.SourceURL))

		layers, err := img.Layers()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(layers).To(HaveLen(2))
		_, files := readLayer(t, layers[1])
		mgr := files["manager"]
		g.Expect(mgr.mode).To(Equal(int64(0o755)))
		g.Expect([]int{mgr.uid, mgr.gid}).To(Equal([]int{65532, 65532}))
		checkExecutable(t, d.Platform, []byte(mgr.body))
	}
	g.Expect(platforms).To(Equal([]string{"linux/amd64", "linux/arm64/v8"}))
}

// checkExecutable runs the entrypoint when it was built for this machine: the binary must be the fake manager, linked
// with the requested version.
func checkExecutable(t *testing.T, p *v1.Platform, binary []byte) {
	g := NewWithT(t)
	if p.OS != runtime.GOOS || p.Architecture != runtime.GOARCH {
		return
	}
	path := filepath.Join(t.TempDir(), "manager")
	g.Expect(os.WriteFile(path, binary, 0o700)).To(Succeed())
	out, err := exec.Command(path).CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))
	g.Expect(string(out)).To(HavePrefix("version=v0.0.1-e2e "))
}

func configDigest(t *testing.T, res result, arch string) v1.Hash {
	g := NewWithT(t)
	idx, err := openIndex(t, res.Path).ImageIndex()
	g.Expect(err).NotTo(HaveOccurred())
	nested, err := idx.ImageIndex(res.Index)
	g.Expect(err).NotTo(HaveOccurred())
	img, err := imageFor(nested, v1.Platform{OS: "linux", Architecture: arch})
	g.Expect(err).NotTo(HaveOccurred())
	h, err := img.ConfigName()
	g.Expect(err).NotTo(HaveOccurred())
	return h
}
