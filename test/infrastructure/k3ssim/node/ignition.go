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
	"fmt"
	"net/url"
	"strconv"
	"strings"

	ignitionv3 "github.com/coreos/ignition/v2/config/v3_5"
	"github.com/coreos/ignition/v2/config/v3_5/types"
	"github.com/vincent-petithory/dataurl"

	"github.com/k3s-io/cluster-api-k3s/pkg/ignition"
)

// parseIgnition reads an Ignition config (spec 3.0 to 3.5) as Ignition does, then finds the commands in the scripts
// that its enabled systemd units run.
func parseIgnition(data []byte) (*Boot, error) {
	var cfg types.Config
	err := guard(func() error {
		c, rpt, err := ignitionv3.ParseCompatibleVersion(data)
		if err != nil {
			if s := strings.TrimSpace(rpt.String()); s != "" {
				return fmt.Errorf("invalid ignition config: %w: %s", err, s)
			}
			return fmt.Errorf("invalid ignition config: %w", err)
		}
		cfg = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ignition: %w", err)
	}

	b := &Boot{Format: FormatIgnition, Files: map[string]File{}}
	for i := range cfg.Storage.Files {
		f := &cfg.Storage.Files[i]
		file, err := ignitionFile(f)
		if err != nil {
			return nil, fmt.Errorf("ignition: storage.files[%d] (%s): %w", i, f.Path, err)
		}
		b.Files[file.Path] = file
	}
	commands, err := unitCommands(cfg.Systemd.Units, b.Files)
	if err != nil {
		return nil, fmt.Errorf("ignition: %w", err)
	}
	b.Commands = commands
	return b, nil
}

// ignitionFile returns the file an Ignition storage entry writes.
func ignitionFile(f *types.File) (File, error) {
	p, err := cleanPath(f.Path)
	if err != nil {
		return File{}, err
	}
	out := File{Path: p, Owner: ignitionOwner(f.User, f.Group), Permissions: fmt.Sprintf("%04o", defaultMode)}
	if f.Mode != nil {
		out.Permissions = fmt.Sprintf("%04o", *f.Mode)
	}
	content, err := ignitionResource(f.Contents)
	if err != nil {
		return File{}, fmt.Errorf("contents: %w", err)
	}
	for j, a := range f.Append {
		more, err := ignitionResource(a)
		if err != nil {
			return File{}, fmt.Errorf("append[%d]: %w", j, err)
		}
		content = append(content, more...)
	}
	out.Content = content
	return out, nil
}

// ignitionOwner returns user:group of an Ignition node, each a name or an id, root when unset.
func ignitionOwner(user types.NodeUser, group types.NodeGroup) string {
	name := func(id *int, n *string) string {
		switch {
		case n != nil && *n != "":
			return *n
		case id != nil:
			return strconv.Itoa(*id)
		default:
			return "root"
		}
	}
	return name(user.ID, user.Name) + ":" + name(group.ID, group.Name)
}

// ignitionResource returns the bytes of an Ignition resource: its data URL decoded, then decompressed. A resource
// without source is empty; a remote source is an error, as a simulated node cannot fetch it.
func ignitionResource(r types.Resource) ([]byte, error) {
	if r.Source == nil {
		return nil, nil
	}
	u, err := url.Parse(*r.Source)
	if err != nil || u.Scheme != "data" {
		scheme := ""
		if u != nil {
			scheme = u.Scheme
		}
		return nil, fmt.Errorf("source with scheme %q is not a data URL; a simulated node cannot fetch it", scheme)
	}
	var data []byte
	err = guard(func() error {
		du, err := dataurl.DecodeString(*r.Source)
		if err != nil {
			return err
		}
		data = du.Data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("invalid data URL: %w", err)
	}
	if r.Compression != nil && *r.Compression != "" {
		if *r.Compression != "gzip" {
			return nil, fmt.Errorf("unsupported compression %q", *r.Compression)
		}
		if data, err = gunzip(data); err != nil {
			return nil, fmt.Errorf("compression gzip: %w", err)
		}
	}
	return data, nil
}

// unitCommands returns the commands of the scripts the enabled units run (ExecStart= naming a written file), in
// unit order. The provider's bootstrap script must be run by one of them.
func unitCommands(units []types.Unit, files map[string]File) ([]string, error) {
	var commands []string
	ran := map[string]bool{}
	for _, u := range units {
		if u.Enabled == nil || !*u.Enabled || (u.Mask != nil && *u.Mask) || u.Contents == nil {
			continue
		}
		for _, line := range strings.Split(*u.Contents, "\n") {
			value, ok := strings.CutPrefix(strings.TrimSpace(line), "ExecStart=")
			if !ok {
				continue
			}
			toks, err := lex(strings.TrimLeft(value, "-@:+!"))
			if err != nil {
				continue
			}
			for _, t := range toks {
				if t.word == nil {
					continue
				}
				if f, ok := files[t.word.text]; ok && !ran[f.Path] {
					ran[f.Path] = true
					commands = append(commands, scriptLines(f.Content)...)
				}
			}
		}
	}
	if _, ok := files[ignition.ScriptPath]; ok && !ran[ignition.ScriptPath] {
		return nil, fmt.Errorf("the bootstrap script %s is written but no enabled systemd unit runs it (ExecStart=), "+
			"so its commands would never run", ignition.ScriptPath)
	}
	return commands, nil
}

// scriptLines returns the lines of a shell script, without its #! line: the commands the shell runs, one per line.
func scriptLines(content []byte) []string {
	s := string(content)
	if strings.HasPrefix(s, "#!") {
		_, s = firstLine(s)
	}
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
