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
	"path"
	"strings"

	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

// install is a K3s install command found among the commands.
type install struct {
	// index is the index of the command in Commands.
	index int
	// role is what the installer runs: server, agent, or the unexpected first word of its command.
	role Role
	// version is INSTALL_K3S_VERSION, "" when air-gapped.
	version string
	// airGapped is INSTALL_K3S_SKIP_DOWNLOAD=true.
	airGapped bool
	// sentinel is true when the sentinel is written after the install, chained with &&.
	sentinel bool
}

// analysis is what the commands do, as far as bootstrapping is concerned.
type analysis struct {
	// installs are the K3s install commands, in order.
	installs []install
	// sentinelWrites are the indexes of the commands that write the sentinel, whatever the way.
	sentinelWrites []int
	// unreadable maps the index of each command the shell cannot read to the reason.
	unreadable map[int]error
}

// shellEnv is the environment that commands pass on to the programs they run. The commands run in one shell, so
// it carries over from one command to the next.
type shellEnv struct {
	vars     map[string]string
	exported map[string]bool
}

// analyzeCommands finds the K3s install commands and the sentinel writes among commands.
func analyzeCommands(commands []string) analysis {
	a := analysis{unreadable: map[int]error{}}
	env := shellEnv{vars: map[string]string{}, exported: map[string]bool{}}
	for i, cmd := range commands {
		chains, err := parseShell(cmd)
		if err != nil {
			a.unreadable[i] = err
			continue
		}
		writesSentinel := false
		for _, ch := range chains {
			for pi, p := range ch {
				writesSentinel = writesSentinel || pipelineWritesSentinel(p)
				for ci, sc := range p.cmds {
					var prev *simpleCommand
					if ci > 0 {
						prev = &p.cmds[ci-1]
					}
					if in, ok := detectInstall(sc, prev, env); ok {
						in.index = i
						in.sentinel = sentinelFollows(ch, pi)
						a.installs = append(a.installs, in)
					}
					env.apply(sc)
				}
			}
		}
		if writesSentinel {
			a.sentinelWrites = append(a.sentinelWrites, i)
		}
	}
	return a
}

// apply records the variables that sc sets or exports: NAME=value alone, export, unset.
func (e *shellEnv) apply(sc simpleCommand) {
	if len(sc.words) == 0 {
		for _, a := range sc.assigns {
			e.vars[a.name] = a.value
		}
		return
	}
	switch sc.words[0] {
	case "export":
		for _, w := range sc.words[1:] {
			if name, value, ok := strings.Cut(w, "="); ok && namePattern.MatchString(name) {
				e.vars[name] = value
				e.exported[name] = true
			} else if namePattern.MatchString(w) {
				e.exported[w] = true
			}
		}
	case "unset":
		for _, w := range sc.words[1:] {
			delete(e.vars, w)
			delete(e.exported, w)
		}
	}
}

// environ returns the environment a program gets: the exported variables, then assigns.
func (e *shellEnv) environ(assigns []assignment) map[string]string {
	out := map[string]string{}
	for name := range e.exported {
		if v, ok := e.vars[name]; ok {
			out[name] = v
		}
	}
	for _, a := range assigns {
		out[a.name] = a.value
	}
	return out
}

// detectInstall reports whether sc runs the K3s installer, prev being the command piping into it, and what it
// installs:
//
//   - online: a downloader of the K3s install script piped into a shell that reads it from its standard input,
//     e.g. curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=v1.34.5+k3s1 sh -s - server;
//   - a local script run by a shell, with INSTALL_K3S_* variables or named like the installer, e.g.
//     INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_EXEC='server' sh /opt/install.sh.
func detectInstall(sc simpleCommand, prev *simpleCommand, env shellEnv) (install, bool) {
	prog, args, assigns := unwrap(sc)
	if !isShell(prog) {
		return install{}, false
	}
	stdin, positional, ok := shellOperands(args)
	if !ok {
		return install{}, false
	}
	var installerArgs []string
	switch {
	case prev != nil && isK3sDownload(*prev):
		if !stdin && len(positional) > 0 {
			return install{}, false // the shell runs a file, not the downloaded script
		}
		installerArgs = positional
	case !stdin && len(positional) > 0 && (hasInstallVariable(assigns) || isInstallerName(positional[0])):
		installerArgs = positional[1:]
	default:
		return install{}, false
	}

	vars := env.environ(assigns)
	in := install{airGapped: vars["INSTALL_K3S_SKIP_DOWNLOAD"] == "true"}
	if !in.airGapped {
		in.version = vars["INSTALL_K3S_VERSION"]
	}
	execWords := append(strings.Fields(vars["INSTALL_K3S_EXEC"]), installerArgs...)
	switch {
	case len(execWords) > 0 && !strings.HasPrefix(execWords[0], "-"):
		in.role = Role(execWords[0])
	case vars["K3S_URL"] != "":
		in.role = RoleAgent
	default:
		in.role = RoleServer
	}
	return in, true
}

