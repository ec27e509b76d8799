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

// Package ignition renders the format-neutral bootstrap data as an Ignition config (spec 3.3.0, accepted by
// every Ignition release since v2.11, e.g. Flatcar Container Linux and Fedora CoreOS).
//
// Files become storage.files entries written with overwrite (the last of several entries with the same path
// wins, as with cloud-init). Their content is a base64 data URL; the gzip encodings become
// contents.compression: gzip. The commands are written, one per line, to a shell script that a oneshot systemd
// unit runs once, after the network is online, the way cloud-init runs runcmd. Unlike cloud-init, Ignition does
// not render jinja, so {{ }} expressions (for example in nodeName) are written as they are.
package ignition
