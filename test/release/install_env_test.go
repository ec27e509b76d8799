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

package release

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	clusterctlv1 "sigs.k8s.io/cluster-api/cmd/clusterctl/api/v1alpha3"
	"sigs.k8s.io/cluster-api/cmd/clusterctl/client/config"
	"sigs.k8s.io/cluster-api/cmd/clusterctl/client/repository"
	yamlprocessor "sigs.k8s.io/cluster-api/cmd/clusterctl/client/yamlprocessor"
	"sigs.k8s.io/cluster-api/util/contract"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crenvtest "sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/k3s-io/cluster-api-k3s/controlplane/reconcilers/setup"
	releasetool "github.com/k3s-io/cluster-api-k3s/hack/tools/release"
	"github.com/k3s-io/cluster-api-k3s/internal/manager"
	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
)

// providerCase is one provider of the release as the test installs it.
type providerCase struct {
	provider releasetool.Provider
	label    string // clusterctl manifest label, e.g. bootstrap-k3s
	// targetNamespace is passed to clusterctl; empty keeps the namespace of the components.
	targetNamespace string
	// wantNamespace is where the components must end up.
	wantNamespace string
	image         string
	// wantArgs are manager arguments that must appear exactly (defaults and the test's overrides).
	wantArgs []string
	// flags registers the manager's flags, to check that every argument is one of them and parses.
	flags func(*pflag.FlagSet)
}

// Overrides of clusterctl variables: one from the clusterctl configuration file, one from the environment.
const (
	configFileVariable, configFileValue   = "K3S_CONTROLPLANE_CONCURRENCY", "25"
	environmentVariable, environmentValue = "K3S_BOOTSTRAP_KUBE_API_QPS", "50"
)

func providerCases(version string) []providerCase {
	return []providerCase{
		{
			provider:      releasetool.Providers[0],
			label:         "bootstrap-k3s",
			wantNamespace: "capi-k3s-bootstrap-system",
			image:         testRegistry + "/bootstrap-controller:" + version,
			wantArgs: []string{
				"--leader-elect", "--diagnostics-address=:8443", "--insecure-diagnostics=false",
				"--feature-gates=MachinePool=true,PriorityQueue=true,ReconcilerRateLimiting=true",
				"--kthreesconfig-concurrency=10", "--kube-api-qps=" + environmentValue, "--kube-api-burst=200",
			},
			flags: func(fs *pflag.FlagSet) {
				(&manager.Options{}).AddFlags(fs)
				// Registered by bootstrap/main.go (package main, not importable).
				fs.Int("kthreesconfig-concurrency", 10, "")
			},
		},
		{
			provider: releasetool.Providers[1],
			label:    "control-plane-k3s",
			// Installed into another namespace than the default: clusterctl rewrites the references to it.
			targetNamespace: "k3s-control-plane-test",
			wantNamespace:   "k3s-control-plane-test",
			image:           testRegistry + "/controlplane-controller:" + version,
			wantArgs: []string{
				"--leader-elect", "--diagnostics-address=:8443", "--insecure-diagnostics=false",
				"--feature-gates=MachinePool=true,PriorityQueue=true,ReconcilerRateLimiting=true",
				"--kthreescontrolplane-concurrency=" + configFileValue, "--machine-concurrency=10",
				"--clustercache-concurrency=100", "--clustercache-client-qps=20", "--clustercache-client-burst=30",
				"--kube-api-qps=100", "--kube-api-burst=200", "--etcd-member-removal-timeout=5m",
			},
			flags: func(fs *pflag.FlagSet) {
				// As controlplane/main.go registers them.
				(&manager.Options{}).AddFlags(fs)
				(&setup.Options{}).AddFlags(fs)
			},
		},
	}
}

