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

package model

// Content encodings a File may declare. They are the encodings of the KThreesConfig files API.
const (
	// EncodingBase64 means Content is base64 text.
	EncodingBase64 = "base64"
	// EncodingGzip means Content is gzip-compressed bytes.
	EncodingGzip = "gzip"
	// EncodingGzipBase64 means Content is base64 text of gzip-compressed bytes.
	EncodingGzipBase64 = "gzip+base64"
)

// File is a file written to the node before any command runs.
type File struct {
	// Path is the absolute path of the file on the node.
	Path string
	// Owner is user or user:group; "" means root-owned, and the renderers then write no owner.
	Owner string
	// Permissions is the octal mode as written by the user, e.g. "0640"; "" means the renderer's default (0644).
	Permissions string
	// Encoding says how Content is encoded: "", EncodingBase64, EncodingGzip or EncodingGzipBase64.
	Encoding string
	// Content is the file content, encoded as Encoding says.
	Content string
}

// Data is everything a node needs to bootstrap: files, written in order, then commands, run in order in one POSIX
// shell script (cloud-init runcmd and the Ignition bootstrap script alike: a failing command does not stop the next
// one, and an exported variable stays set for the commands after it).
type Data struct {
	// Files are written in this order; when two files share a path the later one wins.
	Files []File
	// Commands are run in this order: the pre-K3s commands, the K3s install command, the post-K3s commands.
	Commands []string
}

// IsKnownEncoding reports whether encoding is "" or one of the encodings a File may declare.
func IsKnownEncoding(encoding string) bool {
	switch encoding {
	case "", EncodingBase64, EncodingGzip, EncodingGzipBase64:
		return true
	}
	return false
}
