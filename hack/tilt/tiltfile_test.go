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

package tilt

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	starlarkjson "go.starlark.net/lib/json"
	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// repoRoot is the repository root, relative to this package (go test runs in the package directory).
const repoRoot = "../.."

// tiltDialect are the Starlark options Tilt enables for Tiltfiles: set(), top-level if/for, reassigned globals and
// recursion/while.
var tiltDialect = &syntax.FileOptions{Set: true, While: true, TopLevelControl: true, GlobalReassign: true, Recursion: true}

// tiltBuiltins are the Tilt API names the Tiltfile may use (https://docs.tilt.dev/api.html). Resolving against this
// list catches misspelt builtins and undefined names before anyone runs `tilt up`; add a name when the Tiltfile
// starts using another Tilt builtin.
var tiltBuiltins = []string{
	"allow_k8s_contexts", "config", "decode_yaml_stream", "default_registry", "docker_build", "encode_yaml",
	"encode_yaml_stream", "k8s_resource", "k8s_yaml", "listdir", "local", "local_resource", "os", "port_forward",
	"read_file", "read_yaml", "run", "shlex", "sync", "trigger_mode", "TRIGGER_MODE_MANUAL", "version_settings",
	"watch_file",
}

func repoPath(p ...string) string {
	return filepath.Join(append([]string{repoRoot}, p...)...)
}

// parse parses and resolves a Starlark file of the Tilt setup with Tilt's dialect.
func parse(t *testing.T, path string, predeclared []string) *syntax.File {
	t.Helper()
	g := NewWithT(t)
	f, err := tiltDialect.Parse(path, nil, 0)
	g.Expect(err).ToNot(HaveOccurred(), "syntax error in %s", path)
	err = resolve.File(f, func(name string) bool { return slices.Contains(predeclared, name) }, starlark.Universe.Has)
	g.Expect(err).ToNot(HaveOccurred(), "undefined names in %s", path)
	return f
}

// helpers executes hack/tilt/manifests.star and returns its globals.
func helpers(t *testing.T) starlark.StringDict {
	t.Helper()
	globals, err := starlark.ExecFileOptions(tiltDialect, &starlark.Thread{Name: t.Name()}, repoPath("hack", "tilt", "manifests.star"), nil, nil)
	NewWithT(t).Expect(err).ToNot(HaveOccurred())
	return globals
}

// call calls a helper with Go values converted through JSON, and converts its result back into out (when not nil).
func call(t *testing.T, globals starlark.StringDict, fn string, out any, args ...any) error {
	t.Helper()
	g := NewWithT(t)
	thread := &starlark.Thread{Name: t.Name()}
	var sargs starlark.Tuple
	for _, a := range args {
		data, err := json.Marshal(a)
		g.Expect(err).ToNot(HaveOccurred())
		v, err := starlark.Call(thread, starlarkjson.Module.Members["decode"], starlark.Tuple{starlark.String(data)}, nil)
		g.Expect(err).ToNot(HaveOccurred())
		sargs = append(sargs, v)
	}
	g.Expect(globals).To(HaveKey(fn))
	res, err := starlark.Call(thread, globals[fn], sargs, nil)
	if err != nil || out == nil {
		return err
	}
	encoded, err := starlark.Call(thread, starlarkjson.Module.Members["encode"], starlark.Tuple{res}, nil)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(json.Unmarshal([]byte(encoded.(starlark.String).GoString()), out)).To(Succeed())
	return nil
}

func TestTiltfile_ParsesAndResolves(t *testing.T) {
	g := NewWithT(t)
	parse(t, repoPath("hack", "tilt", "manifests.star"), nil)
	tiltfile := parse(t, repoPath("Tiltfile"), tiltBuiltins)

	// Every symbol the Tiltfile loads from the helpers exists there.
	globals := helpers(t)
	loads := 0
	for _, stmt := range tiltfile.Stmts {
		load, ok := stmt.(*syntax.LoadStmt)
		if !ok {
			continue
		}
		loads++
		g.Expect(load.ModuleName()).To(Equal("./hack/tilt/manifests.star"))
		for _, from := range load.From {
			g.Expect(globals).To(HaveKey(from.Name), "the Tiltfile loads %s", from.Name)
		}
	}
	g.Expect(loads).To(Equal(1))
}

