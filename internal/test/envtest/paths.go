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

package envtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const (
	// AssetsEnvVar names the directory holding the kube-apiserver and etcd binaries.
	AssetsEnvVar = "KUBEBUILDER_ASSETS"
	// assetsScript builds or reuses the binaries and prints their directory on its last stdout line.
	assetsScript = "hack/envtest-assets.sh"
	// capiModule is the module whose core CRDs are installed.
	capiModule = "sigs.k8s.io/cluster-api"
	// capiCRDSubdir is where the CAPI core CRDs live inside capiModule.
	capiCRDSubdir = "core/config/crd/bases"
	// capiWebhookManifest is the CAPI core admission webhook manifest inside capiModule.
	capiWebhookManifest = "core/config/webhook/manifests.yaml"
)

// OurCRDDirs are this repository's CRD directories, relative to the repository root.
var OurCRDDirs = []string{"bootstrap/config/crd/bases", "controlplane/config/crd/bases"}

// OurWebhookManifests are this repository's webhook configuration manifests, relative to the repository root; the
// ones that do not exist are skipped.
var OurWebhookManifests = []string{"bootstrap/config/webhook/manifests.yaml", "controlplane/config/webhook/manifests.yaml"}

// RepoRoot returns the repository root: the nearest directory at or above the working directory that holds go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("failed to get the working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("failed to look for go.mod in %s: %w", dir, err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("failed to find the repository root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// AssetsDir returns the directory of the envtest binaries: $KUBEBUILDER_ASSETS when set, else the last line that
// hack/envtest-assets.sh prints (the script builds the binaries on a cold cache, which takes minutes).
func AssetsDir(ctx context.Context, repoRoot string) (string, error) {
	if dir := os.Getenv(AssetsEnvVar); dir != "" {
		return dir, nil
	}
	out, err := runIn(ctx, repoRoot, "bash", filepath.Join(repoRoot, assetsScript))
	if err != nil {
		return "", fmt.Errorf("failed to prepare the envtest binaries (set %s to skip %s): %w", AssetsEnvVar, assetsScript, err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	dir := strings.TrimSpace(lines[len(lines)-1])
	if dir == "" {
		return "", fmt.Errorf("%s printed no directory", assetsScript)
	}
	return dir, nil
}

// CAPICRDDir returns the directory of the CAPI core CRDs in the module cache, located with
// `go list -m -f {{.Dir}} sigs.k8s.io/cluster-api` run in the repository root.
func CAPICRDDir(ctx context.Context, repoRoot string) (string, error) {
	modDir, err := ModuleDir(ctx, repoRoot, capiModule)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(modDir, capiCRDSubdir)
	if _, err := os.Stat(filepath.Join(dir, "cluster.x-k8s.io_clusters.yaml")); err != nil {
		return "", fmt.Errorf("failed to find the CAPI core CRDs in %s: %w", dir, err)
	}
	return dir, nil
}

// ModuleDir returns the directory of a module of the repository's build list in the module cache (e.g.
// sigs.k8s.io/cluster-api/test for the in-memory infrastructure's CRDs).
func ModuleDir(ctx context.Context, repoRoot, module string) (string, error) {
	out, err := runIn(ctx, repoRoot, "go", "list", "-m", "-f", "{{.Dir}}", module)
	if err != nil {
		return "", fmt.Errorf("failed to locate module %s: %w", module, err)
	}
	modDir := strings.TrimSpace(out)
	if modDir == "" {
		return "", fmt.Errorf("module %s is not in the module cache; run go mod download %s", module, module)
	}
	return modDir, nil
}

// existingFiles returns those of the paths relative to root that exist, still relative to root.
func existingFiles(root string, rel []string) ([]string, error) {
	var out []string
	for _, r := range rel {
		p := filepath.Join(root, r)
		if _, err := os.Stat(p); err == nil {
			out = append(out, r)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("failed to stat %s: %w", p, err)
		}
	}
	return out, nil
}

// runIn runs a command in dir and returns its stdout; stderr is included in the error.
func runIn(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
