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

	. "github.com/onsi/gomega"

	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata/model"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		in   model.Data
	}{
		{name: "no files and no commands still run the (empty) script", in: model.Data{}},
		{
			name: "owners: names, ids, user only",
			in: model.Data{Files: []model.File{
				{Path: "/etc/a", Owner: "root:root", Permissions: "0640", Content: "a"},
				{Path: "/etc/b", Owner: "1000:1001", Content: "b"},
				{Path: "/etc/c", Owner: "core", Content: "c"},
				{Path: "/etc/d", Owner: "etcd:0", Content: "d"},
			}},
		},
		{
			name: "encodings: base64 decoded, gzip kept compressed",
			in: model.Data{Files: []model.File{
				{Path: "/etc/plain", Content: "a+b&c <tag> \"q\" $HOME {{ x }}\n"},
				{Path: "/etc/b64", Encoding: "base64", Content: "aGVs\nbG8="},
				{Path: "/etc/b64-unpadded", Encoding: "base64", Content: "aGVsbG8"},
				{Path: "/etc/gz", Encoding: "gzip", Content: "\x1f\x8b\x08\x00"},
				{Path: "/etc/gzb64", Encoding: "gzip+base64", Content: "H4sIAAAAAAAA/w=="},
				{Path: "/etc/binary", Content: "\xff\x00\xfe"},
				{Path: "/etc/empty"},
			}},
		},
		{
			name: "the last file with a path wins",
			in: model.Data{Files: []model.File{
				{Path: "/etc/rancher/k3s/config.yaml", Content: "user"},
				{Path: "/etc/other", Content: "other"},
				{Path: "/etc/rancher/k3s/config.yaml", Owner: "root:root", Permissions: "0640", Content: "provider"},
			}},
		},
		{
			name: "commands become the script, one per line",
			in:   model.Data{Commands: []string{"echo pre", `echo "$HOME"`, "multi\nline", "curl -sfL https://get.k3s.io | sh -s - server && echo ok"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			out, err := Render(tt.in)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(Validate(out)).To(Succeed())
			expectRoundTrip(g, tt.in, out)
		})
	}
}

func TestScript(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Script(nil)).To(Equal("#!/bin/sh\n"))
	g.Expect(Script([]string{"a", "b c"})).To(Equal("#!/bin/sh\na\nb c\n"))
}

func TestRender_unit(t *testing.T) {
	g := NewWithT(t)
	out, err := Render(model.Data{})
	g.Expect(err).NotTo(HaveOccurred())
	cfg := expectRoundTrip(g, model.Data{}, out)
	g.Expect(*cfg.Systemd.Units[0].Contents).To(And(
		ContainSubstring("After=network-online.target"),
		ContainSubstring("Wants=network-online.target"),
		ContainSubstring("Type=oneshot"),
		ContainSubstring("ConditionPathExists=!"+DoneMarkerPath),
		ContainSubstring("WantedBy=multi-user.target"),
	))
}

func TestRender_errors(t *testing.T) {
	tests := []struct {
		name    string
		file    model.File
		wantErr string
	}{
		{name: "empty path", file: model.File{}, wantErr: "absolute and clean"},
		{name: "relative path", file: model.File{Path: "etc/a"}, wantErr: "absolute and clean"},
		{name: "unclean path", file: model.File{Path: "/etc/../a"}, wantErr: "absolute and clean"},
		{name: "path not UTF-8", file: model.File{Path: "/\xff"}, wantErr: "valid UTF-8"},
		{name: "owner not UTF-8", file: model.File{Path: "/a", Owner: "\xff"}, wantErr: "owner must be valid UTF-8"},
		{name: "owner without user", file: model.File{Path: "/a", Owner: ":root"}, wantErr: "must be user or user:group"},
		{name: "owner with empty group", file: model.File{Path: "/a", Owner: "root:"}, wantErr: "must be user or user:group"},
		{name: "owner id too large", file: model.File{Path: "/a", Owner: "99999999999"}, wantErr: "out of range"},
		{name: "permissions not octal", file: model.File{Path: "/a", Permissions: "0o644"}, wantErr: "octal mode"},
		{name: "permissions too large", file: model.File{Path: "/a", Permissions: "17777"}, wantErr: "octal mode"},
		{name: "invalid base64", file: model.File{Path: "/a", Encoding: "base64", Content: "!!"}, wantErr: "invalid base64"},
		{name: "unknown encoding", file: model.File{Path: "/a", Encoding: "b64"}, wantErr: "unknown encoding"},
		{name: "conflicts with the script", file: model.File{Path: ScriptPath}, wantErr: "duplicate"},
		{name: "conflicts with the unit", file: model.File{Path: unitPath}, wantErr: "invalid ignition config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := Render(model.Data{Files: []model.File{tt.file}})
			g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
		})
	}
}

func TestValidate(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Validate([]byte(`{"ignition":{"version":"3.3.0"}}`))).To(Succeed())
	g.Expect(Validate(nil)).To(HaveOccurred())
	g.Expect(Validate([]byte(`{"ignition":{"version":"2.2.0"}}`))).To(HaveOccurred())
	g.Expect(Validate([]byte(`{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"rel"}]}}`))).
		To(MatchError(ContainSubstring("path")))
}
