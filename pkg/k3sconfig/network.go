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
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// portPattern matches a decimal number without sign or leading zeros.
var portPattern = regexp.MustCompile(`^[1-9][0-9]{0,4}$`)

// ValidatePort validates a port found at fldPath: when set, it must be a decimal integer from 1 to 65535.
func ValidatePort(port string, fldPath *field.Path) field.ErrorList {
	if port == "" {
		return nil
	}
	if portPattern.MatchString(port) {
		if n, err := strconv.ParseUint(port, 10, 16); err == nil && n > 0 {
			return nil
		}
	}
	return field.ErrorList{field.Invalid(fldPath, port, "must be a decimal port number from 1 to 65535")}
}

// ValidateTLSSANs validates the subject alternative names found at fldPath: each must be an IPv4 or IPv6
// address, or a DNS name (an RFC 1123 subdomain, compared case-insensitively) optionally prefixed with the
// wildcard label "*.".
func ValidateTLSSANs(sans []string, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, san := range sans {
		if net.ParseIP(san) != nil {
			continue
		}
		name := strings.TrimPrefix(strings.ToLower(san), "*.")
		if len(validation.IsDNS1123Subdomain(name)) > 0 {
			errs = append(errs, field.Invalid(fldPath.Index(i), san, "must be an IP address or a DNS name: labels of "+
				"letters, digits and '-' joined by '.', at most 253 characters, optionally starting with the wildcard '*.'"))
		}
	}
	return errs
}

// splitList splits a comma-separated list and trims the spaces around its elements.
func splitList(value string) []string {
	parts := strings.Split(value, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// ValidateCIDRList validates a comma-separated list of CIDRs found at fldPath, as K3s's cluster-cidr and
// service-cidr take it: when set, every element is a valid CIDR and there is at most one IPv4 and one IPv6
// CIDR (dual stack).
func ValidateCIDRList(value string, fldPath *field.Path) field.ErrorList {
	if value == "" {
		return nil
	}
	var errs field.ErrorList
	families := map[bool]int{}
	for _, part := range splitList(value) {
		ip, _, err := net.ParseCIDR(part)
		if err != nil {
			errs = append(errs, field.Invalid(fldPath, value,
				fmt.Sprintf("%q is not a valid CIDR; must be a comma-separated list of CIDRs", part)))
			continue
		}
		families[ip.To4() != nil]++
	}
	if len(errs) == 0 && (families[true] > 1 || families[false] > 1) {
		errs = append(errs, field.Invalid(fldPath, value, "must hold at most one IPv4 and one IPv6 CIDR"))
	}
	return errs
}

// ValidateIPList validates a comma-separated list of IP addresses found at fldPath, as K3s's cluster-dns takes
// it: when set, every element is a valid IPv4 or IPv6 address.
func ValidateIPList(value string, fldPath *field.Path) field.ErrorList {
	if value == "" {
		return nil
	}
	var errs field.ErrorList
	for _, part := range splitList(value) {
		if net.ParseIP(part) == nil {
			errs = append(errs, field.Invalid(fldPath, value,
				fmt.Sprintf("%q is not a valid IP address; must be a comma-separated list of IP addresses", part)))
		}
	}
	return errs
}
