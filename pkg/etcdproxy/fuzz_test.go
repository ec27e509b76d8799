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

package etcdproxy

import (
	"testing"
	"unicode/utf8"

	. "github.com/onsi/gomega"
)

// FuzzEtcdProxyManifest renders the manifest with random images and checks that it parses as a DaemonSet whose
// image is exactly the one given, or that Manifest refuses an empty or non-UTF-8 image.
func FuzzEtcdProxyManifest(f *testing.F) {
	f.Add(DefaultImage)
	f.Add("registry.example.com:5000/socat:1.8.0.0+a&b=c")
	f.Add(`it's "quoted" & {{ jinja }} # x`)
	f.Add(" \t\n")
	f.Add("")
	f.Add("\xff")
	f.Fuzz(func(t *testing.T, image string) {
		g := NewWithT(t)
		got, err := Manifest(image)
		if image == "" || !utf8.ValidString(image) {
			g.Expect(err).To(HaveOccurred())
			return
		}
		g.Expect(err).NotTo(HaveOccurred())
		ds := parseManifest(g, got)
		g.Expect(ds.Spec.Template.Spec.Containers).To(HaveLen(1))
		g.Expect(ds.Spec.Template.Spec.Containers[0].Image).To(Equal(image))
		g.Expect(ds.Name).To(Equal(Name))
	})
}
