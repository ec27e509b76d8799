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

package fleetbench

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	infrav1 "sigs.k8s.io/cluster-api/test/infrastructure/docker/api/v1beta2"
)

func kubeadmTestConfig(shape Shape) Config {
	return Config{
		Flavor: "kubeadm", Clusters: 1, Shape: shape, BootDelay: Duration(3 * time.Second),
		ConnectionRetryInterval: Duration(2 * time.Second), KubernetesVersion: "v1.34.5+k3s1",
	}
}

// kindsAndNames lists "Kind/name" of the objects, in order.
func kindsAndNames(objs []client.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetObjectKind().GroupVersionKind().Kind+"/"+o.GetName())
	}
	return out
}

func findObject[T client.Object](t *testing.T, objs []client.Object, name string) T {
	t.Helper()
	for _, o := range objs {
		if typed, ok := o.(T); ok && o.GetName() == name {
			return typed
		}
	}
	var zero T
	t.Fatalf("no %T %s among %v", zero, name, kindsAndNames(objs))
	return zero
}

func checkDevMachineTemplate(t *testing.T, tmpl *infrav1.DevMachineTemplate, bootDelay time.Duration) {
	t.Helper()
	b := tmpl.Spec.Template.Spec.Backend
	if b.InMemory == nil || b.Docker != nil {
		t.Fatalf("%s: want the inMemory backend only, got %+v", tmpl.Name, b)
	}
	if b.InMemory.VM == nil || b.InMemory.Node == nil || b.InMemory.APIServer == nil || b.InMemory.Etcd == nil {
		t.Fatalf("%s: want every provisioning setting, got %+v", tmpl.Name, b.InMemory)
	}
	total := b.InMemory.VM.Provisioning.StartupDuration.Duration + b.InMemory.Node.Provisioning.StartupDuration.Duration +
		b.InMemory.APIServer.Provisioning.StartupDuration.Duration + b.InMemory.Etcd.Provisioning.StartupDuration.Duration
	if got := b.InMemory.VM.Provisioning.StartupDuration.Duration; got != bootDelay || total != bootDelay {
		t.Errorf("%s: VM startup %s, total %s; want both %s", tmpl.Name, got, total, bootDelay)
	}
	for _, jitter := range []string{b.InMemory.VM.Provisioning.StartupJitter, b.InMemory.Node.Provisioning.StartupJitter,
		b.InMemory.APIServer.Provisioning.StartupJitter, b.InMemory.Etcd.Provisioning.StartupJitter} {
		if jitter != "" {
			t.Errorf("%s: want no jitter, got %q", tmpl.Name, jitter)
		}
	}
}

