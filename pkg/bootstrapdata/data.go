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

package bootstrapdata

import "github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata/model"

// File is a file written to the node before any command runs. See model.File.
type File = model.File

// Data is the files and commands of a node. See model.Data.
type Data = model.Data

// Content encodings a File may declare.
const (
	// EncodingBase64 means Content is base64 text.
	EncodingBase64 = model.EncodingBase64
	// EncodingGzip means Content is gzip-compressed bytes.
	EncodingGzip = model.EncodingGzip
	// EncodingGzipBase64 means Content is base64 text of gzip-compressed bytes.
	EncodingGzipBase64 = model.EncodingGzipBase64
)
