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

// Command run-local starts a local Kubernetes API server (envtest: kube-apiserver + etcd built from Go modules, on
// 127.0.0.1) with the providers' CRDs, conversion and admission webhooks, applies upstream-shaped sample objects in
// the API versions upstream users write, and prints how they are stored (v1beta3) and served in every version. It
// also shows one webhook rejection. It keeps the API server running until interrupted, printing a kubeconfig, or
// exits after the checks with --once.
package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsyaml "sigs.k8s.io/yaml"

	bootstrapwebhooks "github.com/k3s-io/cluster-api-k3s/bootstrap/webhooks"
	controlplanewebhooks "github.com/k3s-io/cluster-api-k3s/controlplane/webhooks"
	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion"
	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
	"github.com/k3s-io/cluster-api-k3s/pkg/contract"
)

//go:embed samples.yaml
var samples []byte

//go:embed invalid.yaml
var invalid []byte

func main() {
	once := flag.Bool("once", false, "exit after applying and checking the samples instead of serving until interrupted")
	flag.Parse()
	if err := run(*once); err != nil {
		fmt.Fprintln(os.Stderr, "run-local:", err)
		os.Exit(1)
	}
}

func run(once bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fmt.Println("Starting kube-apiserver and etcd on 127.0.0.1 with the K3s providers' CRDs and webhooks…")
	startCtx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	env, err := envtest.New(startCtx, envtest.Options{Setup: []func(ctrl.Manager) error{
		(&bootstrapwebhooks.KThreesConfig{}).SetupWebhookWithManager,
		(&bootstrapwebhooks.KThreesConfigTemplate{}).SetupWebhookWithManager,
		(&controlplanewebhooks.KThreesControlPlane{}).SetupWebhookWithManager,
		(&controlplanewebhooks.KThreesControlPlaneTemplate{}).SetupWebhookWithManager,
	}})
	if err != nil {
		return fmt.Errorf("failed to start the API server: %w", err)
	}
	defer func() { _ = env.Stop() }()
	apiconversion.SetAPIVersionGetter(contract.APIVersionGetter(env.Client))

	if err := installInfrastructureTemplateCRD(ctx, env.Client); err != nil {
		return err
	}
	ns, err := env.CreateNamespace(ctx, "demo")
	if err != nil {
		return err
	}
	objs, err := decode(samples)
	if err != nil {
		return err
	}
	for _, obj := range objs {
		obj.SetNamespace(ns.Name)
		if err := env.Client.Create(ctx, obj); err != nil {
			return fmt.Errorf("failed to create %s %s: %w", obj.GetAPIVersion(), obj.GetName(), err)
		}
		fmt.Printf("\nCreated %s %s as %s\n", obj.GetKind(), obj.GetName(), obj.GetAPIVersion())
		if err := show(ctx, env.Client, obj); err != nil {
			return err
		}
	}
	if err := showRejection(ctx, env.Client, ns.Name); err != nil {
		return err
	}

	kubeconfig, err := writeKubeconfig(env)
	if err != nil {
		return err
	}
	fmt.Printf("\nOK: every sample was accepted, stored as v1beta3 and served in every version.\n")
	if once {
		return nil
	}
	fmt.Printf("API server running. Try: KUBECONFIG=%s kubectl get kthreescontrolplanes.v1beta1.controlplane.cluster.x-k8s.io -A -o yaml\nPress Ctrl-C to stop.\n", kubeconfig)
	<-ctx.Done()
	return nil
}

// show prints the object as each served version returns it.
func show(ctx context.Context, c client.Client, obj *unstructured.Unstructured) error {
	group := obj.GroupVersionKind().Group
	versions := []string{"v1beta1", "v1beta2", "v1beta3"}
	if obj.GetKind() == "KThreesControlPlaneTemplate" {
		versions = versions[1:]
	}
	for _, v := range versions {
		got := &unstructured.Unstructured{}
		got.SetAPIVersion(group + "/" + v)
		got.SetKind(obj.GetKind())
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), got); err != nil {
			return fmt.Errorf("failed to read %s %s as %s: %w", obj.GetKind(), obj.GetName(), v, err)
		}
		spec, _ := sigsyaml.Marshal(got.Object["spec"])
		fmt.Printf("--- read as %s/%s ---\n%s", group, v, spec)
	}
	return nil
}

func showRejection(ctx context.Context, c client.Client, namespace string) error {
	objs, err := decode(invalid)
	if err != nil {
		return err
	}
	for _, obj := range objs {
		obj.SetNamespace(namespace)
		err := c.Create(ctx, obj)
		if err == nil {
			return fmt.Errorf("invalid sample %s was accepted", obj.GetName())
		}
		if !apierrors.IsInvalid(err) {
			return fmt.Errorf("invalid sample %s: unexpected error: %w", obj.GetName(), err)
		}
		fmt.Printf("\nRejected invalid %s %s as expected:\n  %v\n", obj.GetKind(), obj.GetName(), err)
	}
	return nil
}

func decode(data []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		obj := &unstructured.Unstructured{}
		if err := dec.Decode(&obj.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("failed to decode samples: %w", err)
		}
		if len(obj.Object) > 0 {
			out = append(out, obj)
		}
	}
}

func writeKubeconfig(env *envtest.Environment) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, "cluster-api-k3s", "run-local.kubeconfig")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	cfg := env.Config
	kc := clientcmdapi.NewConfig()
	kc.Clusters["local"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: "admin"}
	kc.CurrentContext = "local"
	return path, clientcmd.WriteToFile(*kc, path)
}
