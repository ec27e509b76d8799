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

package k3sversion

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// versionPattern matches vX.Y.Z+k3sN with an optional semver pre-release such as -rc1 (K3s publishes release
// candidates as e.g. v1.31.0-rc1+k3s1). Numbers have no leading zeros and N is at least 1.
var versionPattern = regexp.MustCompile(
	`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)` +
		`(?:-((?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?` +
		`\+k3s([1-9][0-9]*)$`)

// ErrInvalidVersion is returned, wrapped, by Parse for strings that are not K3s versions.
var ErrInvalidVersion = errors.New("invalid K3s version")

// Version is a parsed K3s release version vX.Y.Z[-PRERELEASE]+k3sN.
type Version struct {
	// Major is the X of vX.Y.Z.
	Major uint64
	// Minor is the Y of vX.Y.Z.
	Minor uint64
	// Patch is the Z of vX.Y.Z.
	Patch uint64
	// PreRelease is the optional semver pre-release, e.g. rc1; empty for releases.
	PreRelease string
	// K3sBuild is the N of +k3sN; it is at least 1.
	K3sBuild uint64
}

// Parse parses a K3s version of the form vX.Y.Z+k3sN (N >= 1), optionally with a semver pre-release
// (vX.Y.Z-rc1+k3sN). Errors wrap ErrInvalidVersion.
func Parse(s string) (Version, error) {
	m := versionPattern.FindStringSubmatch(s)
	if m == nil {
		return Version{}, fmt.Errorf("%w %q: must be vX.Y.Z+k3sN with N >= 1, e.g. v1.34.5+k3s1", ErrInvalidVersion, s)
	}
	var nums [4]uint64
	for i, part := range []string{m[1], m[2], m[3], m[5]} {
		n, err := strconv.ParseUint(part, 10, 64)
		if err != nil {
			return Version{}, fmt.Errorf("%w %q: %w", ErrInvalidVersion, s, err)
		}
		nums[i] = n
	}
	return Version{Major: nums[0], Minor: nums[1], Patch: nums[2], PreRelease: m[4], K3sBuild: nums[3]}, nil
}

// IsValid reports whether s is a K3s version accepted by Parse.
func IsValid(s string) bool {
	_, err := Parse(s)
	return err == nil
}

// String returns the version in its canonical vX.Y.Z[-PRERELEASE]+k3sN form.
func (v Version) String() string {
	return v.Semver() + "+k3s" + strconv.FormatUint(v.K3sBuild, 10)
}

// Semver returns the Kubernetes part of the version, vX.Y.Z[-PRERELEASE], without the K3s build.
func (v Version) Semver() string {
	s := fmt.Sprintf("v%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.PreRelease != "" {
		s += "-" + v.PreRelease
	}
	return s
}
