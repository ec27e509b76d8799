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

package controllers

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	inmemoryruntime "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/runtime"

	infrav1 "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/api/v1beta1"
	"github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/mux"
)

const (
	// DefaultMinPort and DefaultMaxPort bound the ports of the simulated API servers by default.
	DefaultMinPort, DefaultMaxPort = 20000, 24000

	// defaultConcurrency is the default number of concurrent reconciles per controller.
	defaultConcurrency = 10
)

// Options configure a Simulator. The ports and the debug port are read by the first SetupWithManager only.
type Options struct {
	// MinPort and MaxPort bound the ports of the simulated API servers on 127.0.0.1 (inclusive); 0 means
	// DefaultMinPort and DefaultMaxPort.
	MinPort, MaxPort int32

	// DebugPort is the port of the inmemory debug server on 127.0.0.1; 0 disables it.
	DebugPort int32

	// ClusterConcurrency and MachineConcurrency are the concurrent reconciles of the controllers; 0 means 10.
	ClusterConcurrency, MachineConcurrency int

	// WatchFilterValue restricts the controllers to objects with the cluster.x-k8s.io/watch-filter label of that
	// value.
	WatchFilterValue string
}

// Simulator simulates the infrastructure and the K3s nodes of workload clusters. The zero value is ready to
// use; it starts with the first SetupWithManager and runs until that call's context is done or Shutdown. It
// survives its managers: SetupWithManager may be called again with a new manager (controllers restarted) and the
// simulated clusters carry on.
type Simulator struct {
	mu       sync.Mutex
	started  bool
	stopped  bool
	log      logr.Logger
	runtime  inmemoryruntime.Manager
	mux      *mux.Mux
	cancel   context.CancelFunc
	workDone chan struct{}

	// clusters is the K3s state of the workload clusters, by listener name (<namespace>/<K3sSimCluster name>).
	clusters map[string]*clusterState
	// machines are the simulated nodes, by K3sSimMachine UID.
	machines map[types.UID]*machineState
	// bootStarted is when each K3sSimMachine started booting, by UID.
	bootStarted map[types.UID]time.Time
	// wakeups are the channels waking the K3sSimMachine controllers of the running managers.
	wakeups map[chan event.GenericEvent]struct{}

	// queue holds the work triggered by workload objects: etcd member removals, leader elections and upgrade
	// Pods.
	queue workqueue.TypedRateLimitingInterface[workItem]
}

// clusterState is what K3s knows of a workload cluster.
type clusterState struct {
	name string
	// initialized is set when the first server started the cluster.
	initialized bool
	// initNode is the node of the first server.
	initNode string
	// token is the server token: the cluster-init server's token (random when it had none).
	token string
	// agentToken is the cluster-init server's agent-token, which agents may use instead of the token.
	agentToken string
	// etcdClusterID is the ID of the embedded etcd cluster.
	etcdClusterID int64
	// serverCA signs the API server certificate; etcdCA the etcd member certificates.
	serverCA, etcdCA *x509.Certificate
	serverCAKey      crypto.Signer
	etcdCAKey        crypto.Signer
	// nodes counts the nodes that ever joined, to give each an address.
	nodes int
}

// machineState is a simulated node.
type machineState struct {
	cluster  string
	nodeName string
	server   bool
	// etcdPod is the etcd member pod of a server, "" for agents and servers without embedded etcd.
	etcdPod string
	// address is the node's InternalIP.
	address string
	// version is the version of the K3s binary on the node: the bootstrap data's, then the last upgrade's. A
	// restart of K3s runs it.
	version string
	// started is when K3s first started; its certificates are valid for a year from then.
	started time.Time
	// certificatesRenewed is when K3s last issued new certificates as it restarted; zero if it never did.
	certificatesRenewed time.Time
	// knobs and unreachable are the K3sSimMachine's, as last reconciled; upgrades read them.
	knobs       infrav1.K3sSimMachineSpec
	unreachable bool
	// upgrade is the upgrade Pod running on the node, nil when none.
	upgrade *upgradeRun
}

// workItem is a unit of work of the simulator's queue.
type workItem struct {
	// resourceGroup is the workload cluster.
	resourceGroup string
	// node, if set, is a Node to check for the etcd removal annotation; pod, if set, is an upgrade Pod to run;
	// otherwise the cluster's etcd leader is checked.
	node string
	pod  client.ObjectKey
}

// SetupWithManager starts the simulator (first call only) and registers its controllers with mgr.
func (s *Simulator) SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	if err := s.start(ctx, opts); err != nil {
		return err
	}
	wake := make(chan event.GenericEvent, 1)
	s.mu.Lock()
	s.wakeups[wake] = struct{}{}
	s.mu.Unlock()
	// Stop waking this manager's controller once it stops.
	if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		<-ctx.Done()
		s.mu.Lock()
		delete(s.wakeups, wake)
		s.mu.Unlock()
		return nil
	})); err != nil {
		return fmt.Errorf("failed to add the wakeup runnable: %w", err)
	}

	clusterConcurrency, machineConcurrency := opts.ClusterConcurrency, opts.MachineConcurrency
	if clusterConcurrency <= 0 {
		clusterConcurrency = defaultConcurrency
	}
	if machineConcurrency <= 0 {
		machineConcurrency = defaultConcurrency
	}
	cr := &clusterReconciler{client: mgr.GetClient(), sim: s, watchFilterValue: opts.WatchFilterValue}
	if err := cr.setupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: clusterConcurrency}); err != nil {
		return err
	}
	mr := &machineReconciler{
		client:           mgr.GetClient(),
		recorder:         mgr.GetEventRecorderFor("k3ssim-machine-controller"),
		sim:              s,
		watchFilterValue: opts.WatchFilterValue,
	}
	return mr.setupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: machineConcurrency}, wake)
}

