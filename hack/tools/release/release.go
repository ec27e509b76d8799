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

// Package release builds the release artifacts of the providers, as `make release` writes them to out/: the
// clusterctl components of both providers (their kustomize configuration built with the kustomize Go API and the
// release image), the clusterctl metadata.yaml and the cluster templates of templates/.
package release

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"
	clusterctlv1 "sigs.k8s.io/cluster-api/cmd/clusterctl/api/v1alpha3"
	"sigs.k8s.io/kustomize/api/krusty"
	kustomizetypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

const (
	// DefaultRegistry is the registry of the provider images in the kustomize configuration.
	DefaultRegistry = "ghcr.io/k3s-io/cluster-api-k3s"
	// DevTag is the image tag of the kustomize configuration, used when no release tag is given.
	DevTag = "dev"
	// MetadataFile is the clusterctl metadata, at the repository root and in a release.
	MetadataFile = "metadata.yaml"
	// TemplatesDir holds the cluster templates, relative to the repository root.
	TemplatesDir = "templates"
)

// Provider is one of this repository's providers as a release publishes it.
type Provider struct {
	// Type is the clusterctl provider type.
	Type clusterctlv1.ProviderType
	// Kustomization is the directory of the provider's kustomization, relative to the repository root.
	Kustomization string
	// Image is the manager image name under the registry.
	Image string
	// ComponentsFile is the name clusterctl expects for the components of this provider type.
	ComponentsFile string
}

// Providers are the providers a release contains.
var Providers = []Provider{
	{
		Type:           clusterctlv1.BootstrapProviderType,
		Kustomization:  "bootstrap/config/default",
		Image:          "bootstrap-controller",
		ComponentsFile: "bootstrap-components.yaml",
	},
	{
		Type:           clusterctlv1.ControlPlaneProviderType,
		Kustomization:  "controlplane/config/default",
		Image:          "controlplane-controller",
		ComponentsFile: "control-plane-components.yaml",
	},
}

// Options say where to read the repository and write the release, and which images the components run.
type Options struct {
	// RepoRoot is the repository root.
	RepoRoot string
	// OutDir receives the release files; it is created if missing.
	OutDir string
	// Registry replaces DefaultRegistry in the image names; empty keeps it.
	Registry string
	// Tag is the release tag, e.g. v0.5.0, used as image tag; empty means DevTag. A tag other than DevTag must
	// parse as a semantic version that a release series of metadata.yaml covers, as clusterctl requires.
	Tag string
}

// File is a written release file.
type File struct {
	Path string
	Size int
}

// Build writes the components of every provider, metadata.yaml and the cluster templates to o.OutDir.
func Build(o Options) ([]File, error) {
	if o.Registry == "" {
		o.Registry = DefaultRegistry
	}
	if o.Tag == "" {
		o.Tag = DevTag
	}
	metadata, err := os.ReadFile(filepath.Join(o.RepoRoot, MetadataFile))
	if err != nil {
		return nil, fmt.Errorf("failed to read the clusterctl metadata: %w", err)
	}
	if err := CheckMetadata(metadata, o.Tag); err != nil {
		return nil, err
	}
	outputs := map[string][]byte{MetadataFile: metadata}
	for _, p := range Providers {
		components, err := Components(o.RepoRoot, p, o.Registry, o.Tag)
		if err != nil {
			return nil, err
		}
		outputs[p.ComponentsFile] = components
	}
	templates, err := Templates(o.RepoRoot)
	if err != nil {
		return nil, err
	}
	for name, data := range templates {
		outputs[name] = data
	}

	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", o.OutDir, err)
	}
	names := make([]string, 0, len(outputs))
	for name := range outputs {
		names = append(names, name)
	}
	slices.Sort(names)
	files := make([]File, 0, len(names))
	for _, name := range names {
		path := filepath.Join(o.OutDir, name)
		if err := os.WriteFile(path, outputs[name], 0o644); err != nil { //nolint:gosec // release files are public
			return nil, fmt.Errorf("failed to write %s: %w", path, err)
		}
		files = append(files, File{Path: path, Size: len(outputs[name])})
	}
	return files, nil
}

