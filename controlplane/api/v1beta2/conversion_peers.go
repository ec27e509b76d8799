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

package v1beta2

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apimachineryconversion "k8s.io/apimachinery/pkg/conversion"
	clusterv1beta1 "sigs.k8s.io/cluster-api/api/core/v1beta1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	bootstrapv1beta2 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta2"
	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

// Local wrappers of conversion functions that live in other packages: conversion-gen only uses conversion
// functions of the package it generates for.

// Convert_v1beta1_Condition_To_v1_Condition converts a CAPI v1beta1 condition to a metav1 condition.
func Convert_v1beta1_Condition_To_v1_Condition(in *clusterv1beta1.Condition, out *metav1.Condition, s apimachineryconversion.Scope) error {
	return clusterv1beta1.Convert_v1beta1_Condition_To_v1_Condition(in, out, s)
}

// Convert_v1_Condition_To_v1beta1_Condition converts a metav1 condition to a CAPI v1beta1 condition.
func Convert_v1_Condition_To_v1beta1_Condition(in *metav1.Condition, out *clusterv1beta1.Condition, s apimachineryconversion.Scope) error {
	return clusterv1beta1.Convert_v1_Condition_To_v1beta1_Condition(in, out, s)
}

// Convert_v1beta2_KThreesConfigSpec_To_v1beta3_KThreesConfigSpec delegates to the bootstrap API conversion.
func Convert_v1beta2_KThreesConfigSpec_To_v1beta3_KThreesConfigSpec(in *bootstrapv1beta2.KThreesConfigSpec, out *bootstrapv1.KThreesConfigSpec, s apimachineryconversion.Scope) error {
	return bootstrapv1beta2.Convert_v1beta2_KThreesConfigSpec_To_v1beta3_KThreesConfigSpec(in, out, s)
}

// Convert_v1beta3_KThreesConfigSpec_To_v1beta2_KThreesConfigSpec delegates to the bootstrap API conversion.
func Convert_v1beta3_KThreesConfigSpec_To_v1beta2_KThreesConfigSpec(in *bootstrapv1.KThreesConfigSpec, out *bootstrapv1beta2.KThreesConfigSpec, s apimachineryconversion.Scope) error {
	return bootstrapv1beta2.Convert_v1beta3_KThreesConfigSpec_To_v1beta2_KThreesConfigSpec(in, out, s)
}

// Convert_v1beta1_ObjectMeta_To_v1beta2_ObjectMeta converts CAPI's v1beta1 object metadata to its v1beta2 form.
func Convert_v1beta1_ObjectMeta_To_v1beta2_ObjectMeta(in *clusterv1beta1.ObjectMeta, out *clusterv1.ObjectMeta, s apimachineryconversion.Scope) error {
	return clusterv1beta1.Convert_v1beta1_ObjectMeta_To_v1beta2_ObjectMeta(in, out, s)
}

// Convert_v1beta2_ObjectMeta_To_v1beta1_ObjectMeta converts CAPI's v1beta2 object metadata to its v1beta1 form.
func Convert_v1beta2_ObjectMeta_To_v1beta1_ObjectMeta(in *clusterv1.ObjectMeta, out *clusterv1beta1.ObjectMeta, s apimachineryconversion.Scope) error {
	return clusterv1beta1.Convert_v1beta2_ObjectMeta_To_v1beta1_ObjectMeta(in, out, s)
}
