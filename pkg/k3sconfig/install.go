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

package k3sconfig

import (
	"fmt"
	"path"
	"regexp"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

const (
	// InstallScriptURL is the K3s installer downloaded by online nodes.
	InstallScriptURL = "https://get.k3s.io"

	// SentinelPath is the file whose presence tells Cluster API that bootstrapping succeeded.
	SentinelPath = "/run/cluster-api/bootstrap-success.complete"

	// SentinelCommand writes SentinelPath; it runs only when the install command succeeded.
	SentinelCommand = "mkdir -p /run/cluster-api && echo success > " + SentinelPath
)

var (
	// shellWordPattern matches versions and paths that a POSIX shell reads as one word without quoting, and
	// that stay intact when the commands are joined into sudo sh -c "...": no quotes, '$', spaces or other
	// shell syntax.
	shellWordPattern = regexp.MustCompile(`^[A-Za-z0-9._+@%/:,=-]+$`)
)

// InstallCommand returns the single command that installs K3s in role and, if that succeeds, writes the
// bootstrap sentinel:
//
//	curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=<version> sh -s - server && <sentinel>
//
// with "agent" for agents and without INSTALL_K3S_VERSION= when version is empty (the installer then picks
// the stable channel). Air-gapped nodes run the pre-staged script instead, without INSTALL_K3S_VERSION (the
// binary on the node decides the version):
//
//	INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_EXEC='server' sh <script> && <sentinel>
//
// The script path defaults to bootstrapv1.DefaultAirGappedInstallScriptPath. The version and the script path
// must be plain shell words (letters, digits and ._+@%/:,=-); anything else is an error rather than a command
// that would break or run something else.
func InstallCommand(role Role, version string, agentConfig bootstrapv1.KThreesAgentConfig) (string, error) {
	exec := "server"
	switch role {
	case RoleInitServer, RoleJoinServer:
	case RoleAgent:
		exec = "agent"
	default:
		return "", fmt.Errorf("unknown node role %q: must be %q, %q or %q", role, RoleInitServer, RoleJoinServer, RoleAgent)
	}

	if agentConfig.AirGapped {
		script := agentConfig.AirGappedInstallScriptPath
		if script == "" {
			script = bootstrapv1.DefaultAirGappedInstallScriptPath
		}
		if !path.IsAbs(script) || !shellWordPattern.MatchString(script) {
			return "", fmt.Errorf("airGappedInstallScriptPath %q must be an absolute path made of letters, digits "+
				"and ._+@%%/:,=- only", script)
		}
		return fmt.Sprintf("INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_EXEC='%s' sh %s && %s",
			exec, script, SentinelCommand), nil
	}

	env := ""
	if version != "" {
		if !shellWordPattern.MatchString(version) {
			return "", fmt.Errorf("version %q must be made of letters, digits and ._+@%%/:,=- only, e.g. v1.34.5+k3s1",
				version)
		}
		env = "INSTALL_K3S_VERSION=" + version + " "
	}
	return fmt.Sprintf("curl -sfL %s | %ssh -s - %s && %s", InstallScriptURL, env, exec, SentinelCommand), nil
}
