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
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/client-go/rest"
	crenvtest "sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"
)

// capiCRDPatchSubdir holds the kustomize patches with which CAPI's deployment turns on webhook conversion of its
// CRDs (webhook_in_<plural>.yaml), inside capiModule.
const capiCRDPatchSubdir = "core/config/crd/patches"

// capiConversions returns, by CRD name, the conversion that CAPI's kustomize patches set on its core CRDs (strategy
// Webhook, the review versions, a clientConfig pointing at CAPI's webhook Service).
//
// envtest sets a conversion webhook only on the CRDs of kinds whose Go types implement controller-runtime's
// Hub/Convertible in the scheme; CAPI's v1beta1 types do not (CAPI registers stand-alone converters with
// WithConverter instead), so envtest would install its CRDs with conversion strategy None and the API server would
// hand v1beta1 clients the stored v1beta2 objects relabelled.
func capiConversions(moduleDir string) (map[string]*apiextensionsv1.CustomResourceConversion, error) {
	dir := filepath.Join(moduleDir, capiCRDPatchSubdir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("failed to read CAPI's CRD patches: %w", err)
	}
	out := map[string]*apiextensionsv1.CustomResourceConversion{}
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".yaml" {
			continue
		}
		docs, err := readYAMLDocuments(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		for i, doc := range docs {
			patch := &apiextensionsv1.CustomResourceDefinition{}
			if err := yaml.Unmarshal(doc, patch); err != nil {
				return nil, fmt.Errorf("failed to decode document %d of %s: %w", i, e.Name(), err)
			}
			if patch.Kind != "CustomResourceDefinition" || patch.Spec.Conversion == nil ||
				patch.Spec.Conversion.Strategy != apiextensionsv1.WebhookConverter {
				continue
			}
			out[patch.Name] = patch.Spec.Conversion
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no webhook conversion patch in %s", dir)
	}
	return out, nil
}

// installCAPICRDs installs CAPI's core CRDs from the module at moduleDir, with webhook conversion where CAPI's
// deployment has it, the webhook pointing at the manager's webhook server (wio, after envtest started) instead of
// CAPI's Service, as a real management cluster has them after clusterctl init.
func installCAPICRDs(cfg *rest.Config, moduleDir string, wio *crenvtest.WebhookInstallOptions) error {
	conversions, err := capiConversions(moduleDir)
	if err != nil {
		return err
	}
	if len(wio.LocalServingCAData) == 0 || wio.LocalServingPort == 0 {
		return errors.New("the webhook serving address and CA are not set up yet")
	}
	opts := crenvtest.CRDInstallOptions{
		Paths:              []string{filepath.Join(moduleDir, capiCRDSubdir)},
		ErrorIfPathMissing: true,
		MaxTime:            30 * time.Second,
		PollInterval:       100 * time.Millisecond,
	}
	if err := crenvtest.ReadCRDFiles(&opts); err != nil {
		return fmt.Errorf("failed to read CAPI's CRDs: %w", err)
	}
	for _, crd := range opts.CRDs {
		conv, ok := conversions[crd.Name]
		if !ok {
			continue
		}
		conv = conv.DeepCopy()
		if conv.Webhook == nil || conv.Webhook.ClientConfig == nil {
			return fmt.Errorf("CAPI's conversion patch of %s has no webhook clientConfig", crd.Name)
		}
		path := "/convert"
		if svc := conv.Webhook.ClientConfig.Service; svc != nil && svc.Path != nil {
			path = *svc.Path
		}
		url := "https://" + net.JoinHostPort(wio.LocalServingHost, strconv.Itoa(wio.LocalServingPort)) + path
		conv.Webhook.ClientConfig = &apiextensionsv1.WebhookClientConfig{URL: &url, CABundle: wio.LocalServingCAData}
		crd.Spec.Conversion = conv
	}
	if err := crenvtest.CreateCRDs(cfg, opts.CRDs); err != nil {
		return fmt.Errorf("failed to create CAPI's CRDs: %w", err)
	}
	if err := crenvtest.WaitForCRDs(cfg, opts.CRDs, opts); err != nil {
		return fmt.Errorf("CAPI's CRDs did not become available: %w", err)
	}
	return nil
}