func TestKubeadmClusterObjectsSingleNode(t *testing.T) {
	cfg := kubeadmTestConfig(Shape{ControlPlanes: 1})
	objs, err := NewKubeadmFlavor().ClusterObjects("bench", "c1", cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"DevCluster/c1", "DevMachineTemplate/c1-control-plane", "KubeadmControlPlane/c1-control-plane", "Cluster/c1"}
	if got := kindsAndNames(objs); !slices.Equal(got, want) {
		t.Fatalf("objects %v, want %v", got, want)
	}
	for _, o := range objs {
		if o.GetNamespace() != "bench" {
			t.Errorf("%s is in namespace %q, want bench", o.GetName(), o.GetNamespace())
		}
	}

	cluster := findObject[*clusterv1.Cluster](t, objs, "c1")
	if cluster.Labels == nil {
		t.Error("the Cluster has no labels map for the driver to extend")
	}
	if ref := cluster.Spec.InfrastructureRef; ref.APIGroup != infrav1.GroupVersion.Group || ref.Kind != "DevCluster" || ref.Name != "c1" {
		t.Errorf("infrastructureRef %+v", ref)
	}
	if ref := cluster.Spec.ControlPlaneRef; ref.APIGroup != controlplanev1.GroupVersion.Group || ref.Kind != "KubeadmControlPlane" || ref.Name != "c1-control-plane" {
		t.Errorf("controlPlaneRef %+v", ref)
	}
	if len(cluster.Spec.ClusterNetwork.Pods.CIDRBlocks) == 0 || len(cluster.Spec.ClusterNetwork.Services.CIDRBlocks) == 0 {
		t.Errorf("clusterNetwork %+v", cluster.Spec.ClusterNetwork)
	}
	dc := findObject[*infrav1.DevCluster](t, objs, "c1")
	if dc.Spec.Backend.InMemory == nil || dc.Spec.Backend.Docker != nil {
		t.Errorf("DevCluster backend %+v, want inMemory", dc.Spec.Backend)
	}
	// The in-memory backend writes into the DevCluster's annotations without creating the map.
	if got := dc.Annotations[infrav1.ListenerAnnotationName]; got != "bench/c1" {
		t.Errorf("DevCluster listener annotation %q, want bench/c1", got)
	}

	kcp := findObject[*controlplanev1.KubeadmControlPlane](t, objs, "c1-control-plane")
	if kcp.Spec.Replicas == nil || *kcp.Spec.Replicas != 1 {
		t.Errorf("KCP replicas %v, want 1", kcp.Spec.Replicas)
	}
	if kcp.Spec.Version != "v1.34.5" {
		t.Errorf("KCP version %q, want v1.34.5", kcp.Spec.Version)
	}
	if ref := kcp.Spec.MachineTemplate.Spec.InfrastructureRef; ref.Kind != "DevMachineTemplate" || ref.Name != "c1-control-plane" || ref.APIGroup != infrav1.GroupVersion.Group {
		t.Errorf("KCP infrastructureRef %+v", ref)
	}
	checkDevMachineTemplate(t, findObject[*infrav1.DevMachineTemplate](t, objs, "c1-control-plane"), 3*time.Second)
}

