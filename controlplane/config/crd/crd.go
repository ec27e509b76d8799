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

// Package crd embeds the CRDs of the control-plane provider's API (generated into bases by controller-gen).
package crd

import (
	"embed"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/k3s-io/cluster-api-k3s/internal/crdfiles"
)

//go:embed bases/*.yaml
var files embed.FS

// CRDs returns the control-plane provider's CRDs, in file name order.
func CRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	return crdfiles.Read(files, "bases")
}
