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
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/clientcmd/api"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// errNoClientCertificate is returned by NeedsRotation for a kubeconfig without any client certificate data.
var errNoClientCertificate = errors.New("kubeconfig has no client certificate")

// NeedsRotation reports whether a kubeconfig must be regenerated at now: true if a certificate in the
// client-certificate-data of any user expires within RenewalThreshold. Users without client certificate data (token,
// exec or file-based credentials) are not checked.
//
// A kubeconfig that cannot be checked — it does not parse, a client certificate does not parse, or no user has one — is
// reported as needing rotation together with a non-nil error that says why: such a kubeconfig must be regenerated too.
func NeedsRotation(kubeconfig []byte, now time.Time) (bool, error) {
	expiry, err := earliestExpiry(kubeconfig)
	if err != nil {
		return true, err
	}
	return expiry.Before(now.Add(RenewalThreshold)), nil
}

// earliestExpiry returns when the first certificate in the client-certificate-data of the kubeconfig's users expires,
// or why it cannot be told (see NeedsRotation).
func earliestExpiry(kubeconfig []byte) (time.Time, error) {
	config, err := clientcmd.Load(kubeconfig)
	if err != nil {
		return time.Time{}, fmt.Errorf("failed to parse kubeconfig: %w", err)
	}
	var earliest time.Time
	found := false
	for _, name := range slices.Sorted(maps.Keys(config.AuthInfos)) {
		user := config.AuthInfos[name]
		if user == nil || len(user.ClientCertificateData) == 0 {
			continue
		}
		chain, err := parseCertificates(user.ClientCertificateData)
		if err != nil {
			return time.Time{}, fmt.Errorf("invalid client certificate of user %q: %w", name, err)
		}
		for _, cert := range chain {
			if !found || cert.NotAfter.Before(earliest) {
				earliest = cert.NotAfter
			}
			found = true
		}
	}
	if !found {
		return time.Time{}, errNoClientCertificate
	}
	return earliest, nil
}

// reconcileExisting rotates the client certificate of a secret controlled by the caller when needed, and adds a
// missing cluster-name label. A current secret is not written.
func reconcileExisting(ctx context.Context, c client.Client, cluster client.ObjectKey, server string, s *corev1.Secret) (Result, error) {
	rotate, reason := checkedExpiries.needsRotation(s, time.Now())
	if !rotate && s.Labels[clusterv1.ClusterNameLabel] == cluster.Name {
		return Result{}, nil
	}
	updated := s.DeepCopy()
	if updated.Labels == nil {
		updated.Labels = map[string]string{}
	}
	updated.Labels[clusterv1.ClusterNameLabel] = cluster.Name
	if rotate {
		if reason != nil {
			ctrl.LoggerFrom(ctx).V(4).Info("Regenerating a kubeconfig that cannot be checked", "reason", reason.Error())
		}
		data, err := regenerate(ctx, c, cluster, server, s.Data[DataKey])
		if err != nil {
			return Result{}, err
		}
		if updated.Data == nil {
			updated.Data = map[string][]byte{}
		}
		updated.Data[DataKey] = data
	}
	if err := c.Update(ctx, updated); err != nil {
		return Result{}, fmt.Errorf("failed to update secret %s: %w", client.ObjectKeyFromObject(s), err)
	}
	return Result{Rotated: rotate}, nil
}

// regenerate returns a kubeconfig with a new client certificate that keeps the cluster entry of old (see keptCluster).
// When old has none, the entry points at server and trusts the server CA.
func regenerate(ctx context.Context, c client.Reader, cluster client.ObjectKey, server string, old []byte) ([]byte, error) {
	cas, err := loadAuthorities(ctx, c, cluster)
	if err != nil {
		return nil, err
	}
	entry := keptCluster(old, cluster.Name)
	switch {
	case entry == nil:
		entry = &api.Cluster{Server: server, CertificateAuthorityData: cas.serverCAData}
	case len(entry.CertificateAuthorityData) == 0 && entry.CertificateAuthority == "" && !entry.InsecureSkipTLSVerify:
		entry.CertificateAuthorityData = cas.serverCAData
	}
	return build(cluster.Name, entry, cas)
}

// keptCluster returns the cluster entry of old to keep on rotation: the one of the current context, else the one named
// clusterName, else the only one. It returns nil if old does not parse or the entry has no server.
func keptCluster(old []byte, clusterName string) *api.Cluster {
	config, err := clientcmd.Load(old)
	if err != nil {
		return nil
	}
	var entry *api.Cluster
	if current := config.Contexts[config.CurrentContext]; current != nil {
		entry = config.Clusters[current.Cluster]
	}
	if entry == nil {
		entry = config.Clusters[clusterName]
	}
	if entry == nil && len(config.Clusters) == 1 {
		for _, only := range config.Clusters {
			entry = only
		}
	}
	if entry == nil || entry.Server == "" {
		return nil
	}
	return entry
}
