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

package kubeconfig

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/certs"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// RenewalThreshold is how long before its expiry a client certificate of the kubeconfig is regenerated: half of its
// one-year validity, as in upstream and CAPI.
const RenewalThreshold = certs.ClientCertificateRenewalDuration

var (
	// ErrCAMissing is wrapped by Reconcile's error when the server CA (`<cluster>-ca`) or the client CA (`<cluster>-cca`)
	// secret does not exist or cannot be used. The caller should report it and wait for the certificates.
	ErrCAMissing = errors.New("cluster certificate authority is not available")

	// ErrEndpointNotSet is wrapped by Reconcile's error when the control plane endpoint has no host or no port. The caller
	// should wait for the Cluster's spec.controlPlaneEndpoint.
	ErrEndpointNotSet = errors.New("control plane endpoint is not set")
)

// Result tells what Reconcile changed, for events and logs.
type Result struct {
	// Created is true when the kubeconfig secret was created.
	Created bool
	// Rotated is true when the client certificate of an existing kubeconfig secret was regenerated.
	Rotated bool
}

// Reconcile ensures that the kubeconfig secret of cluster exists and that its client certificate is current.
//
// An absent secret is created for endpoint, with owner as its controller. An existing secret is modified only if owner
// controls it: its client certificate and key are regenerated when they expire within RenewalThreshold or cannot be
// read, keeping the cluster entry (server URL and CA) of the current context, and a missing cluster-name label is
// added. The secret's type is never changed, as Kubernetes does not allow it. The CA secrets are read only to create
// or rotate, so the steady state costs one Get. A secret created concurrently by someone else (AlreadyExists) is not an
// error: the next call checks it.
//
// The endpoint is checked on every call, even when the secret exists. Errors wrap ErrEndpointNotSet when endpoint is incomplete and ErrCAMissing when the CA secrets are missing or invalid;
// API errors are returned wrapped.
func Reconcile(ctx context.Context, c client.Client, cluster client.ObjectKey, endpoint clusterv1.APIEndpoint, owner metav1.OwnerReference) (Result, error) {
	if err := validate(cluster, owner); err != nil {
		return Result{}, err
	}
	server, err := serverURL(endpoint)
	if err != nil {
		return Result{}, err
	}
	existing, err := getSecret(ctx, c, cluster)
	switch {
	case apierrors.IsNotFound(err):
		return create(ctx, c, cluster, server, owner)
	case err != nil:
		return Result{}, err
	case !isControlledBy(existing, owner):
		// Note: a user-provided secret, or one controlled by another object, is never modified.
		return Result{}, nil
	}
	return reconcileExisting(ctx, c, cluster, server, existing)
}

// validate rejects a cluster key or owner reference that would produce an invalid secret.
func validate(cluster client.ObjectKey, owner metav1.OwnerReference) error {
	if cluster.Name == "" {
		return errors.New("cluster name must not be empty")
	}
	if owner.APIVersion == "" || owner.Kind == "" || owner.Name == "" || owner.UID == "" {
		return fmt.Errorf("invalid owner reference %s %q (uid %q): apiVersion, kind, name and uid are required",
			owner.Kind, owner.Name, owner.UID)
	}
	if _, err := schema.ParseGroupVersion(owner.APIVersion); err != nil {
		return fmt.Errorf("invalid owner reference apiVersion %q: %w", owner.APIVersion, err)
	}
	return nil
}
