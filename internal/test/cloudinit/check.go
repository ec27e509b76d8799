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

package cloudinit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
	"github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/node"
)

// Parallel is how many cloud-init processes run at once on the machine (see acquireSlot).
const Parallel = 2

// processTimeout bounds one cloud-init process; a start takes a quarter of a second.
const processTimeout = 2 * time.Minute

// Doc is a cloud-config document to check.
type Doc struct {
	// Name names the document in failures; unique within one Check.
	Name string
	// Data is the document as the renderer wrote it ("## template: jinja" first).
	Data []byte
	// AllowMissingVariables accepts jinja variables that the instance data does not define (fuzz inputs use
	// arbitrary ones); cloud-init renders them as CI_MISSING_JINJA_VAR/<name>.
	AllowMissingVariables bool
}

// Result is what cloud-init made of a document that passed every check.
type Result struct {
	// Rendered is the output of `cloud-init devel render`: the document after jinja.
	Rendered []byte
	// Boot is Rendered read by this repository's parser: files, commands, config.yaml.
	Boot *node.Boot
}

// Check runs `cloud-init devel render` and `cloud-init schema --config-file` on every document, Parallel at a time,
// and compares each rendered document with its source (see compare). Failures are reported on t, one subtest per
// document; the results of the documents that passed are returned by name.
func Check(t *testing.T, docs []Doc) map[string]*Result {
	t.Helper()
	cmd := Command(t)
	dir := t.TempDir()
	instance, err := writeInstanceData(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("checking %d cloud-config documents with %s (cloud-init %s)", len(docs), cmd, version(cmd))

	type outcome struct {
		res *Result
		err error
	}
	outcomes := make([]outcome, len(docs))
	// Identical documents (templates often render the same node data) run once.
	first := map[string]int{}
	start := time.Now()
	defer func() {
		t.Logf("checked %d documents (%d distinct) in %s", len(docs), len(first), time.Since(start).Round(time.Millisecond))
	}()
	var wg sync.WaitGroup
	local := make(chan struct{}, Parallel)
	for i, d := range docs {
		key := fmt.Sprint(d.AllowMissingVariables) + string(d.Data)
		if _, dup := first[key]; dup {
			continue
		}
		first[key] = i
		wg.Add(1)
		go func() {
			defer wg.Done()
			local <- struct{}{}
			defer func() { <-local }()
			res, err := checkOne(cmd, instance, filepath.Join(dir, fmt.Sprintf("doc-%03d", i)), d)
			outcomes[i] = outcome{res, err}
		}()
	}
	wg.Wait()

	results := map[string]*Result{}
	for _, d := range docs {
		o := outcomes[first[fmt.Sprint(d.AllowMissingVariables)+string(d.Data)]]
		t.Run(d.Name, func(t *testing.T) {
			if o.err != nil {
				t.Error(o.err)
				return
			}
			results[d.Name] = o.res
		})
	}
	return results
}

// version returns what cloud-init --version ends with: the version (argparse wraps long command paths).
func version(cmd string) string {
	out, _ := exec.Command(cmd, "--version").CombinedOutput()
	if f := strings.Fields(string(out)); len(f) > 0 {
		return f[len(f)-1]
	}
	return "of unknown version"
}

// checkOne renders and validates one document, files under prefix.
func checkOne(cmd, instance, prefix string, d Doc) (*Result, error) {
	src := prefix + ".yaml"
	if err := os.WriteFile(src, d.Data, 0o600); err != nil {
		return nil, err
	}
	rendered, stderr, err := run(cmd, "devel", "render", src, "--instance-data", instance)
	if err != nil {
		return nil, fmt.Errorf("cloud-init devel render: %w\n%s\n--- source:\n%s", err, stderr, d.Data)
	}
	if !d.AllowMissingVariables && bytes.Contains(rendered, []byte("CI_MISSING_JINJA_VAR/")) {
		return nil, fmt.Errorf("cloud-init devel render: %w:\n%s\n--- source:\n%s", errMissingVariable, stderr, d.Data)
	}
	if !bytes.HasPrefix(rendered, []byte("#cloud-config\n")) {
		return nil, fmt.Errorf("the rendered document does not start with #cloud-config:\n%s", rendered)
	}
	out := prefix + ".rendered.yaml"
	if err := os.WriteFile(out, rendered, 0o600); err != nil {
		return nil, err
	}
	schemaOut, schemaErr, err := run(cmd, "schema", "--config-file", out)
	switch {
	case err != nil:
	case !bytes.Contains(schemaOut, []byte("Valid cloud-config")):
		err = errors.New("no \"Valid cloud-config\" in its output")
	case bytes.Contains(schemaOut, []byte("schema deprecations:")):
		// A deprecated key works today and is dropped by a later cloud-init.
		err = errors.New("the document uses deprecated keys")
	}
	if err != nil {
		return nil, fmt.Errorf("cloud-init schema rejects the rendered document: %w\n%s%s\n--- rendered:\n%s", err, schemaOut, schemaErr, rendered)
	}
	res := &Result{Rendered: rendered}
	if res.Boot, err = compare(d.Data, rendered); err != nil {
		return nil, fmt.Errorf("%w\n--- rendered by cloud-init:\n%s", err, rendered)
	}
	return res, nil
}

// run runs cloud-init while holding a machine-wide slot and returns its stdout and stderr.
func run(cmd string, args ...string) ([]byte, []byte, error) {
	release, err := acquireSlot()
	if err != nil {
		return nil, nil, err
	}
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), processTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, cmd, args...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err = c.Run()
	return stdout.Bytes(), stderr.Bytes(), err
}