// TestEnv_ClusterctlInstall installs the release like `clusterctl init --bootstrap k3s --control-plane k3s` with
// a local provider repository: the clusterctl library reads the components and metadata from the repository,
// substitutes the variables, moves the components to the target namespace and labels them; the result is applied
// to an API server with server-side apply and checked.
func TestEnv_ClusterctlInstall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rel := buildRelease(t)
	cases := providerCases(rel.version)

	// The local repository: <repo>/<label>/<version>/{components, metadata.yaml}.
	repoDir := t.TempDir()
	var variables []string
	for _, pc := range cases {
		dir := filepath.Join(repoDir, pc.label, rel.version)
		copyFile(t, filepath.Join(rel.dir, pc.provider.ComponentsFile), filepath.Join(dir, pc.provider.ComponentsFile))
		copyFile(t, filepath.Join(rel.dir, releasetool.MetadataFile), filepath.Join(dir, releasetool.MetadataFile))
		raw, err := os.ReadFile(filepath.Join(dir, pc.provider.ComponentsFile))
		if err != nil {
			t.Fatal(err)
		}
		names, err := yamlprocessor.NewSimpleProcessor().GetVariables(raw)
		if err != nil {
			t.Fatalf("failed to list the variables of %s: %v", pc.provider.ComponentsFile, err)
		}
		variables = append(variables, names...)
	}
	isolateClusterctl(t, variables)
	t.Setenv(environmentVariable, environmentValue)

	// The clusterctl configuration a user writes (docs/install.md), with file:// URLs.
	configFile := filepath.Join(t.TempDir(), "clusterctl.yaml")
	writeFile(t, configFile, fmt.Sprintf(`providers:
  - name: k3s
    type: BootstrapProvider
    url: file://%[1]s/bootstrap-k3s/%[2]s/bootstrap-components.yaml
  - name: k3s
    type: ControlPlaneProvider
    url: file://%[1]s/control-plane-k3s/%[2]s/control-plane-components.yaml
overridesFolder: %[3]s
%[4]s: "%[5]s"
`, repoDir, rel.version, t.TempDir(), configFileVariable, configFileValue))
	configClient, err := config.New(ctx, configFile)
	if err != nil {
		t.Fatalf("clusterctl cannot read its configuration: %v", err)
	}

	env := startAPIServer(ctx, t, nil)
	c, err := client.New(env.Config, client.Options{Scheme: installScheme(t)})
	if err != nil {
		t.Fatal(err)
	}

	for _, pc := range cases {
		t.Run(pc.label, func(t *testing.T) {
			components := clusterctlComponents(ctx, t, configClient, pc, rel)
			applyAll(ctx, t, c, components.Objs())
			checkInstalled(ctx, t, c, pc, components.Objs())
		})
	}
}

