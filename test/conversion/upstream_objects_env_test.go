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

package conversion

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/conversion"
	"sigs.k8s.io/yaml"

	bootstrapwebhooks "github.com/k3s-io/cluster-api-k3s/bootstrap/webhooks"
	controlplanewebhooks "github.com/k3s-io/cluster-api-k3s/controlplane/webhooks"
	"github.com/k3s-io/cluster-api-k3s/internal/apiconversion"
	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
	"github.com/k3s-io/cluster-api-k3s/pkg/contract"
)

const (
	bootstrapGroup    = "bootstrap.cluster.x-k8s.io"
	controlPlaneGroup = "controlplane.cluster.x-k8s.io"
	// hubVersion is the storage version of every kind.
	hubVersion = "v1beta3"
	// conversionDataAnnotation holds the fields a spoke version cannot represent; it is ignored when comparing.
	conversionDataAnnotation = "cluster.x-k8s.io/conversion-data"
	// updatedLabel is added by the update step.
	updatedLabel = "test.cluster-api-k3s.io/updated"
	// caseTimeout bounds each test case.
	caseTimeout = 2 * time.Minute
)

// env is the environment started by TestMain.
var env *envtest.Environment

// TestMain starts the environment with the admission and conversion webhooks of all four kinds, the apiVersion
// lookup the managers configure for reference conversion, and infrastructure template CRDs labelled like the
// providers of the CAPI v1.14 era.
func TestMain(m *testing.M) {
	os.Exit(envtest.Run(m, envtest.Options{
		Setup: []func(ctrl.Manager) error{
			(&bootstrapwebhooks.KThreesConfig{}).SetupWebhookWithManager,
			(&bootstrapwebhooks.KThreesConfigTemplate{}).SetupWebhookWithManager,
			(&controlplanewebhooks.KThreesControlPlane{}).SetupWebhookWithManager,
			(&controlplanewebhooks.KThreesControlPlaneTemplate{}).SetupWebhookWithManager,
			func(mgr ctrl.Manager) error {
				apiconversion.SetAPIVersionGetter(contract.APIVersionGetter(mgr.GetAPIReader()))
				return nil
			},
		},
		CRDs: []*apiextensionsv1.CustomResourceDefinition{
			// CAPD v1.14 (sigs.k8s.io/cluster-api/test infrastructure/docker/config/crd/kustomization.yaml).
			envtest.InfrastructureCRD("DockerMachineTemplate", map[string]string{
				"cluster.x-k8s.io/v1beta1": "v1beta1",
				"cluster.x-k8s.io/v1beta2": "v1beta2",
			}),
			// A provider whose v1beta2 API implements both contracts (CAPA-like).
			envtest.InfrastructureCRD("AWSMachineTemplate", map[string]string{
				"cluster.x-k8s.io/v1beta1": "v1beta2",
				"cluster.x-k8s.io/v1beta2": "v1beta2",
			}),
		},
	}, &env))
}

// kindInfo describes one of our kinds.
type kindInfo struct {
	group  string
	kind   string
	plural string
	// served lists every served version, the hub included.
	served []string
}

var (
	kthreesConfig = kindInfo{
		group: bootstrapGroup, kind: "KThreesConfig", plural: "kthreesconfigs",
		served: []string{"v1beta1", "v1beta2", "v1beta3"},
	}
	kthreesConfigTemplate = kindInfo{
		group: bootstrapGroup, kind: "KThreesConfigTemplate", plural: "kthreesconfigtemplates",
		served: []string{"v1beta1", "v1beta2", "v1beta3"},
	}
	kthreesControlPlane = kindInfo{
		group: controlPlaneGroup, kind: "KThreesControlPlane", plural: "kthreescontrolplanes",
		served: []string{"v1beta1", "v1beta2", "v1beta3"},
	}
	kthreesControlPlaneTemplate = kindInfo{
		group: controlPlaneGroup, kind: "KThreesControlPlaneTemplate", plural: "kthreescontrolplanetemplates",
		served: []string{"v1beta2", "v1beta3"},
	}
)

func (k kindInfo) gvk(version string) schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: k.group, Version: version, Kind: k.kind}
}