func Test_envsubst(t *testing.T) {
	globals := helpers(t)
	tests := []struct {
		name    string
		text    string
		values  map[string]string
		want    string
		wantErr string
	}{
		{name: "no variables", text: "a: b\n", want: "a: b\n"},
		{name: "value", text: "a: ${X}, ${Y}", values: map[string]string{"X": "1", "Y": "2"}, want: "a: 1, 2"},
		{name: ":= default when unset", text: "--addr=${ADDR:=:8443}", want: "--addr=:8443"},
		{name: ":= default when empty", text: "${X:=d}", values: map[string]string{"X": ""}, want: "d"},
		{name: ":= value when set", text: "${X:=d}", values: map[string]string{"X": "v"}, want: "v"},
		{name: ":- like :=", text: "${X:-d}", values: map[string]string{"X": ""}, want: "d"},
		{name: "= keeps an empty value", text: "${X=d}", values: map[string]string{"X": ""}, want: ""},
		{name: "= default when unset", text: "${X=d}", want: "d"},
		{name: "- like =", text: "${X-d}", want: "d"},
		{name: "empty default", text: "--watch-filter=${F:=}", want: "--watch-filter="},
		{name: "default with separators", text: "${G:=A=true,B=false}", want: "A=true,B=false"},
		{name: "several in a line", text: "--feature-gates=MachinePool=${MP:=true},X=${X:=false}", values: map[string]string{"MP": "false"}, want: "--feature-gates=MachinePool=false,X=false"},
		{name: "missing values are all named", text: "${B} ${A} ${C:=c}", wantErr: "no value for the variables A, B"},
		{name: "unterminated", text: "x: ${X", wantErr: "unterminated variable"},
		{name: "unsupported operator", text: "${X:?oops}", wantErr: "unsupported variable syntax"},
		{name: "no name", text: "${:=x}", wantErr: "variable without a name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			values := tt.values
			if values == nil {
				values = map[string]string{}
			}
			var got string
			err := call(t, globals, "envsubst", &got, tt.text, values)
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				return
			}
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}

func Test_goModuleVersion(t *testing.T) {
	g := NewWithT(t)
	globals := helpers(t)
	goMod, err := os.ReadFile(repoPath("go.mod"))
	g.Expect(err).ToNot(HaveOccurred())
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "sigs.k8s.io/cluster-api").Output()
	g.Expect(err).ToNot(HaveOccurred())

	var got string
	g.Expect(call(t, globals, "go_module_version", &got, string(goMod), "sigs.k8s.io/cluster-api")).To(Succeed())
	g.Expect(got).To(Equal(strings.TrimSpace(string(out))))
	g.Expect(call(t, globals, "go_module_version", nil, "require example.com/a v1.0.0\n", "example.com/b")).
		To(MatchError(ContainSubstring("example.com/b is not required")))
	g.Expect(call(t, globals, "go_module_version", &got, "require example.com/a v1.2.3\n", "example.com/a")).To(Succeed())
	g.Expect(got).To(Equal("v1.2.3"))
}

