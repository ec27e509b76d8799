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

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// reconcileSecrets is the client one reconcile reads Secrets through: the certificates, token, kubeconfig and etcd
// phases read the same few Secrets (the CAs, the token), which the manager does not cache, so each is read from the
// API server at most once per reconcile. What the reconcile writes replaces what it read. Other objects pass
// through. Secrets not read yet come from reader, which may be a cache of the clusters' Secrets.
type reconcileSecrets struct {
	client.Client
	reader client.Reader
	read   map[client.ObjectKey]*corev1.Secret
}

// newReconcileSecrets returns a reconcileSecrets writing through c and reading through reader (c when nil), with
// nothing read yet.
func newReconcileSecrets(c client.Client, reader client.Reader) *reconcileSecrets {
	if reader == nil {
		reader = c
	}
	return &reconcileSecrets{Client: c, reader: reader, read: map[client.ObjectKey]*corev1.Secret{}}
}

// Get implements client.Reader.
func (s *reconcileSecrets) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	secret, ok := obj.(*corev1.Secret)
	if !ok {
		return s.Client.Get(ctx, key, obj, opts...)
	}
	if read, ok := s.read[key]; ok {
		read.DeepCopyInto(secret)
		return nil
	}
	if err := s.reader.Get(ctx, key, secret, opts...); err != nil {
		return err
	}
	s.remember(secret)
	return nil
}

// Create implements client.Writer.
func (s *reconcileSecrets) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	err := s.Client.Create(ctx, obj, opts...)
	s.afterWrite(obj, err)
	return err
}

// Update implements client.Writer.
func (s *reconcileSecrets) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	err := s.Client.Update(ctx, obj, opts...)
	s.afterWrite(obj, err)
	return err
}

// Patch implements client.Writer.
func (s *reconcileSecrets) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	err := s.Client.Patch(ctx, obj, patch, opts...)
	s.afterWrite(obj, err)
	return err
}

// afterWrite remembers a written Secret, or forgets it when the write failed (the API server's copy is unknown).
func (s *reconcileSecrets) afterWrite(obj client.Object, err error) {
	secret, ok := obj.(*corev1.Secret)
	if !ok {
		return
	}
	if err != nil {
		delete(s.read, client.ObjectKeyFromObject(secret))
		return
	}
	s.remember(secret)
}

func (s *reconcileSecrets) remember(secret *corev1.Secret) {
	s.read[client.ObjectKeyFromObject(secret)] = secret.DeepCopy()
}
