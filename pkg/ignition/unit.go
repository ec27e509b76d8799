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

package ignition

import (
	"strings"

	"github.com/coreos/ignition/v2/config/v3_3/types"
	"k8s.io/utils/ptr"
)

const (
	// ScriptPath is the shell script holding the bootstrap commands.
	ScriptPath = "/etc/cluster-api/bootstrap.sh"

	// UnitName is the systemd unit that runs ScriptPath.
	UnitName = "k3s-bootstrap.service"

	// DoneMarkerPath is created once the script has succeeded, so that the unit does not run again on reboot
	// (cloud-init runs runcmd once per instance).
	DoneMarkerPath = "/var/lib/cluster-api/bootstrap.done"

	// scriptMode is the mode of ScriptPath: only root reads and runs it.
	scriptMode = 0o700
)

// unitContents is the oneshot unit that runs the bootstrap script once the network is online.
var unitContents = strings.Join([]string{
	"[Unit]",
	"Description=Cluster API K3s bootstrap",
	"Wants=network-online.target",
	"After=network-online.target",
	"ConditionPathExists=!" + DoneMarkerPath,
	"",
	"[Service]",
	"Type=oneshot",
	"RemainAfterExit=yes",
	"TimeoutStartSec=0",
	"ExecStart=/bin/sh " + ScriptPath,
	"ExecStartPost=/bin/sh -c 'mkdir -p /var/lib/cluster-api && touch " + DoneMarkerPath + "'",
	"",
	"[Install]",
	"WantedBy=multi-user.target",
	"",
}, "\n")

// Script returns the shell script that runs commands in order, one per line, like cloud-init's runcmd: a
// failing command does not stop the next one.
func Script(commands []string) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	for _, cmd := range commands {
		b.WriteString(cmd)
		b.WriteString("\n")
	}
	return b.String()
}

// scriptFile is the Ignition file entry of the bootstrap script.
func scriptFile(commands []string) types.File {
	f := types.File{Node: types.Node{Path: ScriptPath, Overwrite: ptr.To(true)}}
	f.Mode = ptr.To(scriptMode)
	f.Contents.Source = ptr.To(DataURL([]byte(Script(commands))))
	return f
}
