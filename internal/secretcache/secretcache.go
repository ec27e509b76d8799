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

// Package secretcache reads a cluster's certificate, token and kubeconfig Secrets from an informer cache instead of
// the API server. The managers do not cache Secrets in general (a management cluster holds many, most of them not
// CAPI's); this cache holds only Secrets labelled with a cluster name, and keeps the data only of the Secrets the
// control plane reads. Every reconcile and every workload-connection attempt reads these Secrets, about 75 reads per
// single-node cluster on its way to Available, each decoded again; the cache decodes each Secret once per change.
//
// A Secret the cache does not hold is read from the API server: a Secret created moments ago, or one a user created
// without the label. So a CA is generated only when the API server says it does not exist, never because the cache
// is behind.
package secretcache

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/secret"
	ctrlcache "sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// dataSuffixes are the name suffixes of the Secrets whose data the cache keeps: the CAs (`-ca`, `-cca`, `-etcd`),
// the join token and the kubeconfig. Bootstrap data Secrets, the bulk of the labelled Secrets, keep metadata only.
var dataSuffixes = []string{
	"-" + string(secret.ClusterCA), "-cca", "-" + string(secret.EtcdCA), "-token", "-" + string(secret.Kubeconfig),
}

// KeepsData reports whether the cache keeps the data of the Secret of this name.
func KeepsData(name string) bool {
	for _, suffix := range dataSuffixes {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

// ByObject is the manager cache's setting for Secrets: only those labelled with a cluster name, without managed
// fields, with data only where KeepsData.
func ByObject() ctrlcache.ByObject {
	clusterSecret, err := labels.NewRequirement(clusterv1.ClusterNameLabel, selection.Exists, nil)
	if err != nil {
		panic(err) // a constant label key with the Exists operator is always valid
	}
	return ctrlcache.ByObject{
		Label: labels.NewSelector().Add(*clusterSecret),
		Transform: func(in any) (any, error) {
			if s, ok := in.(*corev1.Secret); ok {
				s.SetManagedFields(nil)
				if !KeepsData(s.Name) {
					s.Data, s.StringData = nil, nil
				}
			}
			return in, nil
		},
	}
}

// Reader reads Secrets from Cached where it keeps their data and from Live otherwise or when Cached does not have
// them; everything else, and every List, from Live.
type Reader struct {
	Cached client.Reader
	Live   client.Reader
}

var _ client.Reader = Reader{}

// Get implements client.Reader.
func (r Reader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if _, ok := obj.(*corev1.Secret); !ok || r.Cached == nil || !KeepsData(key.Name) {
		return r.Live.Get(ctx, key, obj, opts...)
	}
	err := r.Cached.Get(ctx, key, obj, opts...)
	if apierrors.IsNotFound(err) {
		return r.Live.Get(ctx, key, obj, opts...)
	}
	return err
}

// List implements client.Reader.
func (r Reader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	return r.Live.List(ctx, list, opts...)
}
