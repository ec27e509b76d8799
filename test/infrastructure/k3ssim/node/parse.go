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
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/k3s-io/cluster-api-k3s/pkg/etcdproxy"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

// Role is what K3s runs as.
type Role string

const (
	// RoleServer runs the K3s server (control plane and, with the embedded etcd, a datastore member).
	RoleServer Role = "server"
	// RoleAgent runs the K3s agent (a worker).
	RoleAgent Role = "agent"
)

// Bootstrap data formats Parse reads.
const (
	// FormatCloudConfig is a cloud-init cloud-config document; "" means the same (upstream's data secrets carry no
	// format key).
	FormatCloudConfig = "cloud-config"
	// FormatIgnition is an Ignition config.
	FormatIgnition = "ignition"
)

// maxDecompressed bounds the size of any gzip-compressed data (user data, file content) once decompressed: far
// above what bootstrap data holds (clouds limit user data to 16-64 KiB), low enough that a compression bomb cannot
// stall the simulator.
const maxDecompressed = 4 << 20

// File is a file the bootstrap data writes, content decoded.
type File struct {
	// Path is the absolute path of the file, cleaned.
	Path string
	// Owner is user:group as the data gives it, "root:root" when it gives none (the default of cloud-init and
	// Ignition).
	Owner string
	// Permissions is the octal mode of the file, four digits (e.g. "0640"), "0644" when the data gives none. For
	// Ignition it is the mode of the storage entry: setuid, setgid and sticky bits, which Ignition spec 3.3 cannot
	// set, are applied by a chmod command (see Commands) and do not show here.
	Permissions string
	// Content is the decoded (base64) and decompressed (gzip) content, appends included.
	Content []byte
}

// Boot is what a node does with its bootstrap data.
type Boot struct {
	// Files are the files written, by path, after all writes (later writes win, appends append).
	Files map[string]File
	// Commands are every command, in order: the runcmd entries of a cloud-config document, the lines of the
	// bootstrap script of an Ignition config.
	Commands []string
	// Role is what the K3s install command runs: server or agent, from INSTALL_K3S_EXEC and the installer's
	// arguments, with the installer's default (agent when K3S_URL is set, server otherwise). "" when there is no
	// install command; when there are several (see InstallCommands), the last one.
	Role Role
	// Version is INSTALL_K3S_VERSION, "" when absent (the installer then picks the stable channel) or when the
	// install is air-gapped (the pre-staged binary decides the version).
	Version string
	// AirGapped is true when the installer does not download K3s (INSTALL_K3S_SKIP_DOWNLOAD=true).
	AirGapped bool
	// Config is /etc/rancher/k3s/config.yaml parsed with YAML 1.1 rules as K3s parses it (nil if the file is not
	// written): strings, bools, int64 and float64 numbers (integers beyond int64 as strings of their digits), []any
	// and map[string]any.
	Config map[string]any
	// ClusterInit is the config's cluster-init: the server starts a new embedded etcd cluster.
	ClusterInit bool
	// Server is the config's server: the URL a joining node registers with; "" when absent.
	Server string
	// Token is the config's token.
	Token string
	// NodeName is the config's node-name as written, "" when absent (the simulator then uses its own name). It may
	// hold jinja expressions: see Jinja and NodeNameFor.
	NodeName string
	// NodeLabels is the config's node-label.
	NodeLabels []string
	// NodeTaints is the config's node-taint.
	NodeTaints []string
	// Disable is the config's disable: the packaged components (and manifests of the auto-deploy directory) K3s does
	// not deploy, comma-separated values split as K3s splits them.
	Disable []string
	// EtcdProxy is true when K3s deploys the etcd-proxy DaemonSet: the node is a server, the etcd-proxy manifest is
	// written to K3s's auto-deploy directory (see EtcdProxyManifest), and neither "disable: etcd-proxy" nor an
	// etcd-proxy.yaml.skip file keeps K3s from applying it.
	EtcdProxy bool
	// HasSentinel is true when the install command ends by writing the sentinel
	// /run/cluster-api/bootstrap-success.complete, chained with && so that only a successful install writes it.
	HasSentinel bool

	// Format is the format of the data: FormatCloudConfig or FormatIgnition.
	Format string
	// Jinja is true when cloud-init renders the document as a jinja template (the "## template: jinja" first line):
	// a real node replaces {{ }} expressions in file contents, commands and config values by instance data, which
	// Parse leaves as written. Ignition renders nothing.
	Jinja bool
	// InstallCommands are the indexes in Commands of the K3s install commands, in order (an index appears twice
	// when one command line installs twice). A node needs exactly one.
	InstallCommands []int
	// EffectiveConfig is the configuration K3s reads: Config merged with the drop-ins
	// /etc/rancher/k3s/config.yaml.d/*.yaml and *.yml in name order (nil when none is written). ClusterInit, Server,
	// Token, NodeName, NodeLabels, NodeTaints and Disable come from it.
	EffectiveConfig map[string]any
	// EtcdProxyManifest is true when the etcd-proxy manifest is written, whether or not K3s deploys it.
	EtcdProxyManifest bool
}

// Parse reads bootstrap data of the given format: "cloud-config" (also "" and upstream's absence of a format key)
// or "ignition". Errors name what is malformed: a document a real node would not read, a file whose content
// cannot be decoded, a K3s config file that is not a YAML mapping.
func Parse(format string, data []byte) (*Boot, error) {
	var (
		b   *Boot
		err error
	)
	switch format {
	case "", FormatCloudConfig:
		b, err = parseCloudConfig(data)
	case FormatIgnition:
		b, err = parseIgnition(data)
	default:
		return nil, fmt.Errorf("unsupported bootstrap data format %q: must be %q (or empty) or %q",
			format, FormatCloudConfig, FormatIgnition)
	}
	if err != nil {
		return nil, err
	}
	if err := b.interpret(); err != nil {
		return nil, err
	}
	return b, nil
}

