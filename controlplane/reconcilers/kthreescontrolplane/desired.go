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
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"text/template"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/validation"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/labels/format"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// machineNameRandomLength is the length of the random part of generated Machine names.
const machineNameRandomLength = 5

// newMachineName generates the name of a new control-plane Machine (also used for its KThreesConfig and
// InfraMachine) from spec.machineNaming.template, or <kcp name>-<random> without a template. The webhook validates
// the template; it is checked again here because stored objects may predate the webhook.
func newMachineName(kcp *controlplanev1.KThreesControlPlane, cluster *clusterv1.Cluster) (string, error) {
	random := utilrand.String(machineNameRandomLength)
	tpl := kcp.Spec.MachineNaming.Template
	if tpl == "" {
		return kcp.Name + "-" + random, nil
	}
	t, err := template.New("machineNaming").Option("missingkey=error").Parse(tpl)
	if err != nil {
		return "", fmt.Errorf("invalid spec.machineNaming.template: %w", err)
	}
	data := map[string]any{
		"cluster":             map[string]any{"name": cluster.Name},
		"kthreesControlPlane": map[string]any{"name": kcp.Name},
		"random":              random,
	}
	var name strings.Builder
	if err := t.Execute(&name, data); err != nil {
		return "", fmt.Errorf("failed to execute spec.machineNaming.template: %w", err)
	}
	if msgs := validation.IsDNS1123Subdomain(name.String()); len(msgs) > 0 {
		return "", fmt.Errorf("spec.machineNaming.template generated the invalid Machine name %q: %s", name.String(), strings.Join(msgs, "; "))
	}
	return name.String(), nil
}

// desiredMachineLabels are the labels of the control-plane Machines, KThreesConfigs and InfraMachines:
// machineTemplate.metadata.labels plus the labels CAPI selects control-plane Machines by.
func desiredMachineLabels(kcp *controlplanev1.KThreesControlPlane, clusterName string) map[string]string {
	labels := make(map[string]string, len(kcp.Spec.MachineTemplate.ObjectMeta.Labels)+3)
	maps.Copy(labels, kcp.Spec.MachineTemplate.ObjectMeta.Labels)
	labels[clusterv1.ClusterNameLabel] = clusterName
	labels[clusterv1.MachineControlPlaneLabel] = ""
	labels[clusterv1.MachineControlPlaneNameLabel] = format.MustFormatValue(kcp.Name)
	return labels
}

// desiredTemplateAnnotations are machineTemplate.metadata.annotations, the annotations propagated to
// KThreesConfigs and InfraMachines.
func desiredTemplateAnnotations(kcp *controlplanev1.KThreesControlPlane) map[string]string {
	annotations := make(map[string]string, len(kcp.Spec.MachineTemplate.ObjectMeta.Annotations))
	maps.Copy(annotations, kcp.Spec.MachineTemplate.ObjectMeta.Annotations)
	return annotations
}

// desiredReadinessGates are machineTemplate.spec.readinessGates plus the Machine conditions this controller
// maintains, without duplicates (the first occurrence of a condition type wins).
func desiredReadinessGates(kcp *controlplanev1.KThreesControlPlane) []clusterv1.MachineReadinessGate {
	own := []clusterv1.MachineReadinessGate{
		{ConditionType: controlplanev1.KThreesControlPlaneMachineAgentHealthyCondition},
		{ConditionType: controlplanev1.KThreesControlPlaneMachineEtcdMemberHealthyCondition},
	}
	gates := make([]clusterv1.MachineReadinessGate, 0, len(kcp.Spec.MachineTemplate.Spec.ReadinessGates)+len(own))
	seen := map[string]bool{}
	for _, g := range append(append([]clusterv1.MachineReadinessGate{}, kcp.Spec.MachineTemplate.Spec.ReadinessGates...), own...) {
		if seen[g.ConditionType] {
			continue
		}
		seen[g.ConditionType] = true
		gates = append(gates, g)
	}
	return gates
}

// kcpOwnerReference is the non-controller owner reference of KThreesConfigs and InfraMachines to the control
// plane; CAPI's Machine controller makes the Machine their controller.
func kcpOwnerReference(kcp *controlplanev1.KThreesControlPlane) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion: controlplanev1.GroupVersion.String(),
		Kind:       "KThreesControlPlane",
		Name:       kcp.Name,
		UID:        kcp.UID,
	}
}

