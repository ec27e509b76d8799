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
	"fmt"
	"maps"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// imageConfig is the runtime configuration of a manager image, the same as the Dockerfile's.
func imageConfig(labels map[string]string) v1.Config {
	return v1.Config{
		User:       strconv.Itoa(nonrootUID) + ":" + strconv.Itoa(nonrootGID),
		Entrypoint: []string{"/manager"},
		WorkingDir: "/",
		Env: []string{
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"SSL_CERT_FILE=/" + caBundlePath,
		},
		Labels: maps.Clone(labels),
	}
}

// buildImage assembles the OCI image of one platform from the base and manager layers.
func buildImage(p v1.Platform, base, manager v1.Layer, created time.Time, labels map[string]string) (v1.Image, error) {
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{
			Created: v1.Time{Time: created}, CreatedBy: "imagebuild: distroless-static-like base (passwd, group, CA certificates, /home/nonroot, /tmp)",
		}},
		mutate.Addendum{Layer: manager, History: v1.History{
			Created: v1.Time{Time: created}, CreatedBy: "imagebuild: COPY manager /manager",
		}},
	)
	if err != nil {
		return nil, fmt.Errorf("failed to append layers: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("failed to read image config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Created = v1.Time{Time: created}
	cf.Config = imageConfig(labels)
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("failed to set image config: %w", err)
	}
	return img, nil
}

// platformImage is an image and the platform it runs on.
type platformImage struct {
	platform v1.Platform
	image    v1.Image
}

// imageIndex is the multi-arch OCI index of the per-platform images, annotated like the images' labels.
func imageIndex(images []platformImage, labels map[string]string) v1.ImageIndex {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, pi := range images {
		p := pi.platform
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: pi.image, Descriptor: v1.Descriptor{Platform: &p}})
	}
	return mutate.Annotations(idx, labels).(v1.ImageIndex)
}
