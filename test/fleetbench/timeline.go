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
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inmemorycache "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/runtime/cache"
)

// timeline records, as the driver observes them through watches, when each cluster reached each step. Watch
// delivery adds the same few milliseconds to every flavor.
type timeline struct {
	mu  sync.Mutex
	now func() time.Time
	// machines is how many Machines a cluster of the run's shape has.
	machines int

	clusters map[string]*observed // by namespace/name of the Cluster
	// controlPlanes maps a control-plane object (namespace/name) to its Cluster's key.
	controlPlanes map[string]string
	// secretCreated is when each Secret (namespace/name) was first seen.
	secretCreated map[string]time.Time
	// nodeReady is, by in-memory resource group, when each control-plane Node was first seen Ready.
	nodeReady map[string]map[string]time.Time
}

// observed is one cluster's steps, as wall-clock times.
type observed struct {
	created, infrastructureProvisioned, controlPlaneAvailable, available, deleted time.Time
	// clusterAvailable is when the Cluster's Available condition was first True; available is when, besides, all
	// of the shape's Machines were Ready (a control plane is Available with one of three servers).
	clusterAvailable time.Time
	// readyMachines are the cluster's Machines whose Ready condition was seen True.
	readyMachines map[string]struct{}
	// dataSecrets are the bootstrap data Secrets of the cluster's control-plane Machines.
	dataSecrets map[string]struct{}
}

func newTimeline(machines int) *timeline {
	return &timeline{now: time.Now, machines: machines, clusters: map[string]*observed{}, controlPlanes: map[string]string{},
		secretCreated: map[string]time.Time{}, nodeReady: map[string]map[string]time.Time{}}
}

func (t *timeline) cluster(key string) *observed {
	o, ok := t.clusters[key]
	if !ok {
		o = &observed{dataSecrets: map[string]struct{}{}, readyMachines: map[string]struct{}{}}
		t.clusters[key] = o
	}
	return o
}

// created records a cluster's creation by the driver.
func (t *timeline) created(key string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cluster(key).created = at
}

// setOnce sets *field to now if it is unset.
func setOnce(field *time.Time, now time.Time) {
	if field.IsZero() {
		*field = now
	}
}

