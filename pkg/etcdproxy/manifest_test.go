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
	"flag"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// parseManifest parses a manifest as K3s's deploy controller does (YAML into the typed object).
func parseManifest(g Gomega, manifest string) *appsv1.DaemonSet {
	ds := &appsv1.DaemonSet{}
	g.Expect(yaml.UnmarshalStrict([]byte(manifest), ds)).To(Succeed())
	return ds
}

func TestManifest_golden(t *testing.T) {
	g := NewWithT(t)
	got, err := Manifest(DefaultImage)
	g.Expect(err).NotTo(HaveOccurred())
	golden := filepath.Join("testdata", "etcd-proxy.golden")
	if *update {
		g.Expect(os.WriteFile(golden, []byte(got), 0o600)).To(Succeed())
	}
	want, err := os.ReadFile(golden)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal(string(want)), "run go test ./pkg/etcdproxy -update to accept the change")
}

func TestManifest(t *testing.T) {
	g := NewWithT(t)
	got, err := Manifest(DefaultImage)
	g.Expect(err).NotTo(HaveOccurred())
	ds := parseManifest(g, got)

	// What existing clusters and the control plane provider rely on.
	g.Expect(ds.APIVersion).To(Equal("apps/v1"))
	g.Expect(ds.Kind).To(Equal("DaemonSet"))
	g.Expect(ds.Name).To(Equal("etcd-proxy"))
	g.Expect(ds.Namespace).To(Equal("kube-system"))
	g.Expect(ds.Labels).To(Equal(map[string]string{"app": "etcd-proxy"}))
	g.Expect(ds.Spec.Selector.MatchLabels).To(Equal(map[string]string{"app": "etcd-proxy"}))
	g.Expect(ds.Spec.Template.Labels).To(Equal(map[string]string{"app": "etcd-proxy"}))
	pod := ds.Spec.Template.Spec
	g.Expect(pod.NodeSelector).To(Equal(map[string]string{"node-role.kubernetes.io/etcd": "true"}))
	g.Expect(pod.Tolerations).To(ConsistOf(
		corev1.Toleration{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists,
			Effect: corev1.TaintEffectNoSchedule},
		corev1.Toleration{Key: "node-role.kubernetes.io/master", Operator: corev1.TolerationOpExists,
			Effect: corev1.TaintEffectNoSchedule},
	))
	g.Expect(pod.TerminationGracePeriodSeconds).To(HaveValue(BeEquivalentTo(30)))
	g.Expect(pod.Containers).To(HaveLen(1))
	c := pod.Containers[0]
	g.Expect(c.Name).To(Equal("etcd-proxy"))
	g.Expect(c.Image).To(Equal(DefaultImage))
	g.Expect(c.Env).To(ConsistOf(corev1.EnvVar{Name: "HOSTIP", ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "status.hostIP"}}}))
	g.Expect(c.Ports).To(ConsistOf(HaveField("ContainerPort", BeEquivalentTo(2379))))
	g.Expect(c.Resources.Requests.Cpu().String()).To(Equal("100m"))
	g.Expect(c.Resources.Requests.Memory().String()).To(Equal("200Mi"))
	g.Expect(c.Resources.Limits.Memory().String()).To(Equal("200Mi"))
	g.Expect(c.VolumeMounts).To(ConsistOf(corev1.VolumeMount{Name: "varlog", MountPath: "/var/log"}))
	g.Expect(pod.Volumes).To(ConsistOf(HaveField("VolumeSource.HostPath.Path", "/var/log")))

	// The proxy listens dual-stack (IPv4 only without IPv6) and dials the host IP in its own family.
	g.Expect(c.Command).To(Equal([]string{"/bin/sh", "-c"}))
	g.Expect(c.Args).To(HaveLen(1))
	g.Expect(c.Args[0]).To(And(
		ContainSubstring("TCP6-LISTEN:2379,fork,reuseaddr,ipv6only=0"),
		ContainSubstring("TCP4-LISTEN:2379,fork,reuseaddr"),
		ContainSubstring(`target="TCP6:[$HOSTIP]:2379"`),
		ContainSubstring(`target="TCP4:$HOSTIP:2379"`),
		Not(ContainSubstring("$(")), // the kubelet would expand $(VAR) references
	))
	g.Expect(got).NotTo(MatchRegexp(`(?m)^status:`))
	g.Expect(got).NotTo(ContainSubstring("creationTimestamp"))
}

func TestManifest_imageIsWrittenVerbatim(t *testing.T) {
	for _, image := range []string{
		"registry.example.com:5000/socat:1.8.0.0+a&b=c",
		"a+b&c",
		`it's "quoted" <html> & {{ jinja }} $(HOSTIP) # not a comment`,
		" leading space",
		"yes",
		"0640",
		"héllo/wörld:ü",
	} {
		t.Run(image, func(t *testing.T) {
			g := NewWithT(t)
			got, err := Manifest(image)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(parseManifest(g, got).Spec.Template.Spec.Containers[0].Image).To(Equal(image))
		})
	}
}

func TestManifest_errors(t *testing.T) {
	g := NewWithT(t)
	_, err := Manifest("")
	g.Expect(err).To(MatchError(ContainSubstring("must not be empty")))
	_, err = Manifest("\xff")
	g.Expect(err).To(MatchError(ContainSubstring("UTF-8")))
}
