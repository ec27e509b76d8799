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
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"google.golang.org/grpc/grpclog"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/cluster-api/util/secret"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
	"github.com/k3s-io/cluster-api-k3s/pkg/bootstrapdata"
	k3scerts "github.com/k3s-io/cluster-api-k3s/pkg/certs"
	"github.com/k3s-io/cluster-api-k3s/pkg/k3sconfig"
	infrav1 "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/api/v1beta1"
	"github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/config"
)

// The simulated API servers of these tests listen in this range.
const testMinPort, testMaxPort = 22000, 22999

const (
	testVersion = "v1.33.4+k3s1"
	// eventually bounds waits for the controllers.
	eventually = 30 * time.Second
)

var (
	env *envtest.Environment
	sim = &Simulator{}
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	// The etcd client logs every failed dial; the tests of unreachable members cause many.
	grpclog.SetLoggerV2(grpclog.NewLoggerV2(io.Discard, io.Discard, os.Stderr))
	crds, err := config.CRDs()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	scheme, err := envtest.NewScheme()
	if err == nil {
		err = infrav1.AddToScheme(scheme)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := envtest.Run(m, envtest.Options{
		Scheme:               scheme,
		CRDs:                 crds,
		SkipWebhookManifests: true,
		Setup: []func(ctrl.Manager) error{func(mgr ctrl.Manager) error {
			return sim.SetupWithManager(ctx, mgr, Options{MinPort: testMinPort, MaxPort: testMaxPort})
		}},
	}, &env)
	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelShutdown()
	if err := sim.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintln(os.Stderr, "failed to shut the simulator down:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// testCluster is a Cluster with its K3sSimCluster, CAs and token, created as CAPI and the providers would.
type testCluster struct {
	cluster    *clusterv1.Cluster
	simCluster *infrav1.K3sSimCluster
	certs      secret.Certificates
	token      string
}

func (tc *testCluster) key() client.ObjectKey { return client.ObjectKeyFromObject(tc.cluster) }

// newTestCluster creates a namespace, a Cluster, its K3sSimCluster (owned by the Cluster, as CAPI sets it), the
// cluster CAs and waits for the endpoint.
func newTestCluster(t *testing.T, mutate ...func(*infrav1.K3sSimCluster)) *testCluster {
	t.Helper()
	g := NewWithT(t)
	ctx := t.Context()
	ns, err := env.CreateNamespace(ctx, "k3ssim")
	g.Expect(err).ToNot(HaveOccurred())
	cluster := &clusterv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "c"},
		Spec: clusterv1.ClusterSpec{InfrastructureRef: clusterv1.ContractVersionedObjectReference{
			APIGroup: infrav1.GroupVersion.Group, Kind: "K3sSimCluster", Name: "c",
		}},
	}
	g.Expect(env.Client.Create(ctx, cluster)).To(Succeed())
	simCluster := &infrav1.K3sSimCluster{ObjectMeta: metav1.ObjectMeta{
		Namespace: ns.Name, Name: "c",
		Labels:          map[string]string{clusterv1.ClusterNameLabel: cluster.Name},
		OwnerReferences: []metav1.OwnerReference{ownerRef(cluster, "Cluster")},
	}}
	for _, m := range mutate {
		m(simCluster)
	}
	g.Expect(env.Client.Create(ctx, simCluster)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(simCluster), simCluster)).To(Succeed())
		g.Expect(simCluster.Status.Initialization.Provisioned).To(HaveValue(BeTrue()))
	}, eventually).Should(Succeed())

	certificates := k3scerts.NewClusterCertificates("")
	g.Expect(certificates.LookupOrGenerate(ctx, env.Client, client.ObjectKeyFromObject(cluster), ownerRef(cluster, "Cluster"))).To(Succeed())
	return &testCluster{cluster: cluster, simCluster: simCluster, certs: certificates, token: "cluster-token-" + randomHex(4)}
}

