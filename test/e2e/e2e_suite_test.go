//go:build e2e

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

// Package e2e is the end-to-end suite: one set of Ginkgo specs that runs against two backends, the in-process
// simulated K3s infrastructure (-e2e.backend=sim, make test-e2e-sim, no Docker needed) and kind + CAPD with real
// K3s (-e2e.backend=docker, make test-e2e).
package e2e

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/onsi/ginkgo/v2/types"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/cluster-api/test/framework"
	ctrl "sigs.k8s.io/controller-runtime"
)

var (
	backendName     = flag.String("e2e.backend", "sim", "where clusters run: sim (simulated K3s, in process) or docker (kind + CAPD)")
	e2eConfigPath   = flag.String("e2e.config", "config/docker.yaml", "e2e configuration of the docker backend")
	artifactsFolder = flag.String("e2e.artifacts-folder", "_artifacts", "where logs and dumps are written")
	skipCleanup     = flag.Bool("e2e.skip-resource-cleanup", false, "keep the management cluster and workload clusters")
)

// e2eBackend is the backend of this run; set up in BeforeSuite.
var e2eBackend backend

// backend is where the suite's clusters run.
type backend interface {
	// proxy is the management cluster.
	proxy() framework.ClusterProxy
	// clusterTemplate renders a cluster template flavor ("" for the default) with the variables.
	clusterTemplate(flavor string, vars map[string]string) ([]byte, error)
	// releaseClusterTemplate renders a cluster template of the release (templates/cluster-template-<flavor>.yaml,
	// with the ClusterClass it uses) with the variables, for this backend's infrastructure.
	releaseClusterTemplate(flavor string, vars map[string]string) ([]byte, error)
	// k3sVersions are the K3s versions specs use: the installed one and one to upgrade to.
	k3sVersions() (from, to string)
	// restartProviders restarts this repository's two providers (as a rollout of their Deployments would) and
	// returns once the new ones run.
	restartProviders(ctx context.Context)
	// teardown stops what setup started.
	teardown(ctx context.Context)
}

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "cluster-api-k3s e2e ("+*backendName+")")
}

// The wall time of every spec, for the CI log.
var _ = ReportAfterSuite("spec durations", func(report Report) {
	for _, spec := range report.SpecReports {
		if spec.LeafNodeType != types.NodeTypeIt {
			continue
		}
		fmt.Printf("e2e: %-8s %7s  %s\n", spec.State, spec.RunTime.Round(time.Second), spec.FullText())
	}
})

var _ = BeforeSuite(func(ctx SpecContext) {
	Expect(os.MkdirAll(*artifactsFolder, 0o750)).To(Succeed())
	folder, err := filepath.Abs(*artifactsFolder)
	Expect(err).ToNot(HaveOccurred())
	switch *backendName {
	case "sim":
		// The controllers run in this process; their logs go to a file next to the other artifacts.
		logFile, err := os.Create(filepath.Join(folder, "controllers.log"))
		Expect(err).ToNot(HaveOccurred())
		DeferCleanup(logFile.Close)
		logger := logr.FromSlogHandler(slog.NewTextHandler(logFile, nil))
		ctrl.SetLogger(logger)
		e2eBackend = newSimBackend(ctx, folder, &logger)
	case "docker":
		e2eBackend = newDockerBackend(ctx, folder, *e2eConfigPath)
	default:
		Fail("unknown -e2e.backend " + *backendName + " (sim or docker)")
	}
})

var _ = AfterSuite(func(ctx SpecContext) {
	if e2eBackend != nil && !*skipCleanup {
		e2eBackend.teardown(ctx)
	}
})
