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

package errors

// KThreesControlPlaneStatusError is a token value for status.failureReason of a KThreesControlPlane.
type KThreesControlPlaneStatusError string

const (
	// InvalidConfigurationKThreesControlPlaneError means the spec cannot be acted upon.
	InvalidConfigurationKThreesControlPlaneError KThreesControlPlaneStatusError = "InvalidConfiguration"

	// UnsupportedChangeKThreesControlPlaneError means a spec change is not supported.
	UnsupportedChangeKThreesControlPlaneError KThreesControlPlaneStatusError = "UnsupportedChange"

	// CreateKThreesControlPlaneError means creating a control-plane object failed.
	CreateKThreesControlPlaneError KThreesControlPlaneStatusError = "CreateError"

	// UpdateKThreesControlPlaneError means updating a control-plane object failed.
	UpdateKThreesControlPlaneError KThreesControlPlaneStatusError = "UpdateError"

	// DeleteKThreesControlPlaneError means deleting a control-plane object failed.
	DeleteKThreesControlPlaneError KThreesControlPlaneStatusError = "DeleteError"
)
