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

// Package edgeagent is a test model of an edge platform that never runs cloud-init: Open Edge Platform's
// infrastructure provider (cluster-api-provider-intel, internal/southboundhandler) turns the bootstrap secret into
// one shell command, and its node agent runs it (the project's peer notes, shared/reference/peers.md §2.3 and
// §2.9). Translate restates that translation and Node runs the result in a throwaway directory. The rules, from
// §2.3 and from reading the sources it names and the node agent (no code taken from them); CAPD's kubeadm-only
// workaround for /run/kubeadm/kubeadm.yaml content is left out, as K3s data never has that file:
//
//	S1  the secret's format key, when present, must be cloud-config; the data is the value key (§2.3 "Secret format").
//	P1  CAPD's cloud-init adapter (test/infrastructure/docker/cloudinit, a 2021 pseudo-version; §2.3 "Parsing"):
//	    the document must be YAML; it is cut into blocks at each line matching ^[a-zA-Z_]*: (read with a
//	    bufio.Scanner, so a line over 64 KiB is an error), the block's name being that line without its final
//	    colon; only write_files and runcmd blocks give commands. A block is its lines joined with line breaks but
//	    none after the last, so the last content of a write_files block loses its final line break (the renderer
//	    writes config.yaml last). Nothing is rendered: "## template: jinja" is a comment and
//	    {{ ds.meta_data.local_hostname }} or {{ v1.local_hostname }} stay literal in files and commands.
//	P2  a write_files entry: path, owner and permissions are trimmed; owner defaults to root:root, permissions to
//	    0644; content is decoded by encoding (base64, b64; gzip, gz; gz+base64 and the like only base64-decode,
//	    as the adapter returns after the first step, so such files stay compressed; anything else is text);
//	    append writes with >>; defer and unknown keys are ignored.
//	P3  each entry gives mkdir -p <dir>, /bin/sh -c "cat > <path> /dev/stdin" with the content on stdin, chmod
//	    <permissions> <path> when permissions are not the string 0644, chown <owner> <path> when the owner is not
//	    root:root (§2.3 "Parsing").
//	P4  a runcmd string s gives /bin/sh -c s; a list gives its first item as the command and the rest as arguments;
//	    "kubeadm init"/"kubeadm join" get --ignore-preflight-errors=all (CAPD's kind workaround, never in K3s data).
//	H1  the handler accepts mkdir and chmod (arguments joined with spaces, unquoted), the cat write with content
//	    when its text is exactly the four words cat > <path> /dev/stdin, which becomes echo <base64> | base64 -d >
//	    <path>, and /bin/sh -c s without content, which becomes s. Anything else (chown, cat >>, a path with a
//	    space, list-form commands other than mkdir, chmod or /bin/sh -c) is "unparsed command" and the whole
//	    bootstrap fails (§2.3 "Allowed commands").
//	H2  in a file named config.toml.tmpl, \" becomes " before the base64 encoding (§2.3).
//	H3  for KThreesConfig the handler first writes /etc/rancher/k3s/config.yaml.d/providerID.yaml with
//	    kubelet-arg+: ["--provider-id=<id>"], mode 0640 (§2.3 "Kind-specific handling").
//	H4  the commands are joined with "; " into sudo sh -c "<script>" (§2.3 "Assembled command").
//	A1  the node agent (edge-node-agents, cluster-agent/internal/k8sbootstrap) runs that with bash -o pipefail -c, so
//	    bash expands $, ` and \ inside the double quotes, and a " ends them, before sudo starts sh (§2.3: "double
//	    quotes or $ in runcmd lines are therefore interpreted by the outer shell").
package edgeagent

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	sigsyaml "sigs.k8s.io/yaml"
)

const (
	// CloudConfigFormat is the only bootstrap data format the handler accepts (S1).
	CloudConfigFormat = "cloud-config"
	// ProviderIDDir is the directory of the provider ID drop-in (H3).
	ProviderIDDir = "/etc/rancher/k3s/config.yaml.d/"
	// ProviderIDFile is the provider ID drop-in (H3).
	ProviderIDFile = ProviderIDDir + "providerID.yaml"
)

