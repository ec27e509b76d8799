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
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// CRDs implements Flavor: the CRD manifests of KCP, CABPK and the Dev* kinds, labelled with the CAPI contract
// versions as their kustomizations label them, with the conversion webhook (if any) replaced by strategy None.
func (f *KubeadmFlavor) CRDs(ctx context.Context) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, src := range kubeadmCRDSources {
		modDir, err := f.moduleDir(ctx, src.module)
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(modDir, src.dir)
		labels, err := kustomizationLabels(filepath.Join(filepath.Dir(dir), "kustomization.yaml"))
		if err != nil {
			return nil, err
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("failed to read the CRD directory: %w", err)
		}
		found := 0
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") || !strings.HasPrefix(e.Name(), src.prefix) {
				continue
			}
			read, err := readCRDs(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			for _, crd := range read {
				if crd.Labels == nil {
					crd.Labels = map[string]string{}
				}
				for k, v := range labels {
					crd.Labels[k] = v
				}
				if crd.Spec.Conversion != nil && crd.Spec.Conversion.Strategy == apiextensionsv1.WebhookConverter {
					crd.Spec.Conversion = &apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.NoneConverter}
				}
				crds = append(crds, crd)
				found++
			}
		}
		if found == 0 {
			return nil, fmt.Errorf("no CRDs %s*.yaml in %s", src.prefix, dir)
		}
	}
	return crds, nil
}

// readCRDs decodes the CustomResourceDefinitions of a manifest.
func readCRDs(path string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	data, err := os.ReadFile(path) //nolint:gosec // module cache manifests
	if err != nil {
		return nil, fmt.Errorf("failed to read %s: %w", path, err)
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var crds []*apiextensionsv1.CustomResourceDefinition
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return crds, nil
		}
		if err != nil {
			return nil, fmt.Errorf("failed to split %s: %w", path, err)
		}
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return nil, fmt.Errorf("failed to decode %s: %w", path, err)
		}
		if meta.Kind != "CustomResourceDefinition" {
			continue
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal(doc, crd); err != nil {
			return nil, fmt.Errorf("failed to decode the CRD in %s: %w", path, err)
		}
		crds = append(crds, crd)
	}
}

// kustomizationLabels returns the labels a kustomization adds to its resources (labels[].pairs, commonLabels).
func kustomizationLabels(path string) (map[string]string, error) {
	data, err := os.ReadFile(path) //nolint:gosec // module cache manifests
	if err != nil {
		return nil, fmt.Errorf("failed to read %s: %w", path, err)
	}
	var k struct {
		Labels []struct {
			Pairs map[string]string `json:"pairs"`
		} `json:"labels"`
		CommonLabels map[string]string `json:"commonLabels"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, fmt.Errorf("failed to decode %s: %w", path, err)
	}
	labels := map[string]string{}
	for k, v := range k.CommonLabels {
		labels[k] = v
	}
	for _, l := range k.Labels {
		for k, v := range l.Pairs {
			labels[k] = v
		}
	}
	if _, ok := labels[clusterv1.GroupVersion.Group+"/"+clusterv1.GroupVersion.Version]; !ok {
		return nil, fmt.Errorf("%s labels no CAPI contract version %s", path, clusterv1.GroupVersion)
	}
	return labels, nil
}
