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

package manager

import (
	"context"
	"fmt"

	"sigs.k8s.io/cluster-api/controllers/crdmigrator"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
)

// SetupCRDMigrator registers CAPI's CRD migrator for a provider's kind and its template kind. After an upgrade that
// changed the storage version — from upstream's v1beta2 to v1beta3, for example — it rewrites every object of those
// kinds at the current storage version, then leaves only that version in the CRD's status.storedVersions (so older
// versions can be dropped one day), and it removes managed fields of API versions no longer served. Objects of kind
// are rewritten through their status subresource, which no admission webhook intercepts; both kinds are listed
// live, not from the cache. skipPhases are the values of --skip-crd-migration-phases.
func SetupCRDMigrator(ctx context.Context, mgr ctrl.Manager, skipPhases []string, kind, template client.Object) error {
	phases := make([]crdmigrator.Phase, 0, len(skipPhases))
	for _, p := range skipPhases {
		phases = append(phases, crdmigrator.Phase(p))
	}
	err := (&crdmigrator.CRDMigrator{
		Client:                 mgr.GetClient(),
		APIReader:              mgr.GetAPIReader(),
		SkipCRDMigrationPhases: phases,
		Config: map[client.Object]crdmigrator.ByObjectConfig{
			kind:     {UseCache: false, UseStatusForStorageVersionMigration: true},
			template: {UseCache: false},
		},
		// One object at a time, so a migration of thousands of objects does not flood the API server.
	}).SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: 1})
	if err != nil {
		return fmt.Errorf("failed to set up the CRD migrator: %w", err)
	}
	return nil
}
