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

package k3supgrade

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
)

func TestRotateCertificatesPod(t *testing.T) {
	g := NewWithT(t)
	pod := RotateCertificatesPod("server-0", "v1.34.5+k3s1", "registry.local/rancher/k3s-upgrade")
	upgrade := Pod("server-0", "v1.34.5+k3s1", "registry.local/rancher/k3s-upgrade")

	g.Expect(pod.Name).To(Equal(upgrade.Name), "one upgrade Pod per node, whatever it does")
	g.Expect(pod.Labels).To(Equal(upgrade.Labels))
	g.Expect(pod.Annotations).To(HaveKeyWithValue(controlplanev1.UpgradePodVersionAnnotation, "v1.34.5+k3s1"))
	g.Expect(Action(pod)).To(Equal(controlplanev1.UpgradePodActionRotateCertificates))
	g.Expect(Action(upgrade)).To(BeEmpty())
	ctr := pod.Spec.Containers[0]
	g.Expect(ctr.Image).To(Equal("registry.local/rancher/k3s-upgrade:v1.34.5-k3s1"), "the node's version: the image is there once it was upgraded to it")
	g.Expect(ctr.Command).To(Equal([]string{"/bin/sh", "-c", rotateCertificatesScript}))
	g.Expect(ctr.Args).To(BeEmpty())
	g.Expect(pod.Spec.HostPID).To(BeTrue())
	g.Expect(*ctr.SecurityContext.Privileged).To(BeTrue())
	g.Expect(ctr.VolumeMounts[0].MountPath).To(Equal("/host"))
	g.Expect(pod.Spec.Volumes[0].HostPath.Path).To(Equal("/"))
}

// TestRotateCertificatesScript runs the script with stubs of the tools it calls on the node: it must find the
// K3s server among the processes, rotate with the binary that process runs (inside the host's root), and then
// kill that process, in this order.
func TestRotateCertificatesScript(t *testing.T) {
	if _, err := exec.LookPath("awk"); err != nil {
		t.Skip("awk is not installed")
	}
	for _, tc := range []struct {
		name    string
		ps      string
		exe     string
		wantLog string
		wantErr string
	}{
		{
			name:    "K3s server",
			ps:      "  PID COMMAND\n    1 /sbin/init\n  812 /usr/local/bin/k3s server\n  901 containerd-shim-runc-v2 -namespace k8s.io\n",
			exe:     "/usr/local/bin/k3s",
			wantLog: "readlink /proc/812/exe\nchroot /host /usr/local/bin/k3s certificate rotate\nkill -TERM 812\n",
		},
		{
			name:    "binary replaced since K3s started, another bin dir",
			ps:      "  PID COMMAND\n   77 k3s server\n",
			exe:     "/opt/bin/k3s (deleted)",
			wantLog: "readlink /proc/77/exe\nchroot /host /opt/bin/k3s certificate rotate\nkill -TERM 77\n",
		},
		{
			name:    "K3s not running",
			ps:      "  PID COMMAND\n    1 /sbin/init\n  300 /usr/bin/k3s-helper server\n",
			wantErr: "K3s is not running on this node",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			dir := t.TempDir()
			log := filepath.Join(dir, "log")
			stub := func(name, body string) {
				g.Expect(os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755)).To(Succeed())
			}
			stub("ps", "cat <<'PS'\n"+tc.ps+"PS")
			stub("readlink", `echo "readlink $*" >> `+log+"\necho '"+tc.exe+"'")
			stub("chroot", `echo "chroot $*" >> `+log)
			stub("kill", `echo "kill $*" >> `+log)
			// The script calls kill as a command: a shell builtin would win, so run it where the stub is found
			// first by making "kill" a function that calls the stub.
			script := "kill() { \"" + filepath.Join(dir, "kill") + "\" \"$@\"; }\n" + rotateCertificatesScript
			cmd := exec.CommandContext(t.Context(), "/bin/sh", "-c", script)
			cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			if tc.wantErr != "" {
				g.Expect(err).To(HaveOccurred())
				g.Expect(string(out)).To(ContainSubstring(tc.wantErr))
				_, statErr := os.Stat(log)
				g.Expect(os.IsNotExist(statErr)).To(BeTrue(), "nothing rotated or killed")
				return
			}
			g.Expect(err).ToNot(HaveOccurred(), string(out))
			got, err := os.ReadFile(log)
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(string(got)).To(Equal(tc.wantLog))
		})
	}
}
