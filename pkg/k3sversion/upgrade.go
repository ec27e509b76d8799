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
)

var (
	// ErrDowngrade is returned, wrapped, by ValidateUpgrade when the target version is older than the current one.
	ErrDowngrade = errors.New("version downgrades are not supported")

	// ErrMinorSkip is returned, wrapped, by ValidateUpgrade when the upgrade skips a minor (or changes the major)
	// version.
	ErrMinorSkip = errors.New("upgrades must not skip a minor version")
)

// ValidateUpgrade checks that moving from the version from to the version to is a supported upgrade: to must not
// be older than from (a lower semver, or the same semver with a lower K3s build, is a downgrade), and it may
// raise the minor version by at most one within the same major version. Patch and K3s build upgrades, and no
// change at all, are allowed. Errors wrap ErrDowngrade or ErrMinorSkip.
func ValidateUpgrade(from, to Version) error {
	if Compare(to, from) < 0 {
		return fmt.Errorf("%w: %s is older than %s", ErrDowngrade, to, from)
	}
	if to.Major != from.Major || to.Minor > from.Minor+1 {
		return fmt.Errorf("%w: %s to %s; upgrade to v%d.%d first", ErrMinorSkip, from, to, from.Major, from.Minor+1)
	}
	return nil
}

// ValidateUpgradeString parses from and to and checks the upgrade with ValidateUpgrade.
func ValidateUpgradeString(from, to string) error {
	fromVersion, err := Parse(from)
	if err != nil {
		return fmt.Errorf("parsing current version: %w", err)
	}
	toVersion, err := Parse(to)
	if err != nil {
		return fmt.Errorf("parsing target version: %w", err)
	}
	return ValidateUpgrade(fromVersion, toVersion)
}