// start creates the runtime, the mux and the work queue, once.
func (s *Simulator) start(ctx context.Context, opts Options) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return errors.New("the simulator is shut down")
	}
	if s.started {
		return nil
	}
	s.log = ctrl.LoggerFrom(ctx).WithName("k3ssim")
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return fmt.Errorf("failed to build the workload scheme: %w", err)
	}
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		return fmt.Errorf("failed to build the workload scheme: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	rt := inmemoryruntime.NewManager(scheme)
	if err := rt.Start(runCtx); err != nil {
		cancel()
		return fmt.Errorf("failed to start the inmemory runtime: %w", err)
	}
	minPort, maxPort := opts.MinPort, opts.MaxPort
	if minPort == 0 && maxPort == 0 {
		minPort, maxPort = DefaultMinPort, DefaultMaxPort
	}
	mx, err := mux.New(rt, mux.Options{MinPort: minPort, MaxPort: maxPort, DebugPort: opts.DebugPort, Logger: s.log.WithName("mux")})
	if err != nil {
		cancel()
		return err
	}
	s.runtime, s.mux, s.cancel = rt, mx, cancel
	s.clusters = map[string]*clusterState{}
	s.machines = map[types.UID]*machineState{}
	s.bootStarted = map[types.UID]time.Time{}
	s.wakeups = map[chan event.GenericEvent]struct{}{}
	s.queue = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[workItem](50*time.Millisecond, 10*time.Second),
		workqueue.TypedRateLimitingQueueConfig[workItem]{Name: "k3ssim"})
	if err := s.watchWorkloads(runCtx); err != nil {
		cancel()
		return errors.Join(err, mx.Shutdown(context.Background()))
	}
	s.workDone = make(chan struct{})
	go s.work(runCtx)
	s.started = true
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Shutdown(context.Background())
		case <-runCtx.Done():
		}
	}()
	return nil
}

// Shutdown stops the listeners and the simulator's work.
func (s *Simulator) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.started || s.stopped {
		s.stopped = true
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	s.cancel()
	s.queue.ShutDown()
	done := s.workDone
	s.mu.Unlock()
	err := s.mux.Shutdown(ctx)
	select {
	case <-done:
	case <-ctx.Done():
		return errors.Join(err, ctx.Err())
	}
	return err
}

// WorkloadClient returns a client of the objects of a workload cluster, reading and writing them directly (as the
// simulated nodes do), by its K3sSimCluster.
func (s *Simulator) WorkloadClient(simCluster client.ObjectKey) (inmemoryruntime.Client, error) {
	rt, err := s.workloadRuntime()
	if err != nil {
		return nil, err
	}
	return rt.GetResourceGroup(listenerName(simCluster)).GetClient(), nil
}

// RESTConfig returns an admin REST config of the workload cluster's API server, by its K3sSimCluster.
func (s *Simulator) RESTConfig(simCluster client.ObjectKey) (*rest.Config, error) {
	if _, err := s.workloadRuntime(); err != nil {
		return nil, err
	}
	return s.mux.RESTConfig(listenerName(simCluster))
}

// Runtime returns the in-memory runtime holding every workload cluster's objects (one resource group per
// cluster, named ResourceGroup), for observers such as the fleet benchmark; it fails before the simulator starts.
func (s *Simulator) Runtime() (inmemoryruntime.Manager, error) {
	return s.workloadRuntime()
}

// ResourceGroup is the name of a K3sSimCluster's resource group in Runtime.
func ResourceGroup(simCluster client.ObjectKey) string {
	return listenerName(simCluster)
}

// Mux returns the mux serving the workload clusters, nil before the simulator starts.
func (s *Simulator) Mux() *mux.Mux {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mux
}

func (s *Simulator) workloadRuntime() (inmemoryruntime.Manager, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return nil, errors.New("the simulator is not started")
	}
	return s.runtime, nil
}

// wakeLocked makes the K3sSimMachine controllers of the running managers look at the machines that have not
// booted (a cluster was initialized).
func (s *Simulator) wakeLocked() {
	for ch := range s.wakeups {
		select {
		case ch <- event.GenericEvent{Object: &infrav1.K3sSimMachine{}}:
		default:
			// A wakeup is pending already, or the manager is stopping.
		}
	}
}

// listenerName is the name of the listener and of the resource group of a K3sSimCluster.
func listenerName(simCluster client.ObjectKey) string {
	return simCluster.Namespace + "/" + simCluster.Name
}
