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

// Command render-bootstrap prints the bootstrap data a node would get, without a cluster. It reads a YAML stream of
// ordinary objects — a CAPI v1beta2 Cluster (with spec.controlPlaneEndpoint and status.initialization), its Machine
// or MachinePool, one KThreesConfig in any served API version and the Secrets it needs (<cluster>-token, CA secrets,
// contentFrom secrets) — applies the webhook defaulting (unless --no-defaults), runs the real KThreesConfig
// reconciler against an in-memory client and prints the bootstrap secret's value to stdout.
//
//	go run ./hack/tools/render-bootstrap -f objects.yaml
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
)

func main() {
	file := flag.String("f", "-", "YAML stream of objects to read ('-' for standard input)")
	noDefaults := flag.Bool("no-defaults", false, "do not apply the webhook defaulting to the KThreesConfig")
	showFormat := flag.Bool("show-format", false, "print the data format on stderr")
	flag.Parse()
	ctrl.SetLogger(logr.Discard())

	in, err := open(*file)
	if err != nil {
		fail(err)
	}
	defer func() { _ = in.Close() }()
	out, err := Render(context.Background(), in, Options{NoDefaults: *noDefaults})
	if err != nil {
		fail(err)
	}
	if *showFormat {
		fmt.Fprintf(os.Stderr, "format: %s\n", out.Format)
	}
	if _, err := os.Stdout.Write(out.Value); err != nil {
		fail(err)
	}
}

func open(path string) (io.ReadCloser, error) {
	if path == "-" {
		return io.NopCloser(os.Stdin), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("failed to open %s: %w", path, err)
	}
	return f, nil
}

func fail(err error) {
	var waiting *WaitingError
	if errors.As(err, &waiting) {
		fmt.Fprintln(os.Stderr, "render-bootstrap: no bootstrap data yet:", waiting.Error())
		os.Exit(3)
	}
	fmt.Fprintln(os.Stderr, "render-bootstrap:", err)
	os.Exit(1)
}