// clusterctlComponents reads and processes the provider's components with the clusterctl library, as clusterctl
// init does, and checks what clusterctl's installer checks: metadata, contract and CRD names.
func clusterctlComponents(ctx context.Context, t *testing.T, configClient config.Client, pc providerCase, rel builtRelease) repository.Components {
	t.Helper()
	providerConfig, err := configClient.Providers().Get("k3s", pc.provider.Type)
	if err != nil {
		t.Fatalf("provider k3s of type %s is not configured: %v", pc.provider.Type, err)
	}
	if providerConfig.ManifestLabel() != pc.label {
		t.Fatalf("clusterctl names the provider %q, want %q", providerConfig.ManifestLabel(), pc.label)
	}
	repo, err := repository.New(ctx, providerConfig, configClient)
	if err != nil {
		t.Fatalf("clusterctl cannot open the local repository: %v", err)
	}
	if versions, err := repo.GetVersions(ctx); err != nil || !slices.Contains(versions, rel.version) {
		t.Fatalf("the local repository has versions %v (error %v), want %s", versions, err, rel.version)
	}

	metadata, err := repo.Metadata(rel.version).Get(ctx)
	if err != nil {
		t.Fatalf("clusterctl rejects metadata.yaml: %v", err)
	}
	v, err := versionOf(rel.version)
	if err != nil {
		t.Fatal(err)
	}
	series := metadata.GetReleaseSeriesForVersion(v)
	if series == nil {
		t.Fatalf("no release series of metadata.yaml covers %s", rel.version)
	}
	if series.Contract != clusterv1.GroupVersion.Version {
		t.Errorf("release series %d.%d implements contract %s, want %s (CAPI's current contract)", series.Major, series.Minor, series.Contract, clusterv1.GroupVersion.Version)
	}

	components, err := repo.Components().Get(ctx, repository.ComponentsOptions{Version: rel.version, TargetNamespace: pc.targetNamespace})
	if err != nil {
		t.Fatalf("clusterctl cannot process the components: %v", err)
	}
	if components.TargetNamespace() != pc.wantNamespace {
		t.Errorf("target namespace %q, want %q", components.TargetNamespace(), pc.wantNamespace)
	}
	if images := components.Images(); !slices.Equal(images, []string{pc.image}) {
		t.Errorf("the components run images %v, want only %s", images, pc.image)
	}
	processed, err := components.Yaml()
	if err != nil {
		t.Fatal(err)
	}
	if i := strings.Index(string(processed), "${"); i >= 0 {
		t.Errorf("a variable is left after clusterctl processed the components: %q", excerpt(string(processed), i))
	}
	for _, o := range components.Objs() {
		if o.GetKind() != "CustomResourceDefinition" {
			continue
		}
		group, _, _ := unstructured.NestedString(o.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(o.Object, "spec", "names", "kind")
		if want := contract.CalculateCRDName(group, kind); o.GetName() != want {
			t.Errorf("CRD %s: clusterctl requires the name %s", o.GetName(), want)
		}
	}
	return components
}

// applyAll applies the objects in clusterctl's order with server-side apply and fails the test for every object
// that does not apply.
func applyAll(ctx context.Context, t *testing.T, c client.Client, objs []unstructured.Unstructured) {
	t.Helper()
	for i := range objs {
		obj := objs[i].DeepCopy()
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner("clusterctl"), client.ForceOwnership); err != nil {
			t.Errorf("failed to apply %s %s: %v", obj.GetKind(), client.ObjectKeyFromObject(obj), err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// checkInstalled reads the installed objects back and checks the wiring clusterctl and the managers rely on.
func checkInstalled(ctx context.Context, t *testing.T, c client.Client, pc providerCase, objs []unstructured.Unstructured) {
	ns := pc.wantNamespace
	byKind := map[string][]string{}
	for _, o := range objs {
		byKind[o.GetKind()] = append(byKind[o.GetKind()], o.GetName())
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(o.GroupVersionKind())
		if err := c.Get(ctx, client.ObjectKeyFromObject(&o), got); err != nil {
			t.Errorf("%s %s was not installed: %v", o.GetKind(), client.ObjectKeyFromObject(&o), err)
			continue
		}
		labels := got.GetLabels()
		if _, ok := labels[clusterctlv1.ClusterctlLabel]; !ok || labels[clusterv1.ProviderNameLabel] != pc.label {
			t.Errorf("%s %s lacks the labels clusterctl adds: %v", o.GetKind(), o.GetName(), labels)
		}
		if o.GetNamespace() != "" && o.GetNamespace() != ns {
			t.Errorf("%s %s is in namespace %s, want %s", o.GetKind(), o.GetName(), o.GetNamespace(), ns)
		}
	}
	for kind, want := range map[string]int{
		"Namespace": 1, "Deployment": 1, "Service": 1, "ServiceAccount": 1, "Issuer": 1, "Certificate": 1,
		"MutatingWebhookConfiguration": 1, "ValidatingWebhookConfiguration": 1, "CustomResourceDefinition": 2,
	} {
		if len(byKind[kind]) != want {
			t.Errorf("%d %s objects (%v), want %d", len(byKind[kind]), kind, byKind[kind], want)
		}
	}
	if t.Failed() {
		return
	}
	prefix := "capi-k3s-" + strings.TrimSuffix(pc.label, "-k3s") + "-"
	service := &corev1.Service{}
	get(ctx, t, c, client.ObjectKey{Namespace: ns, Name: byKind["Service"][0]}, service)
	certificate := &unstructured.Unstructured{}
	certificate.SetGroupVersionKind(certManagerGroupVersion.WithKind("Certificate"))
	get(ctx, t, c, client.ObjectKey{Namespace: ns, Name: byKind["Certificate"][0]}, certificate)
	injectCAFrom := ns + "/" + certificate.GetName()

	checkDeployment(ctx, t, c, pc, prefix, byKind["Deployment"][0], service, certificate)
	checkCertificate(t, certificate, service)
	checkCRDs(ctx, t, c, byKind["CustomResourceDefinition"], service, injectCAFrom)
	checkWebhookConfigurations(ctx, t, c, byKind, service, injectCAFrom)
	checkRBAC(ctx, t, c, pc, objs)
}

func checkDeployment(ctx context.Context, t *testing.T, c client.Client, pc providerCase, prefix, name string, service *corev1.Service, certificate *unstructured.Unstructured) {
	ns := pc.wantNamespace
	if want := prefix + "controller-manager"; name != want {
		t.Errorf("Deployment %s, want upstream's name %s", name, want)
	}
	d := &appsv1.Deployment{}
	get(ctx, t, c, client.ObjectKey{Namespace: ns, Name: name}, d)
	spec := d.Spec.Template.Spec
	if len(spec.Containers) != 1 || spec.Containers[0].Name != "manager" {
		t.Fatalf("Deployment %s: want one container named manager, got %d", name, len(spec.Containers))
	}
	m := spec.Containers[0]
	if m.Image != pc.image {
		t.Errorf("manager image %s, want %s", m.Image, pc.image)
	}
	if !slices.Equal(m.Command, []string{"/manager"}) {
		t.Errorf("manager command %v, want [/manager]", m.Command)
	}
	for _, want := range pc.wantArgs {
		if !slices.Contains(m.Args, want) {
			t.Errorf("manager arguments %v lack %s", m.Args, want)
		}
	}
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	pc.flags(fs)
	if err := fs.Parse(m.Args); err != nil {
		t.Errorf("the manager would reject its arguments %v: %v", m.Args, err)
	}
	if fs.NArg() != 0 {
		t.Errorf("the manager arguments contain positional arguments: %v", fs.Args())
	}

	if d.Spec.Template.Labels["control-plane"] != "controller-manager" || d.Spec.Template.Labels[clusterv1.ProviderNameLabel] != pc.label {
		t.Errorf("pod labels %v, want control-plane=controller-manager and %s=%s", d.Spec.Template.Labels, clusterv1.ProviderNameLabel, pc.label)
	}
	for k, v := range service.Spec.Selector {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("the webhook Service selects %s=%s, which the manager pods do not carry", k, v)
		}
	}
	ports := map[string]int32{}
	for _, p := range m.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["webhook-server"] != 9443 || ports["healthz"] != 9440 || ports["metrics"] != 8443 {
		t.Errorf("manager ports %v, want webhook-server 9443, healthz 9440, metrics 8443", ports)
	}
	if len(service.Spec.Ports) != 1 || service.Spec.Ports[0].Port != 443 || ports[service.Spec.Ports[0].TargetPort.String()] != 9443 {
		t.Errorf("webhook Service ports %v, want 443 to the manager's webhook-server port", service.Spec.Ports)
	}
	if m.ReadinessProbe == nil || m.ReadinessProbe.HTTPGet == nil || m.ReadinessProbe.HTTPGet.Path != "/readyz" ||
		m.LivenessProbe == nil || m.LivenessProbe.HTTPGet == nil || m.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("manager probes: want readiness /readyz and liveness /healthz on healthz")
	}

	sc := m.SecurityContext
	if sc == nil || !ptr.Deref(sc.ReadOnlyRootFilesystem, false) || ptr.Deref(sc.AllowPrivilegeEscalation, true) ||
		ptr.Deref(sc.RunAsUser, 0) != 65532 || ptr.Deref(sc.RunAsGroup, 0) != 65532 || sc.Capabilities == nil ||
		!slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("manager security context %+v is not the restricted one", sc)
	}
	if psc := spec.SecurityContext; psc == nil || !ptr.Deref(psc.RunAsNonRoot, false) || psc.SeccompProfile == nil ||
		psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod security context %+v: want runAsNonRoot and the RuntimeDefault seccomp profile", psc)
	}
	if m.Resources.Requests.Cpu().IsZero() || m.Resources.Requests.Memory().IsZero() || m.Resources.Limits.Memory().IsZero() {
		t.Errorf("manager resources %+v: want CPU and memory requests and a memory limit", m.Resources)
	}
	if ptr.Deref(spec.TerminationGracePeriodSeconds, 0) != 10 {
		t.Errorf("terminationGracePeriodSeconds %v, want 10", spec.TerminationGracePeriodSeconds)
	}
	if !hasToleration(spec.Tolerations, "node-role.kubernetes.io/control-plane") {
		t.Errorf("tolerations %v: the manager must run on control-plane nodes", spec.Tolerations)
	}

	secretName, _, _ := unstructured.NestedString(certificate.Object, "spec", "secretName")
	mounted := false
	for _, v := range spec.Volumes {
		if v.Secret != nil && v.Secret.SecretName == secretName {
			for _, vm := range m.VolumeMounts {
				mounted = mounted || (vm.Name == v.Name && vm.MountPath == "/tmp/k8s-webhook-server/serving-certs")
			}
		}
	}
	if !mounted {
		t.Errorf("the manager does not mount the serving certificate Secret %s at the webhook certificate directory", secretName)
	}
	sa := &corev1.ServiceAccount{}
	get(ctx, t, c, client.ObjectKey{Namespace: ns, Name: spec.ServiceAccountName}, sa)
}