func ownerRef(o client.Object, kind string) metav1.OwnerReference {
	gvk := clusterv1.GroupVersion.WithKind(kind)
	return metav1.OwnerReference{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Name: o.GetName(), UID: o.GetUID()}
}

// machineOptions describe a Machine to create.
type machineOptions struct {
	role    k3sconfig.Role
	version string
	token   string
	// server overrides the endpoint the node joins.
	server *clusterv1.APIEndpoint
	// spec mutates the KThreesConfig spec before rendering.
	spec func(*bootstrapv1.KThreesConfigSpec)
	// data replaces the rendered bootstrap data.
	data []byte
	// certs replaces the cluster's CAs in the data of an init server.
	certs secret.Certificates
	// knobs is the K3sSimMachine spec.
	knobs infrav1.K3sSimMachineSpec
	// machineFinalizer is added to the Machine, so that deleting it only starts its deletion.
	machineFinalizer bool
}

// newMachine creates the bootstrap data secret rendered by the real renderer, the Machine and its
// K3sSimMachine, as the providers and CAPI would.
func (tc *testCluster) newMachine(t *testing.T, name string, o machineOptions) (*clusterv1.Machine, *infrav1.K3sSimMachine) {
	t.Helper()
	g := NewWithT(t)
	ctx := t.Context()
	ns := tc.cluster.Namespace
	if o.version == "" {
		o.version = testVersion
	}
	if o.token == "" {
		o.token = tc.token
	}
	data := o.data
	if data == nil {
		spec := bootstrapv1.KThreesConfigSpec{}
		if o.spec != nil {
			o.spec(&spec)
		}
		k3sconfig.DefaultKThreesConfigSpec(&spec)
		endpoint := tc.simCluster.Spec.ControlPlaneEndpoint
		if o.server != nil {
			endpoint = *o.server
		}
		in := k3sconfig.NodeInput{Role: o.role, Spec: spec, Version: o.version, ControlPlaneEndpoint: endpoint, Token: o.token}
		if o.role == k3sconfig.RoleInitServer {
			in.CAFiles = k3scerts.Files(tc.certs)
			if o.certs != nil {
				in.CAFiles = k3scerts.Files(o.certs)
			}
		}
		nodeData, err := k3sconfig.NodeData(in)
		g.Expect(err).ToNot(HaveOccurred())
		data, err = bootstrapdata.Render(bootstrapv1.CloudConfig, nodeData)
		g.Expect(err).ToNot(HaveOccurred())
	}
	dataSecret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-bootstrap", Labels: map[string]string{clusterv1.ClusterNameLabel: tc.cluster.Name}},
		Type:       clusterv1.ClusterSecretType,
		Data:       map[string][]byte{"value": data, "format": []byte(bootstrapv1.CloudConfig)},
	}
	g.Expect(env.Client.Create(ctx, dataSecret)).To(Succeed())

	labels := map[string]string{clusterv1.ClusterNameLabel: tc.cluster.Name}
	if o.role != k3sconfig.RoleAgent {
		labels[clusterv1.MachineControlPlaneLabel] = ""
	}
	machine := &clusterv1.Machine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: clusterv1.MachineSpec{
			ClusterName: tc.cluster.Name,
			Version:     o.version,
			Bootstrap:   clusterv1.Bootstrap{DataSecretName: ptr.To(dataSecret.Name)},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{
				APIGroup: infrav1.GroupVersion.Group, Kind: "K3sSimMachine", Name: name,
			},
		},
	}
	if o.machineFinalizer {
		machine.Finalizers = []string{"test.k3ssim/hold"}
	}
	g.Expect(env.Client.Create(ctx, machine)).To(Succeed())
	simMachine := &infrav1.K3sSimMachine{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, Labels: labels,
			OwnerReferences: []metav1.OwnerReference{ownerRef(machine, "Machine")},
		},
		Spec: o.knobs,
	}
	g.Expect(env.Client.Create(ctx, simMachine)).To(Succeed())
	t.Cleanup(func() {
		// Let the Machine go when the test ends; the namespace is left behind.
		if o.machineFinalizer {
			m := &clusterv1.Machine{}
			if env.Client.Get(context.Background(), client.ObjectKeyFromObject(machine), m) == nil {
				m.Finalizers = nil
				_ = env.Client.Update(context.Background(), m)
			}
		}
	})
	return machine, simMachine
}

