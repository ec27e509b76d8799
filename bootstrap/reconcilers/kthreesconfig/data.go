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

package kthreesconfig

import (
	"context"
	"fmt"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata"
	"github.com/k3s-io/cluster-api-k3s/pkg/cloudinit"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
)

// Reasons of DataSecretAvailable=False set by this file.
const (
	secretNotFoundReason  = "FileSecretNotFound"
	renderingFailedReason = "RenderingFailed"
)

// storeNodeData renders the node's bootstrap data and stores it in the bootstrap secret.
func (r *Reconciler) storeNodeData(ctx context.Context, s *scope, role k3sconfig.Role, joinToken string, caFiles []bootstrapdata.File) (ctrl.Result, error) {
	files, missing, err := r.resolveFiles(ctx, s.config)
	if err != nil {
		return ctrl.Result{}, err
	}
	if missing != "" {
		// The Secret watch reconciles this config when the secret or key appears.
		markDataSecretNotAvailable(s.config, secretNotFoundReason, missing)
		return ctrl.Result{}, nil
	}
	if problem := invalidJinja(s.config, files); problem != "" {
		// The Secret watch reconciles this config when the content changes.
		markDataSecretNotAvailable(s.config, bootstrapv1.KThreesConfigDataSecretInvalidJinjaReason, problem)
		r.Recorder.Eventf(s.config, corev1.EventTypeWarning, bootstrapv1.KThreesConfigDataSecretInvalidJinjaReason, "%s", problem)
		return ctrl.Result{}, nil
	}
	value, err := render(s, role, joinToken, files, caFiles)
	if err != nil {
		// The spec cannot be rendered; a change to it triggers a new reconcile.
		markDataSecretNotAvailable(s.config, renderingFailedReason, fmt.Sprintf("Failed to render the bootstrap data: %v", err))
		r.Recorder.Eventf(s.config, corev1.EventTypeWarning, "RenderingFailed", "Failed to render the bootstrap data: %v", err)
		return ctrl.Result{}, nil
	}
	if err := r.writeBootstrapSecret(ctx, s, value); err != nil {
		return ctrl.Result{}, err
	}
	markDataSecretCreated(s.config, s.config.Name)
	// A log line, not an event: an event per Machine is an API write on the fleet's hot path.
	ctrl.LoggerFrom(ctx).Info("Created the bootstrap data", "format", formatOf(s.config), "role", role)
	return ctrl.Result{}, nil
}

// render builds the node's format-neutral data and renders it in the config's format.
func render(s *scope, role k3sconfig.Role, joinToken string, files, caFiles []bootstrapdata.File) ([]byte, error) {
	data, err := k3sconfig.NodeData(k3sconfig.NodeInput{
		Role:                 role,
		Spec:                 s.config.Spec,
		Version:              s.config.Spec.Version,
		ControlPlaneEndpoint: s.cluster.Spec.ControlPlaneEndpoint,
		Token:                joinToken,
		Files:                files,
		CAFiles:              caFiles,
	})
	if err != nil {
		return nil, err
	}
	return bootstrapdata.Render(s.config.Spec.Format, data)
}

// resolveFiles inlines the content of files read from secrets. It returns a message naming the first secret or key
// that does not exist, rather than an error, because only its creation can fix it.
func (r *Reconciler) resolveFiles(ctx context.Context, config *bootstrapv1.KThreesConfig) ([]bootstrapdata.File, string, error) {
	out := make([]bootstrapdata.File, 0, len(config.Spec.Files))
	for i, f := range config.Spec.Files {
		content := f.Content
		if f.ContentFrom != nil {
			ref := f.ContentFrom.Secret
			secret := &corev1.Secret{}
			key := client.ObjectKey{Namespace: config.Namespace, Name: ref.Name}
			if err := r.APIReader.Get(ctx, key, secret); err != nil {
				if apierrors.IsNotFound(err) {
					return nil, fmt.Sprintf("Secret %s referenced by spec.files[%d].contentFrom does not exist", ref.Name, i), nil
				}
				return nil, "", fmt.Errorf("failed to get Secret %s for spec.files[%d]: %w", key, i, err)
			}
			value, ok := secret.Data[ref.Key]
			if !ok {
				return nil, fmt.Sprintf("Secret %s referenced by spec.files[%d].contentFrom has no key %q", ref.Name, i, ref.Key), nil
			}
			content = string(value)
		}
		out = append(out, bootstrapdata.File{Path: f.Path, Owner: f.Owner, Permissions: f.Permissions, Encoding: string(f.Encoding), Content: content})
	}
	return out, "", nil
}

// invalidJinja returns why cloud-init could not render the cloud-config holding the content of a contentFrom
// Secret, naming the Secret, key and position, or "". The webhooks check inline content; Secrets are read only
// here.
func invalidJinja(config *bootstrapv1.KThreesConfig, files []bootstrapdata.File) string {
	if formatOf(config) != bootstrapv1.CloudConfig {
		return ""
	}
	for i, f := range config.Spec.Files {
		content := files[i].Content
		if f.ContentFrom == nil || f.Encoding == bootstrapv1.Gzip || f.Encoding == "" && !utf8.ValidString(content) {
			continue // written base64-encoded
		}
		ref := f.ContentFrom.Secret
		fix := "to write it literally, base64-encode the Secret's value and set encoding: base64 on the file, or wrap the value in {% raw %}…{% endraw %}"
		if detail := k3sconfig.JinjaProblem(content, cloudinit.ContentSource(content), 0, fix); detail != "" {
			return fmt.Sprintf("Key %q of Secret %s (spec.files[%d].contentFrom): %s", ref.Key, ref.Name, i, detail)
		}
	}
	return ""
}

// writeBootstrapSecret creates the bootstrap secret (name = config name, keys value and format, controller owner
// reference to the config); an existing one is updated, which only happens when a previous reconcile stopped
// between writing it and recording it in the status.
func (r *Reconciler) writeBootstrapSecret(ctx context.Context, s *scope, value []byte) error {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:            s.config.Name,
			Namespace:       s.config.Namespace,
			Labels:          map[string]string{clusterv1.ClusterNameLabel: s.cluster.Name},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(s.config, bootstrapv1.GroupVersion.WithKind("KThreesConfig"))},
		},
		Type: clusterv1.ClusterSecretType,
		Data: map[string][]byte{valueDataKey: value, formatDataKey: []byte(formatOf(s.config))},
	}
	err := r.Client.Create(ctx, secret)
	if apierrors.IsAlreadyExists(err) {
		err = r.Client.Update(ctx, secret)
	}
	if err != nil {
		return fmt.Errorf("failed to write bootstrap data Secret %s: %w", client.ObjectKeyFromObject(secret), err)
	}
	return nil
}

func formatOf(config *bootstrapv1.KThreesConfig) bootstrapv1.Format {
	if config.Spec.Format == "" {
		return bootstrapv1.CloudConfig
	}
	return config.Spec.Format
}

func clusterKey(cluster *clusterv1.Cluster) client.ObjectKey {
	return client.ObjectKey{Namespace: cluster.Namespace, Name: cluster.Name}
}

// clusterOwnerRef makes objects created for a cluster live as long as the cluster, without controlling them.
func clusterOwnerRef(cluster *clusterv1.Cluster) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster", Name: cluster.Name, UID: cluster.UID}
}
