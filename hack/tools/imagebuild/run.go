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
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// result describes one written tarball.
type result struct {
	Ref       string
	Path      string
	Index     v1.Hash
	Size      int64
	Platforms []platformResult
}

// platformResult describes one platform's image in a tarball.
type platformResult struct {
	Platform v1.Platform
	Digest   v1.Hash
	// Compressed is the sum of the compressed layer sizes: what a node pulls.
	Compressed int64
}

// run builds every image and reports the tarballs on w.
func run(ctx context.Context, o *options, w io.Writer) ([]result, error) {
	r, err := o.resolve(ctx)
	if err != nil {
		return nil, err
	}
	var dockerPlatform *v1.Platform
	if o.DockerPlatform != "" {
		p, err := parsePlatform(o.DockerPlatform)
		if err != nil {
			return nil, fmt.Errorf("invalid --docker-platform: %w", err)
		}
		dockerPlatform = &p
	}
	ca, err := readCABundle(o.CABundle)
	if err != nil {
		return nil, err
	}
	base, err := baseLayer(ca, r.created)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", o.OutDir, err)
	}
	work, err := os.MkdirTemp("", "imagebuild-")
	if err != nil {
		return nil, fmt.Errorf("failed to create work directory: %w", err)
	}
	defer func() { _ = os.RemoveAll(work) }()

	var results []result
	for _, spec := range r.images {
		ref, err := name.NewTag(o.Registry+"/"+spec.Name+":"+o.Tag, name.StrictValidation)
		if err != nil {
			return nil, fmt.Errorf("invalid image name: %w", err)
		}
		res, err := buildOne(ctx, o, r, spec, ref, base, dockerPlatform, work, w)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", ref.Name(), err)
		}
		results = append(results, *res)
	}
	return results, nil
}

// buildOne builds the per-platform images of spec and writes their index as a tarball.
func buildOne(ctx context.Context, o *options, r *resolved, spec imageSpec, ref name.Tag, base v1.Layer,
	dockerPlatform *v1.Platform, work string, w io.Writer) (*result, error) {
	res := &result{Ref: ref.Name(), Path: filepath.Join(o.OutDir, spec.Name+"-"+o.Tag+".oci.tar")}
	var images []platformImage
	for _, p := range r.platforms {
		bin := filepath.Join(work, spec.Name+"-"+strings.ReplaceAll(platformString(p), "/", "-"))
		start := time.Now()
		if err := buildManager(ctx, o.GoBinary, spec.Package, p, o.LDFlags, bin); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(bin)
		if err != nil {
			return nil, fmt.Errorf("failed to read the built manager: %w", err)
		}
		mgr, err := managerLayer(data, r.created)
		if err != nil {
			return nil, err
		}
		img, err := buildImage(p, base, mgr, r.created, r.labels)
		if err != nil {
			return nil, err
		}
		pr := platformResult{Platform: p}
		if pr.Digest, err = img.Digest(); err != nil {
			return nil, fmt.Errorf("failed to compute image digest: %w", err)
		}
		if pr.Compressed, err = compressedSize(img); err != nil {
			return nil, err
		}
		_, _ = fmt.Fprintf(w, "%s %s %s compressed %s (binary %s, built in %s)\n", ref.Name(), platformString(p), pr.Digest,
			mib(pr.Compressed), mib(int64(len(data))), time.Since(start).Round(100*time.Millisecond))
		res.Platforms = append(res.Platforms, pr)
		images = append(images, platformImage{platform: p, image: img})
	}
	idx := imageIndex(images, r.labels)
	var err error
	if res.Index, err = idx.Digest(); err != nil {
		return nil, fmt.Errorf("failed to compute index digest: %w", err)
	}
	if dockerPlatform != nil {
		if _, err := imageFor(idx, *dockerPlatform); err != nil {
			// Only list a platform in manifest.json when it was built.
			dockerPlatform = nil
		}
	}
	if err := writeArchive(res.Path, idx, ref, dockerPlatform, work, r.created); err != nil {
		return nil, err
	}
	fi, err := os.Stat(res.Path)
	if err != nil {
		return nil, fmt.Errorf("failed to stat %s: %w", res.Path, err)
	}
	res.Size = fi.Size()
	_, _ = fmt.Fprintf(w, "%s index %s -> %s (%s)\n", ref.Name(), res.Index, res.Path, mib(res.Size))
	return res, nil
}

func compressedSize(img v1.Image) (int64, error) {
	layers, err := img.Layers()
	if err != nil {
		return 0, fmt.Errorf("failed to get layers: %w", err)
	}
	var total int64
	for _, l := range layers {
		s, err := l.Size()
		if err != nil {
			return 0, fmt.Errorf("failed to get layer size: %w", err)
		}
		total += s
	}
	return total, nil
}

func mib(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
