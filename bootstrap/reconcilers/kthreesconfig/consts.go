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

package kthreesconfig

const (
	// controllerName is the name of the controller and of its event recorder.
	controllerName = "kthreesconfig"

	// contentFromSecretIndex indexes KThreesConfigs by the Secrets their files read with contentFrom.
	contentFromSecretIndex = "kthreesconfig.contentFrom.secret"

	// MachineConfigRefIndex indexes Machines by the KThreesConfig their spec.bootstrap.configRef names (see
	// MachineConfigRefNames); the controller's cache must have it.
	MachineConfigRefIndex = "machine.spec.bootstrap.configRef.kthreesconfig"

	// formatDataKey is the bootstrap secret key that names the data format, as CAPI bootstrap providers write it.
	formatDataKey = "format"

	// valueDataKey is the bootstrap secret key holding the data (CAPI bootstrap contract).
	valueDataKey = "value"
)
