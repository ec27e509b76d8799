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

// Package edgeagent finds the parts of a KThreesConfig spec that agents running the bootstrap data without
// cloud-init cannot run as written. Open Edge Platform's infrastructure provider turns the cloud-config into one
// command, sudo sh -c "<cmd>; <cmd>; ...", built only from mkdir, chmod, a base64 write per file and the runcmd
// strings, which its node agent runs with bash (docs/bootstrap.md, "Running the bootstrap data without cloud-init";
// internal/test/edgeagent models it and runs every template and golden input through it).
//
// The findings are admission warnings, not errors: the same data is fine for cloud-init, and nothing in the
// object says which path a node takes.
package edgeagent

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata/model"
	"github.com/k3s-io/cluster-api-k3s/pkg/cloudinit"
)

// who names the agents in every warning.
const who = "agents that run the bootstrap data without cloud-init (Open Edge Platform)"

// shellWordPattern matches paths that a shell reads as one word without quoting: the agent writes paths unquoted.
var shellWordPattern = regexp.MustCompile(`^[A-Za-z0-9._+@%/:,=-]+$`)

// Warnings returns one warning per field of spec, found at fldPath, that the agents cannot run as written, except
// for the fields of invalid (the spec's validation errors), which have a message already. Runcmd entries in list
// form, which the agents reject, cannot come from the API: commands are strings and the renderer writes each as
// one YAML string.
func Warnings(spec *bootstrapv1.KThreesConfigSpec, fldPath *field.Path, invalid field.ErrorList) []string {
	var warnings []string
	for i := range spec.Files {
		warnings = append(warnings, fileWarnings(&spec.Files[i], fldPath.Child("files").Index(i))...)
	}
	for _, list := range []struct {
		name     string
		commands []string
	}{{"preK3sCommands", spec.PreK3sCommands}, {"postK3sCommands", spec.PostK3sCommands}} {
		for i, cmd := range list.commands {
			if problem := CommandProblem(cmd); problem != "" {
				warnings = append(warnings, fmt.Sprintf("%s: %s join all commands into one sudo sh -c \"…; …\": %s",
					fldPath.Child(list.name).Index(i), who, problem))
			}
		}
	}
	return slices.DeleteFunc(warnings, func(w string) bool {
		return slices.ContainsFunc(invalid, func(e *field.Error) bool { return strings.HasPrefix(w, e.Field+": ") })
	})
}

// fileWarnings returns the warnings of one file.
func fileWarnings(f *bootstrapv1.File, fldPath *field.Path) []string {
	var warnings []string
	if f.Path != "" && !shellWordPattern.MatchString(f.Path) {
		warnings = append(warnings, fmt.Sprintf("%s: %q has characters other than letters, digits and ._+@%%/:,=-; "+
			"%s write the path unquoted into shell commands, and reject the whole bootstrap data for a space",
			fldPath.Child("path"), f.Path, who))
	}
	if owner := strings.TrimSpace(f.Owner); owner != "" && owner != "root:root" {
		warnings = append(warnings, fmt.Sprintf("%s: %q needs a chown, which %s reject, failing the whole bootstrap; "+
			"leave it empty or root:root and change the owner in a postK3sCommand", fldPath.Child("owner"), f.Owner, who))
	}
	switch f.Encoding {
	case bootstrapv1.Gzip, bootstrapv1.GzipBase64:
		warnings = append(warnings, fmt.Sprintf("%s: %s decode base64 but do not decompress, so the file would be "+
			"written gzip-compressed; use base64 or plain content", fldPath.Child("encoding"), who))
	case bootstrapv1.Base64:
		if f.ContentFrom == nil {
			if _, err := base64.StdEncoding.DecodeString(f.Content); err != nil {
				warnings = append(warnings, fmt.Sprintf("%s: not padded standard base64 without spaces (%v), which %s "+
					"cannot decode, failing the whole bootstrap", fldPath.Child("content"), err, who))
			}
		}
	}
	if n := longestLine(f); n >= bufio.MaxScanTokenSize {
		warnings = append(warnings, fmt.Sprintf("%s: written as a cloud-config line of %d bytes, which %s cannot "+
			"read (64 KiB at most), failing the whole bootstrap; split it into lines", fldPath.Child("content"), n, who))
	}
	if path.Base(f.Path) == "config.toml.tmpl" && strings.Contains(plainContent(f), `\"`) {
		warnings = append(warnings, fmt.Sprintf(`%s: %s replace \" with " in files named config.toml.tmpl`,
			fldPath.Child("content"), who))
	}
	return warnings
}

