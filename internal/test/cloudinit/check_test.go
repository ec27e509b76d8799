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
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestCheckOne_RealCloudInitCatches shows that each check bites, on hand-written documents.
func TestCheckOne_RealCloudInitCatches(t *testing.T) {
	cmd := Command(t)
	dir := t.TempDir()
	instance, err := writeInstanceData(dir)
	if err != nil {
		t.Fatal(err)
	}
	const head = "## template: jinja\n#cloud-config\n"
	tests := []struct {
		name, doc string
		// wantErr is a substring of the error; "" means the document passes.
		wantErr string
	}{
		{name: "variables of the instance data are replaced as on the Go side",
			doc: head + "write_files:\n  - path: /etc/rancher/k3s/config.yaml\n    content: |\n      node-name: '{{ ds.meta_data.local_hostname }}'\n" +
				"runcmd:\n  - \"echo {{ v1.instance_id }} {{ v1.region }} {{ v1.availability_zone }} {{ v1.cloud_name }} {{ v1.platform }}\"\n"},
		{name: "a jinja statement ending a block scalar swallows the next entry (a valid document for the schema)",
			doc:     head + "write_files:\n  - path: /a\n    content: |\n      {% if true %}x{% endif %}\n  - path: /b\n    content: y\n",
			wantErr: "written files differ"},
		{name: "deprecated keys are reported",
			doc: head + "apt_update: true\n", wantErr: "deprecated keys"},
		{name: "schema violations are reported",
			doc: head + "runcmd: 5\n", wantErr: "cloud-init schema rejects"},
		{name: "variables the instance data lacks are reported",
			doc: head + "runcmd:\n  - \"echo {{ v1.no_such_key }}\"\n", wantErr: errMissingVariable.Error()},
		{name: "a jinja syntax error makes cloud-init drop the document",
			doc: head + "runcmd:\n  - \"echo {{ .Values.x }}\"\n", wantErr: "cloud-init devel render"},
	}
	errs := make([]error, len(tests))
	var wg sync.WaitGroup
	for i, tt := range tests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = checkOne(cmd, instance, filepath.Join(dir, fmt.Sprint(i)), Doc{Name: tt.name, Data: []byte(tt.doc)})
		}()
	}
	wg.Wait()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			switch err := errs[i]; {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
