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

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcdproxy"
)

// Role is the part a node plays in the cluster; it decides its K3s config, install command and files.
type Role string

const (
	// RoleInitServer is the first server: it starts the embedded etcd cluster (cluster-init) with the
	// pre-generated certificate authorities.
	RoleInitServer Role = "init-server"
	// RoleJoinServer is any other server: it joins the cluster through the control plane endpoint.
	RoleJoinServer Role = "join-server"
	// RoleAgent is a worker: it runs the K3s agent and joins through the control plane endpoint.
	RoleAgent Role = "agent"
)

const (
	// ProviderFileOwner is the owner of every file the provider writes.
	ProviderFileOwner = "root:root"
	// ProviderFilePermissions is the mode of the config file and of the etcd proxy manifest.
	ProviderFilePermissions = "0640"
)

// NodeInput is everything needed to compute the bootstrap data of one node.
type NodeInput struct {
	// Role is the node's role.
	Role Role
	// Spec is the webhook-defaulted KThreesConfig spec; defaults applied at render time (air-gapped script
	// path, a nil cloudProviderName or disableCloudController) are applied here.
	Spec bootstrapv1.KThreesConfigSpec
	// Version is the resolved K3s version; empty leaves the choice to the installer.
	Version string
	// ControlPlaneEndpoint is the Cluster's control plane endpoint: the server URL of joining nodes, and a SAN of
	// servers.
	ControlPlaneEndpoint clusterv1.APIEndpoint
	// Token is the cluster's shared secret.
	Token string
	// Files are the user's files, contentFrom already inlined, in spec order.
	Files []bootstrapdata.File
	// CAFiles are the certificate authority files of the init server, in upstream order (server-ca.crt/.key,
	// client-ca.crt/.key, etcd/server-ca.crt/.key under /var/lib/rancher/k3s/server/tls); they are ignored for
	// other roles.
	CAFiles []bootstrapdata.File
}

// NodeData returns the files and commands of the node described by in, in upstream order.
//
// Files: the CA files (init server only), the user files, the etcd proxy manifest (servers), and
// /etc/rancher/k3s/config.yaml last. Commands: preK3sCommands, the install command (see InstallCommand), and
// postK3sCommands.
func NodeData(in NodeInput) (bootstrapdata.Data, error) {
	cfg, err := NodeConfig(in)
	if err != nil {
		return bootstrapdata.Data{}, err
	}
	cfgYAML, err := cfg.Marshal()
	if err != nil {
		return bootstrapdata.Data{}, err
	}
	install, err := InstallCommand(in.Role, in.Version, in.Spec.AgentConfig)
	if err != nil {
		return bootstrapdata.Data{}, err
	}

	var files []bootstrapdata.File
	if in.Role == RoleInitServer {
		files = append(files, in.CAFiles...)
	}
	files = append(files, in.Files...)
	if in.Role == RoleInitServer || in.Role == RoleJoinServer {
		manifest, err := etcdproxy.Manifest(etcdproxy.Image(in.Spec.ServerConfig))
		if err != nil {
			return bootstrapdata.Data{}, fmt.Errorf("rendering the etcd proxy manifest: %w", err)
		}
		files = append(files, providerFile(etcdproxy.ManifestPath, ProviderFilePermissions, manifest))
	}
	files = append(files, providerFile(ConfigPath, ProviderFilePermissions, string(cfgYAML)))

	commands := make([]string, 0, len(in.Spec.PreK3sCommands)+1+len(in.Spec.PostK3sCommands))
	commands = append(commands, in.Spec.PreK3sCommands...)
	commands = append(commands, install)
	commands = append(commands, in.Spec.PostK3sCommands...)
	return bootstrapdata.Data{Files: files, Commands: commands}, nil
}

// providerFile returns a root-owned file written by the provider.
func providerFile(path, permissions, content string) bootstrapdata.File {
	return bootstrapdata.File{Path: path, Owner: ProviderFileOwner, Permissions: permissions, Content: content}
}
