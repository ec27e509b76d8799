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

package v1beta2

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	bootstrapv1beta2 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta2"
)

// Default sets the defaults of a KThreesControlPlane. It keeps upstream's Go API (controller-runtime's
// CustomDefaulter shape: obj is the object to default) for consumers that call it, e.g. in unit tests, and sets
// what our admission webhook, which runs on the hub version (controlplane/webhooks), stores; test/apiexactness
// checks that both agree. Validation stays in the webhook: it would pull controller-runtime's webhook packages into
// every importer of this package.
func (in *KThreesControlPlane) Default(ctx context.Context, obj runtime.Object) error {
	kcp, ok := obj.(*KThreesControlPlane)
	if !ok {
		return fmt.Errorf("expected a KThreesControlPlane but got a %T", obj)
	}
	if kcp.Spec.Replicas == nil {
		kcp.Spec.Replicas = ptr.To[int32](1)
	}
	// The hub has no namespace in references: one written without it reads back with the control plane's, as
	// upstream's defaulting stored it.
	if ref := &kcp.Spec.MachineTemplate.InfrastructureRef; ref.Name != "" && ref.Namespace == "" {
		ref.Namespace = kcp.Namespace
	}
	config := &bootstrapv1beta2.KThreesConfig{Spec: kcp.Spec.KThreesConfigSpec}
	if err := config.Default(ctx, config); err != nil {
		return err
	}
	kcp.Spec.KThreesConfigSpec = config.Spec
	return nil
}
