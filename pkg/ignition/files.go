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
	"encoding/base64"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/coreos/ignition/v2/config/v3_3/types"
	"k8s.io/utils/ptr"

	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata/model"
)

// maxMode is the largest file mode Ignition accepts.
const maxMode = 0o7777

// storageFiles converts files into Ignition file entries. When several files share a path only the last one
// is kept, in the position of the first, because Ignition rejects duplicates and cloud-init lets the last
// write win.
func storageFiles(files []model.File) ([]types.File, error) {
	out := make([]types.File, 0, len(files))
	index := make(map[string]int, len(files))
	for i := range files {
		f, err := storageFile(files[i])
		if err != nil {
			return nil, fmt.Errorf("file %d (%q): %w", i, files[i].Path, err)
		}
		if j, ok := index[f.Path]; ok {
			out[j] = f
			continue
		}
		index[f.Path] = len(out)
		out = append(out, f)
	}
	return out, nil
}

// storageFile converts one file into an Ignition file entry.
func storageFile(f model.File) (types.File, error) {
	if f.Path == "" || !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path {
		return types.File{}, errors.New("path must be absolute and clean, e.g. /etc/example.conf")
	}
	if !utf8.ValidString(f.Path) || strings.ContainsRune(f.Path, 0) {
		return types.File{}, errors.New("path must be valid UTF-8 text without NUL characters")
	}
	if !utf8.ValidString(f.Owner) {
		return types.File{}, errors.New("owner must be valid UTF-8 text")
	}
	out := types.File{Node: types.Node{Path: f.Path, Overwrite: ptr.To(true)}}
	if err := setOwner(&out.Node, f.Owner); err != nil {
		return types.File{}, err
	}
	if f.Permissions != "" {
		mode, err := strconv.ParseUint(f.Permissions, 8, 32)
		if err != nil || mode > maxMode {
			return types.File{}, fmt.Errorf("permissions %q must be an octal mode from 0 to 7777", f.Permissions)
		}
		// Ignition before spec 3.6 cannot set setuid/setgid/sticky bits: it gets the permission bits and the bootstrap
		// script applies the full mode (SpecialModeCommands).
		out.Mode = ptr.To(int(mode & 0o777))
	}
	content, gzipped, err := f.Decode()
	if err != nil {
		return types.File{}, err
	}
	out.Contents.Source = ptr.To(DataURL(content))
	if gzipped {
		out.Contents.Compression = ptr.To("gzip")
	}
	return out, nil
}

// setOwner sets the user and group of n from owner, written user or user:group, each a name or a numeric id.
func setOwner(n *types.Node, owner string) error {
	if owner == "" {
		return nil
	}
	user, group, hasGroup := strings.Cut(owner, ":")
	if user == "" || (hasGroup && group == "") {
		return fmt.Errorf("owner %q must be user or user:group", owner)
	}
	id, name, err := idOrName(user)
	if err != nil {
		return fmt.Errorf("owner %q: %w", owner, err)
	}
	n.User = types.NodeUser{ID: id, Name: name}
	if hasGroup {
		id, name, err := idOrName(group)
		if err != nil {
			return fmt.Errorf("owner %q: %w", owner, err)
		}
		n.Group = types.NodeGroup{ID: id, Name: name}
	}
	return nil
}

// idOrName returns s as a numeric id when it is made of digits, as a name otherwise.
func idOrName(s string) (*int, *string, error) {
	if strings.Trim(s, "0123456789") != "" {
		return nil, ptr.To(s), nil
	}
	id, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return nil, nil, fmt.Errorf("id %s is out of range", s)
	}
	return ptr.To(int(id)), nil, nil
}

// DataURL returns content as a base64 data URL, the form in which the rendered config carries file contents.
func DataURL(content []byte) string {
	return "data:;base64," + base64.StdEncoding.EncodeToString(content)
}

// SpecialModeCommands returns, for each file whose permissions carry setuid, setgid or sticky bits (the last file of
// a path wins, as in storageFiles), the chmod command that gives it its full mode; Ignition spec 3.3 cannot.
func SpecialModeCommands(files []model.File) []string {
	modes := map[string]string{}
	var order []string
	for _, f := range files {
		if _, seen := modes[f.Path]; !seen {
			order = append(order, f.Path)
		}
		modes[f.Path] = ""
		if mode, err := strconv.ParseUint(f.Permissions, 8, 32); err == nil && mode > 0o777 && mode <= maxMode {
			modes[f.Path] = fmt.Sprintf("chmod %04o %s", mode, shellQuote(f.Path))
		}
	}
	var out []string
	for _, p := range order {
		if modes[p] != "" {
			out = append(out, modes[p])
		}
	}
	return out
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
