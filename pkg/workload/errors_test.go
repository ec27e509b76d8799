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

package workload

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestClassify(t *testing.T) {
	netErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "n", errors.New("no"))
	tests := []struct {
		name   string
		err    error
		remote bool
	}{
		{name: "net error", err: netErr, remote: true},
		{name: "wrapped net error", err: fmt.Errorf("listing: %w", netErr), remote: true},
		{name: "context deadline", err: context.DeadlineExceeded, remote: true},
		{name: "403 API status", err: forbidden, remote: false},
		{name: "wrapped 403 API status", err: fmt.Errorf("getting: %w", forbidden), remote: false},
		{name: "503 API status", err: apierrors.NewServiceUnavailable("down"), remote: false},
		{name: "already classified", err: &RemoteConnectionError{Err: netErr}, remote: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got := classify(tt.err)
			g.Expect(IsRemoteConnectionError(got)).To(Equal(tt.remote))
			g.Expect(got).To(MatchError(tt.err))
			if tt.remote {
				g.Expect(got.Error()).To(ContainSubstring("workload cluster unreachable"))
				g.Expect(errors.Is(got, tt.err)).To(BeTrue())
			}
		})
	}
	g := NewWithT(t)
	g.Expect(classify(nil)).To(Succeed())
	g.Expect(IsRemoteConnectionError(nil)).To(BeFalse())
	// Classifying twice does not nest.
	twice := classify(classify(netErr))
	var rce *RemoteConnectionError
	g.Expect(errors.As(twice, &rce)).To(BeTrue())
	g.Expect(rce.Err).To(Equal(netErr))
}
