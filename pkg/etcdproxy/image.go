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

package etcdproxy

import (
	"strings"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

// DefaultImage is the proxy image used when serverConfig.etcdProxyImage is not set.
const DefaultImage = "alpine/socat:1.8.0.0"

// Image returns the proxy image of a server: serverConfig.etcdProxyImage when set, otherwise DefaultImage
// prefixed with serverConfig.systemDefaultRegistry and a slash when that is set.
func Image(sc bootstrapv1.KThreesServerConfig) string {
	if sc.EtcdProxyImage != "" {
		return sc.EtcdProxyImage
	}
	if registry := strings.TrimSuffix(sc.SystemDefaultRegistry, "/"); registry != "" {
		return registry + "/" + DefaultImage
	}
	return DefaultImage
}