func checkCertificate(t *testing.T, certificate *unstructured.Unstructured, service *corev1.Service) {
	dnsNames, _, _ := unstructured.NestedStringSlice(certificate.Object, "spec", "dnsNames")
	want := service.Name + "." + service.Namespace + ".svc"
	if !slices.Equal(dnsNames, []string{want, want + ".cluster.local"}) {
		t.Errorf("Certificate DNS names %v, want the webhook Service's %s(.cluster.local)", dnsNames, want)
	}
	issuer, _, _ := unstructured.NestedString(certificate.Object, "spec", "issuerRef", "name")
	if !strings.HasSuffix(issuer, "selfsigned-issuer") {
		t.Errorf("Certificate issuer %q, want the provider's self-signed Issuer", issuer)
	}
}

// checkCRDs checks that the CRDs are established, carry the contract labels and convert through the manager's
// webhook Service with the CA of the serving Certificate.
func checkCRDs(ctx context.Context, t *testing.T, c client.Client, names []string, service *corev1.Service, injectCAFrom string) {
	for _, name := range names {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			if err := c.Get(ctx, client.ObjectKey{Name: name}, crd); err != nil {
				return false, err
			}
			for _, cond := range crd.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Errorf("CRD %s is not established: %v", name, err)
			continue
		}
		for key, value := range map[string]string{
			"cluster.x-k8s.io/v1beta1":   "v1beta1_v1beta2",
			"cluster.x-k8s.io/v1beta2":   "v1beta3",
			clusterctlv1.ClusterctlLabel: "",
		} {
			if got, ok := crd.Labels[key]; !ok || got != value {
				t.Errorf("CRD %s: label %s=%q, want %q", name, key, got, value)
			}
		}
		if len(crd.Spec.Versions) < 2 {
			continue
		}
		conv := crd.Spec.Conversion
		if conv == nil || conv.Strategy != apiextensionsv1.WebhookConverter || conv.Webhook == nil || conv.Webhook.ClientConfig == nil ||
			conv.Webhook.ClientConfig.Service == nil {
			t.Errorf("CRD %s serves %d versions but does not convert through a webhook Service: %+v", name, len(crd.Spec.Versions), conv)
			continue
		}
		svc := conv.Webhook.ClientConfig.Service
		if svc.Name != service.Name || svc.Namespace != service.Namespace || ptr.Deref(svc.Path, "") != "/convert" {
			t.Errorf("CRD %s converts through %s/%s%s, want %s/%s/convert", name, svc.Namespace, svc.Name, ptr.Deref(svc.Path, ""), service.Namespace, service.Name)
		}
		if !slices.Contains(conv.Webhook.ConversionReviewVersions, "v1") {
			t.Errorf("CRD %s: conversion review versions %v lack v1", name, conv.Webhook.ConversionReviewVersions)
		}
		if got := crd.Annotations["cert-manager.io/inject-ca-from"]; got != injectCAFrom {
			t.Errorf("CRD %s: cert-manager.io/inject-ca-from %q, want %q", name, got, injectCAFrom)
		}
	}
}