// upstreamCase is an object an upstream user writes, in an API version upstream serves.
type upstreamCase struct {
	name    string
	kind    kindInfo
	version string
	// manifest is the object as written, without metadata.namespace (each case gets its own namespace).
	manifest string
	// webhookDefaults applies upstream's admission defaults to the written object, giving what a read in the
	// written version must return. Nil means upstream defaults nothing visible in that version.
	webhookDefaults func(obj map[string]any, namespace string)
	// schemaPruned lists fields of the manifest that upstream's schema of the written version prunes (objects
	// declared without properties); they are removed from the expectation, since ours must prune them too.
	schemaPruned [][]string
	// update changes one spec field of an object read back; it is applied to the expectation too.
	update func(obj map[string]any)
	// derivedThroughV1beta1 adjusts the expectation of a v1beta2 object read as v1beta1 and converted back, for
	// fields v1beta1 derives from the effective settings by design.
	derivedThroughV1beta1 func(obj map[string]any)
}

// TestUpstreamObjects creates upstream-shaped objects in v1beta1 and v1beta2 and checks that they are stored as
// v1beta3 and read back without loss, in the written version and, through the Go conversion, from every other
// served version, before and after an update in the written version.
func TestUpstreamObjects(t *testing.T) {
	for _, tc := range upstreamCases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx, cancel := context.WithTimeout(t.Context(), caseTimeout)
			defer cancel()

			ns, err := env.CreateNamespace(ctx, "upstream")
			g.Expect(err).NotTo(HaveOccurred())
			obj := parseManifest(t, strings.ReplaceAll(tc.manifest, "NAMESPACE", ns.Name))
			g.Expect(obj.GroupVersionKind()).To(Equal(tc.kind.gvk(tc.version)), "manifest apiVersion/kind")
			obj.SetNamespace(ns.Name)
			expected := obj.DeepCopy()
			for _, path := range tc.schemaPruned {
				unstructured.RemoveNestedField(expected.Object, path...)
			}
			if tc.webhookDefaults != nil {
				tc.webhookDefaults(expected.Object, ns.Name)
			}

			// (a) create succeeds.
			g.Expect(env.Client.Create(ctx, obj)).To(Succeed(), "create %s %s", tc.kind.kind, tc.version)
			key := client.ObjectKeyFromObject(obj)

			t.Run("stored as v1beta3", func(t *testing.T) { expectStoredAsHub(ctx, t, tc.kind, key) })
			t.Run("lossless after create", func(t *testing.T) { expectLossless(ctx, t, tc, key, expected) })

			// (e) update in the written version: read, add a label, change one spec field, write back.
			latest := get(ctx, t, tc.kind.gvk(tc.version), key)
			for _, o := range []*unstructured.Unstructured{latest, expected} {
				labels := o.GetLabels()
				if labels == nil {
					labels = map[string]string{}
				}
				labels[updatedLabel] = "true"
				o.SetLabels(labels)
				tc.update(o.Object)
			}
			g.Expect(env.Client.Update(ctx, latest)).To(Succeed(), "update %s %s", tc.kind.kind, tc.version)

			t.Run("stored as v1beta3 after update", func(t *testing.T) { expectStoredAsHub(ctx, t, tc.kind, key) })
			t.Run("lossless after update", func(t *testing.T) { expectLossless(ctx, t, tc, key, expected) })
		})
	}
}

// expectStoredAsHub checks (b): etcd holds the object as <group>/v1beta3 and v1beta3 is the only stored version.
func expectStoredAsHub(ctx context.Context, t *testing.T, k kindInfo, key client.ObjectKey) {
	t.Helper()
	g := NewWithT(t)
	etcdKey := fmt.Sprintf("/registry/%s/%s/%s/%s", k.group, k.plural, key.Namespace, key.Name)
	raw, err := readEtcd(ctx, etcdKey)
	g.Expect(err).NotTo(HaveOccurred())
	var stored struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	g.Expect(json.Unmarshal(raw, &stored)).To(Succeed(), "stored value of %s is not JSON", etcdKey)
	g.Expect(stored.APIVersion).To(Equal(k.group+"/"+hubVersion), "apiVersion stored at %s", etcdKey)
	g.Expect(stored.Kind).To(Equal(k.kind))

	crd := &apiextensionsv1.CustomResourceDefinition{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: k.plural + "." + k.group}, crd)).To(Succeed())
	g.Expect(crd.Status.StoredVersions).To(Equal([]string{hubVersion}))
}

