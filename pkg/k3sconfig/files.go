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
	"path"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

var (
	// ownerPattern matches user or user:group, each a user/group name or a numeric id.
	ownerPattern = regexp.MustCompile(`^(?:[A-Za-z_][A-Za-z0-9_.-]*\$?|[0-9]+)(?::(?:[A-Za-z_][A-Za-z0-9_.-]*\$?|[0-9]+))?$`)

	// permissionsPattern matches an octal file mode of three or four digits, e.g. 644, 0640 or 4755.
	permissionsPattern = regexp.MustCompile(`^[0-7]{3,4}$`)
)

// ValidateFiles validates the files found at fldPath: each path is absolute and unique, content and contentFrom
// are not both set, owner is user or user:group, permissions is an octal mode, and contentFrom names a secret
// and a key.
func ValidateFiles(files []bootstrapv1.File, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := make(map[string]bool, len(files))
	for i := range files {
		f := &files[i]
		fp := fldPath.Index(i)
		switch {
		case f.Path == "":
			errs = append(errs, field.Required(fp.Child("path"), "must be an absolute path"))
		case !path.IsAbs(f.Path):
			errs = append(errs, field.Invalid(fp.Child("path"), f.Path, "must be an absolute path"))
		case seen[path.Clean(f.Path)]:
			errs = append(errs, field.Duplicate(fp.Child("path"), f.Path))
		default:
			seen[path.Clean(f.Path)] = true
		}
		if f.Content != "" && f.ContentFrom != nil {
			errs = append(errs, field.Forbidden(fp.Child("contentFrom"), "content and contentFrom are mutually exclusive"))
		}
		if f.Owner != "" && !ownerPattern.MatchString(f.Owner) {
			errs = append(errs, field.Invalid(fp.Child("owner"), f.Owner,
				"must be user or user:group, each a name such as root or a numeric id"))
		}
		if f.Permissions != "" && !permissionsPattern.MatchString(f.Permissions) {
			errs = append(errs, field.Invalid(fp.Child("permissions"), f.Permissions,
				"must be an octal file mode of 3 or 4 digits, e.g. 0640"))
		}
		if f.ContentFrom != nil {
			sp := fp.Child("contentFrom", "secret")
			switch name := f.ContentFrom.Secret.Name; {
			case name == "":
				errs = append(errs, field.Required(sp.Child("name"), "must name the secret holding the content"))
			case len(validation.IsDNS1123Subdomain(name)) > 0:
				errs = append(errs, field.Invalid(sp.Child("name"), badValue(name), "must be a Secret name: "+strings.Join(validation.IsDNS1123Subdomain(name), "; ")))
			}
			switch key := f.ContentFrom.Secret.Key; {
			case key == "":
				errs = append(errs, field.Required(sp.Child("key"), "must name the secret key holding the content"))
			case len(validation.IsConfigMapKey(key)) > 0:
				errs = append(errs, field.Invalid(sp.Child("key"), badValue(key), "must be a Secret key: "+strings.Join(validation.IsConfigMapKey(key), "; ")))
			}
		}
	}
	return errs
}
