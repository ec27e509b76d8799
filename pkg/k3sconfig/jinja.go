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
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/yaml"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/cloudinit"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcdproxy"
	"github.com/k3s-io/cluster-api-k3s/pkg/jinja"
)

// How to write text that is not meant as jinja.
const (
	literalContent = "to write it literally, set encoding: base64 and give the content base64-encoded, or wrap it in {% raw %}…{% endraw %}"
	literalText    = "to write it literally, wrap it in {% raw %}…{% endraw %}"
)

// validateJinja rejects the values of a cloud-config spec that cloud-init cannot render as jinja: the whole
// document would fail and the node apply none of it. Each value is checked as the renderer writes it (quoted
// values with their escapes) and on its own: a statement opened in one value and closed in another is refused,
// since what lies between them is the renderer's YAML. Content from Secrets is checked when the data is rendered
// (CheckContent).
func validateJinja(spec *bootstrapv1.KThreesConfigSpec, fldPath *field.Path) field.ErrorList {
	if spec.Format == bootstrapv1.Ignition {
		return nil
	}
	var errs field.ErrorList
	check := func(p *field.Path, value string, src cloudinit.Source, prefix int, fix string) {
		if detail := JinjaProblem(value, src, prefix, fix); detail != "" {
			errs = append(errs, field.Invalid(p, badValue(value), detail))
		}
	}
	for i, f := range spec.Files {
		fp := fldPath.Child("files").Index(i)
		check(fp.Child("path"), f.Path, cloudinit.PathSource(f.Path), 0, literalText)
		if f.ContentFrom == nil && f.Encoding != bootstrapv1.Gzip {
			check(fp.Child("content"), f.Content, cloudinit.ContentSource(f.Content), 0, literalContent)
		}
	}
	for _, list := range []struct {
		name     string
		commands []string
	}{{"preK3sCommands", spec.PreK3sCommands}, {"postK3sCommands", spec.PostK3sCommands}} {
		for i, cmd := range list.commands {
			check(fldPath.Child(list.name).Index(i), cmd, cloudinit.StringSource(cmd), 0, literalText)
		}
	}
	server, agent := configStyles(spec)
	for _, v := range configValues(spec, fldPath) {
		styles := []cloudinit.Source{server}
		if !v.server && agent.Quoted() != server.Quoted() {
			styles = append(styles, agent)
		}
		for _, style := range styles {
			if !strings.Contains(v.value, "{") {
				break
			}
			before := len(errs)
			check(v.path, v.value, cloudinit.Within(configScalar(v.prefix+v.value), style), len(v.prefix), literalText)
			if len(errs) > before {
				break
			}
		}
	}
	if image := etcdproxy.Image(spec.ServerConfig); strings.Contains(image, "{") {
		p := fldPath.Child("serverConfig", "etcdProxyImage")
		if spec.ServerConfig.EtcdProxyImage == "" {
			p = fldPath.Child("serverConfig", "systemDefaultRegistry")
		}
		if manifest, err := etcdproxy.Manifest(image); err == nil {
			var se *jinja.SyntaxError
			if errors.As(jinja.CheckPart(cloudinit.ContentSource(manifest).Text), &se) {
				errs = append(errs, field.Invalid(p, image, "cloud-init renders bootstrap data as a jinja template and "+
					"cannot render the etcd proxy manifest that holds this image: "+se.Msg+"; "+literalText))
			}
		}
	}
	return errs
}

// JinjaProblem returns why cloud-init cannot render value, which the document holds as src (after prefix bytes
// of other text), with the position in the value and how to write it literally (fix); or "" when it can.
func JinjaProblem(value string, src cloudinit.Source, prefix int, fix string) string {
	if !strings.Contains(value, "{") {
		return "" // no delimiter, even once escaped
	}
	var se *jinja.SyntaxError
	if !errors.As(jinja.CheckPart(src.Text), &se) {
		return ""
	}
	line, column := jinja.Position(value, src.ValueOffset(se.Offset)-prefix)
	detail := fmt.Sprintf("cloud-init renders the bootstrap data as a jinja template and cannot render this value, "+
		"so the node would apply none of the data: line %d, column %d: %s", line, column, se.Msg)
	if jinja.CheckPart(value) == nil {
		detail += ` (the value is valid jinja as written, but the bootstrap data holds it as a quoted YAML string, ` +
			`whose escapes jinja reads inside {{ }} and {% %}: \" and \\ in double quotes, '' in single quotes; ` +
			`avoid that quote, backslashes and line breaks inside jinja tags)`
	}
	return detail + "; " + fix
}

// configValue is a spec value written into /etc/rancher/k3s/config.yaml.
type configValue struct {
	path   *field.Path
	value  string
	prefix string // written before the value in the same string
	server bool   // only servers' config.yaml holds it
}