// interpret fills what K3s makes of the files and commands.
func (b *Boot) interpret() error {
	a := analyzeCommands(b.Commands)
	for _, in := range a.installs {
		b.InstallCommands = append(b.InstallCommands, in.index)
	}
	if n := len(a.installs); n > 0 {
		last := a.installs[n-1]
		b.Role, b.Version, b.AirGapped, b.HasSentinel = last.role, last.version, last.airGapped, last.sentinel
	}

	if err := b.readK3sConfig(); err != nil {
		return err
	}

	_, b.EtcdProxyManifest = b.Files[etcdproxy.ManifestPath]
	_, skipped := b.Files[etcdproxy.ManifestPath+".skip"]
	disabled := false
	for _, d := range b.Disable {
		if d == manifestName(etcdproxy.ManifestPath) {
			disabled = true
		}
	}
	b.EtcdProxy = b.EtcdProxyManifest && b.Role == RoleServer && !skipped && !disabled
	return nil
}

// manifestName is the name K3s gives the manifest at p, matched against disable: the file name without its
// extension.
func manifestName(p string) string {
	base := path.Base(p)
	return strings.TrimSuffix(base, path.Ext(base))
}

// readK3sConfig parses config.yaml and its drop-ins and fills the K3s settings.
func (b *Boot) readK3sConfig() error {
	var layers []map[string]any
	if f, ok := b.Files[k3sconfig.ConfigPath]; ok {
		cfg, err := parseK3sConfig(f.Path, f.Content)
		if err != nil {
			return err
		}
		b.Config = cfg
		layers = append(layers, cfg)
	}
	for _, p := range dropInPaths(b.Files) {
		cfg, err := parseK3sConfig(p, b.Files[p].Content)
		if err != nil {
			return err
		}
		layers = append(layers, cfg)
	}
	if len(layers) == 0 {
		return nil
	}
	eff := mergeK3sConfigs(layers)
	b.EffectiveConfig = eff
	b.ClusterInit = flagBool(eff["cluster-init"])
	b.Server = flagString(eff["server"])
	b.Token = flagString(eff["token"])
	b.NodeName = flagString(eff["node-name"])
	b.NodeLabels = flagStrings(eff["node-label"])
	b.NodeTaints = flagStrings(eff["node-taint"])
	for _, d := range flagStrings(eff["disable"]) {
		for _, v := range strings.Split(d, ",") {
			if v = strings.TrimSpace(v); v != "" {
				b.Disable = append(b.Disable, v)
			}
		}
	}
	return nil
}

// hostnameVariables are the cloud-init instance data that hold the instance's hostname.
var hostnameVariables = []string{"ds.meta_data.local_hostname", "v1.local_hostname"}

// jinjaVariablePattern matches a jinja expression that is a plain variable, e.g. {{ ds.meta_data.local_hostname }}.
var jinjaVariablePattern = regexp.MustCompile(`\{\{-?\s*([A-Za-z_][A-Za-z0-9_.]*)\s*-?\}\}`)

// ExpandJinja replaces in s the jinja expressions that are plain variables found in vars, e.g.
// {{ ds.meta_data.local_hostname }} with vars["ds.meta_data.local_hostname"], and leaves every other expression as
// written. It is the part of cloud-init's jinja rendering that bootstrap data relies on (node names).
func ExpandJinja(s string, vars map[string]string) string {
	return jinjaVariablePattern.ReplaceAllStringFunc(s, func(expr string) string {
		name := jinjaVariablePattern.FindStringSubmatch(expr)[1]
		if v, ok := vars[name]; ok {
			return v
		}
		return expr
	})
}

// NodeNameFor returns the name the node registers with when the instance's hostname is hostname: the config's
// node-name, with the hostname variables of cloud-init instance data ({{ ds.meta_data.local_hostname }},
// {{ v1.local_hostname }}) replaced when the document is a jinja template, or hostname when the config sets none.
func (b *Boot) NodeNameFor(hostname string) string {
	name := b.NodeName
	if b.Jinja {
		vars := make(map[string]string, len(hostnameVariables))
		for _, v := range hostnameVariables {
			vars[v] = hostname
		}
		name = ExpandJinja(name, vars)
	}
	if name == "" {
		return hostname
	}
	return name
}

// gunzip decompresses gzip data, refusing more than maxDecompressed bytes.
func gunzip(data []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("invalid gzip data: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(r, maxDecompressed+1))
	if err != nil {
		return nil, fmt.Errorf("invalid gzip data: %w", err)
	}
	if len(out) > maxDecompressed {
		return nil, fmt.Errorf("gzip data decompresses to more than %d bytes", maxDecompressed)
	}
	if err := r.Close(); err != nil {
		return nil, fmt.Errorf("invalid gzip data: %w", err)
	}
	return out, nil
}

// isGzip reports whether data starts with the gzip magic number.
func isGzip(data []byte) bool {
	return len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b
}

// cleanPath returns p cleaned when it is absolute, as written otherwise, and an error when it is empty.
func cleanPath(p string) (string, error) {
	if p == "" {
		return "", errors.New("path is empty")
	}
	if path.IsAbs(p) {
		return path.Clean(p), nil
	}
	return p, nil
}
