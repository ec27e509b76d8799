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
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sversion"
)

// ValidateKThreesConfigSpec validates a KThreesConfigSpec found at fldPath and returns one error per problem,
// each naming the offending field below fldPath. A nil spec is valid.
func ValidateKThreesConfigSpec(spec *bootstrapv1.KThreesConfigSpec, fldPath *field.Path) field.ErrorList {
	if spec == nil {
		return nil
	}
	var errs field.ErrorList
	if spec.Version != "" {
		if _, err := k3sversion.Parse(spec.Version); err != nil {
			errs = append(errs, field.Invalid(fldPath.Child("version"), spec.Version,
				"must be a K3s version vX.Y.Z+k3sN with N >= 1, e.g. v1.34.5+k3s1"))
		}
	}
	errs = append(errs, ValidateFiles(spec.Files, fldPath.Child("files"))...)
	errs = append(errs, validateServerConfig(&spec.ServerConfig, fldPath.Child("serverConfig"))...)
	errs = append(errs, validateAgentConfig(&spec.AgentConfig, fldPath.Child("agentConfig"))...)
	// A value with another error gets no jinja error: one message per field.
	for _, e := range validateJinja(spec, fldPath) {
		if !slices.ContainsFunc(errs, func(o *field.Error) bool { return o.Field == e.Field }) {
			errs = append(errs, e)
		}
	}
	// cloud-config is rendered by cloud-init with jinja (the "## template: jinja" header); Ignition is not, so a
	// jinja node name would reach K3s literally and fail as an invalid node name on every machine.
	if spec.Format == bootstrapv1.Ignition && strings.Contains(spec.AgentConfig.NodeName, "{{") {
		errs = append(errs, field.Invalid(fldPath.Child("agentConfig", "nodeName"), spec.AgentConfig.NodeName,
			"jinja expressions are rendered only with format cloud-config; with format ignition set a literal node name or leave it empty (K3s then uses the hostname)"))
	}
	return errs
}

// validateServerConfig validates the server settings found at fldPath.
func validateServerConfig(c *bootstrapv1.KThreesServerConfig, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, ValidateArgs(c.KubeAPIServerArgs, fldPath.Child("kubeAPIServerArgs"))...)
	errs = append(errs, ValidateArgs(c.KubeControllerManagerArgs, fldPath.Child("kubeControllerManagerArgs"))...)
	errs = append(errs, ValidateArgs(c.KubeSchedulerArgs, fldPath.Child("kubeSchedulerArgs"))...)
	errs = append(errs, ValidateTLSSANs(c.TLSSan, fldPath.Child("tlsSan"))...)
	errs = append(errs, ValidatePort(c.HTTPSListenPort, fldPath.Child("httpsListenPort"))...)
	errs = append(errs, ValidatePort(c.AdvertisePort, fldPath.Child("advertisePort"))...)
	errs = append(errs, ValidateCIDRList(c.ClusterCidr, fldPath.Child("clusterCidr"))...)
	errs = append(errs, ValidateCIDRList(c.ServiceCidr, fldPath.Child("serviceCidr"))...)
	errs = append(errs, ValidateIPList(c.ClusterDNS, fldPath.Child("clusterDNS"))...)
	return errs
}

// validateAgentConfig validates the agent settings found at fldPath.
func validateAgentConfig(c *bootstrapv1.KThreesAgentConfig, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, ValidateArgs(c.KubeletArgs, fldPath.Child("kubeletArgs"))...)
	errs = append(errs, ValidateArgs(c.KubeProxyArgs, fldPath.Child("kubeProxyArgs"))...)
	errs = append(errs, validateNodeSettings(c, fldPath)...)
	if p := c.AirGappedInstallScriptPath; p != "" && !path.IsAbs(p) {
		errs = append(errs, field.Invalid(fldPath.Child("airGappedInstallScriptPath"), p, "must be an absolute path"))
	}
	return errs
}