// managerDeployment finds the Deployment with a container named manager among the YAML files under dir.
func managerDeployment(t *testing.T, dir string) *appsv1.Deployment {
	t.Helper()
	g := NewWithT(t)
	var found []*appsv1.Deployment
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for doc := range strings.SplitSeq(string(data), "\n---") {
			var meta struct{ Kind string }
			if yaml.Unmarshal([]byte(doc), &meta) != nil || meta.Kind != "Deployment" {
				continue
			}
			d := &appsv1.Deployment{}
			if err := yaml.Unmarshal([]byte(doc), d); err != nil {
				return err
			}
			if slices.ContainsFunc(d.Spec.Template.Spec.Containers, func(c corev1.Container) bool { return c.Name == "manager" }) {
				found = append(found, d)
			}
		}
		return nil
	})
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(found).To(HaveLen(1), "Deployments with a manager container under %s", dir)
	return found[0]
}

func container(d *appsv1.Deployment, name string) *corev1.Container {
	for i := range d.Spec.Template.Spec.Containers {
		if d.Spec.Template.Spec.Containers[i].Name == name {
			return &d.Spec.Template.Spec.Containers[i]
		}
	}
	return nil
}

// TestPrepareForTilt runs the Tiltfile's manifest rewrite on each provider's real manager Deployment.
func TestPrepareForTilt(t *testing.T) {
	globals := helpers(t)
	for _, p := range readTiltProviders(t) {
		t.Run(p.Name, func(t *testing.T) {
			g := NewWithT(t)
			orig := managerDeployment(t, repoPath(p.Config.Context, "config"))
			g.Expect(orig.Spec.Template.Spec.SecurityContext).ToNot(BeNil(), "the test needs a Deployment whose securityContext is dropped")
			deployment := orig.DeepCopy()
			deployment.APIVersion, deployment.Kind = "apps/v1", "Deployment"
			deployment.Labels = map[string]string{"cluster.x-k8s.io/provider": "bootstrap-k3s"}
			deployment.Spec.Replicas = new(int32)
			namespace := &corev1.Namespace{}
			namespace.APIVersion, namespace.Kind, namespace.Name = "v1", "Namespace", "capi-k3s-system"
			namespace.Labels = map[string]string{"cluster.x-k8s.io/provider": "bootstrap-k3s"}
			crd := map[string]any{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": map[string]any{"name": "a.example.com"}}

			var objs []json.RawMessage
			g.Expect(call(t, globals, "prepare_for_tilt", &objs, []any{namespace, crd, deployment}, []string{"--v=4"})).To(Succeed())
			g.Expect(objs).To(HaveLen(3))

			gotNamespace := &corev1.Namespace{}
			g.Expect(json.Unmarshal(objs[0], gotNamespace)).To(Succeed())
			g.Expect(gotNamespace.Labels).To(HaveKeyWithValue("pod-security.kubernetes.io/enforce", "privileged"))
			g.Expect(gotNamespace.Labels).To(HaveKeyWithValue("clusterctl.cluster.x-k8s.io", ""))

			var gotCRD map[string]any
			g.Expect(json.Unmarshal(objs[1], &gotCRD)).To(Succeed())
			g.Expect(gotCRD["metadata"]).To(HaveKeyWithValue("labels", map[string]any{"clusterctl.cluster.x-k8s.io": ""}))

			got := &appsv1.Deployment{}
			g.Expect(json.Unmarshal(objs[2], got)).To(Succeed())
			g.Expect(got.Spec.Replicas).To(HaveValue(BeEquivalentTo(1)))
			g.Expect(got.Spec.Template.Spec.SecurityContext).To(BeNil())
			manager, want := container(got, "manager"), container(orig, "manager")
			g.Expect(manager.Command).To(Equal([]string{"sh", "/start.sh", "/manager"}))
			g.Expect(manager.Args).To(Equal(append(slices.Clone(want.Args), "--v=4")))
			g.Expect(manager.SecurityContext).To(BeNil())
			g.Expect(manager.Image).To(Equal(want.Image))

			var scaled []*appsv1.Deployment
			g.Expect(call(t, globals, "set_replicas", &scaled, []any{deployment}, 0)).To(Succeed())
			g.Expect(scaled[0].Spec.Replicas).To(HaveValue(BeEquivalentTo(0)))

			var name string
			g.Expect(call(t, globals, "deployment_name", &name, []any{namespace, deployment})).To(Succeed())
			g.Expect(name).To(Equal(deployment.Name))
			g.Expect(call(t, globals, "deployment_name", nil, []any{namespace})).To(MatchError(ContainSubstring("expected one Deployment")))

			var selectors []string
			g.Expect(call(t, globals, "object_selectors", &selectors, []any{namespace, crd, deployment}, []string{"Deployment"})).To(Succeed())
			g.Expect(selectors).To(Equal([]string{"capi-k3s-system:Namespace", "a.example.com:CustomResourceDefinition"}))
		})
	}
	t.Run("no manager container", func(t *testing.T) {
		d := map[string]any{
			"kind": "Deployment", "metadata": map[string]any{"name": "d", "labels": map[string]any{"cluster.x-k8s.io/provider": "x"}},
			"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "other"}}}}},
		}
		NewWithT(t).Expect(call(t, globals, "prepare_for_tilt", nil, []any{d}, []string{})).To(MatchError(ContainSubstring("no container named manager")))
	})
}

// tiltProvider mirrors what Cluster API's Tiltfile and its tilt-prepare tool read from tilt-provider.yaml
// (cluster-api v1.14: Tiltfile load_provider_tilt_files/enable_provider, hack/tools/internal/tilt-prepare).
type tiltProvider struct {
	Name   string             `json:"name"`
	Config tiltProviderConfig `json:"config"`
}

type tiltProviderConfig struct {
	Context                          string   `json:"context"`
	Image                            string   `json:"image"`
	LiveReloadDeps                   []string `json:"live_reload_deps"`
	Label                            string   `json:"label"`
	GoMain                           string   `json:"go_main,omitempty"`
	Version                          string   `json:"version,omitempty"`
	KustomizeFolder                  string   `json:"kustomize_folder,omitempty"`
	KustomizeOptions                 []string `json:"kustomize_options,omitempty"`
	ApplyProviderYAML                *bool    `json:"apply_provider_yaml,omitempty"`
	AdditionalDockerHelperCommands   string   `json:"additional_docker_helper_commands,omitempty"`
	AdditionalDockerBuildCommands    string   `json:"additional_docker_build_commands,omitempty"`
	AdditionalResources              []string `json:"additional_resources,omitempty"`
	AdditionalUncategorizedResources []string `json:"additional_uncategorized_resources,omitempty"`
	ResourceDeps                     []string `json:"resource_deps,omitempty"`
}

func readTiltProviders(t *testing.T) []tiltProvider {
	t.Helper()
	g := NewWithT(t)
	data, err := os.ReadFile(repoPath("tilt-provider.yaml"))
	g.Expect(err).ToNot(HaveOccurred())
	// tilt-prepare parses the file as a list only when it starts with "-" or "[".
	g.Expect(string(data)).To(Or(HavePrefix("-"), HavePrefix("[")), "tilt-provider.yaml must start with the list, not a comment")
	var providers []tiltProvider
	g.Expect(yaml.UnmarshalStrict(data, &providers)).To(Succeed(), "only fields CAPI's Tiltfile reads are allowed")
	return providers
}

func TestTiltProviderYAML(t *testing.T) {
	g := NewWithT(t)
	providers := readTiltProviders(t)

	type want struct{ context, image, label string }
	expected := map[string]want{
		"k3s-bootstrap":     {"bootstrap", "ghcr.io/k3s-io/cluster-api-k3s/bootstrap-controller", "CABP3"},
		"k3s-control-plane": {"controlplane", "ghcr.io/k3s-io/cluster-api-k3s/controlplane-controller", "CACP3"},
	}
	got := map[string]want{}
	for _, p := range providers {
		got[p.Name] = want{p.Config.Context, p.Config.Image, p.Config.Label}
	}
	g.Expect(got).To(Equal(expected))

	e2eImages := e2eImageRepositories(t)
	series := e2eReleaseSeries(t)
	for _, p := range providers {
		t.Run(p.Name, func(t *testing.T) {
			g := NewWithT(t)
			cfg := p.Config
			context := repoPath(cfg.Context)
			g.Expect(filepath.Join(context, cmpOr(cfg.GoMain, "main.go"))).To(BeAnExistingFile())
			for _, dep := range cfg.LiveReloadDeps {
				_, err := os.Stat(filepath.Join(context, dep))
				g.Expect(err).ToNot(HaveOccurred(), "live_reload_deps entry %q", dep)
			}
			g.Expect(filepath.Join(context, cmpOr(cfg.KustomizeFolder, "config/default"), "kustomization.yaml")).To(BeAnExistingFile())

			// The image Tilt builds replaces the manager's image, and is the one the e2e suite loads.
			g.Expect(e2eImages).To(ContainElement(cfg.Image))
			g.Expect(imageRepository(container(managerDeployment(t, filepath.Join(context, "config")), "manager").Image)).To(Equal(cfg.Image))

			// The version of the Provider object belongs to a release series of the providers' metadata.
			m := regexp.MustCompile(`^v(\d+)\.(\d+)\.\d+$`).FindStringSubmatch(cfg.Version)
			g.Expect(m).ToNot(BeNil(), "version %q", cfg.Version)
			g.Expect(series).To(ContainElement(m[1] + "." + m[2]))

			expectDepsCoverBuild(t, cfg)
		})
	}
}

func cmpOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

func imageRepository(image string) string {
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[:i]
	}
	return image
}

