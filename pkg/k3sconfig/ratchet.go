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

package k3sconfig

import (
	"reflect"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Ratchet keeps updates of stored objects possible when the objects were accepted by an older, more lenient
// validation. It returns the errors of newErrs that oldErrs does not contain, and a warning for each one it does
// contain: the same error type at the same field path with the same bad value and detail, that is a problem the
// update did not touch. Pass the errors of the new object as newErrs and those of the old object as oldErrs.
func Ratchet(newErrs, oldErrs field.ErrorList) (field.ErrorList, []string) {
	var errs field.ErrorList
	var warnings []string
	for _, e := range newErrs {
		if e == nil {
			continue
		}
		if containsError(oldErrs, e) {
			warnings = append(warnings, e.Error()+
				" (tolerated because the object already had this value before the update; please fix it)")
			continue
		}
		errs = append(errs, e)
	}
	return errs, warnings
}

// ValidateRatcheted validates newObj with validate and, for an update (oldObj is not nil), ratchets the result
// against the errors of oldObj with Ratchet. Without an old object every error is returned.
func ValidateRatcheted[T any](oldObj, newObj *T, validate func(*T) field.ErrorList) (field.ErrorList, []string) {
	newErrs := validate(newObj)
	if oldObj == nil || len(newErrs) == 0 {
		return newErrs, nil
	}
	return Ratchet(newErrs, validate(oldObj))
}

// containsError reports whether list holds an error equal to e in type, field, bad value and detail.
func containsError(list field.ErrorList, e *field.Error) bool {
	for _, o := range list {
		if o != nil && o.Type == e.Type && o.Field == e.Field && o.Detail == e.Detail &&
			reflect.DeepEqual(o.BadValue, e.BadValue) {
			return true
		}
	}
	return false
}
