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
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	. "github.com/onsi/gomega"
)

func Test_buildImage(t *testing.T) {
	g := NewWithT(t)
	base, err := baseLayer([]byte(fakeCABundle), testTime)
	g.Expect(err).NotTo(HaveOccurred())
	mgr, err := managerLayer([]byte("binary"), testTime)
	g.Expect(err).NotTo(HaveOccurred())
	labels := map[string]string{"org.opencontainers.image.version": "v1.2.3"}

	img, err := buildImage(v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, base, mgr, testTime, labels)
	g.Expect(err).NotTo(HaveOccurred())

	mt, err := img.MediaType()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(mt).To(Equal(types.OCIManifestSchema1))
	m, err := img.Manifest()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(m.Config.MediaType).To(Equal(types.OCIConfigJSON))
	g.Expect(m.Layers).To(HaveLen(2))

	cf, err := img.ConfigFile()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cf.OS).To(Equal("linux"))
	g.Expect(cf.Architecture).To(Equal("arm64"))
	g.Expect(cf.Variant).To(Equal("v8"))
	g.Expect(cf.Created.Time).To(BeTemporally("==", testTime))
	g.Expect(cf.Config.User).To(Equal("65532:65532"))
	g.Expect(cf.Config.Entrypoint).To(Equal([]string{"/manager"}))
	g.Expect(cf.Config.Cmd).To(BeEmpty())
	g.Expect(cf.Config.WorkingDir).To(Equal("/"))
	g.Expect(cf.Config.Env).To(ContainElement("SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"))
	g.Expect(cf.Config.Labels).To(Equal(labels))
	g.Expect(cf.History).To(HaveLen(2))

	// The config records the uncompressed digests of exactly the two layers.
	g.Expect(cf.RootFS.Type).To(Equal("layers"))
	baseDiff, err := base.DiffID()
	g.Expect(err).NotTo(HaveOccurred())
	mgrDiff, err := mgr.DiffID()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cf.RootFS.DiffIDs).To(Equal([]v1.Hash{baseDiff, mgrDiff}))
}

func Test_parsePlatform(t *testing.T) {
	tests := []struct {
		in      string
		want    v1.Platform
		wantErr bool
	}{
		{in: "linux/amd64", want: v1.Platform{OS: "linux", Architecture: "amd64"}},
		{in: "linux/arm64", want: v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}},
		{in: "linux/arm/v7", want: v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}},
		{in: "linux", wantErr: true},
		{in: "linux/", wantErr: true},
		{in: "linux/arm/v7/x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			g := NewWithT(t)
			got, err := parsePlatform(tt.in)
			if tt.wantErr {
				g.Expect(err).To(HaveOccurred())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}
