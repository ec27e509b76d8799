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

package workload

import (
	"errors"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// RemoteConnectionError marks an error reaching the workload cluster's API server (network failure,
// timeout, cancelled context, unavailable ClusterCache accessor...), as opposed to an answer from it.
// Callers report it as a condition and requeue instead of failing the reconcile.
type RemoteConnectionError struct {
	// Err is the underlying error.
	Err error
}

// Error implements error.
func (e *RemoteConnectionError) Error() string {
	return "workload cluster unreachable: " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *RemoteConnectionError) Unwrap() error {
	return e.Err
}

// IsRemoteConnectionError reports whether err, or an error it wraps, is a RemoteConnectionError.
func IsRemoteConnectionError(err error) bool {
	var rce *RemoteConnectionError
	return errors.As(err, &rce)
}

// classify wraps err in a RemoteConnectionError unless it carries an API status (an answer from the API
// server, such as Forbidden or Conflict) or already is one. A nil err stays nil.
func classify(err error) error {
	if err == nil || IsRemoteConnectionError(err) {
		return err
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return err
	}
	return &RemoteConnectionError{Err: err}
}
