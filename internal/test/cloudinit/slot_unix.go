//go:build unix

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

package cloudinit

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// acquireSlot takes one of Parallel machine-wide slots, each an flock on a file in the temporary directory, so that
// the test packages that `go test ./...` runs at the same time share the bound rather than multiply it. The lock
// goes away with the process, so a killed test leaves nothing held.
func acquireSlot() (func(), error) {
	for {
		for i := range Parallel {
			p := filepath.Join(os.TempDir(), fmt.Sprintf("cluster-api-k3s-cloud-init-slot-%d.lock", i))
			f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o666)
			if err != nil {
				return nil, fmt.Errorf("opening the cloud-init slot %s: %w", p, err)
			}
			if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
				return func() { _ = f.Close() }, nil
			}
			_ = f.Close()
		}
		time.Sleep(20 * time.Millisecond)
	}
}