func e2eImageRepositories(t *testing.T) []string {
	t.Helper()
	g := NewWithT(t)
	data, err := os.ReadFile(repoPath("test", "e2e", "config", "docker.yaml"))
	g.Expect(err).ToNot(HaveOccurred())
	var cfg struct {
		Images []struct{ Name string } `json:"images"`
	}
	g.Expect(yaml.Unmarshal(data, &cfg)).To(Succeed())
	var repos []string
	for _, i := range cfg.Images {
		repos = append(repos, imageRepository(i.Name))
	}
	return repos
}

func e2eReleaseSeries(t *testing.T) []string {
	t.Helper()
	g := NewWithT(t)
	data, err := os.ReadFile(repoPath("test", "e2e", "data", "shared", "metadata.yaml"))
	g.Expect(err).ToNot(HaveOccurred())
	var md struct {
		ReleaseSeries []struct{ Major, Minor int } `json:"releaseSeries"`
	}
	g.Expect(yaml.Unmarshal(data, &md)).To(Succeed())
	var series []string
	for _, s := range md.ReleaseSeries {
		series = append(series, strconv.Itoa(s.Major)+"."+strconv.Itoa(s.Minor))
	}
	return series
}

// expectDepsCoverBuild checks that every file of this repository the manager is built from (Go and embedded files
// of every package it imports) is under one of the live_reload_deps, so Tilt rebuilds it on every relevant change.
func expectDepsCoverBuild(t *testing.T, cfg tiltProviderConfig) {
	t.Helper()
	g := NewWithT(t)
	root, err := filepath.Abs(repoRoot)
	g.Expect(err).ToNot(HaveOccurred())
	cmd := exec.Command("go", "list", "-deps", "-f", `{{if not .Standard}}{{.Dir}}{{range .GoFiles}} {{.}}{{end}}{{range .EmbedFiles}} {{.}}{{end}}{{end}}`, "./"+cfg.Context)
	cmd.Dir = root
	out, err := cmd.Output()
	g.Expect(err).ToNot(HaveOccurred())

	var deps []string
	for _, d := range cfg.LiveReloadDeps {
		deps = append(deps, filepath.Join(root, cfg.Context, d))
	}
	covered := func(file string) bool {
		return slices.ContainsFunc(deps, func(d string) bool { return file == d || strings.HasPrefix(file, d+string(filepath.Separator)) })
	}
	files := 0
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], root+string(filepath.Separator)) {
			continue // the standard library and other modules
		}
		for _, f := range fields[1:] {
			files++
			file := filepath.Join(fields[0], f)
			g.Expect(covered(file)).To(BeTrue(), "%s is built into the %s manager but not under its live_reload_deps", file, cfg.Context)
		}
	}
	g.Expect(files).To(BeNumerically(">", 10), "go list found the repository's packages")
	g.Expect(covered(filepath.Join(root, "go.mod"))).To(BeTrue())
	g.Expect(covered(filepath.Join(root, "go.sum"))).To(BeTrue())
}

