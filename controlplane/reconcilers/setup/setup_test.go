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

package setup

import (
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/spf13/pflag"
	ctrl "sigs.k8s.io/controller-runtime"
)

func TestOptions_Validate(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "defaults"},
		{name: "grace period of exactly 2m", args: []string{"--remote-conditions-grace-period=2m"}},
		{name: "grace period too short", args: []string{"--remote-conditions-grace-period=90s"}, wantErr: "--remote-conditions-grace-period must be at least 2m, got 1m30s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			o := &Options{}
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			o.AddFlags(fs)
			g.Expect(fs.Parse(tt.args)).To(Succeed())
			err := o.Validate()
			if tt.wantErr == "" {
				g.Expect(err).ToNot(HaveOccurred())
				g.Expect(o.EtcdMemberRemovalTimeout).To(Equal(5 * time.Minute))
				return
			}
			g.Expect(err).To(MatchError(tt.wantErr))
		})
	}
}

func TestCustomizeManager(t *testing.T) {
	g := NewWithT(t)
	// Works on options without a client cache configuration too.
	mgrOptions := ctrl.Options{}
	CustomizeManager(&mgrOptions)
	g.Expect(mgrOptions.Client.Cache.Unstructured).To(BeTrue())
	g.Expect(mgrOptions.Cache.DefaultTransform).ToNot(BeNil())
	selectors := map[string]string{}
	for obj, byObject := range mgrOptions.Cache.ByObject {
		selectors[fmt.Sprintf("%T", obj)] = byObject.Label.String()
	}
	g.Expect(selectors).To(Equal(map[string]string{
		"*v1beta3.KThreesConfig": "cluster.x-k8s.io/control-plane",
		"*v1.Secret":             "cluster.x-k8s.io/cluster-name",
	}))
}