// unwrap returns the program sc runs, its arguments and its variable assignments, looking through sudo, env and
// the like.
func unwrap(sc simpleCommand) (string, []string, []assignment) {
	words := sc.words
	assigns := append([]assignment(nil), sc.assigns...)
	takeAssignments := func() {
		for len(words) > 0 && assignmentPattern.MatchString(words[0]) {
			name, value, _ := strings.Cut(words[0], "=")
			assigns = append(assigns, assignment{name: name, value: value})
			words = words[1:]
		}
	}
	for len(words) > 0 {
		switch path.Base(words[0]) {
		case "sudo":
			words = words[1:]
			for len(words) > 0 && strings.HasPrefix(words[0], "-") {
				opt := words[0]
				words = words[1:]
				if (opt == "-u" || opt == "-g" || opt == "-C" || opt == "-D" || opt == "-h" || opt == "-p") && len(words) > 0 {
					words = words[1:]
				}
			}
			takeAssignments()
		case "env":
			words = words[1:]
			for len(words) > 0 && strings.HasPrefix(words[0], "-") {
				words = words[1:]
			}
			takeAssignments()
		case "exec", "command", "nohup", "time":
			words = words[1:]
		default:
			return words[0], words[1:], assigns
		}
	}
	return "", nil, assigns
}

// isShell reports whether prog is a POSIX-like shell.
func isShell(prog string) bool {
	switch path.Base(prog) {
	case "sh", "bash", "dash", "ash", "ksh", "zsh":
		return true
	}
	return false
}

// shellOperands reads a shell's arguments: whether it reads its script from standard input (-s, or no operand),
// and its operands (the script file first unless stdin). ok is false when the shell runs a command string (-c).
func shellOperands(args []string) (stdin bool, operands []string, ok bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-" || a == "--":
			rest := args[i+1:]
			return stdin || len(rest) == 0, rest, true
		case a == "-o" || a == "+o":
			i++
		case strings.HasPrefix(a, "-") || strings.HasPrefix(a, "+"):
			if strings.Contains(a[1:], "c") {
				return false, nil, false
			}
			if strings.Contains(a[1:], "s") {
				stdin = true
			}
		default:
			return stdin, args[i:], true
		}
	}
	return true, nil, true
}

// isK3sDownload reports whether sc downloads the K3s install script.
func isK3sDownload(sc simpleCommand) bool {
	prog, args, _ := unwrap(sc)
	if base := path.Base(prog); base != "curl" && base != "wget" {
		return false
	}
	for _, a := range args {
		if strings.Contains(a, "get.k3s.io") || (strings.Contains(a, "k3s") && strings.HasSuffix(a, "install.sh")) {
			return true
		}
	}
	return false
}

// hasInstallVariable reports whether assigns set an INSTALL_K3S_* variable.
func hasInstallVariable(assigns []assignment) bool {
	for _, a := range assigns {
		if strings.HasPrefix(a.name, "INSTALL_K3S_") {
			return true
		}
	}
	return false
}

// isInstallerName reports whether script is named like the K3s installer: install.sh, or a name holding both k3s
// and install but not uninstall (k3s-uninstall.sh and k3s-agent-uninstall.sh remove K3s).
func isInstallerName(script string) bool {
	base := path.Base(script)
	if base == "install.sh" {
		return true
	}
	return strings.Contains(base, "k3s") && strings.Contains(base, "install") && !strings.Contains(base, "uninstall")
}

// sentinelFollows reports whether, in ch, a pipeline after pipeline i writes the sentinel and only runs when
// every pipeline from i on succeeds (all joined by &&).
func sentinelFollows(ch chain, i int) bool {
	for j := i + 1; j < len(ch); j++ {
		if ch[j].op != "&&" {
			return false
		}
		if pipelineWritesSentinel(ch[j]) {
			return true
		}
	}
	return false
}

// pipelineWritesSentinel reports whether p writes the sentinel file: a redirection to it, touch or tee.
func pipelineWritesSentinel(p pipeline) bool {
	for _, sc := range p.cmds {
		for _, r := range sc.redirects {
			if r.target == k3sconfig.SentinelPath && strings.Contains(r.op, ">") {
				return true
			}
		}
		prog, args, _ := unwrap(sc)
		if base := path.Base(prog); base == "touch" || base == "tee" {
			for _, a := range args {
				if a == k3sconfig.SentinelPath {
					return true
				}
			}
		}
	}
	return false
}
