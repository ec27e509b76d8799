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

package kthreescontrolplane

import "time"

const (
	// controllerName names the controller, its event recorder and its ClusterCache source.
	controllerName = "kthreescontrolplane"

	// FieldManager is the server-side-apply field manager of Machines, InfraMachines and KThreesConfigs. It is
	// upstream's, so Machines created by upstream's controller are taken over without field conflicts.
	FieldManager = "capi-kthreescontrolplane"

	// certificatesExpiryFieldManager writes the certificates-expiry annotation of KThreesConfigs. It is none of
	// legacyUpdateManagers, whatever the client's user agent: the takeover of the Create's labels and annotations
	// (fieldownership.go) would remove an annotation owned only by one of those as dropped from the machine template.
	certificatesExpiryFieldManager = "capi-kthreescontrolplane-certificates"

	// deleteRequeueAfter paces the deletion while Machines go away; their deletion also triggers reconciles.
	deleteRequeueAfter = 10 * time.Second
	// preflightRequeueAfter paces retries of preflight checks that wait on something not watched.
	preflightRequeueAfter = 15 * time.Second
)