// configValues returns the spec's values that config.yaml holds (see agentKeys and ServerConfig).
func configValues(spec *bootstrapv1.KThreesConfigSpec, fldPath *field.Path) []configValue {
	var out []configValue
	add := func(p *field.Path, server bool, value string) {
		out = append(out, configValue{path: p, value: value, server: server})
	}
	list := func(p *field.Path, server bool, values []string) {
		for i, v := range values {
			add(p.Index(i), server, v)
		}
	}
	ac, sc := fldPath.Child("agentConfig"), fldPath.Child("serverConfig")
	a, s := &spec.AgentConfig, &spec.ServerConfig
	add(ac.Child("nodeName"), false, a.NodeName)
	add(ac.Child("privateRegistry"), false, a.PrivateRegistry)
	list(ac.Child("nodeLabels"), false, a.NodeLabels)
	list(ac.Child("nodeTaints"), false, a.NodeTaints)
	list(ac.Child("kubeletArgs"), false, a.KubeletArgs)
	list(ac.Child("kubeProxyArgs"), false, a.KubeProxyArgs)
	if s.CloudProviderName != nil {
		out = append(out, configValue{path: sc.Child("cloudProviderName"), value: *s.CloudProviderName, prefix: "cloud-provider="})
	}
	for _, f := range []struct {
		name  string
		value string
	}{{"bindAddress", s.BindAddress}, {"httpsListenPort", s.HTTPSListenPort}, {"advertiseAddress", s.AdvertiseAddress},
		{"advertisePort", s.AdvertisePort}, {"clusterCidr", s.ClusterCidr}, {"serviceCidr", s.ServiceCidr},
		{"clusterDNS", s.ClusterDNS}, {"clusterDomain", s.ClusterDomain}, {"systemDefaultRegistry", s.SystemDefaultRegistry}} {
		add(sc.Child(f.name), true, f.value)
	}
	list(sc.Child("tlsSan"), true, s.TLSSan)
	list(sc.Child("disableComponents"), true, s.DisableComponents)
	list(sc.Child("kubeAPIServerArgs"), true, s.KubeAPIServerArgs)
	list(sc.Child("kubeControllerManagerArgs"), true, s.KubeControllerManagerArgs)
	list(sc.Child("kubeSchedulerArgs"), true, s.KubeSchedulerArgs)
	return out
}

// configStyles returns how the renderer writes the config.yaml of a server and of an agent of spec: as a
// literal block, or double-quoted when a value holds jinja statements (see cloudinit.ContentSource).
func configStyles(spec *bootstrapv1.KThreesConfigSpec) (server, agent cloudinit.Source) {
	in := NodeInput{Spec: *spec, Token: "token", ControlPlaneEndpoint: clusterv1.APIEndpoint{Host: "192.0.2.1", Port: 6443}}
	styles := make([]cloudinit.Source, 2)
	for i, role := range []Role{RoleJoinServer, RoleAgent} {
		in.Role = role
		if cfg, err := NodeConfig(in); err == nil {
			if out, err := cfg.Marshal(); err == nil {
				styles[i] = cloudinit.ContentSource(string(out))
			}
		}
	}
	return styles[0], styles[1]
}

// configScalar returns the source of value in config.yaml, as Config.Marshal writes it: plain, single- or
// double-quoted, or a literal block (which jinja reads as the value itself).
func configScalar(value string) cloudinit.Source {
	out, err := yaml.Marshal(map[string]string{"k": value})
	s := strings.TrimSuffix(strings.TrimPrefix(string(out), "k: "), "\n")
	switch {
	case err != nil || len(s) < 2 || strings.Contains(s, "\n"):
	case s[0] == '\'' && s[len(s)-1] == '\'':
		return cloudinit.SingleQuotedSource(s[1 : len(s)-1])
	case s[0] == '"' && s[len(s)-1] == '"':
		return cloudinit.DoubleQuotedSource(s[1 : len(s)-1])
	}
	return cloudinit.Source{Text: value}
}

// maxBadValue is the longest value an error repeats whole.
const maxBadValue = 256

// badValue returns value for an error: long values become an excerpt of their start, still compared whole.
func badValue(value string) any {
	if len(value) <= maxBadValue {
		return value
	}
	cut := maxBadValue
	for cut > 0 && !isRuneStart(value[cut]) {
		cut--
	}
	return excerpt{text: value[:cut] + "…", sum: sha256.Sum256([]byte(value))}
}

func isRuneStart(b byte) bool { return b&0xc0 != 0x80 }

// excerpt prints as the start of a long value; ratcheting compares the whole value through sum.
type excerpt struct {
	text string
	sum  [sha256.Size]byte
}

// MarshalJSON prints the excerpt in errors.
func (e excerpt) MarshalJSON() ([]byte, error) { return json.Marshal(e.text) }