// compare reads the source and the rendered document with this repository's parser and checks that cloud-init's
// jinja changed nothing but the variables of the instance data: the same files (path, owner, permissions, content)
// and commands, and the same config.yaml, where each value of the source with its plain variables replaced
// (node.ExpandJinja with Vars) equals the rendered one. Values holding other jinja (statements, filters) are only
// checked for presence. It returns the rendered document's parse.
//
// The YAML trees are compared first, value by value, so that a document whose content our parser cannot decode
// (fuzz inputs: "base64" that is not) is still checked; such a document must then be rejected after jinja too, and
// gets no Boot.
func compare(source, rendered []byte) (*node.Boot, error) {
	var srcTree, gotTree any
	if err := sigsyaml.Unmarshal(source, &srcTree); err != nil {
		return nil, fmt.Errorf("the source document is not YAML: %w", err)
	}
	if err := sigsyaml.Unmarshal(rendered, &gotTree); err != nil {
		return nil, fmt.Errorf("the document rendered by cloud-init is not YAML: %w", err)
	}
	var problems []string
	compareTree("", srcTree, gotTree, &problems)
	want, srcErr := node.Parse(node.FormatCloudConfig, source)
	got, err := node.Parse(node.FormatCloudConfig, rendered)
	switch {
	case srcErr != nil && err != nil:
		got = nil
	case srcErr != nil:
		problems = append(problems, fmt.Sprintf("this repository's parser rejects the source (%v) but not its rendering", srcErr))
	case err != nil:
		problems = append(problems, fmt.Sprintf("this repository's parser rejects the document rendered by cloud-init: %v", err))
	default:
		problems = append(problems, compareBoot(want, got)...)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("cloud-init's rendering differs from the source:\n%s", strings.Join(problems, "\n"))
	}
	return got, nil
}

// compareTree compares two parsed YAML values: the same keys and list lengths, and strings that agree (see
// compareText).
func compareTree(at string, src, got any, problems *[]string) {
	switch s := src.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*problems = append(*problems, fmt.Sprintf("%s: a mapping in the source, %T rendered", at, got))
			return
		}
		for k := range g {
			if _, ok := s[k]; !ok {
				*problems = append(*problems, fmt.Sprintf("%s.%s: only in the rendering", at, k))
			}
		}
		for k, v := range s {
			if gv, ok := g[k]; ok {
				compareTree(at+"."+k, v, gv, problems)
			} else {
				*problems = append(*problems, fmt.Sprintf("%s.%s: missing from the rendering", at, k))
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(s) {
			*problems = append(*problems, fmt.Sprintf("%s: %d items in the source, rendered %s", at, len(s), excerpt(fmt.Sprintf("%#v", got))))
			return
		}
		for i := range s {
			compareTree(fmt.Sprintf("%s[%d]", at, i), s[i], g[i], problems)
		}
	case string:
		g, ok := got.(string)
		if !ok {
			*problems = append(*problems, fmt.Sprintf("%s: a string in the source, rendered %#v", at, got))
		} else if msg := compareText(s, g); msg != "" {
			*problems = append(*problems, at+": "+msg)
		}
	default:
		if !reflect.DeepEqual(src, got) {
			*problems = append(*problems, fmt.Sprintf("%s: %#v in the source, rendered %#v", at, src, got))
		}
	}
}