// Components builds the kustomization of p with the manager image <registry>/<p.Image>:<tag>. The image is set by
// a temporary overlay with an images entry, the way `kustomize edit set image` would, so the configuration in the
// repository keeps the development image.
func Components(repoRoot string, p Provider, registry, tag string) ([]byte, error) {
	base, err := filepath.Abs(filepath.Join(repoRoot, p.Kustomization))
	if err != nil {
		return nil, fmt.Errorf("failed to resolve %s: %w", p.Kustomization, err)
	}
	overlay, err := os.MkdirTemp("", "capi-k3s-release-")
	if err != nil {
		return nil, fmt.Errorf("failed to create the overlay directory: %w", err)
	}
	defer func() { _ = os.RemoveAll(overlay) }()

	// kustomize accepts only relative paths to other kustomizations.
	relBase, err := filepath.Rel(overlay, base)
	if err != nil {
		return nil, fmt.Errorf("failed to resolve %s: %w", p.Kustomization, err)
	}
	image := registry + "/" + p.Image + ":" + tag
	kustomization, err := yaml.Marshal(kustomizetypes.Kustomization{
		TypeMeta:  kustomizetypes.TypeMeta{APIVersion: kustomizetypes.KustomizationVersion, Kind: kustomizetypes.KustomizationKind},
		Resources: []string{filepath.ToSlash(relBase)},
		Images:    []kustomizetypes.Image{{Name: DefaultRegistry + "/" + p.Image, NewName: registry + "/" + p.Image, NewTag: tag}},
	})
	if err != nil {
		return nil, fmt.Errorf("failed to write the overlay kustomization: %w", err)
	}
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), kustomization, 0o600); err != nil {
		return nil, fmt.Errorf("failed to write the overlay kustomization: %w", err)
	}

	// The legacy order, as `kustomize build` writes it: Namespace and CRDs first, webhook configurations last.
	options := krusty.MakeDefaultOptions()
	options.Reorder = krusty.ReorderOptionLegacy
	resources, err := krusty.MakeKustomizer(options).Run(filesys.MakeFsOnDisk(), overlay)
	if err != nil {
		return nil, fmt.Errorf("failed to build %s: %w", p.Kustomization, err)
	}
	out, err := resources.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("failed to write the components of %s: %w", p.Kustomization, err)
	}
	// An image name in the configuration that differs from the one above would be left alone silently.
	if !bytes.Contains(out, []byte("image: "+image+"\n")) {
		return nil, fmt.Errorf("the components of %s do not run image %s: is the manager image in the configuration %s/%s?",
			p.Kustomization, image, DefaultRegistry, p.Image)
	}
	return out, nil
}

// Templates returns the cluster templates (cluster-template*.yaml) and ClusterClasses (clusterclass-*.yaml) of the
// templates directory by file name. Other files there are an error, so nothing is left out silently.
func Templates(repoRoot string) (map[string][]byte, error) {
	dir := filepath.Join(repoRoot, TemplatesDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("failed to list the cluster templates: %w", err)
	}
	templates := map[string][]byte{}
	for _, e := range entries {
		name := e.Name()
		isTemplate := strings.HasPrefix(name, "cluster-template") || strings.HasPrefix(name, "clusterclass-")
		if e.IsDir() || !strings.HasSuffix(name, ".yaml") || !isTemplate {
			return nil, fmt.Errorf("%s/%s is neither a cluster-template*.yaml nor a clusterclass-*.yaml", TemplatesDir, name)
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("failed to read a cluster template: %w", err)
		}
		templates[name] = data
	}
	if _, ok := templates["cluster-template.yaml"]; !ok {
		return nil, fmt.Errorf("%s has no default cluster-template.yaml", TemplatesDir)
	}
	return templates, nil
}

// CheckMetadata validates clusterctl metadata the way clusterctl does (apiVersion, kind, at least one release
// series) and, unless tag is DevTag, that a release series covers the tag: clusterctl rejects a version that none
// covers.
func CheckMetadata(data []byte, tag string) error {
	m := &clusterctlv1.Metadata{}
	if err := yaml.UnmarshalStrict(data, m); err != nil {
		return fmt.Errorf("invalid %s: %w", MetadataFile, err)
	}
	if m.APIVersion != clusterctlv1.GroupVersion.String() || m.Kind != "Metadata" {
		return fmt.Errorf("invalid %s: want apiVersion %s and kind Metadata, got %q and %q", MetadataFile, clusterctlv1.GroupVersion, m.APIVersion, m.Kind)
	}
	if len(m.ReleaseSeries) == 0 {
		return fmt.Errorf("invalid %s: no releaseSeries", MetadataFile)
	}
	if tag == DevTag {
		return nil
	}
	v, err := version.ParseSemantic(tag)
	if err != nil {
		return fmt.Errorf("release tag %q is not a semantic version: %w", tag, err)
	}
	if m.GetReleaseSeriesForVersion(v) == nil {
		return errors.New("no release series of " + MetadataFile + " covers " + tag + ": add " +
			fmt.Sprintf("major %d, minor %d", v.Major(), v.Minor()) + " with its CAPI contract")
	}
	return nil
}