func checkWebhookConfigurations(ctx context.Context, t *testing.T, c client.Client, byKind map[string][]string, service *corev1.Service, injectCAFrom string) {
	checkService := func(kind, name string, annotations map[string]string, count int, ref func(int) *admissionregistrationv1.ServiceReference) {
		if got := annotations["cert-manager.io/inject-ca-from"]; got != injectCAFrom {
			t.Errorf("%s %s: cert-manager.io/inject-ca-from %q, want %q", kind, name, got, injectCAFrom)
		}
		if count == 0 {
			t.Errorf("%s %s has no webhooks", kind, name)
		}
		for i := range count {
			if s := ref(i); s == nil || s.Name != service.Name || s.Namespace != service.Namespace {
				t.Errorf("%s %s: webhook %d calls %+v, want the Service %s/%s", kind, name, i, s, service.Namespace, service.Name)
			}
		}
	}
	mutating := &admissionregistrationv1.MutatingWebhookConfiguration{}
	get(ctx, t, c, client.ObjectKey{Name: byKind["MutatingWebhookConfiguration"][0]}, mutating)
	checkService("MutatingWebhookConfiguration", mutating.Name, mutating.Annotations, len(mutating.Webhooks),
		func(i int) *admissionregistrationv1.ServiceReference {
			return mutating.Webhooks[i].ClientConfig.Service
		})
	validating := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	get(ctx, t, c, client.ObjectKey{Name: byKind["ValidatingWebhookConfiguration"][0]}, validating)
	checkService("ValidatingWebhookConfiguration", validating.Name, validating.Annotations, len(validating.Webhooks),
		func(i int) *admissionregistrationv1.ServiceReference {
			return validating.Webhooks[i].ClientConfig.Service
		})
}

