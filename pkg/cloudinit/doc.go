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

// Package cloudinit renders the format-neutral bootstrap data as a cloud-init cloud-config document: a
// "## template: jinja" line (cloud-init renders {{ }} expressions anywhere in the document, which users rely on
// for nodeName), the "#cloud-config" line, then write_files and runcmd.
//
// The YAML is produced by a YAML encoder, never by string templates: every file content, path and command
// parses back to exactly the string that was given, whatever characters it holds. Commands are always
// double-quoted strings (never lists), and every scalar that a YAML 1.1 parser such as cloud-init's PyYAML could
// read as something other than a string is quoted.
//
// Cloud-init renders the jinja before it parses the YAML, with trim_blocks: the line break after a jinja statement
// or comment goes, and whitespace control ({{- -}}) takes the whitespace next to it. File content that uses either
// is therefore written as one double-quoted line, where line breaks are \n escapes that jinja leaves alone; in a
// block scalar the next line of the document would join the content. internal/test/cloudinit runs the real
// cloud-init on the rendered documents.
package cloudinit
