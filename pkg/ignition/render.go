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

package ignition

import (
	"fmt"
	"strings"

	ignitionv3 "github.com/coreos/ignition/v2/config/v3_3"
	"github.com/coreos/ignition/v2/config/v3_3/types"
	"k8s.io/utils/ptr"

	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata/model"
)

// SpecVersion is the Ignition config specification version of the rendered configs.
const SpecVersion = "3.3.0"

// Render renders data as an Ignition config and validates it with Ignition's own parser. It returns an error
// when a file cannot be written by Ignition (a relative or unclean path, an invalid owner, mode or encoding,
// content declared base64 that is not) or when the parser reports any error.
func Render(data model.Data) ([]byte, error) {
	cfg := types.Config{Ignition: types.Ignition{Version: SpecVersion}}
	files, err := storageFiles(data.Files)
	if err != nil {
		return nil, err
	}
	commands := append(SpecialModeCommands(data.Files), data.Commands...)
	cfg.Storage.Files = append(files, scriptFile(commands))
	cfg.Systemd.Units = []types.Unit{{
		Name:     UnitName,
		Enabled:  ptr.To(true),
		Contents: ptr.To(unitContents),
	}}

	out, err := marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encoding ignition config: %w", err)
	}
	if err := Validate(out); err != nil {
		return nil, err
	}
	return out, nil
}

// Validate parses an Ignition config with Ignition's parser and returns an error if it reports any error.
func Validate(config []byte) error {
	_, rpt, err := ignitionv3.Parse(config)
	if err != nil {
		if s := strings.TrimSpace(rpt.String()); s != "" {
			return fmt.Errorf("invalid ignition config: %w: %s", err, s)
		}
		return fmt.Errorf("invalid ignition config: %w", err)
	}
	if rpt.IsFatal() {
		return fmt.Errorf("invalid ignition config: %s", strings.TrimSpace(rpt.String()))
	}
	return nil
}
