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
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/k3s-io/cluster-api-k3s/pkg/certs"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

// Validate checks what a real node needs to come up, returning an error a person can act on (all problems joined,
// nil when there is none):
//
//   - exactly one K3s install command, ending by writing the sentinel (&& ... > /run/cluster-api/bootstrap-success.complete),
//     with no command writing the sentinel before it, and every command readable by the shell;
//   - /etc/rancher/k3s/config.yaml;
//   - a server with cluster-init carries the cluster CA files that pkg/certs places under
//     /var/lib/rancher/k3s/server/tls (server-ca, client-ca and etcd/server-ca, certificate and key);
//   - a joining server or an agent has server and token (or token-file); an agent has no cluster-init;
//   - a node-name holding {{ }} is rendered by cloud-init jinja: otherwise K3s would register that literal name,
//     which Kubernetes rejects.
//
// It reads the commands again (HasSentinel and InstallCommands are not consulted), and the other fields as they are.
func (b *Boot) Validate() error {
	var errs []error
	a := analyzeCommands(b.Commands)

	for _, i := range sortedKeys(a.unreadable) {
		errs = append(errs, fmt.Errorf("command %d (%q) cannot be read by the shell: %v; the commands run as one "+
			"script, so the commands after it may not run either", i, truncate(b.Commands[i], 80), a.unreadable[i]))
	}
	errs = append(errs, checkInstall(a, len(b.Commands))...)

	if b.Config == nil {
		errs = append(errs, fmt.Errorf("no %s is written: K3s would start without the cluster's token and join "+
			"settings; the bootstrap data must write it", k3sconfig.ConfigPath))
	}
	errs = append(errs, b.checkRole(len(a.installs) > 0)...)

	if !b.Jinja && strings.Contains(b.NodeName, "{{") {
		errs = append(errs, fmt.Errorf("node-name %q holds a jinja expression, but this %s data is not rendered by "+
			"cloud-init jinja: K3s would register the node under this literal name, which Kubernetes rejects; use the "+
			"cloud-config format or a plain node name", b.NodeName, b.formatName()))
	}
	return errors.Join(errs...)
}

// checkInstall checks that there is exactly one install command and that it writes the sentinel, after K3s is
// installed and only then.
func checkInstall(a analysis, commands int) []error {
	var errs []error
	switch n := len(a.installs); n {
	case 0:
		return []error{fmt.Errorf("no K3s install command among the %d commands: the node would never run K3s; the "+
			"bootstrap data must run exactly one, e.g. %q", commands,
			"curl -sfL "+k3sconfig.InstallScriptURL+" | sh -s - server && "+k3sconfig.SentinelCommand)}
	case 1:
	default:
		idx := make([]string, 0, n)
		for _, in := range a.installs {
			idx = append(idx, fmt.Sprint(in.index))
		}
		errs = append(errs, fmt.Errorf("%d K3s install commands (commands %s): the node would run the installer %d "+
			"times, the last one deciding what K3s runs as; exactly one is needed: look for an extra install command in "+
			"preK3sCommands or postK3sCommands", n, strings.Join(idx, ", "), n))
	}
	first, last := a.installs[0].index, a.installs[len(a.installs)-1].index
	if !a.installs[len(a.installs)-1].sentinel {
		msg := fmt.Sprintf("the K3s install command (command %d) does not write the bootstrap sentinel %s once it "+
			"succeeds: Cluster API would never see the machine as bootstrapped; end it with \"&& %s\"",
			last, k3sconfig.SentinelPath, k3sconfig.SentinelCommand)
		var apart []string
		for _, i := range a.sentinelWrites {
			if i != last {
				apart = append(apart, fmt.Sprint(i))
			}
		}
		if len(apart) > 0 {
			msg += fmt.Sprintf(" (command %s writes it on its own, whether or not K3s was installed)", strings.Join(apart, ", "))
		}
		errs = append(errs, errors.New(msg))
	}
	for _, i := range a.sentinelWrites {
		if i < first {
			errs = append(errs, fmt.Errorf("command %d writes the bootstrap sentinel %s before K3s is installed "+
				"(command %d): Cluster API would consider the machine bootstrapped too early", i, k3sconfig.SentinelPath, first))
		}
	}
	return errs
}

// checkRole checks the K3s settings against the role; installed is false when there is no install command (the
// role is then unknown and nothing is checked).
func (b *Boot) checkRole(installed bool) []error {
	if !installed {
		return nil
	}
	var errs []error
	cfg := k3sconfig.ConfigPath
	switch b.Role {
	case RoleServer:
		if b.ClusterInit {
			if missing := b.missingCAFiles(); len(missing) > 0 {
				errs = append(errs, fmt.Errorf("a server with cluster-init: true starts a new cluster and needs the "+
					"cluster CA files, missing: %s; without them K3s would generate its own CAs, which the kubeconfig "+
					"and etcd client certificates issued by Cluster API are not signed by", strings.Join(missing, ", ")))
			}
			break
		}
		if b.Server == "" {
			errs = append(errs, fmt.Errorf("a joining server (no cluster-init) needs server, the control plane "+
				"endpoint URL (https://host:port), in %s: without it K3s would start a new single-server cluster", cfg))
		}
		if !b.hasToken() {
			errs = append(errs, fmt.Errorf("a joining server needs token in %s: without it the cluster refuses it", cfg))
		}
	case RoleAgent:
		if b.ClusterInit {
			errs = append(errs, fmt.Errorf("an agent's %s sets cluster-init: true, which only servers read (K3s "+
				"agents skip it): the config was rendered for an init server but the install command installs an agent",
				cfg))
		}
		if b.Server == "" {
			errs = append(errs, fmt.Errorf("an agent needs server, the control plane endpoint URL (https://host:port), "+
				"in %s: K3s agents do not start without it", cfg))
		}
		if !b.hasToken() {
			errs = append(errs, fmt.Errorf("an agent needs token in %s: K3s agents do not start without it", cfg))
		}
	default:
		errs = append(errs, fmt.Errorf("the K3s install command runs K3s as %q: it must be %q or %q", b.Role,
			RoleServer, RoleAgent))
	}
	return errs
}

// hasToken reports whether K3s has the cluster token: token, or token-file.
func (b *Boot) hasToken() bool {
	return b.Token != "" || flagString(b.EffectiveConfig["token-file"]) != ""
}

// missingCAFiles returns the cluster CA files (certificates and keys, as pkg/certs places them on the first
// server) that are not written or are empty.
func (b *Boot) missingCAFiles() []string {
	var missing []string
	for _, c := range certs.NewClusterCertificates("") {
		for _, p := range []string{c.CertFile, c.KeyFile} {
			if f, ok := b.Files[p]; !ok || len(f.Content) == 0 {
				missing = append(missing, p)
			}
		}
	}
	return missing
}

// formatName names the format of the data for messages.
func (b *Boot) formatName() string {
	if b.Format == "" {
		return FormatCloudConfig
	}
	return b.Format
}

// sortedKeys returns the keys of m in increasing order.
func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