// longestLine returns the length of the longest line of the cloud-config that holds f's inline content, as the
// renderer writes it (a long content line, or content it writes as one double-quoted or base64 line).
func longestLine(f *bootstrapv1.File) int {
	if f.ContentFrom != nil || len(f.Content) < bufio.MaxScanTokenSize/4 {
		return 0 // no line of a shorter content reaches the limit, even escaped
	}
	doc, err := cloudinit.Render(model.Data{Files: []model.File{{Path: "/f", Owner: f.Owner, Permissions: f.Permissions,
		Encoding: string(f.Encoding), Content: f.Content}}})
	if err != nil {
		return 0 // the controller reports what the renderer rejects
	}
	longest := 0
	for line := range bytes.Lines(doc) {
		longest = max(longest, len(bytes.TrimSuffix(line, []byte("\n"))))
	}
	return longest
}

// plainContent returns the inline content of f as written on the node, or "" when it is not known here.
func plainContent(f *bootstrapv1.File) string {
	switch f.Encoding {
	case "":
		return f.Content
	case bootstrapv1.Base64:
		b, err := base64.StdEncoding.DecodeString(f.Content)
		if err == nil {
			return string(b)
		}
	}
	return ""
}

// CommandProblem returns why cmd does not run as written once the agents join every command with "; " into
// sudo sh -c "…" and run that with bash, or "" when it does.
func CommandProblem(cmd string) string {
	var reasons []string
	if strings.Contains(cmd, `"`) {
		reasons = append(reasons, `a double quote ends that quoting`)
	}
	if strings.ContainsAny(cmd, "$`") {
		reasons = append(reasons, "the agent's own shell expands $ and ` before any command runs, as the agent user")
	}
	if hasOuterEscape(cmd) {
		reasons = append(reasons, "the agent's own shell removes a backslash before \\, $, ` or \"")
	}
	if hidesLaterCommands(cmd) {
		reasons = append(reasons, "the # comment hides every later command, the K3s install included")
	}
	if breaksJoin(cmd) {
		reasons = append(reasons, `an empty command, or one that starts with ;, & or | or ends with ;, &, |, \ or `+
			`a line break, does not join with "; "`)
	}
	return strings.Join(reasons, "; ")
}

// hasOuterEscape reports whether cmd has a backslash that bash removes inside double quotes.
func hasOuterEscape(cmd string) bool {
	for i := 0; i+1 < len(cmd); i++ {
		if cmd[i] == '\\' {
			if strings.IndexByte("\\$`\"\n", cmd[i+1]) >= 0 {
				return true
			}
			i++
		}
	}
	return false
}

// hidesLaterCommands reports whether cmd has a shell comment with no line break after it: the joined script is
// one line, so the comment runs to its end.
func hidesLaterCommands(cmd string) bool {
	inSingle, inDouble := false, false
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case inSingle:
			inSingle = c != '\''
		case c == '\\':
			i++
		case inDouble:
			inDouble = c != '"'
		case c == '\'':
			inSingle = true
		case c == '"':
			inDouble = true
		case c == '#' && (i == 0 || strings.IndexByte(" \t\n;&|()<>", cmd[i-1]) >= 0):
			return !strings.Contains(cmd[i:], "\n")
		}
	}
	return false
}

// breaksJoin reports whether cmd is a syntax error, or runs into the next command, once joined with "; ". An
// escaped final ; (find -exec ... \;) is a word, not an operator.
func breaksJoin(cmd string) bool {
	head := strings.TrimLeft(cmd, " \t\n")
	if head == "" || strings.IndexByte(";&|", head[0]) >= 0 {
		return true
	}
	tail := strings.TrimRight(cmd, " \t")
	last := tail[len(tail)-1]
	escaped := len(tail) > 1 && tail[len(tail)-2] == '\\'
	return strings.IndexByte("\\\n", last) >= 0 || strings.IndexByte(";&|", last) >= 0 && !escaped
}
