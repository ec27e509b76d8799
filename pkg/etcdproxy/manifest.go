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

package etcdproxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	sigsyaml "sigs.k8s.io/yaml"
)

const (
	// ManifestPath is where the manifest is written on servers; K3s applies every manifest in this directory.
	ManifestPath = "/var/lib/rancher/k3s/server/manifests/etcd-proxy.yaml"

	// Name is the name of the DaemonSet and of its container.
	Name = "etcd-proxy"

	// Namespace is the namespace of the DaemonSet.
	Namespace = metav1.NamespaceSystem

	// Port is the port the proxy listens on in the pod and dials on the host.
	Port = 2379

	// hostIPEnv is the environment variable holding the IP of the pod's node.
	hostIPEnv = "HOSTIP"

	// terminationGracePeriodSeconds is the pod's termination grace period.
	terminationGracePeriodSeconds = 30

	// yamlIndent is the indentation of the manifest.
	yamlIndent = 2
)

// Labels are the labels of the DaemonSet and of its pods, and its selector.
func Labels() map[string]string {
	return map[string]string{"app": Name}
}

// proxyScript listens on Port, dual-stack when the kernel has IPv6 (else IPv4 only, as upstream did), and
// forwards every connection to Port on the node's IP, in brackets when it is an IPv6 address. It only uses
// $HOSTIP, which the kubelet does not expand (it expands only the $(VAR) form).
var proxyScript = fmt.Sprintf(`if [ -e /proc/net/if_inet6 ]; then listen=TCP6-LISTEN:%[1]d,fork,reuseaddr,ipv6only=0; else listen=TCP4-LISTEN:%[1]d,fork,reuseaddr; fi
case "$%[2]s" in *:*) target="TCP6:[$%[2]s]:%[1]d" ;; *) target="TCP4:$%[2]s:%[1]d" ;; esac
exec socat "$listen" "$target"
`, Port, hostIPEnv)

// DaemonSet returns the proxy DaemonSet running image.
func DaemonSet(image string) *appsv1.DaemonSet {
	memory := resource.MustParse("200Mi")
	return &appsv1.DaemonSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: appsv1.SchemeGroupVersion.String(), Kind: "DaemonSet"},
		ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: Namespace, Labels: Labels()},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: Labels()},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: Labels()},
				Spec: corev1.PodSpec{
					NodeSelector: map[string]string{"node-role.kubernetes.io/etcd": "true"},
					Tolerations: []corev1.Toleration{
						{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists,
							Effect: corev1.TaintEffectNoSchedule},
						{Key: "node-role.kubernetes.io/master", Operator: corev1.TolerationOpExists,
							Effect: corev1.TaintEffectNoSchedule},
					},
					TerminationGracePeriodSeconds: ptr.To[int64](terminationGracePeriodSeconds),
					Containers: []corev1.Container{{
						Name:    Name,
						Image:   image,
						Command: []string{"/bin/sh", "-c"},
						Args:    []string{proxyScript},
						Env: []corev1.EnvVar{{
							Name: hostIPEnv,
							ValueFrom: &corev1.EnvVarSource{
								FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "status.hostIP"},
							},
						}},
						Ports: []corev1.ContainerPort{{Name: "etcd", ContainerPort: Port, Protocol: corev1.ProtocolTCP}},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{
								corev1.ResourceCPU:    resource.MustParse("100m"),
								corev1.ResourceMemory: memory,
							},
							Limits: corev1.ResourceList{corev1.ResourceMemory: memory},
						},
						VolumeMounts: []corev1.VolumeMount{{Name: "varlog", MountPath: "/var/log"}},
					}},
					Volumes: []corev1.Volume{{
						Name:         "varlog",
						VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}},
					}},
				},
			},
		},
	}
}

// Manifest returns the YAML manifest of the proxy DaemonSet running image, keys in alphabetical order. The
// image is written by a YAML encoder (quoted, with escapes, when needed), so it reads back exactly as given
// whatever characters it holds. It returns an error when image is
// empty or not valid UTF-8.
func Manifest(image string) (string, error) {
	if image == "" {
		return "", errors.New("etcd proxy image must not be empty")
	}
	if !utf8.ValidString(image) {
		return "", errors.New("etcd proxy image must be valid UTF-8 text")
	}
	raw, err := json.Marshal(DaemonSet(image))
	if err != nil {
		return "", fmt.Errorf("encoding the etcd proxy DaemonSet: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return "", fmt.Errorf("re-reading the etcd proxy DaemonSet: %w", err)
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(yamlIndent)
	if err := enc.Encode(prune(obj)); err != nil {
		return "", fmt.Errorf("encoding the etcd proxy manifest: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("encoding the etcd proxy manifest: %w", err)
	}
	if err := verify(out.Bytes(), image); err != nil {
		return "", fmt.Errorf("the etcd proxy manifest does not parse back: %w", err)
	}
	return out.String(), nil
}

// tabBlock is a multi-line string starting with a tab. The encoder would write it as a literal block whose
// indentation parsers cannot determine, so it is written double-quoted instead.
type tabBlock string

// MarshalYAML writes the string double-quoted.
func (s tabBlock) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: string(s)}, nil
}

// verify parses manifest as K3s does and checks that it is the proxy DaemonSet running image.
func verify(manifest []byte, image string) error {
	var ds appsv1.DaemonSet
	if err := sigsyaml.UnmarshalStrict(manifest, &ds); err != nil {
		return err
	}
	if len(ds.Spec.Template.Spec.Containers) != 1 || ds.Spec.Template.Spec.Containers[0].Image != image {
		return fmt.Errorf("the image does not read back as %q", image)
	}
	return nil
}

// prune drops what a manifest should not carry: status, and the null creation timestamps and empty objects
// that encoding a typed object produces.
func prune(obj map[string]any) map[string]any {
	delete(obj, "status")
	pruned, _ := pruneEmpty(obj).(map[string]any)
	return pruned
}

// pruneEmpty removes, recursively, object members that are null or empty objects, turns JSON numbers back
// into Go numbers, and marks the strings that must be double-quoted.
func pruneEmpty(v any) any {
	switch t := v.(type) {
	case string:
		if strings.HasPrefix(t, "\t") && strings.Contains(t, "\n") {
			return tabBlock(t)
		}
		return t
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		if f, err := t.Float64(); err == nil {
			return f
		}
		return t.String()
	case map[string]any:
		for k, child := range t {
			child = pruneEmpty(child)
			if m, ok := child.(map[string]any); child == nil || (ok && len(m) == 0) {
				delete(t, k)
				continue
			}
			t[k] = child
		}
		return t
	case []any:
		for i := range t {
			t[i] = pruneEmpty(t[i])
		}
		return t
	default:
		return v
	}
}