// expectLossless checks (c) and (d): the object read in the written version equals the expectation, and so does
// the object read in every other served version once converted to the written version with the Go conversion.
func expectLossless(ctx context.Context, t *testing.T, tc upstreamCase, key client.ObjectKey, expected *unstructured.Unstructured) {
	t.Helper()
	t.Run("read as "+tc.version, func(t *testing.T) {
		got := get(ctx, t, tc.kind.gvk(tc.version), key)
		expectSameObject(t, expected.Object, got.Object)
	})
	for _, v := range tc.kind.served {
		if v == tc.version {
			continue
		}
		t.Run(fmt.Sprintf("read as %s, converted to %s", v, tc.version), func(t *testing.T) {
			g := NewWithT(t)
			other := get(ctx, t, tc.kind.gvk(v), key)
			converted, err := convertInGo(other, tc.version)
			g.Expect(err).NotTo(HaveOccurred())
			want := expected.Object
			if v == "v1beta1" && tc.derivedThroughV1beta1 != nil {
				want = expected.DeepCopy().Object
				tc.derivedThroughV1beta1(want)
			}
			expectSameObject(t, want, converted)
		})
	}
}

// expectSameObject compares spec, labels and annotations (without the conversion data) of two objects, treating
// null values and empty objects as absent.
func expectSameObject(t *testing.T, want, got map[string]any) {
	t.Helper()
	if diff := cmp.Diff(comparedParts(t, want), comparedParts(t, got)); diff != "" {
		t.Errorf("object differs from what was written (-want +got):\n%s", diff)
	}
}

// comparedParts returns the compared parts of an object, normalized through JSON.
func comparedParts(t *testing.T, obj map[string]any) any {
	t.Helper()
	out := map[string]any{"spec": obj["spec"]}
	meta, _ := obj["metadata"].(map[string]any)
	out["labels"] = meta["labels"]
	if annotations, ok := meta["annotations"].(map[string]any); ok {
		kept := map[string]any{}
		for k, v := range annotations {
			if k != conversionDataAnnotation {
				kept[k] = v
			}
		}
		out["annotations"] = kept
	}
	data, err := json.Marshal(out)
	if err != nil {
		t.Fatalf("failed to marshal object: %v", err)
	}
	var normalized any
	if err := json.Unmarshal(data, &normalized); err != nil {
		t.Fatalf("failed to unmarshal object: %v", err)
	}
	return prune(normalized)
}

// prune drops null values and (after pruning) empty objects: an absent optional struct and an empty one mean the
// same, and the Go types of the older versions serialize unset value structs as {}.
func prune(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		if list, ok := v.([]any); ok {
			for i := range list {
				list[i] = prune(list[i])
			}
		}
		return v
	}
	for k, child := range m {
		child = prune(child)
		if cm, isMap := child.(map[string]any); child == nil || (isMap && len(cm) == 0) {
			delete(m, k)
			continue
		}
		m[k] = child
	}
	return m
}

// get reads an object in the given version; the API server converts it from storage through the webhook.
func get(ctx context.Context, t *testing.T, gvk schema.GroupVersionKind, key client.ObjectKey) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := env.Client.Get(ctx, key, u); err != nil {
		t.Fatalf("failed to get %s %s as %s: %v", gvk.Kind, key, gvk.Version, err)
	}
	if u.GroupVersionKind() != gvk {
		t.Fatalf("got %s, want %s", u.GroupVersionKind(), gvk)
	}
	return u
}

