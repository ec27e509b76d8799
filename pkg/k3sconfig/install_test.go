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
	"testing"

	. "github.com/onsi/gomega"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

func TestInstallCommand(t *testing.T) {
	const sentinel = " && mkdir -p /run/cluster-api && echo success > /run/cluster-api/bootstrap-success.complete"
	tests := []struct {
		name    string
		role    Role
		version string
		agent   bootstrapv1.KThreesAgentConfig
		want    string
	}{
		{name: "online init server", role: RoleInitServer, version: "v1.34.5+k3s1",
			want: "curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=v1.34.5+k3s1 sh -s - server" + sentinel},
		{name: "online join server", role: RoleJoinServer, version: "v1.34.5+k3s1",
			want: "curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=v1.34.5+k3s1 sh -s - server" + sentinel},
		{name: "online agent", role: RoleAgent, version: "v1.31.0-rc1+k3s1",
			want: "curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=v1.31.0-rc1+k3s1 sh -s - agent" + sentinel},
		{name: "online without a version leaves the installer's default", role: RoleAgent,
			want: "curl -sfL https://get.k3s.io | sh -s - agent" + sentinel},
		{name: "air-gapped server with the default script", role: RoleInitServer, version: "v1.34.5+k3s1",
			agent: bootstrapv1.KThreesAgentConfig{AirGapped: true},
			want:  "INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_EXEC='server' sh /opt/install.sh" + sentinel},
		{name: "air-gapped agent with a custom script", role: RoleAgent,
			agent: bootstrapv1.KThreesAgentConfig{AirGapped: true, AirGappedInstallScriptPath: "/usr/local/share/k3s/install.sh"},
			want:  "INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_EXEC='agent' sh /usr/local/share/k3s/install.sh" + sentinel},
		{name: "the script path is ignored when online", role: RoleAgent, version: "v1.34.5+k3s1",
			agent: bootstrapv1.KThreesAgentConfig{AirGappedInstallScriptPath: "/x.sh"},
			want:  "curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=v1.34.5+k3s1 sh -s - agent" + sentinel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := InstallCommand(tt.role, tt.version, tt.agent)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
			// EMF-style consumers join all commands into sudo sh -c "...": the command must add no double
			// quotes, dollars, backquotes or backslashes of its own.
			g.Expect(got).NotTo(ContainAny(`"`, "$", "`", `\`))
		})
	}
}

func TestInstallCommand_errors(t *testing.T) {
	tests := []struct {
		name    string
		role    Role
		version string
		agent   bootstrapv1.KThreesAgentConfig
		wantErr string
	}{
		{name: "unknown role", role: "worker", wantErr: "unknown node role"},
		{name: "version with shell syntax", role: RoleAgent, version: "v1.34.5+k3s1; reboot", wantErr: "version"},
		{name: "version with a dollar", role: RoleAgent, version: "$(id)", wantErr: "version"},
		{name: "relative script", role: RoleAgent, agent: bootstrapv1.KThreesAgentConfig{AirGapped: true,
			AirGappedInstallScriptPath: "install.sh"}, wantErr: "airGappedInstallScriptPath"},
		{name: "script with a space", role: RoleAgent, agent: bootstrapv1.KThreesAgentConfig{AirGapped: true,
			AirGappedInstallScriptPath: "/opt/my install.sh"}, wantErr: "airGappedInstallScriptPath"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := InstallCommand(tt.role, tt.version, tt.agent)
			g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
		})
	}
}

// ContainAny succeeds when the actual string contains any of substrings.
func ContainAny(substrings ...string) OmegaMatcher {
	matchers := make([]OmegaMatcher, 0, len(substrings))
	for _, s := range substrings {
		matchers = append(matchers, ContainSubstring(s))
	}
	return Or(matchers...)
}
