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

package node

import (
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

var updateFuzzSeeds = flag.Bool("update-fuzz-seeds", false, "regenerate testdata/fuzz/FuzzParse from rendered bootstrap data")

// fuzzFormats are the formats the fuzz target picks from; the last one is unsupported.
var fuzzFormats = []string{"", FormatCloudConfig, FormatIgnition, "bogus"}

// seedDir holds the seed corpus of FuzzParse: bootstrap data rendered by the provider's code (see
// TestFuzzSeeds_update).
var seedDir = filepath.Join("testdata", "fuzz", "FuzzParse")

// FuzzParse checks that Parse never panics, whatever the data, and that what it returns is consistent and can be
// validated without panicking.
func FuzzParse(f *testing.F) {
	f.Add(uint8(0), []byte(""))
	f.Add(uint8(1), []byte("## template: jinja\n#cloud-config\nruncmd: [\"echo $(a\"]\n"))
	f.Add(uint8(2), []byte(`{"ignition":{"version":"3.3.0"}}`))
	f.Add(uint8(3), []byte("#cloud-config\n"))
	f.Fuzz(func(t *testing.T, format uint8, data []byte) {
		name := fuzzFormats[int(format)%len(fuzzFormats)]
		b, err := Parse(name, data)
		if err != nil {
			if b != nil {
				t.Fatalf("Parse returned a Boot with the error %v", err)
			}
			return
		}
		for p, file := range b.Files {
			if p != file.Path {
				t.Fatalf("file %q is recorded under %q", file.Path, p)
			}
		}
		for _, i := range b.InstallCommands {
			if i < 0 || i >= len(b.Commands) {
				t.Fatalf("install command index %d out of range (%d commands)", i, len(b.Commands))
			}
		}
		if len(b.InstallCommands) == 0 && (b.Role != "" || b.HasSentinel) {
			t.Fatalf("role %q or sentinel without install command", b.Role)
		}
		verr := b.Validate()
		if verr != nil && verr.Error() == "" {
			t.Fatal("Validate returned an empty error")
		}
		_ = b.NodeNameFor("node-0")
	})
}

// fuzzSeeds returns the seed inputs: a format index and rendered bootstrap data, by file name.
func fuzzSeeds(t *testing.T) map[string]struct {
	format uint8
	data   []byte
} {
	encodedFiles := []bootstrapv1.File{
		{Path: "/etc/b64.txt", Encoding: bootstrapv1.Base64, Content: base64.StdEncoding.EncodeToString([]byte("b64\n"))},
		{Path: "/etc/gzip.bin", Encoding: bootstrapv1.Gzip, Content: gzipped(t, "gzip\n")},
		{Path: "/etc/gzip-b64.bin", Encoding: bootstrapv1.GzipBase64, Content: base64.StdEncoding.EncodeToString([]byte(gzipped(t, "gz64\n")))},
		{Path: "/etc/rancher/k3s/config.yaml.d/10-extra.yaml", Owner: "root:root", Permissions: "0600", Content: "node-label+: [extra=1]\n"},
		{Path: "/usr/local/bin/suid", Permissions: "4755", Content: "\x7fELF\x00\xff"},
	}
	plain := func(spec bootstrapv1.KThreesConfigSpec) bootstrapv1.KThreesConfigSpec {
		spec.AgentConfig.NodeName = ""
		return spec
	}
	withFiles := func(spec bootstrapv1.KThreesConfigSpec) bootstrapv1.KThreesConfigSpec {
		spec.Files = encodedFiles
		return spec
	}
	airGapped := func(spec bootstrapv1.KThreesConfigSpec) bootstrapv1.KThreesConfigSpec {
		spec.AgentConfig.AirGapped = true
		return spec
	}
	seeds := map[string]struct {
		format uint8
		data   []byte
	}{}
	add := func(name string, format bootstrapv1.Format, role k3sconfig.Role, spec bootstrapv1.KThreesConfigSpec) {
		idx := uint8(0)
		for i, f := range fuzzFormats {
			if f == string(format) {
				idx = uint8(i)
			}
		}
		data := render(t, format, nodeData(t, nodeInput(role, spec, fakeCAFiles())))
		seeds[name] = struct {
			format uint8
			data   []byte
		}{idx, data}
	}
	add("init-server", bootstrapv1.CloudConfig, k3sconfig.RoleInitServer, serverSpec())
	add("join-server-no-format", "", k3sconfig.RoleJoinServer, serverSpec())
	add("agent", bootstrapv1.CloudConfig, k3sconfig.RoleAgent, agentSpec())
	add("air-gapped-server", bootstrapv1.CloudConfig, k3sconfig.RoleJoinServer, airGapped(serverSpec()))
	add("air-gapped-agent-encodings", bootstrapv1.CloudConfig, k3sconfig.RoleAgent, withFiles(airGapped(agentSpec())))
	add("ignition-init-server", bootstrapv1.Ignition, k3sconfig.RoleInitServer, plain(serverSpec()))
	add("ignition-agent-encodings", bootstrapv1.Ignition, k3sconfig.RoleAgent, withFiles(plain(agentSpec())))
	seeds["upstream-worker"] = struct {
		format uint8
		data   []byte
	}{0, []byte(upstreamWorker)}
	return seeds
}

// TestFuzzSeeds_update rewrites the seed corpus when run with -update-fuzz-seeds.
func TestFuzzSeeds_update(t *testing.T) {
	if !*updateFuzzSeeds {
		t.Skip("run with -update-fuzz-seeds to regenerate the seed corpus")
	}
	g := NewWithT(t)
	g.Expect(os.MkdirAll(seedDir, 0o750)).To(Succeed())
	for name, s := range fuzzSeeds(t) {
		content := fmt.Sprintf("go test fuzz v1\nbyte(%q)\n[]byte(%q)\n", s.format, s.data)
		g.Expect(os.WriteFile(filepath.Join(seedDir, name), []byte(content), 0o600)).To(Succeed())
	}
}

// TestFuzzSeeds_areValidNodes checks that every seed is complete bootstrap data that parses and validates, so that
// fuzzing starts from inputs that reach every part of Parse.
func TestFuzzSeeds_areValidNodes(t *testing.T) {
	g := NewWithT(t)
	entries, err := os.ReadDir(seedDir)
	g.Expect(err).NotTo(HaveOccurred())
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	var want []string
	for name := range fuzzSeeds(t) {
		want = append(want, name)
	}
	g.Expect(names).To(ConsistOf(want), "run go test ./test/infrastructure/k3ssim/node -run TestFuzzSeeds_update -update-fuzz-seeds")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			raw, err := os.ReadFile(filepath.Join(seedDir, name))
			g.Expect(err).NotTo(HaveOccurred())
			format, data := decodeSeed(g, string(raw))
			b, err := Parse(fuzzFormats[format], data)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(b.Validate()).To(Succeed())
		})
	}
}

// decodeSeed reads a seed file written by TestFuzzSeeds_update.
func decodeSeed(g Gomega, raw string) (uint8, []byte) {
	lines := strings.Split(strings.TrimSuffix(raw, "\n"), "\n")
	g.Expect(lines).To(HaveLen(3))
	g.Expect(lines[0]).To(Equal("go test fuzz v1"))
	r, _, tail, err := strconv.UnquoteChar(strings.TrimSuffix(strings.TrimPrefix(lines[1], "byte('"), "')"), '\'')
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tail).To(BeEmpty())
	data, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[2], "[]byte("), ")"))
	g.Expect(err).NotTo(HaveOccurred())
	return uint8(r), []byte(data)
}
