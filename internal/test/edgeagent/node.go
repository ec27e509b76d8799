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

package edgeagent

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runTimeout bounds one run; the stubs make a run take milliseconds.
const runTimeout = time.Minute

// Node is a throwaway node for a translated command (Translate with Options.Root = Node.Root). Root stands for
// the node's /, and stubs first on PATH stand for sudo (env_reset: a fresh environment), curl (prints the installer
// stand-in instead of downloading get.k3s.io) and kubectl; the installer stand-in records its program, arguments
// and INSTALL_K3S_* environment. Commands run as the current user, or as nobody when that is root, so nothing
// outside the directory can change.
type Node struct {
	// Root stands for the node's /.
	Root string

	bash, bin, records, events, installer string
	staged                                map[string]bool
}

// NewNode returns an empty node in a new temporary directory, removed when t ends. It skips t when bash, which
// the node agent runs the command with, is missing.
func NewNode(t testing.TB) *Node {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed: the edge agent runs its command with bash")
	}
	dir, err := os.MkdirTemp("", "edgeagent-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	n := &Node{Root: filepath.Join(dir, "root"), bash: bash, bin: filepath.Join(dir, "bin"),
		records: filepath.Join(dir, "records"), events: filepath.Join(dir, "events"),
		installer: filepath.Join(dir, "installer"), staged: map[string]bool{}}
	for _, d := range []string{n.Root, n.bin, n.records} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		n.events:                        "",
		n.installer:                     fmt.Sprintf(installerStub, n.records, n.events),
		filepath.Join(n.bin, "sudo"):    fmt.Sprintf(sudoStub, n.Root),
		filepath.Join(n.bin, "curl"):    fmt.Sprintf(curlStub, n.events, n.installer),
		filepath.Join(n.bin, "kubectl"): fmt.Sprintf(kubectlStub, n.events),
	}
	for p, content := range files {
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// The stubs. The installer records one run per file, numbered in order.
const (
	installerStub = `#!/bin/sh
f=%[1]s/install.$(ls %[1]s | wc -l)
{ printf '0=%%s\n' "$0"; for a in "$@"; do printf 'arg=%%s\n' "$a"; done; env | grep '^INSTALL_K3S_' | sort; } > "$f"
printf 'install %%s\n' "$*" >> %[2]s
`
	sudoStub = `#!/bin/sh
exec env -i PATH="$PATH" HOME=%s/root "$@"
`
	curlStub = `#!/bin/sh
printf 'curl %%s\n' "$*" >> %s
cat %s
`
	kubectlStub = `#!/bin/sh
printf 'kubectl %%s\n' "$*" >> %s
`
)

// StageInstallScript puts the installer stand-in at path on the node, as an air-gapped image has the K3s install
// script; Files does not list it.
func (n *Node) StageInstallScript(path string) error {
	p := filepath.Join(n.Root, path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	content, err := os.ReadFile(n.installer)
	if err != nil {
		return err
	}
	n.staged[path] = true
	return os.WriteFile(p, content, 0o755)
}

// Run runs command as the node agent does, bash -o pipefail -c <command>, with umask 022 (systemd's default for
// the agent's service), no standard input and only the stubs and /usr/bin:/bin on PATH. It returns the combined
// output.
func (n *Node) Run(command string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, n.bash, "-o", "pipefail", "-c", "umask 022; "+command)
	cmd.Dir = n.Root
	cmd.Env = []string{"PATH=" + n.bin + ":/usr/bin:/bin"}
	if err := unprivileged(cmd, filepath.Dir(n.Root)); err != nil {
		return "", err
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// File is a regular file found on the node.
type File struct {
	Content string
	// Mode is the octal mode, with the setuid, setgid and sticky bits (e.g. 04755).
	Mode uint32
}

// Files returns the regular files under Root, by their path on the node, except the staged install scripts.
func (n *Node) Files() (map[string]File, error) {
	files := map[string]File{}
	err := filepath.WalkDir(n.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		path := strings.TrimPrefix(p, n.Root)
		if n.staged[path] {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		content, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[path] = File{Content: string(content), Mode: octalMode(info.Mode())}
		return nil
	})
	return files, err
}

// octalMode returns the Unix mode bits of m.
func octalMode(m fs.FileMode) uint32 {
	mode := uint32(m.Perm())
	for bit, octal := range map[fs.FileMode]uint32{fs.ModeSetuid: 0o4000, fs.ModeSetgid: 0o2000, fs.ModeSticky: 0o1000} {
		if m&bit != 0 {
			mode |= octal
		}
	}
	return mode
}

// Install is one run of the K3s installer, with paths given as on the node.
type Install struct {
	// Program is the installer's $0: sh when piped from curl, the script path when air-gapped.
	Program string
	Args    []string
	// Env holds the INSTALL_K3S_* variables.
	Env map[string]string
}

// Installs returns the installer runs, in order.
func (n *Node) Installs() ([]Install, error) {
	entries, err := os.ReadDir(n.records)
	if err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return recordNumber(entries[i].Name()) < recordNumber(entries[j].Name()) })
	var installs []Install
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(n.records, e.Name()))
		if err != nil {
			return nil, err
		}
		in := Install{Env: map[string]string{}}
		for _, line := range strings.Split(strings.TrimSuffix(n.nodePaths(string(raw)), "\n"), "\n") {
			key, value, _ := strings.Cut(line, "=")
			switch key {
			case "0":
				in.Program = value
			case "arg":
				in.Args = append(in.Args, value)
			default:
				in.Env[key] = value
			}
		}
		installs = append(installs, in)
	}
	return installs, nil
}

// recordNumber returns the number of an install.N record.
func recordNumber(name string) int {
	i, _ := strconv.Atoi(strings.TrimPrefix(name, "install."))
	return i
}

// Events returns what the stubs saw, in order: "curl <args>", "install <args>", "kubectl <args>".
func (n *Node) Events() ([]string, error) {
	raw, err := os.ReadFile(n.events)
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, nil
	}
	return strings.Split(strings.TrimSuffix(n.nodePaths(string(raw)), "\n"), "\n"), nil
}

// nodePaths turns the paths under Root in s back into node paths.
func (n *Node) nodePaths(s string) string {
	return strings.ReplaceAll(s, n.Root, "")
}
