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

// Command demo runs the providers locally with nothing but Go: a management plane on 127.0.0.1 (API server, CAPI
// core, the K3s bootstrap and control-plane providers) with the K3s infrastructure simulator, creates a sample K3s
// cluster (3 control-plane Machines and 2 workers), shows its progress until it is Available, prints it as a tree
// with the kubeconfig paths of the management plane and the workload cluster, and keeps running until Ctrl-C.
// With --once it exits after success (0) or failure (non-zero).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/cluster-api/util/secret"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/test/mgmtplane"
	"github.com/k3s-io/cluster-api-k3s/internal/test/simplane"
)

const (
	namespace   = "default"
	clusterName = "demo"
)

func main() {
	once := flag.Bool("once", false, "exit after the cluster is Available (0) or the timeout passed (1)")
	timeout := flag.Duration("timeout", 10*time.Minute, "how long to wait for the cluster to be Available")
	dir := flag.String("dir", filepath.Join(os.TempDir(), "cluster-api-k3s-demo"), "where kubeconfigs are written")
	version := flag.String("version", "v1.34.5+k3s1", "K3s version of the sample cluster")
	logFile := flag.String("log-file", "", "write the controllers' logs (verbosity 2) to this file; default: errors are not shown")
	inPlace := flag.String("upgrade-in-place", "", "once Available, upgrade the control plane to this K3s version in place and show the steps")
	flag.Parse()
	logger := logr.Discard()
	if *logFile != "" {
		f, err := os.Create(*logFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "demo:", err)
			os.Exit(1)
		}
		defer func() { _ = f.Close() }()
		logger = logr.FromSlogHandler(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.Level(-2)}))
	}
	ctrl.SetLogger(logger)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *once, *timeout, *dir, *version, *inPlace, &logger); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, once bool, timeout time.Duration, dir, version, inPlace string, logger *logr.Logger) (reterr error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	start := time.Now()
	fmt.Println("Starting the management plane (kube-apiserver + etcd on 127.0.0.1, CAPI core, K3s providers, simulator)...")
	plane, err := simplane.Start(ctx, mgmtplane.Options{Logger: logger})
	if err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		reterr = errors.Join(reterr, plane.Stop(stopCtx))
	}()
	managementKubeconfig := filepath.Join(dir, "management.kubeconfig")
	if err := plane.WriteKubeconfig(managementKubeconfig); err != nil {
		return err
	}
	fmt.Printf("Management plane ready after %s; kubeconfig: %s\n", time.Since(start).Round(100*time.Millisecond), managementKubeconfig)

	c := plane.Env.Client
	yaml, err := simplane.ClusterTemplate("", map[string]string{
		"CLUSTER_NAME": clusterName, "NAMESPACE": namespace, "KUBERNETES_VERSION": version,
		"CONTROL_PLANE_MACHINE_COUNT": "3", "WORKER_MACHINE_COUNT": "2",
	})
	if err != nil {
		return err
	}
	if err := apply(ctx, c, yaml); err != nil {
		return err
	}
	created := time.Now()
	fmt.Printf("Applied cluster %s/%s: 3 control-plane Machines, 2 workers, K3s %s\n", namespace, clusterName, version)

	if err := waitAvailable(ctx, c, timeout); err != nil {
		_ = simplane.Describe(ctx, c, namespace, clusterName, os.Stdout)
		return err
	}
	fmt.Printf("\nCluster %s is Available after %s (%s since start)\n\n", clusterName,
		time.Since(created).Round(100*time.Millisecond), time.Since(start).Round(100*time.Millisecond))
	if err := simplane.Describe(ctx, c, namespace, clusterName, os.Stdout); err != nil {
		return err
	}
	workloadKubeconfig := filepath.Join(dir, clusterName+".kubeconfig")
	if err := writeWorkloadKubeconfig(ctx, c, workloadKubeconfig); err != nil {
		return err
	}
	fmt.Printf("\nManagement plane: kubectl --kubeconfig %s get clusters,machines -A\n", managementKubeconfig)
	fmt.Printf("Workload cluster:  kubectl --kubeconfig %s get nodes\n", workloadKubeconfig)
	if inPlace != "" {
		if err := upgradeInPlace(ctx, c, inPlace, timeout); err != nil {
			return err
		}
	}
	if once {
		return nil
	}
	fmt.Println("\nRunning until Ctrl-C.")
	<-ctx.Done()
	return nil
}

// apply creates the objects of a multi-document YAML.
func apply(ctx context.Context, c client.Client, yaml []byte) error {
	objs, err := simplane.DecodeObjects(yaml)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil {
			gvk, _ := apiutil.GVKForObject(o, c.Scheme())
			return fmt.Errorf("failed to create %s %s: %w", gvk.Kind, o.GetName(), err)
		}
	}
	return nil
}

// waitAvailable prints progress whenever it changes until the Cluster is Available and every Machine Ready.
func waitAvailable(ctx context.Context, c client.Client, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := ""
	for {
		line, done := progress(ctx, c)
		if line != last {
			fmt.Printf("  [%s] %s\n", time.Now().Format("15:04:05"), line)
			last = line
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster %s not Available: %w", clusterName, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// progress summarises the cluster and tells whether it is Available with every Machine Ready.
func progress(ctx context.Context, c client.Client) (string, bool) {
	cluster := &clusterv1.Cluster{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: clusterName}, cluster); err != nil {
		return "cluster: " + err.Error(), false
	}
	kcp := &controlplanev1.KThreesControlPlane{}
	_ = c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: cluster.Spec.ControlPlaneRef.Name}, kcp)
	machines := &clusterv1.MachineList{}
	_ = c.List(ctx, machines, client.InNamespace(namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: clusterName})
	ready := 0
	for i := range machines.Items {
		if conditions.IsTrue(&machines.Items[i], clusterv1.MachineReadyCondition) {
			ready++
		}
	}
	available := conditions.IsTrue(cluster, clusterv1.ClusterAvailableCondition)
	line := fmt.Sprintf("cluster %s, control plane %d/%d ready (initialized: %t), Machines %d/%d Ready, Available: %t",
		cluster.Status.Phase, ptr.Deref(kcp.Status.ReadyReplicas, 0), ptr.Deref(kcp.Spec.Replicas, 0),
		ptr.Deref(kcp.Status.Initialization.ControlPlaneInitialized, false), ready, len(machines.Items), available)
	return line, available && ready == 5 && len(machines.Items) == 5
}

// writeWorkloadKubeconfig writes the kubeconfig the control plane generated for the workload cluster.
func writeWorkloadKubeconfig(ctx context.Context, c client.Client, path string) error {
	s, err := secret.GetFromNamespacedName(ctx, c, client.ObjectKey{Namespace: namespace, Name: clusterName}, secret.Kubeconfig)
	if err != nil {
		return fmt.Errorf("failed to read the workload kubeconfig: %w", err)
	}
	return os.WriteFile(path, s.Data[secret.KubeconfigDataName], 0o600)
}