// convertInGo converts an object read in one version to another version with the Go conversion: to the hub with
// ConvertTo (unless it is the hub), then to the target with ConvertFrom.
func convertInGo(obj *unstructured.Unstructured, toVersion string) (map[string]any, error) {
	scheme := env.Scheme
	gvk := obj.GroupVersionKind()
	src, err := scheme.New(gvk)
	if err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", gvk, err)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, src); err != nil {
		return nil, fmt.Errorf("failed to decode %s: %w", gvk, err)
	}
	hub, ok := src.(conversion.Hub)
	if !ok {
		hubObj, err := scheme.New(gvk.GroupKind().WithVersion(hubVersion))
		if err != nil {
			return nil, fmt.Errorf("failed to create the hub of %s: %w", gvk.GroupKind(), err)
		}
		if hub, ok = hubObj.(conversion.Hub); !ok {
			return nil, fmt.Errorf("%s %s is not a conversion hub", gvk.GroupKind(), hubVersion)
		}
		spoke, ok := src.(conversion.Convertible)
		if !ok {
			return nil, fmt.Errorf("%s is not convertible", gvk)
		}
		if err := spoke.ConvertTo(hub); err != nil {
			return nil, fmt.Errorf("failed to convert %s to %s: %w", gvk, hubVersion, err)
		}
	}
	dstGVK := gvk.GroupKind().WithVersion(toVersion)
	dstObj, err := scheme.New(dstGVK)
	if err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", dstGVK, err)
	}
	dst, ok := dstObj.(conversion.Convertible)
	if !ok {
		return nil, fmt.Errorf("%s is not convertible", dstGVK)
	}
	if err := dst.ConvertFrom(hub); err != nil {
		return nil, fmt.Errorf("failed to convert %s to %s: %w", hubVersion, dstGVK, err)
	}
	out, err := runtime.DefaultUnstructuredConverter.ToUnstructured(dst)
	if err != nil {
		return nil, fmt.Errorf("failed to encode %s: %w", dstGVK, err)
	}
	return out, nil
}

// readEtcd returns the raw value stored in envtest's etcd at key.
func readEtcd(ctx context.Context, key string) ([]byte, error) {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{env.EtcdURL()},
		DialTimeout: 10 * time.Second,
		Context:     ctx,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("failed to connect to etcd at %s: %w", env.EtcdURL(), err)
	}
	defer func() { _ = cli.Close() }()
	resp, err := cli.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("failed to read %s from etcd: %w", key, err)
	}
	if len(resp.Kvs) != 1 {
		return nil, fmt.Errorf("etcd has %d values at %s, want 1", len(resp.Kvs), key)
	}
	return resp.Kvs[0].Value, nil
}

// parseManifest decodes a YAML manifest into an unstructured object (integers as int64).
func parseManifest(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	data, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		t.Fatalf("invalid manifest: %v", err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(data); err != nil {
		t.Fatalf("invalid manifest: %v", err)
	}
	return u
}

// setIfAbsent sets obj[path] = value unless a value is already there.
func setIfAbsent(obj map[string]any, value any, path ...string) {
	if _, found, _ := unstructured.NestedFieldNoCopy(obj, path...); found {
		return
	}
	if err := unstructured.SetNestedField(obj, value, path...); err != nil {
		panic(err)
	}
}

// set sets obj[path] = value.
func set(obj map[string]any, value any, path ...string) {
	if err := unstructured.SetNestedField(obj, value, path...); err != nil {
		panic(err)
	}
}

// cloudProviderDefaults applies upstream's KThreesConfigSpec defaults (disableCloudController true,
// cloudProviderName "external", each only when unset) to the serverConfig below path.
func cloudProviderDefaults(path ...string) func(obj map[string]any) {
	return func(obj map[string]any) {
		serverConfig := append(append([]string{}, path...), "serverConfig")
		setIfAbsent(obj, true, append(serverConfig, "disableCloudController")...)
		setIfAbsent(obj, "external", append(serverConfig, "cloudProviderName")...)
	}
}

// infrastructureNamespaceDefault applies upstream's default of the infrastructure reference's namespace: the
// object's namespace when it is empty.
func infrastructureNamespaceDefault(obj map[string]any, namespace string, path ...string) {
	if ns, _, _ := unstructured.NestedString(obj, append(path, "namespace")...); ns == "" {
		set(obj, namespace, append(path, "namespace")...)
	}
}
