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
	"path"
	"strconv"
	"strings"

	ignitionv3 "github.com/coreos/ignition/v2/config/v3_3"
	"github.com/coreos/ignition/v2/config/v3_3/types"
	. "github.com/onsi/gomega"
	"github.com/vincent-petithory/dataurl"

	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata/model"
)

// expectRoundTrip parses out with Ignition's parser, expects no error nor warning, and checks that it writes
// the files of in (the last of several with the same path) with the same bytes, mode and owner, then the
// bootstrap script with the commands of in, run by an enabled unit.
func expectRoundTrip(g Gomega, in model.Data, out []byte) types.Config {
	cfg, rpt, err := ignitionv3.Parse(out)
	g.Expect(err).NotTo(HaveOccurred(), rpt.String())
	g.Expect(rpt.Entries).To(BeEmpty(), rpt.String())
	g.Expect(cfg.Ignition.Version).To(Equal(SpecVersion))

	want := lastByPath(in.Files)
	g.Expect(cfg.Storage.Files).To(HaveLen(len(want) + 1))
	for i, f := range want {
		expectFile(g, cfg.Storage.Files[i], f)
	}
	expectFile(g, cfg.Storage.Files[len(want)], model.File{Path: ScriptPath, Permissions: "0700",
		Content: Script(append(SpecialModeCommands(in.Files), in.Commands...))})

	g.Expect(cfg.Systemd.Units).To(HaveLen(1))
	unit := cfg.Systemd.Units[0]
	g.Expect(unit.Name).To(Equal(UnitName))
	g.Expect(unit.Enabled).To(HaveValue(BeTrue()))
	g.Expect(unit.Contents).To(HaveValue(ContainSubstring("\nExecStart=/bin/sh " + ScriptPath + "\n")))
	return cfg
}

// expectFile checks that got writes f.
func expectFile(g Gomega, got types.File, f model.File) {
	g.Expect(got.Path).To(Equal(f.Path))
	g.Expect(got.Overwrite).To(HaveValue(BeTrue()), "files overwrite, like cloud-init's write_files")
	wantData, wantGzip, err := f.Decode()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.Contents.Source).NotTo(BeNil())
	du, err := dataurl.DecodeString(*got.Contents.Source)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(du.Data)).To(Equal(string(wantData)), "content of %q", f.Path)
	if wantGzip {
		g.Expect(got.Contents.Compression).To(HaveValue(Equal("gzip")))
	} else {
		g.Expect(got.Contents.Compression).To(BeNil())
	}
	if f.Permissions == "" {
		g.Expect(got.Mode).To(BeNil())
	} else {
		mode, err := strconv.ParseUint(f.Permissions, 8, 32)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got.Mode).To(HaveValue(BeEquivalentTo(mode&0o777)), "special bits are applied by the script")
	}
	user, group, hasGroup := strings.Cut(f.Owner, ":")
	expectOwner(g, got.User.ID, got.User.Name, user)
	if hasGroup {
		expectOwner(g, got.Group.ID, got.Group.Name, group)
	} else {
		g.Expect(got.Group.ID).To(BeNil())
		g.Expect(got.Group.Name).To(BeNil())
	}
}

// expectOwner checks that a user or group is want: unset when empty, an id when numeric, a name otherwise.
func expectOwner(g Gomega, id *int, name *string, want string) {
	switch n, err := strconv.Atoi(want); {
	case want == "":
		g.Expect(id).To(BeNil())
		g.Expect(name).To(BeNil())
	case err == nil && strings.Trim(want, "0123456789") == "":
		g.Expect(id).To(HaveValue(Equal(n)))
		g.Expect(name).To(BeNil())
	default:
		g.Expect(id).To(BeNil())
		g.Expect(name).To(HaveValue(Equal(want)))
	}
}

// lastByPath returns files keeping, for each path, the last file in the position of the first.
func lastByPath(files []model.File) []model.File {
	var out []model.File
	index := map[string]int{}
	for _, f := range files {
		if i, ok := index[f.Path]; ok {
			out[i] = f
			continue
		}
		index[f.Path] = len(out)
		out = append(out, f)
	}
	return out
}

// unitPath is where Ignition writes the bootstrap unit; no file may use it.
var unitPath = path.Join("/etc/systemd/system", UnitName)
