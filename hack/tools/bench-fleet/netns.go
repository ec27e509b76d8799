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
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/k3s-io/cluster-api-k3s/test/fleetbench"
)

// inNetnsEnv marks the re-executed benchmark inside its network namespace.
const inNetnsEnv = "FLEETBENCH_IN_NETNS"

// runInNetns runs this command again in a new network namespace with only a loopback interface, so every server
// of the run stays on loopback: CAPI's in-memory API servers (the peer's infrastructure) listen on all interfaces.
// The provider binaries are built first, outside, where the Go module proxy is reachable; inside, `go build` finds
// everything in the caches. It returns the child's exit code.
func runInNetns(ctx context.Context, flavors []string) (int, error) {
	var packages []string
	for _, name := range flavors {
		flavor, err := newFlavor(name)
		if err != nil {
			return 0, err
		}
		for _, p := range flavor.Providers() {
			packages = append(packages, p.Package)
		}
	}
	root, err := fleetbench.RepoRoot()
	if err != nil {
		return 0, err
	}
	build := exec.CommandContext(ctx, "go", append([]string{"build"}, packages...)...)
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return 0, fmt.Errorf("failed to build the providers: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	child := exec.CommandContext(ctx, self, os.Args[1:]...)
	child.Env = append(os.Environ(), inNetnsEnv+"=1")
	child.Stdin, child.Stdout, child.Stderr = os.Stdin, os.Stdout, os.Stderr
	child.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := child.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), nil
		}
		return 0, fmt.Errorf("failed to run the benchmark in a network namespace (run with -netns=false where namespaces are not allowed): %w", err)
	}
	return 0, nil
}

// loopbackUp brings up the loopback interface of the new network namespace.
func loopbackUp(ctx context.Context) error {
	if out, err := exec.CommandContext(ctx, "ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		return fmt.Errorf("failed to bring up the loopback interface: %w: %s", err, out)
	}
	return nil
}