// checkRBAC checks that the bindings grant the manager's ServiceAccount in the target namespace the manager role,
// leader election in its namespace and what the secure diagnostics endpoint needs.
func checkRBAC(ctx context.Context, t *testing.T, c client.Client, pc providerCase, objs []unstructured.Unstructured) {
	granted := map[string]bool{} // "<kind>/<role>" bound to the manager
	for _, o := range objs {
		var subjects []rbacv1.Subject
		var roleRef rbacv1.RoleRef
		switch o.GetKind() {
		case "ClusterRoleBinding":
			b := &rbacv1.ClusterRoleBinding{}
			get(ctx, t, c, client.ObjectKey{Name: o.GetName()}, b)
			subjects, roleRef = b.Subjects, b.RoleRef
		case "RoleBinding":
			b := &rbacv1.RoleBinding{}
			get(ctx, t, c, client.ObjectKey{Namespace: o.GetNamespace(), Name: o.GetName()}, b)
			subjects, roleRef = b.Subjects, b.RoleRef
		default:
			continue
		}
		for _, s := range subjects {
			if s.Kind != rbacv1.ServiceAccountKind || s.Namespace != pc.wantNamespace {
				t.Errorf("%s %s binds %s %s/%s, want the manager's ServiceAccount in %s", o.GetKind(), o.GetName(), s.Kind, s.Namespace, s.Name, pc.wantNamespace)
			}
		}
		granted[roleRef.Kind+"/"+roleRef.Name] = true
	}
	needs := map[string][]rbacv1.PolicyRule{
		"tokenreviews":         {{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"tokenreviews"}, Verbs: []string{"create"}}},
		"subjectaccessreviews": {{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews"}, Verbs: []string{"create"}}},
		"leases":               {{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "create", "update"}}},
	}
	for need, rules := range needs {
		if !grants(ctx, t, c, pc.wantNamespace, granted, rules[0]) {
			t.Errorf("no role bound to the manager grants %s %v", need, rules[0].Verbs)
		}
	}
	if managerRole := "ClusterRole/capi-k3s-" + strings.TrimSuffix(pc.label, "-k3s") + "-manager-role"; !granted[managerRole] {
		t.Errorf("the generated manager role is not bound to the manager (bound: %v)", granted)
	}
}