// Options are the inputs of a translation besides the bootstrap data.
type Options struct {
	// ProviderID is the Machine's provider ID; when set, the provider ID drop-in is written first (H3).
	ProviderID string
	// Root, when set, moves every absolute path of the data under Root (see Rebase), so that the command can run
	// in a throwaway directory. A test device, not the agent's behaviour.
	Root string
}

// step is one command of the adapter (P3, P4): a program, its arguments and its standard input.
type step struct {
	name  string
	args  []string
	stdin string
}

// TranslateSecret translates the data of a bootstrap secret as the handler does (S1).
func TranslateSecret(data map[string][]byte, opts Options) (string, error) {
	if format, ok := data["format"]; ok && string(format) != CloudConfigFormat {
		return "", fmt.Errorf("unsupported bootstrap script format: %s", format)
	}
	value, ok := data["value"]
	if !ok {
		return "", errors.New("missing value in bootstrap secret")
	}
	return Translate(value, opts)
}

// Translate returns the command the node agent runs for a cloud-config document: sudo sh -c "<script>" (H4).
func Translate(cloudConfig []byte, opts Options) (string, error) {
	if opts.Root != "" && !rootPattern.MatchString(opts.Root) {
		return "", fmt.Errorf("root %q must be an absolute path of letters, digits and ._+@%%/:,=-", opts.Root)
	}
	steps, err := parse(cloudConfig)
	if err != nil {
		return "", err
	}
	if opts.ProviderID != "" {
		steps = append([]step{
			{name: "mkdir", args: []string{"-p", ProviderIDDir}},
			{name: "/bin/sh", args: []string{"-c", "cat > " + ProviderIDFile + " /dev/stdin"},
				stdin: `kubelet-arg+: ["--provider-id=` + opts.ProviderID + `"]`},
			{name: "chmod", args: []string{"0640", ProviderIDFile}},
		}, steps...)
	}
	lines := make([]string, 0, len(steps))
	for _, s := range steps {
		if opts.Root != "" {
			s = s.rebase(opts.Root)
		}
		line, err := s.shell()
		if err != nil {
			return "", err
		}
		lines = append(lines, line)
	}
	return `sudo sh -c "` + strings.Join(lines, "; ") + `"`, nil
}

// actionLine starts a top-level block of the document (P1).
var actionLine = regexp.MustCompile(`^[a-zA-Z_]*:`)

