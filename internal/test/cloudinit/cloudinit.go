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

// Package cloudinit checks rendered cloud-config documents with the real cloud-init (Debian's package, installed by
// hack/install-cloud-init.sh): `cloud-init devel render` applies the jinja template with instance data as a node
// would at boot, `cloud-init schema --config-file` validates the result, and the rendered document is compared with
// what the bootstrap data means to this repository's own parser (test/infrastructure/k3ssim/node): the same files,
// commands and /etc/rancher/k3s/config.yaml, with the jinja variables of the instance data replaced.
//
// Tests skip when cloud-init is not installed, unless CLOUD_INIT_REQUIRED is set (CI sets it).
package cloudinit

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	// CommandEnvVar names the cloud-init command to run (what hack/install-cloud-init.sh prints).
	CommandEnvVar = "CLOUD_INIT"
	// RequiredEnvVar, when set to anything but "" or "0", turns a missing cloud-init into a test failure.
	RequiredEnvVar = "CLOUD_INIT_REQUIRED"
	// Hostname is the instance's hostname in the instance data.
	Hostname = "k3s-node-0"
	// InstanceID is the instance's id in the instance data.
	InstanceID = "i-0123456789abcdef0"
)

// instanceData is the instance-data.json given to `cloud-init devel render`, shaped like the file cloud-init
// writes on a NoCloud instance: the datasource's meta data under ds (with its own hyphenated keys, which cloud-init
// aliases with underscores, e.g. ds.meta_data.local_hostname) and the standardized keys under v1.
var instanceData = map[string]any{
	"_beta_keys":          []string{"subplatform"},
	"base64_encoded_keys": []string{},
	"sensitive_keys":      []string{},
	"ds": map[string]any{
		"_doc": "EXPERIMENTAL: The structure and format of content scoped under the 'ds' key may change in subsequent releases of cloud-init.",
		"meta_data": map[string]any{
			"instance-id":    InstanceID,
			"local-hostname": Hostname,
		},
	},
	"v1": map[string]any{
		"availability_zone": "test-zone-1a",
		"cloud_id":          "nocloud",
		"cloud_name":        "nocloud",
		"distro":            "debian",
		"distro_release":    "bookworm",
		"distro_version":    "12",
		"instance_id":       InstanceID,
		"kernel_release":    "6.1.0-18-amd64",
		"local_hostname":    Hostname,
		"machine":           "x86_64",
		"platform":          "nocloud",
		"public_ssh_keys":   []string{},
		"python_version":    "3.11.2",
		"region":            "test-region-1",
		"subplatform":       "seed-dir (/var/lib/cloud/seed/nocloud)",
		"system_platform":   "Linux-6.1.0-18-amd64-x86_64-with-glibc2.36",
		"variant":           "debian",
	},
}

// Vars are the jinja variables of the instance data that bootstrap data may use, by the dotted name a template
// writes, with their values: what node.ExpandJinja replaces on the Go side.
var Vars = map[string]string{
	"ds.meta_data.local_hostname": Hostname,
	"ds.meta_data.instance_id":    InstanceID,
	"v1.local_hostname":           Hostname,
	"v1.instance_id":              InstanceID,
	"v1.cloud_name":               "nocloud",
	"v1.platform":                 "nocloud",
	"v1.region":                   "test-region-1",
	"v1.availability_zone":        "test-zone-1a",
	"local_hostname":              Hostname,
	"instance_id":                 InstanceID,
}

// Command returns the cloud-init command: $CLOUD_INIT, else the extraction of hack/install-cloud-init.sh in the
// cache, else cloud-init on PATH. It skips t when there is none, or fails it when CLOUD_INIT_REQUIRED is set.
func Command(t testing.TB) string {
	t.Helper()
	if c := os.Getenv(CommandEnvVar); c != "" {
		return c
	}
	if c := cachedCommand(); c != "" {
		return c
	}
	if c, err := exec.LookPath("cloud-init"); err == nil {
		return c
	}
	if v := os.Getenv(RequiredEnvVar); v != "" && v != "0" {
		t.Fatalf("cloud-init is not installed and %s is set: run `make cloud-init` (hack/install-cloud-init.sh)", RequiredEnvVar)
	}
	t.Skipf("cloud-init is not installed: `make cloud-init` installs it (set %s=1 to make this a failure)", RequiredEnvVar)
	return ""
}

// cachedCommand returns the wrapper hack/install-cloud-init.sh writes when it extracts the packages, or "".
func cachedCommand() string {
	dir := os.Getenv("CLOUD_INIT_CACHE")
	if dir == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return ""
			}
			base = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(base, "cluster-api-k3s", "cloud-init")
	}
	c := filepath.Join(dir, "bin", "cloud-init")
	if st, err := os.Stat(c); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return ""
	}
	return c
}

// writeInstanceData writes the instance data into dir and returns its path.
func writeInstanceData(dir string) (string, error) {
	data, err := json.MarshalIndent(instanceData, "", "  ")
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "instance-data.json")
	return p, os.WriteFile(p, data, 0o600)
}

// HasJinja reports whether s still holds jinja syntax: an expression, a statement or a comment.
func HasJinja(s string) bool {
	return strings.Contains(s, "{{") || strings.Contains(s, "{%") || strings.Contains(s, "{#")
}

// errMissingVariable is reported when cloud-init finds a variable that the instance data does not define.
var errMissingVariable = errors.New("jinja variables missing from the instance data")
