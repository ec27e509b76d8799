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

package kthreescontrolplane

import (
	"context"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/collections"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	controlplanev1 "github.com/k3s-io/cluster-api-k3s/controlplane/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/pkg/contract"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcd"
	"github.com/k3s-io/cluster-api-k3s/pkg/etcdproxy"
	"github.com/k3s-io/cluster-api-k3s/pkg/workload"
)

// controlPlane is what one reconcile of a KThreesControlPlane works on: the control plane, its Cluster, the
// control-plane Machines with their InfraMachines and KThreesConfigs, and lazily opened workload-cluster access.
// Phases record what they observed in it for the status computation at the end of the reconcile.
type controlPlane struct {
	KCP     *controlplanev1.KThreesControlPlane
	Cluster *clusterv1.Cluster

	// Machines are the control-plane Machines of the cluster controlled by this control plane.
	Machines collections.Machines
	// adoptableMachines are control-plane Machines of the cluster without a controller.
	adoptableMachines collections.Machines
	// foreignMachines are control-plane Machines of the cluster controlled by something else.
	foreignMachines collections.Machines
	// InfraMachines and Configs are the InfraMachines and KThreesConfigs of Machines, by Machine name; missing
	// ones are absent.
	InfraMachines map[string]*unstructured.Unstructured
	Configs       map[string]*bootstrapv1.KThreesConfig

	// upToDate tells, by Machine name, whether a Machine matches the desired spec and why not.
	upToDate map[string]upToDateResult
	// machinesBefore are the Machines as read (or applied), by name: patchMachines writes only conditions that
	// changed since.
	machinesBefore map[string]*clusterv1.Machine
	// createdMachines are the Machines this reconcile created, by name.
	createdMachines map[string]bool

	// reconcileTime is the time the reconcile started; time-based decisions use it.
	reconcileTime time.Time

	// health is what reconcileWorkloadHealth observed (nil when it did not run).
	health *workloadHealth
	// preflightMessages say, for people, why scaling or a rollout waits (e.g. "Machine m1 etcd member is not
	// healthy"); the status shows them in the ScalingUp, ScalingDown and RollingOut conditions.
	preflightMessages []string
	// inPlace is the in-place upgrade this reconcile moved on, for the RollingOut condition; nil when none.
	inPlace *inPlaceProgress
	// requeueAfter, when set, asks for a reconcile after that long, for waits on something not watched (e.g. a
	// remediation retry period).
	requeueAfter time.Duration
	// waitingForCluster is set when the reconcile stopped to wait for the Cluster's infrastructure or endpoint.
	waitingForCluster bool

	// workload access, opened on first use.
	// secrets reads the cluster's Secrets, each at most once per reconcile.
	secrets *reconcileSecrets

	openWorkload  func(ctx context.Context) (workload.Cluster, error)
	openEtcd      func(ctx context.Context) (etcd.ClientGenerator, error)
	workload      workload.Cluster
	workloadErr   error
	workloadTried bool
}

// newControlPlane reads the control plane's Machines and their InfraMachines and KThreesConfigs.
func (r *Reconciler) newControlPlane(ctx context.Context, cluster *clusterv1.Cluster, kcp *controlplanev1.KThreesControlPlane) (*controlPlane, error) {
	all, err := collections.GetFilteredMachinesForCluster(ctx, r.Client, cluster, collections.ControlPlaneMachines(cluster.Name))
	if err != nil {
		return nil, fmt.Errorf("failed to list the control-plane Machines: %w", err)
	}
	clusterKey := client.ObjectKeyFromObject(cluster)
	cp := &controlPlane{
		KCP:               kcp,
		Cluster:           cluster,
		Machines:          all.Filter(collections.OwnedMachines(kcp, controlplanev1.GroupVersion.WithKind("KThreesControlPlane").GroupKind())),
		adoptableMachines: all.Filter(collections.Not(collections.HasControllerRef)),
		InfraMachines:     map[string]*unstructured.Unstructured{},
		Configs:           map[string]*bootstrapv1.KThreesConfig{},
		machinesBefore:    map[string]*clusterv1.Machine{},
		reconcileTime:     r.clock(),
		openWorkload:      func(ctx context.Context) (workload.Cluster, error) { return r.workloadFor(ctx, clusterKey) },
		secrets:           newReconcileSecrets(r.Client, r.SecretReader),
	}
	cp.openEtcd = func(ctx context.Context) (etcd.ClientGenerator, error) { return r.etcdFor(ctx, clusterKey, cp.secrets) }
	cp.foreignMachines = all.Difference(cp.Machines).Difference(cp.adoptableMachines)

	for _, m := range cp.Machines {
		if err := r.readMachineObjects(ctx, cp, m); err != nil {
			return nil, err
		}
		cp.setMachine(m)
	}
	cp.upToDate = map[string]upToDateResult{}
	for _, m := range cp.Machines {
		cp.upToDate[m.Name] = machineUpToDate(cp, m)
	}
	return cp, nil
}

