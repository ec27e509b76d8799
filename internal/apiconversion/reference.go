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

package apiconversion

import (
	"errors"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// APIVersionGetter returns the apiVersion (group/version) to use when referencing objects of a group and kind,
// e.g. from the CAPI contract labels on their CRD.
type APIVersionGetter func(gk schema.GroupKind) (string, error)

var (
	apiVersionGetterMu sync.RWMutex
	apiVersionGetter   APIVersionGetter
)

// SetAPIVersionGetter sets the function used to fill the version of a reference when converting the hub's
// apiGroup-only references to the apiVersion references of older API versions. Managers set it at start-up.
func SetAPIVersionGetter(getter APIVersionGetter) {
	apiVersionGetterMu.Lock()
	defer apiVersionGetterMu.Unlock()
	apiVersionGetter = getter
}

// ErrNoAPIVersionGetter is returned when a reference must be down-converted but no APIVersionGetter is set.
var ErrNoAPIVersionGetter = errors.New("no APIVersionGetter is set to resolve the apiVersion of a reference")

func resolveAPIVersion(gk schema.GroupKind) (string, error) {
	apiVersionGetterMu.RLock()
	getter := apiVersionGetter
	apiVersionGetterMu.RUnlock()
	if getter == nil {
		return "", ErrNoAPIVersionGetter
	}
	apiVersion, err := getter(gk)
	if err != nil {
		return "", fmt.Errorf("failed to resolve the apiVersion of %s: %w", gk, err)
	}
	return apiVersion, nil
}

// ToContractVersionedReference converts an object reference of an old API version to the hub's reference.
func ToContractVersionedReference(ref *corev1.ObjectReference) (clusterv1.ContractVersionedObjectReference, error) {
	out := clusterv1.ContractVersionedObjectReference{Kind: ref.Kind, Name: ref.Name}
	if ref.APIVersion != "" {
		gv, err := schema.ParseGroupVersion(ref.APIVersion)
		if err != nil {
			return out, fmt.Errorf("failed to parse apiVersion %q of the reference: %w", ref.APIVersion, err)
		}
		out.APIGroup = gv.Group
	}
	return out, nil
}

// ToObjectReference converts the hub's reference to the object reference of an old API version. The reference
// restored from the conversion data wins when it points at the same object; otherwise the version comes from the
// APIVersionGetter. An empty namespace is the referencing object's, as upstream's defaulting webhook set it.
func ToObjectReference(ref clusterv1.ContractVersionedObjectReference, namespace string, restored *corev1.ObjectReference) (corev1.ObjectReference, error) {
	if restored != nil && SameObject(ref, restored) {
		out := *restored.DeepCopy()
		if out.Namespace == "" && ref.IsDefined() {
			// Upstream's webhook defaulted the namespace of references to the object's namespace.
			out.Namespace = namespace
		}
		return out, nil
	}
	if !ref.IsDefined() {
		return corev1.ObjectReference{}, nil
	}
	apiVersion, err := resolveAPIVersion(schema.GroupKind{Group: ref.APIGroup, Kind: ref.Kind})
	if err != nil {
		return corev1.ObjectReference{}, err
	}
	return corev1.ObjectReference{APIVersion: apiVersion, Kind: ref.Kind, Name: ref.Name, Namespace: namespace}, nil
}

// SameObject reports whether an old-version reference points at the object of a hub reference.
func SameObject(ref clusterv1.ContractVersionedObjectReference, old *corev1.ObjectReference) bool {
	converted, err := ToContractVersionedReference(old)
	return err == nil && converted == ref
}

// IsDerivable reports whether old can be rebuilt from its hub form by ToObjectReference without conversion data:
// only group, kind, name, the referencing object's namespace and the getter's version are set.
func IsDerivable(old *corev1.ObjectReference, namespace string) bool {
	if *old == (corev1.ObjectReference{}) {
		return true
	}
	if old.UID != "" || old.ResourceVersion != "" || old.FieldPath != "" || (old.Namespace != "" && old.Namespace != namespace) {
		return false
	}
	ref, err := ToContractVersionedReference(old)
	if err != nil || !ref.IsDefined() {
		return false
	}
	apiVersion, err := resolveAPIVersion(schema.GroupKind{Group: ref.APIGroup, Kind: ref.Kind})
	return err == nil && apiVersion == old.APIVersion
}

// keptControlPlaneReferences is the part of a control plane's spoke-only conversion data that can hold the
// infrastructure reference: v1beta1 keeps it at spec.infrastructureTemplate, v1beta2 at
// spec.machineTemplate.infrastructureRef.
type keptControlPlaneReferences struct {
	Spec struct {
		InfrastructureTemplate *corev1.ObjectReference `json:"infrastructureTemplate,omitempty"`
		MachineTemplate        struct {
			InfrastructureRef *corev1.ObjectReference `json:"infrastructureRef,omitempty"`
		} `json:"machineTemplate"`
	} `json:"spec"`
}

// KeptInfrastructureReference returns the infrastructure reference kept in a control plane hub's conversion data
// by either old API version, or nil, so that a reference written through v1beta1 reads back exactly through v1beta2
// and the other way round.
func KeptInfrastructureReference(hub metav1.Object) (*corev1.ObjectReference, error) {
	kept := &keptControlPlaneReferences{}
	if _, err := UnmarshalData(hub, kept); err != nil {
		return nil, err
	}
	for _, ref := range []*corev1.ObjectReference{kept.Spec.MachineTemplate.InfrastructureRef, kept.Spec.InfrastructureTemplate} {
		if ref != nil && *ref != (corev1.ObjectReference{}) {
			return ref, nil
		}
	}
	return nil, nil
}

// KeptReference is the form in which an old-version reference is kept as conversion data: with an empty namespace
// defaulted to the referencing object's, as upstream's defaulting webhook stored it and as ToObjectReference reads
// it back, so a kept reference is stable across round trips.
func KeptReference(ref corev1.ObjectReference, namespace string) corev1.ObjectReference {
	if ref.Namespace == "" && (ref.Kind != "" || ref.Name != "" || ref.APIVersion != "") {
		ref.Namespace = namespace
	}
	return ref
}
