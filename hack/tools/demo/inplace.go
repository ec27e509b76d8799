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

package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

// upgradeInPlace upgrades the sample cluster's control plane to version in place and shows the steps: the same
// Machines (names and UIDs) before and after, and the control plane's RollingOut message whenever it changes.
func upgradeInPlace(ctx context.Context, c client.Client, version string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	before, err := controlPlaneMachineUIDs(ctx, c)
	if err != nil {
		return err
	}
	fmt.Printf("\nUpgrading the control plane to %s in place (spec.rollout.strategy.type: InPlace)\n", version)
	printMachines("before", before)
	kcp := &controlplanev1.KThreesControlPlane{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: clusterName + "-control-plane"}, kcp); err != nil {
		return err
	}
	kcp.Spec.Rollout.Strategy.Type = controlplanev1.InPlaceStrategyType
	kcp.Spec.Version = version
	if err := c.Update(ctx, kcp); err != nil {
		return err
	}

	last := ""
	seen := map[string]bool{}
	for {
		if err := c.Get(ctx, client.ObjectKeyFromObject(kcp), kcp); err != nil {
			return err
		}
		now, err := controlPlaneMachineUIDs(ctx, c)
		if err != nil {
			return err
		}
		for name := range now {
			seen[name] = true
		}
		if rollingOut := conditions.Get(kcp, controlplanev1.KThreesControlPlaneRollingOutCondition); rollingOut != nil && rollingOut.Message != last {
			last = rollingOut.Message
			if last != "" {
				fmt.Printf("  [%s] %s\n", time.Now().Format("15:04:05"), last)
			}
		}
		if slices.Equal(kcp.Status.Versions, []clusterv1.StatusVersion{{Version: version, Replicas: *kcp.Spec.Replicas}}) &&
			conditions.IsFalse(kcp, controlplanev1.KThreesControlPlaneRollingOutCondition) {
			printMachines("after", now)
			created := 0
			for name := range seen {
				if _, ok := before[name]; !ok {
					created++
				}
			}
			fmt.Printf("Control-plane Machines created during the upgrade: %d, replaced: %d\n", created, countChanged(before, now))
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("in-place upgrade to %s not done: %w", version, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// controlPlaneMachineUIDs maps the sample cluster's control-plane Machines to their UIDs and versions.
func controlPlaneMachineUIDs(ctx context.Context, c client.Client) (map[string]string, error) {
	machines := &clusterv1.MachineList{}
	if err := c.List(ctx, machines, client.InNamespace(namespace), client.MatchingLabels{
		clusterv1.ClusterNameLabel: clusterName, clusterv1.MachineControlPlaneLabel: "",
	}); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, m := range machines.Items {
		out[m.Name] = fmt.Sprintf("uid %s, %s", m.UID, m.Spec.Version)
	}
	return out, nil
}

func printMachines(when string, machines map[string]string) {
	names := make([]string, 0, len(machines))
	for name := range machines {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Printf("  %s: Machine %s %s\n", when, name, machines[name])
	}
}

// countChanged counts the Machines of before that are gone or have another UID.
func countChanged(before, after map[string]string) int {
	changed := 0
	for name, b := range before {
		a, ok := after[name]
		if !ok || uidOf(a) != uidOf(b) {
			changed++
		}
	}
	return changed
}

func uidOf(s string) string {
	uid, _, _ := strings.Cut(s, ",")
	return uid
}
