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

package certs

import (
	"sigs.k8s.io/cluster-api/util/secret"

	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata"
)

// Files returns the certificate and key files of the certificates in their order, root-owned with 0640 for
// certificates and 0600 for keys; certificates without key material (e.g. an external CA without key) yield only
// what they have.
func Files(certificates secret.Certificates) []bootstrapdata.File {
	var out []bootstrapdata.File
	for _, c := range certificates {
		for _, f := range c.AsFiles() {
			out = append(out, bootstrapdata.File{Path: f.Path, Owner: f.Owner, Permissions: f.Permissions, Content: f.Content})
		}
	}
	return out
}