// readMachineObjects reads the InfraMachine and the KThreesConfig of a Machine; missing ones are skipped.
func (r *Reconciler) readMachineObjects(ctx context.Context, cp *controlPlane, m *clusterv1.Machine) error {
	if m.Spec.InfrastructureRef.IsDefined() {
		infra, err := readInfraMachineMetadata(ctx, r.Client, m.Spec.InfrastructureRef, m.Namespace)
		switch {
		case err == nil:
			cp.InfraMachines[m.Name] = infra
		case !apierrors.IsNotFound(err):
			return fmt.Errorf("failed to get the InfraMachine of Machine %s: %w", m.Name, err)
		}
	}
	if ref := m.Spec.Bootstrap.ConfigRef; ref.IsDefined() && ref.Kind == "KThreesConfig" {
		config := &bootstrapv1.KThreesConfig{}
		err := r.Client.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: ref.Name}, config)
		switch {
		case err == nil:
			cp.Configs[m.Name] = config
		case !apierrors.IsNotFound(err):
			return fmt.Errorf("failed to get the KThreesConfig of Machine %s: %w", m.Name, err)
		}
	}
	return nil
}

// setMachine records m as the current state of one of the control plane's Machines, e.g. after it was applied;
// patchMachines writes the conditions set on it since.
func (cp *controlPlane) setMachine(m *clusterv1.Machine) {
	cp.Machines.Insert(m)
	if cp.machinesBefore == nil {
		cp.machinesBefore = map[string]*clusterv1.Machine{}
	}
	cp.machinesBefore[m.Name] = m.DeepCopy()
}

// Workload returns the workload cluster, opening it on first use. Errors are RemoteConnectionErrors when the
// cluster cannot be reached (see workload.IsRemoteConnectionError); the same error is returned on later calls.
func (cp *controlPlane) Workload(ctx context.Context) (workload.Cluster, error) {
	if !cp.workloadTried {
		cp.workloadTried = true
		cp.workload, cp.workloadErr = cp.openWorkload(ctx)
	}
	return cp.workload, cp.workloadErr
}

// EtcdClients returns a generator of clients to the etcd members of the workload cluster. Call it only when
// EtcdInspected is true.
func (cp *controlPlane) EtcdClients(ctx context.Context) (etcd.ClientGenerator, error) {
	return cp.openEtcd(ctx)
}

// DesiredReplicas is spec.replicas, 1 when unset (the webhook defaults it).
func (cp *controlPlane) DesiredReplicas() int32 {
	if cp.KCP.Spec.Replicas == nil {
		return 1
	}
	return *cp.KCP.Spec.Replicas
}

// EtcdInspected reports whether etcd members are reached through the etcd-proxy pods. Clusters that disable the
// proxy (serverConfig.disableComponents contains etcd-proxy) are managed from Node annotations only.
func (cp *controlPlane) EtcdInspected() bool {
	return !slices.Contains(cp.KCP.Spec.KThreesConfigSpec.ServerConfig.DisableComponents, etcdproxy.Name)
}

// Initialized reports whether the control plane has been initialized; once true it stays true.
func (cp *controlPlane) Initialized() bool {
	return cp.KCP.Status.Initialization.ControlPlaneInitialized != nil && *cp.KCP.Status.Initialization.ControlPlaneInitialized
}

