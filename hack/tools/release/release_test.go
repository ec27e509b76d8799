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

package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckMetadata(t *testing.T) {
	const valid = `apiVersion: clusterctl.cluster.x-k8s.io/v1alpha3
kind: Metadata
releaseSeries:
  - major: 0
    minor: 5
    contract: v1beta2
`
	tests := []struct {
		name, metadata, tag, wantErr string
	}{
		{name: "covered tag", metadata: valid, tag: "v0.5.3"},
		{name: "dev tag skips the series check", metadata: valid, tag: DevTag},
		{name: "tag of no series", metadata: valid, tag: "v0.6.0", wantErr: "no release series"},
		{name: "tag not a version", metadata: valid, tag: "latest", wantErr: "not a semantic version"},
		{name: "wrong kind", metadata: strings.Replace(valid, "kind: Metadata", "kind: Other", 1), tag: DevTag, wantErr: "kind Metadata"},
		{name: "no series", metadata: "apiVersion: clusterctl.cluster.x-k8s.io/v1alpha3\nkind: Metadata\n", tag: DevTag, wantErr: "no releaseSeries"},
		{name: "unknown field", metadata: valid + "extra: 1\n", tag: DevTag, wantErr: "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckMetadata([]byte(tt.metadata), tt.tag)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestTemplates(t *testing.T) {
	write := func(t *testing.T, names ...string) string {
		root := t.TempDir()
		for _, n := range names {
			path := filepath.Join(root, TemplatesDir, n)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte("kind: "+n), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return root
	}
	got, err := Templates(write(t, "cluster-template.yaml", "cluster-template-x.yaml", "clusterclass-y.yaml"))
	if err != nil || len(got) != 3 || string(got["clusterclass-y.yaml"]) != "kind: clusterclass-y.yaml" {
		t.Errorf("Templates() = %v, %v; want the three files", got, err)
	}
	if _, err := Templates(write(t, "cluster-template.yaml", "notes.md")); err == nil {
		t.Errorf("a file that is no template must be an error")
	}
	if _, err := Templates(write(t, "cluster-template-x.yaml")); err == nil {
		t.Errorf("a missing default cluster-template.yaml must be an error")
	}
}

// TestComponents builds the repository's kustomizations with another registry and tag.
func TestComponents(t *testing.T) {
	for _, p := range Providers {
		out, err := Components("../../..", p, "registry.test/x", "v9.9.9")
		if err != nil {
			t.Fatalf("%s: %v", p.Kustomization, err)
		}
		if want := "image: registry.test/x/" + p.Image + ":v9.9.9\n"; !strings.Contains(string(out), want) {
			t.Errorf("%s: no %q in the components", p.Kustomization, want)
		}
		if strings.Contains(string(out), DefaultRegistry) {
			t.Errorf("%s: the default registry is left in the components", p.Kustomization)
		}
	}
}
