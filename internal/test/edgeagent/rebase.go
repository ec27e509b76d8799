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

package edgeagent

import (
	"regexp"
	"strings"
)

// rootPattern matches the roots Rebase accepts: absolute paths that stay one shell word inside sh -c "…".
var rootPattern = regexp.MustCompile(`^/[A-Za-z0-9._+@%/:,=-]*[^/]$`)

// systemDirs are the top directories whose paths stay as they are: the programs and devices the script uses.
var systemDirs = []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32", "dev", "proc", "sys",
	"usr/bin", "usr/sbin", "usr/lib", "usr/libexec", "usr/share"}

// pathStart is the set of characters after which a / starts an absolute path in a shell command.
const pathStart = " \t\n=:'\"<>|;&(`"

// Rebase returns s with every absolute path that starts a word, or follows = or :, moved under root, except paths
// in system directories (/bin, /dev, /usr/lib, ...) and URLs (//host). It applies to the steps before the handler
// turns them into shell commands, so file content, which the handler base64-encodes, is never touched.
func Rebase(s, root string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '/' && (i == 0 || strings.IndexByte(pathStart, s[i-1]) >= 0) &&
			(i+1 == len(s) || s[i+1] != '/') && !inSystemDir(s[i+1:]) {
			b.WriteString(root)
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// inSystemDir reports whether the path rest (after its leading /) is in one of systemDirs.
func inSystemDir(rest string) bool {
	for _, d := range systemDirs {
		if rest == d || strings.HasPrefix(rest, d+"/") {
			return true
		}
		if len(rest) > len(d) && strings.HasPrefix(rest, d) && strings.IndexByte(pathStart, rest[len(d)]) >= 0 {
			return true
		}
	}
	return false
}

// rebase moves the step's paths under root (see Rebase); the content on stdin stays.
func (s step) rebase(root string) step {
	args := make([]string, len(s.args))
	for i, a := range s.args {
		args[i] = Rebase(a, root)
	}
	s.args = args
	return s
}