// readInfraMachineMetadata reads the metadata of the InfraMachine ref names, at the API version of the CAPI contract
// its CRD declares, as an Unstructured with apiVersion, kind and metadata only. The control plane needs nothing else
// of it (labels, annotations, owner references), and a metadata-only read keeps it in a metadata informer: the
// InfraMachine's status writes, frequent while a machine provisions, are then neither decoded nor cached whole.
func readInfraMachineMetadata(ctx context.Context, c client.Reader, ref clusterv1.ContractVersionedObjectReference, namespace string) (*unstructured.Unstructured, error) {
	gk := schema.GroupKind{Group: ref.APIGroup, Kind: ref.Kind}
	apiVersion, err := contract.GetAPIVersion(ctx, c, gk)
	if err != nil {
		// Not wrapped: the InfraMachine's CRD missing is not the InfraMachine missing.
		return nil, fmt.Errorf("failed to find the API version of %s: %s", gk, err.Error())
	}
	typeMeta := metav1.TypeMeta{APIVersion: apiVersion, Kind: ref.Kind}
	meta := &metav1.PartialObjectMetadata{TypeMeta: typeMeta}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ref.Name}, meta); err != nil {
		return nil, err
	}
	meta.TypeMeta = typeMeta // Readers may return it empty.
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(meta)
	if err != nil {
		return nil, fmt.Errorf("failed to convert the metadata of %s %s: %w", gk.Kind, ref.Name, err)
	}
	return &unstructured.Unstructured{Object: obj}, nil
}

// nodeNameOf is the name of the Machine's Node: status.nodeRef once CAPI's Machine controller set it; before that,
// the control-plane Node read in this reconcile whose spec.providerID is the Machine's, which is how CAPI finds it.
// Judging the Node as soon as it is Ready, rather than when CAPI copies it into the Machine, is what makes the
// control plane Available without waiting for another controller. "" when neither is known.
func (cp *controlPlane) nodeNameOf(m *clusterv1.Machine) string {
	if m.Status.NodeRef.IsDefined() {
		return m.Status.NodeRef.Name
	}
	if cp.health == nil || m.Spec.ProviderID == "" {
		return ""
	}
	return cp.health.nodeByProviderID[m.Spec.ProviderID]
}

// UpToDateMachines are the Machines that match the desired spec.
func (cp *controlPlane) UpToDateMachines() collections.Machines {
	return cp.Machines.Filter(func(m *clusterv1.Machine) bool { return cp.upToDate[m.Name].UpToDate })
}

// MachinesNeedingRollout are the Machines, not being deleted, that must be replaced.
func (cp *controlPlane) MachinesNeedingRollout() collections.Machines {
	return cp.Machines.Filter(collections.Not(collections.HasDeletionTimestamp), func(m *clusterv1.Machine) bool {
		return !cp.upToDate[m.Name].UpToDate
	})
}

// DeletingMachines are the Machines being deleted.
func (cp *controlPlane) DeletingMachines() collections.Machines {
	return cp.Machines.Filter(collections.HasDeletionTimestamp)
}

// ControlPlaneFailureDomains are the Cluster's failure domains eligible for control-plane Machines.
func (cp *controlPlane) ControlPlaneFailureDomains() []clusterv1.FailureDomain {
	var fds []clusterv1.FailureDomain
	for _, fd := range cp.Cluster.Status.FailureDomains {
		if fd.ControlPlane != nil && *fd.ControlPlane {
			fds = append(fds, fd)
		}
	}
	return fds
}

// hasMachinesOfOtherOwners reports whether some control-plane Machine of the cluster is controlled by
// something other than this control plane.
func (cp *controlPlane) hasMachinesOfOtherOwners() bool {
	return len(cp.foreignMachines) > 0
}

// requeueIn asks for a reconcile within d; the earliest request wins.
func (cp *controlPlane) requeueIn(d time.Duration) {
	if d > 0 && (cp.requeueAfter == 0 || d < cp.requeueAfter) {
		cp.requeueAfter = d
	}
}

// withRequeue adds the scope's requeue request to res.
func (cp *controlPlane) withRequeue(res ctrl.Result) ctrl.Result {
	if cp.requeueAfter > 0 && (res.RequeueAfter == 0 || cp.requeueAfter < res.RequeueAfter) {
		res.RequeueAfter = cp.requeueAfter
	}
	return res
}
