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

package mgmtplane

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	crenvtest "sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
)

// providerRoleFiles are the ClusterRoles generated from each provider's RBAC markers, the ones the release
// manifests bind to the provider's service account.
var providerRoleFiles = map[string]string{
	"bootstrap":     "bootstrap/config/rbac/role.yaml",
	"control-plane": "controlplane/config/rbac/role.yaml",
}

// providerIdentities creates, for each provider, a user of the API server bound to nothing but the provider's
// generated ClusterRole, and returns the rest configs the providers' managers run with. The API server enforces
// RBAC, so every e2e spec and the demo exercise the least-privilege roles the providers ship: a missing verb fails
// there, not in production.
func providerIdentities(ctx context.Context, env *envtest.Environment) (map[string]*rest.Config, error) {
	root, err := envtest.RepoRoot()
	if err != nil {
		return nil, err
	}
	configs := map[string]*rest.Config{}
	for provider, file := range providerRoleFiles {
		user, err := AddUser(ctx, env, "capi-k3s-"+provider+"-manager", filepath.Join(root, file))
		if err != nil {
			return nil, fmt.Errorf("the %s provider: %w", provider, err)
		}
		configs[provider] = user.Config()
	}
	return configs, nil
}

// AddUser creates a user of the API server bound to nothing but the ClusterRole of roleFile (renamed to the user's
// name), or to cluster-admin when roleFile is empty, and returns it with its client certificate.
func AddUser(ctx context.Context, env *envtest.Environment, name, roleFile string) (*crenvtest.AuthenticatedUser, error) {
	roleRef := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"}
	if roleFile != "" {
		role, err := readClusterRole(roleFile)
		if err != nil {
			return nil, err
		}
		role.ObjectMeta = metav1.ObjectMeta{Name: name}
		if err := env.Client.Create(ctx, role); err != nil {
			return nil, fmt.Errorf("failed to create the ClusterRole of %s: %w", name, err)
		}
		roleRef.Name = name
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    roleRef,
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: name}},
	}
	if err := env.Client.Create(ctx, binding); err != nil {
		return nil, fmt.Errorf("failed to bind the ClusterRole of %s: %w", name, err)
	}
	user, err := env.TestEnv.AddUser(crenvtest.User{Name: name}, env.Config)
	if err != nil {
		return nil, fmt.Errorf("failed to create the user %s: %w", name, err)
	}
	return user, nil
}

// readClusterRole reads a ClusterRole manifest.
func readClusterRole(path string) (*rbacv1.ClusterRole, error) {
	data, err := os.ReadFile(path) //nolint:gosec // a file of this repository
	if err != nil {
		return nil, fmt.Errorf("failed to read the provider role: %w", err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.UnmarshalStrict(data, role); err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", path, err)
	}
	if role.Kind != "ClusterRole" || len(role.Rules) == 0 {
		return nil, fmt.Errorf("%s is not a ClusterRole with rules", path)
	}
	return role, nil
}
