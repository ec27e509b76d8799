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

package bootstrapdata

import (
	"fmt"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/cloudinit"
	"github.com/k3s-io/cluster-api-k3s/pkg/ignition"
)

// Render renders data in format: a cloud-init cloud-config document for bootstrapv1.CloudConfig or "" (the
// default), an Ignition config for bootstrapv1.Ignition. Any other format is an error.
func Render(format bootstrapv1.Format, data Data) ([]byte, error) {
	switch format {
	case "", bootstrapv1.CloudConfig:
		out, err := cloudinit.Render(data)
		if err != nil {
			return nil, fmt.Errorf("rendering cloud-config: %w", err)
		}
		return out, nil
	case bootstrapv1.Ignition:
		out, err := ignition.Render(data)
		if err != nil {
			return nil, fmt.Errorf("rendering ignition: %w", err)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("unsupported bootstrap data format %q: must be %q or %q",
			format, bootstrapv1.CloudConfig, bootstrapv1.Ignition)
	}
}
