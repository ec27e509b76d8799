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

// Package model holds the format-neutral bootstrap data of a node: the files to write and the commands to run.
// The cloud-init and Ignition renderers take it as input. Callers normally use the aliases in package
// bootstrapdata; the types live here so that the renderers can import them without importing the package
// that dispatches to them.
package model