// TestStartScript runs the development image's restart wrapper on a fake manager: restart.sh makes start.sh run the
// replaced binary again with the same arguments, SIGTERM stops it, and a manager exiting on its own ends start.sh
// with its status.
func TestStartScript(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("needs sh")
	}
	dir := t.TempDir()
	logFile := filepath.Join(dir, "log")
	fake := filepath.Join(dir, "manager")
	writeFake := func(t *testing.T, body string) {
		t.Helper()
		NewWithT(t).Expect(os.WriteFile(fake, []byte("#!/bin/sh\n"+body+"\n"), 0o755)).To(Succeed())
	}
	readLog := func() string {
		data, _ := os.ReadFile(logFile)
		return string(data)
	}
	script := func(name string, env string, args ...string) *exec.Cmd {
		cmd := exec.Command("sh", append([]string{repoPath("hack", "tilt", name)}, args...)...)
		cmd.Env = append(os.Environ(), "TILT_RUN_DIR="+env)
		return cmd
	}
	start := func(t *testing.T, runDir string) (*exec.Cmd, chan error) {
		t.Helper()
		cmd := script("start.sh", runDir, fake, "--flag")
		NewWithT(t).Expect(cmd.Start()).To(Succeed())
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		return cmd, done
	}

	t.Run("restart and stop", func(t *testing.T) {
		g := NewWithT(t)
		runDir := filepath.Join(dir, "run1")
		writeFake(t, `echo "v1 $*" >> `+logFile+"\nexec sleep 60")
		cmd, done := start(t, runDir)
		g.Eventually(readLog, 10*time.Second, 20*time.Millisecond).Should(Equal("v1 --flag\n"))

		// Live update overwrites the binary while the manager runs, then runs restart.sh.
		writeFake(t, `echo "v2 $*" >> `+logFile+"\nexec sleep 60")
		g.Expect(script("restart.sh", runDir).Run()).To(Succeed())
		g.Eventually(readLog, 10*time.Second, 20*time.Millisecond).Should(Equal("v1 --flag\nv2 --flag\n"))
		g.Consistently(done, 300*time.Millisecond).ShouldNot(Receive())

		pid, err := os.ReadFile(filepath.Join(runDir, "pid"))
		g.Expect(err).ToNot(HaveOccurred())
		g.Expect(cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
		g.Eventually(done, 10*time.Second).Should(Receive())
		managerPID, err := strconv.Atoi(strings.TrimSpace(string(pid)))
		g.Expect(err).ToNot(HaveOccurred())
		g.Expect(syscall.Kill(managerPID, 0)).To(MatchError(syscall.ESRCH), "the manager was stopped with start.sh")
	})

	t.Run("manager exits on its own", func(t *testing.T) {
		g := NewWithT(t)
		writeFake(t, "exit 3")
		_, done := start(t, filepath.Join(dir, "run2"))
		var err error
		g.Eventually(done, 10*time.Second).Should(Receive(&err))
		var exitErr *exec.ExitError
		g.Expect(errors.As(err, &exitErr)).To(BeTrue(), "start.sh failed with %v", err)
		g.Expect(exitErr.ExitCode()).To(Equal(3))
	})
}
