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
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// options configure a build. Images are "<name>=<Go package>" pairs, e.g.
// "bootstrap-controller=./bootstrap".
type options struct {
	Registry        string
	Tag             string
	Images          stringList
	Platforms       stringList
	LDFlags         string
	OutDir          string
	CABundle        string
	SourceDateEpoch string
	Version         string
	Revision        string
	SourceURL       string
	// DockerPlatform selects the image listed in the tarball's manifest.json, the legacy `docker load` format that
	// holds one image per tag; empty leaves manifest.json out.
	DockerPlatform string
	GoBinary       string
}

func defaultOptions() *options {
	return &options{
		Registry:        "ghcr.io/k3s-io/cluster-api-k3s",
		Tag:             "dev",
		Images:          stringList{"bootstrap-controller=./bootstrap", "controlplane-controller=./controlplane"},
		Platforms:       stringList{"linux/amd64", "linux/arm64"},
		OutDir:          "out/images",
		CABundle:        "/etc/ssl/certs/ca-certificates.crt",
		SourceDateEpoch: os.Getenv("SOURCE_DATE_EPOCH"),
		SourceURL:       "https://github.com/k3s-io/cluster-api-k3s",
		DockerPlatform:  "linux/amd64",
		GoBinary:        "go",
	}
}

func (o *options) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Registry, "registry", o.Registry, "Registry and repository prefix of the image names.")
	fs.StringVar(&o.Tag, "tag", o.Tag, "Image tag.")
	fs.Var(&o.Images, "images", "Comma-separated <image name>=<Go package of the manager> pairs.")
	fs.Var(&o.Platforms, "platforms", "Comma-separated os/arch[/variant] platforms.")
	fs.StringVar(&o.LDFlags, "ldflags", o.LDFlags, "Go linker flags of the managers (version information).")
	fs.StringVar(&o.OutDir, "out", o.OutDir, "Directory of the tarballs.")
	fs.StringVar(&o.CABundle, "ca-bundle", o.CABundle, "PEM CA bundle installed as /etc/ssl/certs/ca-certificates.crt.")
	fs.StringVar(&o.SourceDateEpoch, "source-date-epoch", o.SourceDateEpoch, "Image creation time in Unix seconds (default $SOURCE_DATE_EPOCH, else the last commit's time).")
	fs.StringVar(&o.Version, "version", o.Version, "org.opencontainers.image.version label (default: the tag).")
	fs.StringVar(&o.Revision, "revision", o.Revision, "org.opencontainers.image.revision label (default: git rev-parse HEAD).")
	fs.StringVar(&o.SourceURL, "source", o.SourceURL, "org.opencontainers.image.source label.")
	fs.StringVar(&o.DockerPlatform, "docker-platform", o.DockerPlatform, "Platform listed in the tarball's manifest.json for `docker load` without OCI support; empty for none.")
	fs.StringVar(&o.GoBinary, "go", o.GoBinary, "Go command used to build the managers.")
}

// imageSpec is one image to build.
type imageSpec struct {
	Name    string
	Package string
}

// resolved are the options checked and completed from git.
type resolved struct {
	images    []imageSpec
	platforms []v1.Platform
	created   time.Time
	labels    map[string]string
}

func (o *options) resolve(ctx context.Context) (*resolved, error) {
	r := &resolved{}
	if o.Tag == "" || o.Registry == "" {
		return nil, errors.New("--registry and --tag must not be empty")
	}
	for _, s := range o.Images {
		name, pkg, ok := strings.Cut(s, "=")
		if !ok || name == "" || pkg == "" {
			return nil, fmt.Errorf("invalid --images entry %q: want <image name>=<Go package>", s)
		}
		r.images = append(r.images, imageSpec{Name: name, Package: pkg})
	}
	if len(r.images) == 0 {
		return nil, errors.New("--images is empty")
	}
	for _, s := range o.Platforms {
		p, err := parsePlatform(s)
		if err != nil {
			return nil, err
		}
		r.platforms = append(r.platforms, p)
	}
	if len(r.platforms) == 0 {
		return nil, errors.New("--platforms is empty")
	}
	epoch := o.SourceDateEpoch
	if epoch == "" {
		out, err := exec.CommandContext(ctx, "git", "log", "-1", "--format=%ct").Output()
		if err != nil {
			return nil, fmt.Errorf("no --source-date-epoch/$SOURCE_DATE_EPOCH and no git commit to take the creation time from: %w", err)
		}
		epoch = strings.TrimSpace(string(out))
	}
	sec, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("invalid source date epoch %q: %w", epoch, err)
	}
	r.created = time.Unix(sec, 0).UTC()

	revision := o.Revision
	if revision == "" {
		// Best effort: a source tarball without .git still builds, with an empty revision label.
		if out, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output(); err == nil {
			revision = strings.TrimSpace(string(out))
		}
	}
	version := o.Version
	if version == "" {
		version = o.Tag
	}
	r.labels = map[string]string{
		"org.opencontainers.image.created":  r.created.Format(time.RFC3339),
		"org.opencontainers.image.source":   o.SourceURL,
		"org.opencontainers.image.version":  version,
		"org.opencontainers.image.revision": revision,
		"org.opencontainers.image.licenses": "Apache-2.0",
	}
	return r, nil
}

// parsePlatform parses os/arch[/variant]; arm64 gets variant v8, as buildx and containerd normalise it.
func parsePlatform(s string) (v1.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return v1.Platform{}, fmt.Errorf("invalid platform %q: want os/arch[/variant]", s)
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	if p.Architecture == "arm64" && p.Variant == "" {
		p.Variant = "v8"
	}
	return p, nil
}

// platformString renders a platform as os/arch[/variant].
func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
