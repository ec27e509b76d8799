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

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/record"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/bootstrap/kubeadm/pkg/locking"
	"sigs.k8s.io/cluster-api/util/conditions"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/conversion"

	bootstrapv1beta1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta1"
	bootstrapv1beta2 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta2"
	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/bootstrap/reconcilers/kthreesconfig"
	"github.com/k3s-io/cluster-api-k3s/bootstrap/webhooks"
)

// maxReconciles bounds the reconcile loop; a config gets its data within a few rounds or never.
const maxReconciles = 5

// Options tune Render.
type Options struct {
	// NoDefaults skips the webhook defaulting of the KThreesConfig.
	NoDefaults bool
}

// Output is the rendered bootstrap data.
type Output struct {
	Value  []byte
	Format string
}

// WaitingError reports that the reconciler would wait rather than produce data, e.g. a worker of a cluster whose
// control plane is not initialized; the message is the condition message a user would see.
type WaitingError struct{ Reason, Message string }

func (e *WaitingError) Error() string { return fmt.Sprintf("%s: %s", e.Reason, e.Message) }

// Render decodes the objects, runs the KThreesConfig reconciler against them in memory and returns the data.
func Render(ctx context.Context, in io.Reader, opts Options) (*Output, error) {
	scheme, err := newScheme()
	if err != nil {
		return nil, err
	}
	objs, config, err := decode(in, scheme)
	if err != nil {
		return nil, err
	}
	if !opts.NoDefaults {
		if err := (&webhooks.KThreesConfig{}).Default(ctx, config); err != nil {
			return nil, fmt.Errorf("failed to default the KThreesConfig: %w", err)
		}
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(append(objs, config)...).
		WithStatusSubresource(&bootstrapv1.KThreesConfig{}, &clusterv1.Cluster{}, &clusterv1.Machine{}, &clusterv1.MachinePool{}).
		WithIndex(&clusterv1.Machine{}, kthreesconfig.MachineConfigRefIndex, kthreesconfig.MachineConfigRefNames).Build()
	r := &kthreesconfig.Reconciler{Client: c, APIReader: c, Recorder: record.NewFakeRecorder(32), InitLock: locking.NewControlPlaneInitMutex(c)}

	key := client.ObjectKeyFromObject(config)
	for range maxReconciles {
		if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: key}); err != nil {
			return nil, fmt.Errorf("reconcile failed: %w", err)
		}
		secret := &corev1.Secret{}
		if err := c.Get(ctx, key, secret); err == nil {
			return &Output{Value: secret.Data["value"], Format: string(secret.Data["format"])}, nil
		}
	}
	return nil, waiting(ctx, c, key)
}

// waiting explains why no data was produced, from the config's conditions.
func waiting(ctx context.Context, c client.Client, key client.ObjectKey) error {
	config := &bootstrapv1.KThreesConfig{}
	if err := c.Get(ctx, key, config); err != nil {
		return fmt.Errorf("failed to read the KThreesConfig back: %w", err)
	}
	for _, t := range []string{clusterv1.PausedCondition, bootstrapv1.KThreesConfigDataSecretAvailableCondition, bootstrapv1.KThreesConfigCertificatesAvailableCondition} {
		if cond := conditions.Get(config, t); cond != nil && (cond.Status != "True") == (t != clusterv1.PausedCondition) {
			return &WaitingError{Reason: cond.Reason, Message: cond.Message}
		}
	}
	return errors.New("the reconciler produced no bootstrap data and reported no reason; is the KThreesConfig owned by the Machine or MachinePool (metadata.ownerReferences), or named by a Machine's spec.bootstrap.configRef?")
}

func newScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, clusterv1.AddToScheme,
		bootstrapv1beta1.AddToScheme, bootstrapv1beta2.AddToScheme, bootstrapv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// decode reads the objects; the one KThreesConfig is converted to the hub version whatever version it was written in.
func decode(in io.Reader, scheme *runtime.Scheme) ([]client.Object, *bootstrapv1.KThreesConfig, error) {
	var objs []client.Object
	var config *bootstrapv1.KThreesConfig
	dec := yaml.NewYAMLOrJSONDecoder(bufio.NewReader(in), 4096)
	for i := 0; ; i++ {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		typed, err := scheme.New(u.GroupVersionKind())
		if err != nil {
			return nil, nil, fmt.Errorf("document %d (%s %s): unsupported kind: %w", i, u.GetAPIVersion(), u.GetKind(), err)
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, typed); err != nil {
			return nil, nil, fmt.Errorf("document %d (%s %s): %w", i, u.GetKind(), u.GetName(), err)
		}
		if u.GetKind() == "KThreesConfig" {
			if config != nil {
				return nil, nil, errors.New("the input holds more than one KThreesConfig")
			}
			hub, err := toHub(typed)
			if err != nil {
				return nil, nil, fmt.Errorf("failed to convert KThreesConfig %s to %s: %w", u.GetName(), bootstrapv1.GroupVersion, err)
			}
			config = hub
			continue
		}
		if secret, ok := typed.(*corev1.Secret); ok {
			foldStringData(secret)
		}
		objs = append(objs, typed.(client.Object))
	}
	if config == nil {
		return nil, nil, errors.New("the input holds no KThreesConfig")
	}
	return objs, config, nil
}

// toHub converts a KThreesConfig of any served version to v1beta3 with the same conversion the webhook uses.
func toHub(obj runtime.Object) (*bootstrapv1.KThreesConfig, error) {
	switch o := obj.(type) {
	case *bootstrapv1.KThreesConfig:
		return o, nil
	case conversion.Convertible:
		hub := &bootstrapv1.KThreesConfig{}
		if err := o.ConvertTo(hub); err != nil {
			return nil, err
		}
		return hub, nil
	default:
		return nil, fmt.Errorf("unsupported type %T", obj)
	}
}

// foldStringData does what the API server does on write: stringData entries become data entries.
func foldStringData(s *corev1.Secret) {
	if len(s.StringData) == 0 {
		return
	}
	if s.Data == nil {
		s.Data = map[string][]byte{}
	}
	for k, v := range s.StringData {
		s.Data[k] = []byte(v)
	}
	s.StringData = nil
}
