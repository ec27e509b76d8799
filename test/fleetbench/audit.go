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

package fleetbench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"
)

// PhaseWindow is the time span of one phase; From is inclusive, To exclusive.
type PhaseWindow struct {
	Phase    Phase
	From, To time.Time
}

// auditEvent holds only the audit.k8s.io/v1 Event fields the report needs: decoding whole Events would cost most
// of the parse time of a log with millions of lines.
type auditEvent struct {
	Stage string `json:"stage"`
	Verb  string `json:"verb"`
	User  struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	StageTimestamp time.Time `json:"stageTimestamp"`
}

// auditMaxLine bounds one audit line; Metadata-level events are small, but a list with many field selectors or a
// long user-agent must not stop the parse.
const auditMaxLine = 16 << 20

// responseComplete is the only stage counted: each request has exactly one, and it carries the response code.
const responseComplete = "ResponseComplete"

type requestKey struct {
	client, verb, resource string
	phase                  Phase
}

// ParseAudit counts the ResponseComplete events of a JSON-lines audit log by client, phase, verb and resource.
// clientNames maps user names to process names (unknown users keep their user name); an event is counted in the
// first window holding its stageTimestamp and dropped when no window does. The result is sorted by client, phase,
// verb and resource.
func ParseAudit(r io.Reader, clientNames map[string]string, phases []PhaseWindow) ([]RequestCount, error) {
	counts := map[requestKey]*RequestCount{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), auditMaxLine)
	stageMarker := []byte(responseComplete)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		// Most lines of other stages are skipped without decoding; the decoded stage is still checked below.
		if len(b) == 0 || !bytes.Contains(b, stageMarker) {
			continue
		}
		var ev auditEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			return nil, fmt.Errorf("audit log line %d: %w", line, err)
		}
		if ev.Stage != responseComplete {
			continue
		}
		phase, ok := phaseAt(phases, ev.StageTimestamp)
		if !ok {
			continue
		}
		client := ev.User.Username
		if name, ok := clientNames[client]; ok {
			client = name
		}
		resource := ""
		if ev.ObjectRef != nil {
			resource = ev.ObjectRef.Resource
			if ev.ObjectRef.Subresource != "" {
				resource += "/" + ev.ObjectRef.Subresource
			}
		}
		k := requestKey{client: client, verb: ev.Verb, resource: resource, phase: phase}
		c := counts[k]
		if c == nil {
			c = &RequestCount{Client: client, Phase: phase, Verb: ev.Verb, Resource: resource}
			counts[k] = c
		}
		c.Count++
		if ev.ResponseStatus != nil && ev.ResponseStatus.Code == 409 {
			c.Conflicts++
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("audit log after line %d: %w", line, err)
	}
	out := make([]RequestCount, 0, len(counts))
	for _, c := range counts {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Client != b.Client {
			return a.Client < b.Client
		}
		if a.Phase != b.Phase {
			return a.Phase < b.Phase
		}
		if a.Verb != b.Verb {
			return a.Verb < b.Verb
		}
		return a.Resource < b.Resource
	})
	return out, nil
}

func phaseAt(phases []PhaseWindow, t time.Time) (Phase, bool) {
	for _, w := range phases {
		if !t.Before(w.From) && t.Before(w.To) {
			return w.Phase, true
		}
	}
	return "", false
}

// IsWrite reports whether a verb changes state; the providers' cost to the API server is mostly their writes.
func IsWrite(verb string) bool {
	switch verb {
	case "create", "update", "patch", "delete", "deletecollection":
		return true
	}
	return false
}

// auditPolicy keeps one Metadata event per request and drops what only adds volume: watches (long-running, no
// per-object cost), the API server's own loopback requests and leader-election leases (identical for both
// flavors). Events stay: the providers write them.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages:
- RequestReceived
rules:
- level: None
  verbs: ["watch"]
- level: None
  users: ["system:apiserver"]
- level: None
  resources:
  - group: coordination.k8s.io
    resources: ["leases"]
- level: Metadata
`

// AuditPolicy is the audit policy (audit.k8s.io/v1 Policy) the benchmark passes to kube-apiserver.
func AuditPolicy() []byte {
	return []byte(auditPolicy)
}
