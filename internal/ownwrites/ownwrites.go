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

// Package ownwrites filters the watch events a controller causes itself by writing the status or the finalizers of
// the object it reconciles. Only the controller writes that status, and it writes what the reconcile computed; it
// adds its finalizer and goes on in the same reconcile, and removes it last. Reconciling again because of either
// only recomputes the same status, and under CAPI's per-object rate limit it also takes the slot of the next real
// change, which then waits up to a second.
package ownwrites

import (
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// IgnoreStatusUpdates passes every event except an update that changed nothing but the object's status or
// finalizers: the generation (every spec change), labels, annotations, owner references and the deletion timestamp
// are unchanged. A deletion is seen by its timestamp, not by the finalizers.
func IgnoreStatusUpdates() predicate.Funcs {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			if e.ObjectOld == nil || e.ObjectNew == nil {
				return true
			}
			return !statusOnly(e.ObjectOld, e.ObjectNew)
		},
	}
}

func statusOnly(before, after client.Object) bool {
	return before.GetGeneration() == after.GetGeneration() &&
		apiequality.Semantic.DeepEqual(before.GetLabels(), after.GetLabels()) &&
		apiequality.Semantic.DeepEqual(before.GetAnnotations(), after.GetAnnotations()) &&
		apiequality.Semantic.DeepEqual(before.GetOwnerReferences(), after.GetOwnerReferences()) &&
		before.GetDeletionTimestamp().Equal(after.GetDeletionTimestamp())
}
