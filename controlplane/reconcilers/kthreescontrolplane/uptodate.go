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

package kthreescontrolplane

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcdproxy"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

// upToDateResult tells whether a Machine matches the desired spec of its control plane.
type upToDateResult struct {
	// UpToDate is true when the Machine needs no rollout.
	UpToDate bool
	// Reasons say, for people, why the Machine is not up to date, e.g. "Version v1.33.1+k3s1, v1.34.5+k3s1 required".
	Reasons []string
	// versionOutdated and certificatesDue are set when the version, or the certificates' expiry, is among the
	// reasons; inPlaceOnly when no other reason is, so that an in-place upgrade or renewal can bring the Machine up
	// to date.
	versionOutdated bool
	certificatesDue bool
	inPlaceOnly     bool
}

// machineUpToDate decides whether m needs a rollout. The checks are upstream's (version string, KThreesConfig
// spec without version, InfraMachine template, rollout.after) plus rollout.before.certificatesExpiryDays, so that
// Machines created by upstream's controller are judged up to date and swapping controllers rolls nothing out.
// What is propagated in place (metadata, deletion timeouts, readiness gates) never triggers a rollout.
func machineUpToDate(cp *controlPlane, m *clusterv1.Machine) upToDateResult {
	kcp := cp.KCP
	var result upToDateResult
	var reasons []string

	if after := kcp.Spec.Rollout.After; !after.IsZero() && !after.After(cp.reconcileTime) && m.CreationTimestamp.Before(&after) {
		reasons = append(reasons, fmt.Sprintf("Machine was created before spec.rollout.after %s", after.UTC().Format(time.RFC3339)))
	}

	if expiry, due := certificatesRenewalDue(cp, m); due {
		result.certificatesDue = true
		reasons = append(reasons, fmt.Sprintf("Certificates expire at %s, less than %d days from now",
			expiry.UTC().Format(time.RFC3339), certificatesExpiryDays(kcp)))
	}

	if m.Spec.Version != kcp.Spec.Version {
		current := m.Spec.Version
		if current == "" {
			current = "not set"
		}
		result.versionOutdated = true
		reasons = append(reasons, fmt.Sprintf("Version %s, %s required", current, kcp.Spec.Version))
	}

	if config, ok := cp.Configs[m.Name]; ok {
		if fields := kthreesConfigSpecDiff(&kcp.Spec.KThreesConfigSpec, &config.Spec); len(fields) > 0 {
			reasons = append(reasons, fmt.Sprintf("KThreesConfig differs from spec.kthreesConfigSpec in %s", strings.Join(fields, ", ")))
		}
	}

	if infra, ok := cp.InfraMachines[m.Name]; ok {
		if reason := infraMachineTemplateDiff(infra.GetAnnotations(), kcp.Spec.MachineTemplate.Spec.InfrastructureRef); reason != "" {
			reasons = append(reasons, reason)
		}
	}

	result.UpToDate, result.Reasons = len(reasons) == 0, reasons
	inPlaceReasons := 0
	if result.versionOutdated {
		inPlaceReasons++
	}
	if result.certificatesDue {
		inPlaceReasons++
	}
	result.inPlaceOnly = !result.UpToDate && len(reasons) == inPlaceReasons
	return result
}

// kthreesConfigSpecDiff lists the top-level fields in which a Machine's KThreesConfig spec differs from the
// desired one. Both are compared as they render a node: version is ignored (a KThreesConfig created by the control
// plane carries the Machine's version when spec.kthreesConfigSpec.version is empty, older ones got it from the
// bootstrap controller; the Machine's version is checked on its own), defaults are applied to both (the control plane's embedded spec and the KThreesConfig are
// defaulted by different webhooks, by upstream's too) and nil and empty slices and maps are equal.
func kthreesConfigSpecDiff(desired, actual *bootstrapv1.KThreesConfigSpec) []string {
	d, a := normalizedKThreesConfigSpec(desired), normalizedKThreesConfigSpec(actual)
	var fields []string
	for _, f := range []struct {
		name    string
		desired any
		actual  any
	}{
		{"files", d.Files, a.Files},
		{"preK3sCommands", d.PreK3sCommands, a.PreK3sCommands},
		{"postK3sCommands", d.PostK3sCommands, a.PostK3sCommands},
		{"agentConfig", d.AgentConfig, a.AgentConfig},
		{"serverConfig", d.ServerConfig, a.ServerConfig},
		{"format", d.Format, a.Format},
	} {
		if !equality.Semantic.DeepEqual(f.desired, f.actual) {
			fields = append(fields, f.name)
		}
	}
	// A field added to the spec but not to the list above must still be compared.
	if len(fields) == 0 && !equality.Semantic.DeepEqual(d, a) {
		fields = append(fields, "spec")
	}
	return fields
}

// normalizedKThreesConfigSpec is a copy of spec without version and with the webhook and render-time defaults
// applied, so that specs producing the same node compare equal.
func normalizedKThreesConfigSpec(spec *bootstrapv1.KThreesConfigSpec) *bootstrapv1.KThreesConfigSpec {
	s := spec.DeepCopy()
	s.Version = ""
	k3sconfig.DefaultKThreesConfigSpec(s)
	if s.Format == "" {
		s.Format = bootstrapv1.CloudConfig
	}
	if s.AgentConfig.AirGappedInstallScriptPath == "" {
		s.AgentConfig.AirGappedInstallScriptPath = bootstrapv1.DefaultAirGappedInstallScriptPath
	}
	s.ServerConfig.EtcdProxyImage = etcdproxy.Image(s.ServerConfig)
	return s
}

// infraMachineTemplateDiff says why an InfraMachine with the given annotations was not cloned from ref, or "".
// An InfraMachine without the clone annotations (e.g. created by hand) matches.
func infraMachineTemplateDiff(annotations map[string]string, ref clusterv1.ContractVersionedObjectReference) string {
	name, hasName := annotations[clusterv1.TemplateClonedFromNameAnnotation]
	groupKind, hasGroupKind := annotations[clusterv1.TemplateClonedFromGroupKindAnnotation]
	desiredGroupKind := ref.GroupKind().String()
	if (!hasName || name == ref.Name) && (!hasGroupKind || groupKind == desiredGroupKind) {
		return ""
	}
	if !hasGroupKind {
		groupKind = desiredGroupKind
	}
	if !hasName {
		name = ref.Name
	}
	current, desired := schema.ParseGroupKind(groupKind), ref.GroupKind()
	currentKind, desiredKind := current.Kind, desired.Kind
	if current.Group != desired.Group {
		currentKind, desiredKind = current.String(), desired.String()
	}
	return fmt.Sprintf("InfraMachine template %s %s, %s %s required", currentKind, name, desiredKind, ref.Name)
}