// waitBooted waits until the K3sSimMachine reports its node up.
func waitBooted(t *testing.T, m *infrav1.K3sSimMachine) *infrav1.K3sSimMachine {
	t.Helper()
	g := NewWithT(t)
	g.Eventually(func(g Gomega) {
		g.Expect(env.Client.Get(t.Context(), client.ObjectKeyFromObject(m), m)).To(Succeed())
		g.Expect(conditions.IsTrue(m, infrav1.BootedCondition)).To(BeTrue(), "Booted: %+v", conditions.Get(m, infrav1.BootedCondition))
		g.Expect(m.Status.Initialization.Provisioned).To(HaveValue(BeTrue()))
	}, eventually).Should(Succeed())
	return m
}

// waitBootReason waits until the K3sSimMachine's Booted condition is False with the reason, and returns the
// condition.
func waitBootReason(t *testing.T, m *infrav1.K3sSimMachine, reason string) *metav1.Condition {
	t.Helper()
	g := NewWithT(t)
	var c *metav1.Condition
	g.Eventually(func(g Gomega) {
		g.Expect(env.Client.Get(t.Context(), client.ObjectKeyFromObject(m), m)).To(Succeed())
		c = conditions.Get(m, infrav1.BootedCondition)
		g.Expect(c).ToNot(BeNil())
		g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(c.Reason).To(Equal(reason), c.Message)
	}, eventually).Should(Succeed())
	return c
}

// workloadConfig returns a REST config of the workload cluster that trusts only the Cluster's CA secret, as the
// control plane's kubeconfig does.
func (tc *testCluster) workloadConfig(t *testing.T) *rest.Config {
	t.Helper()
	g := NewWithT(t)
	cfg, err := sim.RESTConfig(client.ObjectKeyFromObject(tc.simCluster))
	g.Expect(err).ToNot(HaveOccurred())
	ca := &corev1.Secret{}
	g.Expect(env.Client.Get(t.Context(), client.ObjectKey{Namespace: tc.cluster.Namespace, Name: tc.cluster.Name + "-ca"}, ca)).To(Succeed())
	cfg.CAData = ca.Data[secret.TLSCrtDataName]
	ep := tc.simCluster.Spec.ControlPlaneEndpoint
	g.Expect(cfg.Host).To(Equal(fmt.Sprintf("https://%s:%d", ep.Host, ep.Port)))
	return cfg
}

// workloadClient returns a client of the workload cluster's API server.
func (tc *testCluster) workloadClient(t *testing.T) client.Client {
	t.Helper()
	c, err := client.New(tc.workloadConfig(t), client.Options{})
	NewWithT(t).Expect(err).ToNot(HaveOccurred())
	return c
}

// events returns the messages of the events of an object with the reason.
func events(t *testing.T, o client.Object, reason string) []string {
	t.Helper()
	list := &corev1.EventList{}
	NewWithT(t).Expect(env.Client.List(t.Context(), list, client.InNamespace(o.GetNamespace()))).To(Succeed())
	var out []string
	for _, e := range list.Items {
		if e.InvolvedObject.Name == o.GetName() && e.Reason == reason {
			out = append(out, e.Message)
		}
	}
	return out
}

// hasHexSuffix tells whether s starts with prefix and ends with n lowercase hex characters.
func hasHexSuffix(s, prefix string, n int) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != n {
		return false
	}
	for _, c := range rest {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