// desiredNewMachine is a new control-plane Machine named name in failureDomain ("" for none), with its
// InfraMachine and KThreesConfig references.
func desiredNewMachine(kcp *controlplanev1.KThreesControlPlane, cluster *clusterv1.Cluster, name, failureDomain string,
	infraRef clusterv1.ContractVersionedObjectReference) (*clusterv1.Machine, error) {
	serverConfig, err := json.Marshal(kcp.Spec.KThreesConfigSpec.ServerConfig)
	if err != nil {
		return nil, fmt.Errorf("failed to marshal the server configuration: %w", err)
	}
	annotations := map[string]string{controlplanev1.KThreesServerConfigurationAnnotation: string(serverConfig)}
	if remediation, ok := kcp.Annotations[controlplanev1.RemediationInProgressAnnotation]; ok {
		annotations[controlplanev1.RemediationForAnnotation] = remediation
	}
	m := desiredMachineBase(kcp, cluster, annotations)
	m.Name = name
	m.Spec.Version = kcp.Spec.Version
	m.Spec.FailureDomain = failureDomain
	m.Spec.InfrastructureRef = infraRef
	m.Spec.Bootstrap.ConfigRef = clusterv1.ContractVersionedObjectReference{
		APIGroup: bootstrapv1.GroupVersion.Group,
		Kind:     "KThreesConfig",
		Name:     name,
	}
	return m, nil
}

// desiredUpdatedMachine is existing with the fields propagated in place (labels, annotations, deletion timeouts,
// readiness gates) recomputed from the control plane. Everything that identifies what runs on the Machine (name,
// uid, version, failure domain, references) and the annotations recording its creation
// (kthrees-server-configuration, remediation-for) keep their existing values.
func desiredUpdatedMachine(kcp *controlplanev1.KThreesControlPlane, cluster *clusterv1.Cluster, existing *clusterv1.Machine) *clusterv1.Machine {
	annotations := map[string]string{}
	for _, key := range []string{controlplanev1.KThreesServerConfigurationAnnotation, controlplanev1.RemediationForAnnotation} {
		if value, ok := existing.Annotations[key]; ok {
			annotations[key] = value
		}
	}
	m := desiredMachineBase(kcp, cluster, annotations)
	m.Name = existing.Name
	m.UID = existing.UID
	m.Spec.Version = existing.Spec.Version
	m.Spec.FailureDomain = existing.Spec.FailureDomain
	m.Spec.InfrastructureRef = existing.Spec.InfrastructureRef
	m.Spec.Bootstrap.ConfigRef = existing.Spec.Bootstrap.ConfigRef
	return m
}

// desiredMachineBase holds what new and existing Machines share; extraAnnotations win over the template's.
func desiredMachineBase(kcp *controlplanev1.KThreesControlPlane, cluster *clusterv1.Cluster, extraAnnotations map[string]string) *clusterv1.Machine {
	annotations := desiredTemplateAnnotations(kcp)
	maps.Copy(annotations, extraAnnotations)
	// K3s always runs embedded etcd: every Machine's deletion waits for its etcd member to be removed.
	annotations[controlplanev1.EtcdRemovalHookAnnotation] = controlplanev1.EtcdRemovalHookValue

	deletion := kcp.Spec.MachineTemplate.Spec.Deletion
	return &clusterv1.Machine{
		TypeMeta: metav1.TypeMeta{APIVersion: clusterv1.GroupVersion.String(), Kind: "Machine"},
		ObjectMeta: metav1.ObjectMeta{
			Namespace:       kcp.Namespace,
			Labels:          desiredMachineLabels(kcp, cluster.Name),
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(kcp, controlplanev1.GroupVersion.WithKind("KThreesControlPlane"))},
		},
		Spec: clusterv1.MachineSpec{
			ClusterName:    cluster.Name,
			ReadinessGates: desiredReadinessGates(kcp),
			Deletion: clusterv1.MachineDeletionSpec{
				NodeDrainTimeoutSeconds:        copyInt32(deletion.NodeDrainTimeoutSeconds),
				NodeVolumeDetachTimeoutSeconds: copyInt32(deletion.NodeVolumeDetachTimeoutSeconds),
				NodeDeletionTimeoutSeconds:     copyInt32(deletion.NodeDeletionTimeoutSeconds),
			},
		},
	}
}

// desiredKThreesConfig is the KThreesConfig of a new Machine named name: a copy of spec.kthreesConfigSpec. An empty
// version is the Machine's (spec.version), which the bootstrap controller would otherwise write in a patch of its
// own; the rollout decision ignores the version of KThreesConfigs.
func desiredKThreesConfig(kcp *controlplanev1.KThreesControlPlane, cluster *clusterv1.Cluster, name string) *bootstrapv1.KThreesConfig {
	spec := kcp.Spec.KThreesConfigSpec.DeepCopy()
	if spec.Version == "" {
		spec.Version = kcp.Spec.Version
	}
	return &bootstrapv1.KThreesConfig{
		TypeMeta: metav1.TypeMeta{APIVersion: bootstrapv1.GroupVersion.String(), Kind: "KThreesConfig"},
		ObjectMeta: metav1.ObjectMeta{
			Name:            name,
			Namespace:       kcp.Namespace,
			Labels:          desiredMachineLabels(kcp, cluster.Name),
			Annotations:     desiredTemplateAnnotations(kcp),
			OwnerReferences: []metav1.OwnerReference{kcpOwnerReference(kcp)},
		},
		Spec: *spec,
	}
}

// copyInt32 copies an optional int32 so that desired objects do not alias the control plane's spec.
func copyInt32(v *int32) *int32 {
	if v == nil {
		return nil
	}
	c := *v
	return &c
}
