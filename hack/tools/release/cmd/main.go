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

// Command release writes the release artifacts (make release): both providers' components with the release image,
// metadata.yaml and the cluster templates.
package main

import (
	"flag"
	"log/slog"
	"os"

	"github.com/k3s-io/cluster-api-k3s/hack/tools/release"
)

func main() {
	o := release.Options{}
	flag.StringVar(&o.RepoRoot, "root", ".", "Repository root.")
	flag.StringVar(&o.OutDir, "out", "out", "Directory the release files are written to.")
	flag.StringVar(&o.Registry, "registry", release.DefaultRegistry, "Registry of the provider images.")
	flag.StringVar(&o.Tag, "tag", release.DevTag, "Release tag: the image tag, a semantic version covered by metadata.yaml unless "+release.DevTag+".")
	flag.Parse()

	files, err := release.Build(o)
	if err != nil {
		slog.Error("Release failed", "error", err)
		os.Exit(1)
	}
	for _, f := range files {
		slog.Info("Wrote release file", "path", f.Path, "bytes", f.Size)
	}
}
