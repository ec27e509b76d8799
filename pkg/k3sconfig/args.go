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
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// argKeyPattern matches the key of a key=value argument.
var argKeyPattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// SplitArg splits a component argument of the form key=value, with an optional leading "--" before the key, into
// its key (without the dashes) and value. ok is false when the argument has no "=" or an empty key.
func SplitArg(arg string) (key, value string, ok bool) {
	key, value, found := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
	if !found || key == "" {
		return "", "", false
	}
	return key, value, true
}

// ValidateArgs validates component arguments found at fldPath: each must be key=value, optionally written
// --key=value, with a non-empty key made of letters, digits, '.', '_' and '-'.
func ValidateArgs(args []string, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, arg := range args {
		key, _, ok := SplitArg(arg)
		switch {
		case !ok:
			errs = append(errs, field.Invalid(fldPath.Index(i), arg,
				"must be in key=value form with a non-empty key, e.g. max-pods=250"))
		case !argKeyPattern.MatchString(key):
			errs = append(errs, field.Invalid(fldPath.Index(i), arg,
				"key must consist of letters, digits, '.', '_' or '-'"))
		}
	}
	return errs
}