func (t *timeline) onCluster(obj any) {
	c, ok := obj.(*clusterv1.Cluster)
	if !ok {
		return
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	key := client.ObjectKeyFromObject(c).String()
	o := t.cluster(key)
	if c.Spec.ControlPlaneRef.Name != "" {
		t.controlPlanes[c.Namespace+"/"+c.Spec.ControlPlaneRef.Name] = key
	}
	if c.Status.Initialization.InfrastructureProvisioned != nil && *c.Status.Initialization.InfrastructureProvisioned {
		setOnce(&o.infrastructureProvisioned, now)
	}
	if conditions.IsTrue(c, clusterv1.AvailableCondition) {
		setOnce(&o.clusterAvailable, now)
	}
	t.completeLocked(o, now)
}

// completeLocked marks a cluster Available once the Cluster is Available and all its Machines are Ready.
func (t *timeline) completeLocked(o *observed, now time.Time) {
	if !o.clusterAvailable.IsZero() && len(o.readyMachines) >= t.machines {
		setOnce(&o.available, now)
	}
}

func (t *timeline) onClusterDeleted(obj any) {
	if tombstone, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	c, ok := obj.(*clusterv1.Cluster)
	if !ok {
		return
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	setOnce(&t.cluster(client.ObjectKeyFromObject(c).String()).deleted, now)
}

func (t *timeline) onMachine(obj any) {
	m, ok := obj.(*clusterv1.Machine)
	if !ok {
		return
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.cluster(m.Namespace + "/" + m.Spec.ClusterName)
	if _, cp := m.Labels[clusterv1.MachineControlPlaneLabel]; cp && m.Spec.Bootstrap.DataSecretName != nil {
		o.dataSecrets[m.Namespace+"/"+*m.Spec.Bootstrap.DataSecretName] = struct{}{}
	}
	if conditions.IsTrue(m, clusterv1.ReadyCondition) {
		o.readyMachines[m.Name] = struct{}{}
		t.completeLocked(o, now)
	}
}

func (t *timeline) onSecret(obj any) {
	s, ok := obj.(client.Object)
	if !ok {
		return
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	key := s.GetNamespace() + "/" + s.GetName()
	if _, seen := t.secretCreated[key]; !seen {
		t.secretCreated[key] = now
	}
}

func (t *timeline) onControlPlane(obj any) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	now := t.now()
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	available := false
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == clusterv1.AvailableCondition && m["status"] == string(metav1.ConditionTrue) {
			available = true
		}
	}
	if !available {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if key, ok := t.controlPlanes[u.GetNamespace()+"/"+u.GetName()]; ok {
		setOnce(&t.cluster(key).controlPlaneAvailable, now)
	}
}

// nodeHandler records control-plane Nodes turning Ready in the in-memory runtime. The in-memory cache calls it
// with its locks held: it only records.
type nodeHandler struct{ t *timeline }

func (h nodeHandler) OnCreate(rg string, obj client.Object)    { h.t.onNode(rg, obj) }
func (h nodeHandler) OnUpdate(rg string, _, obj client.Object) { h.t.onNode(rg, obj) }
func (h nodeHandler) OnDelete(string, client.Object)           {}
func (h nodeHandler) OnGeneric(string, client.Object)          {}

var _ inmemorycache.InformEventHandler = nodeHandler{}

func (t *timeline) onNode(rg string, obj client.Object) {
	n, ok := obj.(*corev1.Node)
	if !ok {
		return
	}
	if _, cp := n.Labels["node-role.kubernetes.io/control-plane"]; !cp {
		return
	}
	ready := false
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			ready = true
		}
	}
	if !ready {
		return
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.nodeReady[rg] == nil {
		t.nodeReady[rg] = map[string]time.Time{}
	}
	if _, seen := t.nodeReady[rg][n.Name]; !seen {
		t.nodeReady[rg][n.Name] = now
	}
}

// watch starts the management-cluster watches (Clusters, Machines, Secrets' metadata, the control-plane kind) and
// the Node watch of the in-memory runtime; the cache runs until ctx ends.
func (t *timeline) watch(ctx context.Context, cfg *rest.Config, opts cache.Options, controlPlane schema.GroupVersionKind, flavor Flavor) error {
	c, err := cache.New(cfg, opts)
	if err != nil {
		return fmt.Errorf("failed to create the timeline's cache: %w", err)
	}
	secrets := &metav1.PartialObjectMetadata{}
	secrets.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	cp := &unstructured.Unstructured{}
	cp.SetGroupVersionKind(controlPlane)
	handlers := []struct {
		obj     client.Object
		handler toolscache.ResourceEventHandler
	}{
		{&clusterv1.Cluster{}, toolscache.ResourceEventHandlerFuncs{
			AddFunc: t.onCluster, UpdateFunc: func(_, o any) { t.onCluster(o) }, DeleteFunc: t.onClusterDeleted}},
		{&clusterv1.Machine{}, toolscache.ResourceEventHandlerFuncs{AddFunc: t.onMachine, UpdateFunc: func(_, o any) { t.onMachine(o) }}},
		{secrets, toolscache.ResourceEventHandlerFuncs{AddFunc: t.onSecret}},
		{cp, toolscache.ResourceEventHandlerFuncs{AddFunc: t.onControlPlane, UpdateFunc: func(_, o any) { t.onControlPlane(o) }}},
	}
	for _, h := range handlers {
		informer, err := c.GetInformer(ctx, h.obj)
		if err != nil {
			return fmt.Errorf("failed to watch %T: %w", h.obj, err)
		}
		if _, err := informer.AddEventHandler(h.handler); err != nil {
			return err
		}
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return fmt.Errorf("the timeline's cache did not sync")
	}
	nodes, err := flavor.Runtime().GetCache().GetInformer(ctx, &corev1.Node{})
	if err != nil {
		return fmt.Errorf("failed to watch workload Nodes: %w", err)
	}
	return nodes.AddEventHandler(nodeHandler{t: t})
}

// timelines converts the observations to offsets from start, in the order of keys.
func (t *timeline) timelines(start time.Time, keys []string, resourceGroup func(key string) string) []ClusterTimeline {
	t.mu.Lock()
	defer t.mu.Unlock()
	since := func(at time.Time) Duration {
		if at.IsZero() {
			return 0
		}
		return Duration(at.Sub(start))
	}
	out := make([]ClusterTimeline, 0, len(keys))
	for _, key := range keys {
		o := t.cluster(key)
		var dataWritten time.Time
		for s := range o.dataSecrets {
			if at, ok := t.secretCreated[s]; ok && (dataWritten.IsZero() || at.Before(dataWritten)) {
				dataWritten = at
			}
		}
		// The Node whose readiness made the control plane Available: the last to turn Ready before it did.
		var lastReady time.Time
		for _, at := range t.nodeReady[resourceGroup(key)] {
			if !o.controlPlaneAvailable.IsZero() && at.After(o.controlPlaneAvailable) {
				continue
			}
			if at.After(lastReady) {
				lastReady = at
			}
		}
		out = append(out, ClusterTimeline{
			Name:                      key,
			Created:                   since(o.created),
			InfrastructureProvisioned: since(o.infrastructureProvisioned),
			BootstrapDataWritten:      since(dataWritten),
			LastControlPlaneNodeReady: since(lastReady),
			ControlPlaneAvailable:     since(o.controlPlaneAvailable),
			Available:                 since(o.available),
			Deleted:                   since(o.deleted),
		})
	}
	return out
}

// availableCount is how many of the keys' clusters are Available; goneCount how many were deleted.
func (t *timeline) counts(keys []string) (available, gone int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		o := t.cluster(k)
		if !o.available.IsZero() {
			available++
		}
		if !o.deleted.IsZero() {
			gone++
		}
	}
	return available, gone
}