func TestKubeadmClusterObjectsWithWorkers(t *testing.T) {
	cfg := kubeadmTestConfig(Shape{ControlPlanes: 3, Workers: 1})
	cfg.BootDelay = Duration(5 * time.Second)
	objs, err := NewKubeadmFlavor().ClusterObjects("bench", "c2", cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := kindsAndNames(objs)
	for _, want := range []string{"DevCluster/c2", "DevMachineTemplate/c2-control-plane", "KubeadmControlPlane/c2-control-plane",
		"DevMachineTemplate/c2-md-0", "KubeadmConfigTemplate/c2-md-0", "MachineDeployment/c2-md-0", "Cluster/c2"} {
		if !slices.Contains(got, want) {
			t.Errorf("no %s among %v", want, got)
		}
	}
	if len(got) != 7 || got[len(got)-1] != "Cluster/c2" {
		t.Errorf("objects %v: want 7, the Cluster last", got)
	}
	// Whatever an object refers to is created before it.
	if slices.Index(got, "MachineDeployment/c2-md-0") < slices.Index(got, "KubeadmConfigTemplate/c2-md-0") ||
		slices.Index(got, "MachineDeployment/c2-md-0") < slices.Index(got, "DevMachineTemplate/c2-md-0") {
		t.Errorf("the MachineDeployment is created before its templates: %v", got)
	}

	kcp := findObject[*controlplanev1.KubeadmControlPlane](t, objs, "c2-control-plane")
	if kcp.Spec.Replicas == nil || *kcp.Spec.Replicas != 3 {
		t.Errorf("KCP replicas %v, want 3", kcp.Spec.Replicas)
	}
	md := findObject[*clusterv1.MachineDeployment](t, objs, "c2-md-0")
	if md.Spec.Replicas == nil || *md.Spec.Replicas != 1 {
		t.Errorf("MachineDeployment replicas %v, want 1", md.Spec.Replicas)
	}
	if md.Spec.ClusterName != "c2" || md.Spec.Template.Spec.ClusterName != "c2" || md.Spec.Template.Spec.Version != "v1.34.5" {
		t.Errorf("MachineDeployment spec %+v", md.Spec)
	}
	if ref := md.Spec.Template.Spec.Bootstrap.ConfigRef; ref.Kind != "KubeadmConfigTemplate" || ref.Name != "c2-md-0" || ref.APIGroup != bootstrapv1.GroupVersion.Group {
		t.Errorf("bootstrap configRef %+v", ref)
	}
	if ref := md.Spec.Template.Spec.InfrastructureRef; ref.Kind != "DevMachineTemplate" || ref.Name != "c2-md-0" {
		t.Errorf("infrastructureRef %+v", ref)
	}
	for k, v := range md.Spec.Selector.MatchLabels {
		if md.Spec.Template.Labels[k] != v {
			t.Errorf("the selector's %s=%s is not on the template", k, v)
		}
	}
	checkDevMachineTemplate(t, findObject[*infrav1.DevMachineTemplate](t, objs, "c2-control-plane"), 5*time.Second)
	checkDevMachineTemplate(t, findObject[*infrav1.DevMachineTemplate](t, objs, "c2-md-0"), 5*time.Second)
}

func TestKubeadmClusterObjectsRejectsBadConfig(t *testing.T) {
	f := NewKubeadmFlavor()
	if _, err := f.ClusterObjects("bench", "c", kubeadmTestConfig(Shape{})); err == nil {
		t.Error("no error for zero control planes")
	}
	cfg := kubeadmTestConfig(Shape{ControlPlanes: 1})
	cfg.KubernetesVersion = ""
	if _, err := f.ClusterObjects("bench", "c", cfg); err == nil {
		t.Error("no error without a version")
	}
}

func TestKubeadmKubernetesVersion(t *testing.T) {
	for in, want := range map[string]string{"v1.34.1+k3s1": "v1.34.1", "v1.34.1": "v1.34.1", "v1.33.0+k3s2": "v1.33.0"} {
		if got := KubeadmKubernetesVersion(in); got != want {
			t.Errorf("KubeadmKubernetesVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKubeadmObjectsAreInTheScheme(t *testing.T) {
	f := NewKubeadmFlavor()
	scheme := runtime.NewScheme()
	if err := clusterv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := f.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	objs, err := f.ClusterObjects("bench", "c", kubeadmTestConfig(Shape{ControlPlanes: 1, Workers: 1}))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		gvks, _, err := scheme.ObjectKinds(o)
		if err != nil {
			t.Fatalf("%T: %v", o, err)
		}
		if gvks[0] != o.GetObjectKind().GroupVersionKind() {
			t.Errorf("%T: scheme kind %s, TypeMeta %s", o, gvks[0], o.GetObjectKind().GroupVersionKind())
		}
	}
	// Only the hub versions: the API server environment would set up conversion webhooks otherwise.
	for _, gk := range []schema.GroupKind{
		{Group: controlplanev1.GroupVersion.Group, Kind: "KubeadmControlPlane"},
		{Group: bootstrapv1.GroupVersion.Group, Kind: "KubeadmConfig"},
		{Group: infrav1.GroupVersion.Group, Kind: "DevMachine"},
	} {
		versions := 0
		for gvk := range scheme.AllKnownTypes() {
			if gvk.GroupKind() == gk {
				versions++
			}
		}
		if versions != 1 {
			t.Errorf("%s is registered in %d versions, want 1", gk, versions)
		}
	}
}

func TestKubeadmResourceGroup(t *testing.T) {
	if got := NewKubeadmFlavor().ResourceGroup("bench", "c1"); got != "bench/c1" {
		t.Errorf("ResourceGroup = %q, want bench/c1", got)
	}
}

func TestKubeadmProviders(t *testing.T) {
	providers := NewKubeadmFlavor().Providers()
	if len(providers) != 2 {
		t.Fatalf("%d providers, want 2", len(providers))
	}
	a := ProviderArgs{
		Kubeconfig: "/tmp/kc", MetricsAddr: "127.0.0.1:1001", ProfilerAddr: "127.0.0.1:1002", HealthAddr: "127.0.0.1:1003",
		WebhookPort: 1004, WebhookCertDir: "/tmp/certs", WatchFilter: "shard-1",
		Config: Config{Concurrency: 7, ConnectionRetryInterval: Duration(2 * time.Second), ProviderArgs: []string{"--ours-only"}},
	}
	for i, name := range []string{"bootstrap", "control-plane"} {
		p := providers[i]
		if p.Name != name || p.Package != "./hack/tools/bench-fleet/kubeadm-manager" {
			t.Errorf("provider %d: %s %s", i, p.Name, p.Package)
		}
		if !filepath.IsAbs(p.ClusterRole) || !strings.HasSuffix(p.ClusterRole, "/config/rbac/role.yaml") {
			t.Errorf("%s: ClusterRole %q", name, p.ClusterRole)
		} else if _, err := os.Stat(p.ClusterRole); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		args := p.Args(a)
		for _, want := range []string{
			"--provider=" + name, "--kubeconfig=/tmp/kc", "--metrics-bind-addr=127.0.0.1:1001", "--profiler-address=127.0.0.1:1002",
			"--health-addr=127.0.0.1:1003", "--watch-filter=shard-1", "--concurrency=7", "--clustercache-connection-retry-interval=2s",
		} {
			if !slices.Contains(args, want) {
				t.Errorf("%s: no %s in %v", name, want, args)
			}
		}
		for _, arg := range args {
			if arg == "--ours-only" || strings.HasPrefix(arg, "--webhook") {
				t.Errorf("%s: unexpected %s", name, arg)
			}
		}
		// Defaults: no filter, the binaries' concurrency.
		args = p.Args(ProviderArgs{Kubeconfig: "/tmp/kc", Config: Config{ConnectionRetryInterval: Duration(30 * time.Second)}})
		for _, arg := range args {
			if strings.HasPrefix(arg, "--watch-filter") || strings.HasPrefix(arg, "--concurrency") {
				t.Errorf("%s: unexpected %s without a filter and concurrency", name, arg)
			}
		}
		if !slices.Contains(args, "--clustercache-connection-retry-interval=30s") {
			t.Errorf("%s: no retry interval in %v", name, args)
		}
	}
	if !strings.Contains(providers[0].ClusterRole, "bootstrap/kubeadm") || !strings.Contains(providers[1].ClusterRole, "controlplane/kubeadm") {
		t.Errorf("roles %s, %s", providers[0].ClusterRole, providers[1].ClusterRole)
	}
}

func TestKubeadmCRDsAndWebhookManifests(t *testing.T) {
	f := NewKubeadmFlavor()
	crds, err := f.CRDs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, crd := range crds {
		names = append(names, crd.Name)
		if crd.Labels["cluster.x-k8s.io/v1beta2"] != "v1beta2" {
			t.Errorf("%s: contract labels %v", crd.Name, crd.Labels)
		}
		if crd.Spec.Conversion != nil && crd.Spec.Conversion.Strategy != apiextensionsv1.NoneConverter {
			t.Errorf("%s: conversion %+v", crd.Name, crd.Spec.Conversion)
		}
		if strings.HasPrefix(crd.Spec.Names.Kind, "Docker") {
			t.Errorf("%s: only the Dev* kinds of CAPD", crd.Name)
		}
		storage := ""
		for _, v := range crd.Spec.Versions {
			if v.Storage {
				storage = v.Name
			}
		}
		if storage != "v1beta2" {
			t.Errorf("%s: storage version %q", crd.Name, storage)
		}
	}
	for _, want := range []string{
		"kubeadmcontrolplanes.controlplane.cluster.x-k8s.io", "kubeadmcontrolplanetemplates.controlplane.cluster.x-k8s.io",
		"kubeadmconfigs.bootstrap.cluster.x-k8s.io", "kubeadmconfigtemplates.bootstrap.cluster.x-k8s.io",
		"devclusters.infrastructure.cluster.x-k8s.io", "devmachines.infrastructure.cluster.x-k8s.io",
		"devmachinetemplates.infrastructure.cluster.x-k8s.io",
	} {
		if !slices.Contains(names, want) {
			t.Errorf("no CRD %s among %v", want, names)
		}
	}

	manifests, err := f.WebhookManifests(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"kubeadm-controlplane", "kubeadm-bootstrap", "docker-infrastructure"} {
		path, ok := manifests[prefix]
		if !ok {
			t.Errorf("no webhook manifest %s in %v", prefix, manifests)
			continue
		}
		if !filepath.IsAbs(path) {
			t.Errorf("%s: %s is not absolute", prefix, path)
		}
	}
}
