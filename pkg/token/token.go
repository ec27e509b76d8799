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

package token

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DataKey is the key of the token in the secret.
const DataKey = "value"

// ErrNotFound is returned by Lookup when the token secret does not exist.
var ErrNotFound = errors.New("token secret not found")

// SecretName returns the name of the token secret of a cluster.
func SecretName(clusterName string) string {
	return clusterName + "-token"
}

// ClusterName returns the cluster whose token secret secretName is, if it is one.
func ClusterName(secretName string) (string, bool) {
	name, ok := strings.CutSuffix(secretName, "-token")
	return name, ok && name != ""
}

// Lookup returns the join token of the cluster. It wraps ErrNotFound when the secret does not exist.
func Lookup(ctx context.Context, c client.Reader, cluster client.ObjectKey) (string, error) {
	s := &corev1.Secret{}
	key := client.ObjectKey{Namespace: cluster.Namespace, Name: SecretName(cluster.Name)}
	if err := c.Get(ctx, key, s); err != nil {
		if apierrors.IsNotFound(err) {
			return "", fmt.Errorf("secret %s: %w", key, ErrNotFound)
		}
		return "", fmt.Errorf("failed to get secret %s: %w", key, err)
	}
	v, ok := s.Data[DataKey]
	if !ok || len(v) == 0 {
		return "", fmt.Errorf("secret %s has no %q key", key, DataKey)
	}
	return string(v), nil
}

// Ensure returns the join token of the cluster, creating the secret with a new random token when it does not exist.
// A created secret is owned by owner as given: a KThreesConfig passes a reference that is not a controller, so that a
// control plane can take controller ownership later; a control plane passes its controller reference.
// Concurrent callers agree on one token: a create that loses the race reads the winner's secret.
func Ensure(ctx context.Context, c client.Client, cluster client.ObjectKey, owner metav1.OwnerReference) (string, error) {
	value, err := Lookup(ctx, c, cluster)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return value, err
	}
	random, err := newToken()
	if err != nil {
		return "", err
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:       cluster.Namespace,
			Name:            SecretName(cluster.Name),
			Labels:          map[string]string{clusterv1.ClusterNameLabel: cluster.Name},
			OwnerReferences: []metav1.OwnerReference{owner},
		},
		Type: clusterv1.ClusterSecretType,
		Data: map[string][]byte{DataKey: []byte(random)},
	}
	if err := c.Create(ctx, s); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return Lookup(ctx, c, cluster)
		}
		return "", fmt.Errorf("failed to create secret %s: %w", client.ObjectKeyFromObject(s), err)
	}
	return random, nil
}

// newToken returns 16 random bytes as 32 hex characters, the shape of upstream's tokens.
func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("failed to generate a token: %w", err)
	}
	return hex.EncodeToString(b), nil
}
