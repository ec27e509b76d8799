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

package simplane

import (
	"context"
	"fmt"
	"io"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cluster-api/cmd/clusterctl/client/tree"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Describe writes a clusterctl-describe-like tree of the cluster: each object with its Ready (or Available)
// condition, and the condition's message when it is not True.
func Describe(ctx context.Context, c client.Client, namespace, name string, w io.Writer) error {
	objectTree, err := tree.Discovery(ctx, c, namespace, name, tree.DiscoverOptions{Echo: true})
	if err != nil {
		return fmt.Errorf("failed to discover cluster %s/%s: %w", namespace, name, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-60s %-7s %-28s %s\n", "NAME", "READY", "REASON", "MESSAGE")
	describeNode(&b, objectTree, objectTree.GetRoot(), "", "")
	_, err = io.WriteString(w, b.String())
	return err
}

// describeNode writes obj and, indented, its children.
func describeNode(w *strings.Builder, objectTree *tree.ObjectTree, obj client.Object, prefix, childPrefix string) {
	name := prefix + objectLabel(obj)
	status, reason, message := "", "", ""
	if cond := conditionOf(obj); cond != nil {
		status, reason = string(cond.Status), cond.Reason
		if cond.Status != metav1.ConditionTrue {
			message = firstLine(cond.Message)
		}
	}
	fmt.Fprintf(w, "%-60s %-7s %-28s %s\n", name, status, reason, message)
	children := objectTree.GetObjectsByParent(obj.GetUID())
	for i, child := range children {
		branch, next := "├─", "│ "
		if i == len(children)-1 {
			branch, next = "└─", "  "
		}
		describeNode(w, objectTree, child, childPrefix+branch, childPrefix+next)
	}
}

// objectLabel is Kind/name, or the group's name for objects the tree groups.
func objectLabel(obj client.Object) string {
	if tree.IsVirtualObject(obj) {
		// Grouping nodes such as "Workers".
		return obj.GetName()
	}
	if tree.IsGroupObject(obj) {
		return fmt.Sprintf("%s (%s)", tree.GetMetaName(obj), tree.GetGroupItems(obj))
	}
	label := obj.GetObjectKind().GroupVersionKind().Kind + "/" + obj.GetName()
	if meta := tree.GetMetaName(obj); meta != "" {
		label = meta + " - " + label
	}
	return label
}

// conditionOf returns the condition that says whether obj is fine: Ready, else Available.
func conditionOf(obj client.Object) *metav1.Condition {
	if c := tree.GetReadyCondition(obj); c != nil {
		return c
	}
	return tree.GetAvailableCondition(obj)
}

// firstLine returns the first line of a possibly multi-line condition message.
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