// compareBoot compares what this repository's parser reads from the source and from the rendering.
func compareBoot(want, got *node.Boot) []string {
	var problems []string
	if w, g := sortedKeys(want.Files), sortedKeys(got.Files); !reflect.DeepEqual(w, g) {
		problems = append(problems, fmt.Sprintf("written files differ:\n  source:   %q\n  rendered: %q", w, g))
	}
	for p, wf := range want.Files {
		gf, ok := got.Files[p]
		if !ok {
			continue
		}
		if wf.Owner != gf.Owner || wf.Permissions != gf.Permissions {
			problems = append(problems, fmt.Sprintf("%s: owner/permissions %s %s, rendered %s %s", p, wf.Owner, wf.Permissions, gf.Owner, gf.Permissions))
		}
		if msg := compareText(string(wf.Content), string(gf.Content)); msg != "" {
			problems = append(problems, fmt.Sprintf("content of %s: %s", p, msg))
		}
	}
	if len(want.Commands) != len(got.Commands) {
		problems = append(problems, fmt.Sprintf("%d commands, rendered %d", len(want.Commands), len(got.Commands)))
	} else {
		for i := range want.Commands {
			if msg := compareText(want.Commands[i], got.Commands[i]); msg != "" {
				problems = append(problems, fmt.Sprintf("runcmd[%d]: %s", i, msg))
			}
		}
	}
	if wantCfg, plain := expandConfig(want.Config); plain && !reflect.DeepEqual(wantCfg, got.Config) {
		problems = append(problems, fmt.Sprintf("config.yaml parses to\n  %#v\nwant\n  %#v", got.Config, wantCfg))
	}
	return problems
}

// compareText compares a source value with its rendering: equal as written (jinja in encoded content is not
// rendered), or equal once the plain variables are replaced; other jinja is not checked. It returns "" when they
// agree.
func compareText(source, rendered string) string {
	if source == rendered {
		return ""
	}
	expanded := node.ExpandJinja(source, Vars)
	if expanded == rendered || HasJinja(expanded) {
		return ""
	}
	return fmt.Sprintf("rendered %q, want %q", excerpt(rendered), excerpt(expanded))
}

// expandConfig returns cfg with the plain jinja variables of every string replaced, and false when a string still
// holds jinja afterwards (nothing to compare then).
func expandConfig(cfg map[string]any) (map[string]any, bool) {
	if cfg == nil {
		return nil, true
	}
	plain := true
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			s := node.ExpandJinja(x, Vars)
			plain = plain && !HasJinja(s)
			return s
		case []any:
			out := make([]any, len(x))
			for i := range x {
				out[i] = walk(x[i])
			}
			return out
		case map[string]any:
			out := make(map[string]any, len(x))
			for k, e := range x {
				out[node.ExpandJinja(k, Vars)] = walk(e)
			}
			return out
		}
		return v
	}
	out := walk(cfg).(map[string]any)
	return out, plain
}

// excerptPattern shortens long values in messages.
var excerptPattern = regexp.MustCompile(`(?s)^(.{200}).+$`)

func excerpt(s string) string { return excerptPattern.ReplaceAllString(s, "$1…") }

func sortedKeys(m map[string]node.File) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ExpectConfig checks the /etc/rancher/k3s/config.yaml of a rendered document against the Go side: the file that
// cloud-init wrote, decoded strictly into k3sconfig.Config as the golden tests do, must equal want marshalled the
// way the renderer writes it, with the plain jinja variables replaced as cloud-init replaces them, and decoded the
// same way.
func ExpectConfig(t *testing.T, res *Result, want *k3sconfig.Config) {
	t.Helper()
	f, ok := res.Boot.Files[k3sconfig.ConfigPath]
	if !ok {
		t.Errorf("cloud-init's rendering writes no %s", k3sconfig.ConfigPath)
		return
	}
	var got k3sconfig.Config
	if err := sigsyaml.UnmarshalStrict(f.Content, &got); err != nil {
		t.Errorf("%s as rendered by cloud-init does not decode: %v\n%s", k3sconfig.ConfigPath, err, f.Content)
		return
	}
	wantYAML, err := want.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var expected k3sconfig.Config
	if err := sigsyaml.UnmarshalStrict([]byte(node.ExpandJinja(string(wantYAML), Vars)), &expected); err != nil {
		t.Fatalf("the expected config does not decode after jinja: %v", err)
	}
	if !reflect.DeepEqual(got, expected) {
		t.Errorf("%s as rendered by cloud-init:\n%s\nwant (Go side, jinja replaced):\n%s", k3sconfig.ConfigPath, f.Content,
			node.ExpandJinja(string(wantYAML), Vars))
	}
}