// grants reports whether one of the granted roles has a rule covering want.
func grants(ctx context.Context, t *testing.T, c client.Client, namespace string, granted map[string]bool, want rbacv1.PolicyRule) bool {
	t.Helper()
	for ref := range granted {
		kind, name, _ := strings.Cut(ref, "/")
		var rules []rbacv1.PolicyRule
		if kind == "ClusterRole" {
			r := &rbacv1.ClusterRole{}
			get(ctx, t, c, client.ObjectKey{Name: name}, r)
			rules = r.Rules
		} else {
			r := &rbacv1.Role{}
			get(ctx, t, c, client.ObjectKey{Namespace: namespace, Name: name}, r)
			rules = r.Rules
		}
		for _, r := range rules {
			if slices.Contains(r.APIGroups, want.APIGroups[0]) && slices.Contains(r.Resources, want.Resources[0]) &&
				!slices.ContainsFunc(want.Verbs, func(v string) bool { return !slices.Contains(r.Verbs, v) }) {
				return true
			}
		}
	}
	return false
}

func hasToleration(tolerations []corev1.Toleration, key string) bool {
	return slices.ContainsFunc(tolerations, func(t corev1.Toleration) bool {
		return t.Key == key && t.Effect == corev1.TaintEffectNoSchedule
	})
}

func get(ctx context.Context, t *testing.T, c client.Client, key client.ObjectKey, obj client.Object) {
	t.Helper()
	if err := c.Get(ctx, key, obj); err != nil {
		t.Fatalf("failed to get %T %s: %v", obj, key, err)
	}
}

// certManagerGroupVersion is the API of the cert-manager objects in the components.
var certManagerGroupVersion = schema.GroupVersion{Group: "cert-manager.io", Version: "v1"}

// certManagerCRDs are minimal Issuer and Certificate CRDs, so that the components' cert-manager objects apply
// (cert-manager itself, which would issue the certificate and inject the CA, does not run).
func certManagerCRDs() []*apiextensionsv1.CustomResourceDefinition {
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, kind := range []string{"Issuer", "Certificate"} {
		plural := strings.ToLower(kind) + "s"
		crds = append(crds, &apiextensionsv1.CustomResourceDefinition{
			ObjectMeta: metav1.ObjectMeta{Name: plural + "." + certManagerGroupVersion.Group},
			Spec: apiextensionsv1.CustomResourceDefinitionSpec{
				Group: certManagerGroupVersion.Group,
				Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: kind, ListKind: kind + "List", Plural: plural, Singular: strings.ToLower(kind)},
				Scope: apiextensionsv1.NamespaceScoped,
				Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
					Name: certManagerGroupVersion.Version, Served: true, Storage: true,
					Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
						Type: "object", XPreserveUnknownFields: ptr.To(true),
					}},
				}},
			},
		})
	}
	return crds
}

func installScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	return scheme
}

// startAPIServer starts kube-apiserver (with the given extra flags) and etcd on 127.0.0.1 with the cert-manager CRDs,
// and stops them at the end of the test.
func startAPIServer(ctx context.Context, t *testing.T, flags map[string]string) *crenvtest.Environment {
	t.Helper()
	root, err := envtest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	assets, err := envtest.AssetsDir(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	env := &crenvtest.Environment{BinaryAssetsDirectory: assets, CRDs: certManagerCRDs()}
	apiServer := env.ControlPlane.GetAPIServer()
	apiServer.Address = "127.0.0.1"
	ports := freePorts(t, 2)
	apiServer.Port = strconv.Itoa(ports[0])
	apiServer.Configure().Set("advertise-address", "127.0.0.1")
	for k, v := range flags {
		apiServer.Configure().Set(k, v)
	}
	env.ControlPlane.Etcd = &crenvtest.Etcd{URL: &url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))}}
	if env.Config, err = env.Start(); err != nil {
		_ = env.Stop()
		t.Fatalf("failed to start the API server: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("failed to stop the API server: %v", err)
		}
	})
	return env
}

// freePorts returns n distinct ports that were free on 127.0.0.1 a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		// Open until all are chosen, so they differ.
		defer func() { _ = l.Close() }()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, string(data))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// excerpt returns the text around s[i].
func excerpt(s string, i int) string {
	return s[max(0, i-60):min(len(s), i+60)]
}
