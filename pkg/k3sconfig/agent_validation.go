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
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

// taintEffects are the effects a taint given to K3s's --node-taint (the kubelet's --register-with-taints) may have.
var taintEffects = []string{string(corev1.TaintEffectNoSchedule), string(corev1.TaintEffectPreferNoSchedule), string(corev1.TaintEffectNoExecute)}

// validateNodeSettings checks the node name, labels, taints and private registry path as K3s and the kubelet read
// them when the node starts: a value they refuse keeps the node from ever joining. Values with jinja are rendered
// on the machine first, so only their literal parts can be checked (by validateJinja).
func validateNodeSettings(c *bootstrapv1.KThreesAgentConfig, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if name := c.NodeName; name != "" && !hasJinja(name) {
		if problems := validation.IsDNS1123Subdomain(name); len(problems) > 0 {
			errs = append(errs, field.Invalid(fldPath.Child("nodeName"), badValue(name),
				"must be a Node name (lowercase RFC 1123 subdomain): "+strings.Join(problems, "; ")))
		}
	}
	for i, label := range c.NodeLabels {
		if problem := nodeLabelProblem(label); problem != "" {
			errs = append(errs, field.Invalid(fldPath.Child("nodeLabels").Index(i), badValue(label), problem))
		}
	}
	for i, taint := range c.NodeTaints {
		if problem := nodeTaintProblem(taint); problem != "" {
			errs = append(errs, field.Invalid(fldPath.Child("nodeTaints").Index(i), badValue(taint), problem))
		}
	}
	if p := c.PrivateRegistry; p != "" && !hasJinja(p) && !path.IsAbs(p) {
		errs = append(errs, field.Invalid(fldPath.Child("privateRegistry"), badValue(p),
			"must be the absolute path of K3s's registries.yaml, e.g. /etc/rancher/k3s/registries.yaml"))
	}
	return errs
}

// nodeLabelProblem says why K3s would refuse a --node-label value (key=value, a label key and a label value), or "".
func nodeLabelProblem(label string) string {
	key, value, ok := strings.Cut(label, "=")
	if !ok {
		return "must be key=value"
	}
	return keyValueProblem(key, value)
}

// nodeTaintProblem says why the kubelet would refuse a --node-taint value (key[=value]:Effect), or "".
func nodeTaintProblem(taint string) string {
	colon := strings.LastIndex(taint, ":")
	if colon < 0 {
		return fmt.Sprintf("must be key[=value]:effect with effect %s", strings.Join(taintEffects, ", "))
	}
	keyValue, effect := taint[:colon], taint[colon+1:]
	if !hasJinja(effect) && !slices.Contains(taintEffects, effect) {
		return fmt.Sprintf("the effect must be one of %s", strings.Join(taintEffects, ", "))
	}
	key, value, _ := strings.Cut(keyValue, "=")
	return keyValueProblem(key, value)
}

// keyValueProblem says why key is not a label key (a qualified name) or value not a label value, or ""; a part with
// jinja is not checked.
func keyValueProblem(key, value string) string {
	if problems := validation.IsQualifiedName(key); len(problems) > 0 && !hasJinja(key) {
		return "the key must be a label key: " + strings.Join(problems, "; ")
	}
	if problems := validation.IsValidLabelValue(value); len(problems) > 0 && !hasJinja(value) {
		return "the value must be a label value: " + strings.Join(problems, "; ")
	}
	return ""
}

// hasJinja reports whether s holds a jinja expression or statement, which cloud-init renders on the machine.
func hasJinja(s string) bool {
	return strings.Contains(s, "{{") || strings.Contains(s, "{%")
}
