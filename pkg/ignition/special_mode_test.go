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
	"testing"

	ignitionv3 "github.com/coreos/ignition/v2/config/v3_3"
	. "github.com/onsi/gomega"

	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata/model"
)

func TestRender_SpecialModeBits(t *testing.T) {
	g := NewWithT(t)
	data := model.Data{
		Files: []model.File{
			{Path: "/usr/local/bin/helper", Permissions: "4755", Content: "#!/bin/sh\n"},
			{Path: "/opt/it's", Permissions: "1777", Content: "x"},
			{Path: "/etc/plain", Permissions: "0640", Content: "y"},
		},
		Commands: []string{"echo user"},
	}
	out, err := Render(data)
	g.Expect(err).ToNot(HaveOccurred())
	cfg, rpt, err := ignitionv3.Parse(out)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(rpt.Entries).To(BeEmpty(), rpt.String())
	g.Expect(*cfg.Storage.Files[0].Mode).To(Equal(0o755))
	g.Expect(SpecialModeCommands(data.Files)).To(Equal([]string{
		"chmod 4755 '/usr/local/bin/helper'",
		`chmod 1777 '/opt/it'\''s'`,
	}))
	expectRoundTrip(g, data, out)
}