// parse turns a cloud-config document into the adapter's steps (P1).
func parse(doc []byte) ([]step, error) {
	if err := sigsyaml.Unmarshal(doc, &map[string]any{}); err != nil {
		return nil, fmt.Errorf("cloud-config is not valid yaml: %w", err)
	}
	var steps []step
	flush := func(name string, lines []string) error {
		block := []byte(strings.Join(lines, "\n"))
		var s []step
		var err error
		switch name {
		case "write_files":
			s, err = writeFiles(block)
		case "runcmd":
			s, err = runcmd(block)
		}
		steps = append(steps, s...)
		return err
	}
	scanner := bufio.NewScanner(bytes.NewReader(doc))
	name, started := "", false
	var lines []string
	for scanner.Scan() {
		line := scanner.Text()
		if actionLine.MatchString(line) {
			if started {
				if err := flush(name, lines); err != nil {
					return nil, err
				}
				lines = lines[:0]
			}
			name, started = strings.TrimSuffix(line, ":"), true
		}
		lines = append(lines, line)
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	if started {
		if err := flush(name, lines); err != nil {
			return nil, err
		}
	}
	return steps, nil
}

// writeFile is a write_files entry as the adapter reads it (P2).
type writeFile struct {
	Path        string `json:"path"`
	Encoding    string `json:"encoding"`
	Owner       string `json:"owner"`
	Permissions string `json:"permissions"`
	Content     string `json:"content"`
	Append      bool   `json:"append"`
}

// writeFiles returns the steps of a write_files block (P2, P3).
func writeFiles(block []byte) ([]step, error) {
	var action struct {
		Files []writeFile `json:"write_files"`
	}
	if err := sigsyaml.Unmarshal(block, &action); err != nil {
		return nil, fmt.Errorf("error parsing write_files action: %w", err)
	}
	var steps []step
	for _, f := range action.Files {
		path := strings.TrimSpace(f.Path)
		owner := or(strings.TrimSpace(f.Owner), "root:root")
		permissions := or(strings.TrimSpace(f.Permissions), "0644")
		content, err := decode(f.Content, f.Encoding)
		if err != nil {
			return nil, fmt.Errorf("error decoding content for %s: %w", path, err)
		}
		redirect := ">"
		if f.Append {
			redirect = ">>"
		}
		steps = append(steps,
			step{name: "mkdir", args: []string{"-p", filepath.Dir(path)}},
			step{name: "/bin/sh", args: []string{"-c", fmt.Sprintf("cat %s %s /dev/stdin", redirect, path)}, stdin: content})
		if permissions != "0644" {
			steps = append(steps, step{name: "chmod", args: []string{permissions, path}})
		}
		if owner != "root:root" {
			steps = append(steps, step{name: "chown", args: []string{owner, path}})
		}
	}
	return steps, nil
}

// decode decodes content as the adapter does: one step only, so gzip+base64 stays compressed (P2).
func decode(content, encoding string) (string, error) {
	switch strings.TrimSpace(strings.ToLower(encoding)) {
	case "gz", "gzip":
		r, err := gzip.NewReader(strings.NewReader(content))
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(r)
		return string(b), err
	case "base64", "b64", "gz+base64", "gzip+base64", "gz+b64", "gzip+b64":
		b, err := base64.StdEncoding.DecodeString(content)
		return string(b), err
	}
	return content, nil
}

// runcmdEntry is a runcmd item: a string or a list of strings (P4).
type runcmdEntry struct{ step }

// UnmarshalJSON reads a list as command and arguments, and a string as /bin/sh -c <string>.
func (e *runcmdEntry) UnmarshalJSON(data []byte) error {
	var list []string
	err := json.Unmarshal(data, &list)
	if err == nil {
		if len(list) == 0 {
			return errors.New("empty runcmd list (the adapter indexes its first item and panics)")
		}
		e.step = step{name: list[0], args: list[1:]}
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) {
		return err
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	e.step = step{name: "/bin/sh", args: []string{"-c", s}}
	return nil
}

// runcmd returns the steps of a runcmd block (P4).
func runcmd(block []byte) ([]step, error) {
	var action struct {
		Commands []runcmdEntry `json:"runcmd"`
	}
	if err := sigsyaml.Unmarshal(block, &action); err != nil {
		return nil, fmt.Errorf("error parsing run_cmd action: %w", err)
	}
	steps := make([]step, 0, len(action.Commands))
	for _, c := range action.Commands {
		steps = append(steps, kubeadmWorkaround(c.step))
	}
	return steps, nil
}

// kubeadmWorkaround adds --ignore-preflight-errors=all to kubeadm init/join, as CAPD does for kind (P4).
func kubeadmWorkaround(s step) step {
	s.args = append([]string(nil), s.args...)
	switch {
	case s.name == "/bin/sh" && len(s.args) >= 2 && s.args[0] == "-c":
		for _, sub := range []string{"kubeadm init", "kubeadm join"} {
			s.args[1] = strings.Replace(s.args[1], sub, sub+" --ignore-preflight-errors=all", 1)
		}
	case s.name == "kubeadm" && len(s.args) >= 1 && (s.args[0] == "init" || s.args[0] == "join"):
		s.args = append([]string{s.args[0], "--ignore-preflight-errors=all"}, s.args[1:]...)
	}
	return s
}

// shell returns the handler's shell command for the step, or "unparsed command" (H1, H2).
func (s step) shell() (string, error) {
	switch s.name {
	case "mkdir", "chmod":
		return s.name + " " + strings.Join(s.args, " "), nil
	case "/bin/sh":
		if len(s.args) == 2 && s.args[0] == "-c" {
			if s.stdin == "" {
				return s.args[1], nil
			}
			words := strings.Split(s.args[1], " ")
			if len(words) == 4 && words[0] == "cat" && words[1] == ">" && words[3] == "/dev/stdin" {
				content := s.stdin
				if filepath.Base(words[2]) == "config.toml.tmpl" {
					content = strings.ReplaceAll(content, `\"`, `"`)
				}
				return fmt.Sprintf("echo %s | base64 -d > %s", base64.StdEncoding.EncodeToString([]byte(content)), words[2]), nil
			}
		}
	}
	return "", fmt.Errorf("unparsed command: %s %q", s.name, s.args)
}

// or returns s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
