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
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// StartTimeout bounds starting an environment in Run; building the envtest binaries on a cold cache
// (hack/envtest-assets.sh) is included, so it is generous.
var StartTimeout = 15 * time.Minute

// Run is the body of a TestMain: it starts an environment with opts, stores it in *out, runs the tests and stops
// the environment. It returns the exit code for os.Exit; a failure to start or stop the environment makes it
// non-zero.
func Run(m *testing.M, opts Options, out **Environment) int {
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	env, err := New(ctx, opts)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "envtest: failed to start the test environment: %v\n", err)
		return 1
	}
	*out = env
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "envtest: failed to stop the test environment: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}
