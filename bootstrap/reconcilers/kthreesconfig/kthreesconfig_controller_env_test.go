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
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	bootstrapv1 "github.com/k3s-io/cluster-api-k3s/bootstrap/api/v1beta3"
)

func TestKThreesConfigReconciler_InitOnceThenJoinOnEvent(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns, err := env.CreateNamespace(ctx, "init-join")
	g.Expect(err).ToNot(HaveOccurred())
	cluster := newCluster(t, ctx, ns.Name, false)

	// Two control-plane Machines and five workers appear at the same moment.
	var configs []*bootstrapv1.KThreesConfig
	for i := range 2 {
		_, c := newMachine(t, ctx, cluster, fmt.Sprintf("cp-%d", i), machineOptions{controlPlane: true})
		configs = append(configs, c)
	}
	var workers []*bootstrapv1.KThreesConfig
	for i := range 5 {
		_, c := newMachine(t, ctx, cluster, fmt.Sprintf("worker-%d", i), machineOptions{})
		workers = append(workers, c)
	}

	// Exactly one control-plane Machine gets an init server config; everyone else waits with a reason.
	var initConfig, joinConfig *bootstrapv1.KThreesConfig
	g.Eventually(func(g Gomega) {
		created := 0
		for _, c := range configs {
			if s := bootstrapSecret(ctx, c); s != nil {
				created++
				initConfig = c
			} else {
				joinConfig = c
			}
		}
		g.Expect(created).To(Equal(1))
	}, eventually).Should(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(bootstrapSecret(ctx, joinConfig)).To(BeNil())
	}, 2*time.Second).Should(Succeed())

	initSecret := bootstrapSecret(ctx, initConfig)
	g.Expect(initSecret.Type).To(Equal(clusterv1.ClusterSecretType))
	g.Expect(initSecret.Labels).To(HaveKeyWithValue(clusterv1.ClusterNameLabel, cluster.Name))
	g.Expect(string(initSecret.Data["format"])).To(Equal("cloud-config"))
	g.Expect(string(initSecret.Data["value"])).To(ContainSubstring("cluster-init: true"))
	g.Expect(string(initSecret.Data["value"])).To(ContainSubstring("INSTALL_K3S_VERSION=" + testVersion))
	g.Expect(metav1.IsControlledBy(initSecret, initConfig)).To(BeTrue())

	tokenSecret := &corev1.Secret{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: "c1-token"}, tokenSecret)).To(Succeed())
	g.Expect(string(initSecret.Data["value"])).To(ContainSubstring("token: " + string(tokenSecret.Data["value"])))
	for _, ca := range []string{"c1-ca", "c1-cca", "c1-etcd"} {
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: ca}, &corev1.Secret{})).To(Succeed())
	}

	got := getConfig(ctx, g, initConfig)
	g.Expect(got.Status.Initialization.DataSecretCreated).To(Equal(ptr.To(true)))
	g.Expect(got.Status.DataSecretName).To(Equal(initConfig.Name))
	g.Expect(conditions.IsTrue(got, bootstrapv1.KThreesConfigReadyCondition)).To(BeTrue())
	g.Expect(got.Spec.Version).To(Equal(testVersion), "the Machine's version is recorded in the spec, as upstream does")

	for _, w := range append(workers, joinConfig) {
		c := getConfig(ctx, g, w)
		cond := conditions.Get(c, bootstrapv1.KThreesConfigDataSecretAvailableCondition)
		g.Expect(cond).ToNot(BeNil())
		g.Expect(cond.Reason).To(Equal(bootstrapv1.KThreesConfigDataSecretWaitingForControlPlaneInitializedReason))
	}

	// The Cluster reports ControlPlaneInitialized: every waiting config is reconciled from that event.
	start := time.Now()
	markControlPlaneInitialized(t, ctx, cluster)
	var elapsed time.Duration
	g.Eventually(func(g Gomega) {
		for _, c := range append(workers, joinConfig) {
			g.Expect(bootstrapSecret(ctx, c)).ToNot(BeNil())
		}
		elapsed = time.Since(start)
	}, eventually, 10*time.Millisecond).Should(Succeed())
	t.Logf("ControlPlaneInitialized -> all %d join secrets written: %v", len(workers)+1, elapsed)

	joinData := string(bootstrapSecret(ctx, joinConfig).Data["value"])
	g.Expect(joinData).ToNot(ContainSubstring("cluster-init"))
	g.Expect(joinData).To(ContainSubstring("server: https://10.0.0.1:6443"))
	g.Expect(joinData).To(ContainSubstring("sh -s - server"))
	workerData := string(bootstrapSecret(ctx, workers[0]).Data["value"])
	g.Expect(workerData).To(ContainSubstring("sh -s - agent"))
	g.Expect(workerData).ToNot(ContainSubstring("etcd-proxy"))

	// The init lock is released once joins happen.
	g.Eventually(func() bool {
		return env.Client.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: "c1-lock"}, &corev1.ConfigMap{}) != nil
	}, eventually).Should(BeTrue())
}

func TestKThreesConfigReconciler_MissingContentFromSecret(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns, err := env.CreateNamespace(ctx, "content-from")
	g.Expect(err).ToNot(HaveOccurred())
	cluster := newCluster(t, ctx, ns.Name, false)
	_, config := newMachine(t, ctx, cluster, "cp-0", machineOptions{controlPlane: true, spec: bootstrapv1.KThreesConfigSpec{
		Files: []bootstrapv1.File{{Path: "/var/lib/rancher/k3s/server/psa.yaml", ContentFrom: &bootstrapv1.FileSource{
			Secret: bootstrapv1.SecretFileSource{Name: "pod-security-admission-config", Key: "baseline.yaml"},
		}}},
	}})

	g.Eventually(func(g Gomega) {
		c := getConfig(ctx, g, config)
		cond := conditions.Get(c, bootstrapv1.KThreesConfigDataSecretAvailableCondition)
		g.Expect(cond).ToNot(BeNil())
		g.Expect(cond.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(cond.Reason).To(Equal(secretNotFoundReason))
		g.Expect(cond.Message).To(ContainSubstring("pod-security-admission-config"))
	}, eventually).Should(Succeed())

	// The Secret appears: the config recovers from the Secret event.
	g.Expect(env.Client.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "pod-security-admission-config"},
		Data:       map[string][]byte{"baseline.yaml": []byte("kind: AdmissionConfiguration\n")},
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		s := bootstrapSecret(ctx, config)
		g.Expect(s).ToNot(BeNil())
		g.Expect(string(s.Data["value"])).To(ContainSubstring("kind: AdmissionConfiguration"))
		g.Expect(conditions.IsTrue(getConfig(ctx, g, config), bootstrapv1.KThreesConfigDataSecretAvailableCondition)).To(BeTrue())
	}, eventually).Should(Succeed())
}

// A Secret's content that cloud-init cannot render as jinja (a Helm values file) holds the data back: no data
// Secret, the condition and a Warning event name the Secret, key and position; fixed content is then used.
func TestKThreesConfigReconciler_InvalidJinjaInContentFromSecret(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns, err := env.CreateNamespace(ctx, "content-from-jinja")
	g.Expect(err).ToNot(HaveOccurred())
	values := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "chart-values"},
		Data:       map[string][]byte{"values.yaml": []byte("image: x\nreplicas: {{ .Values.x }}\n")},
	}
	g.Expect(env.Client.Create(ctx, values)).To(Succeed())
	cluster := newCluster(t, ctx, ns.Name, false)
	_, config := newMachine(t, ctx, cluster, "cp-0", machineOptions{controlPlane: true, spec: bootstrapv1.KThreesConfigSpec{
		Files: []bootstrapv1.File{{Path: "/var/lib/rancher/k3s/server/manifests/values.yaml", ContentFrom: &bootstrapv1.FileSource{
			Secret: bootstrapv1.SecretFileSource{Name: "chart-values", Key: "values.yaml"},
		}}},
	}})

	g.Eventually(func(g Gomega) {
		cond := conditions.Get(getConfig(ctx, g, config), bootstrapv1.KThreesConfigDataSecretAvailableCondition)
		g.Expect(cond).ToNot(BeNil())
		g.Expect(cond.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(cond.Reason).To(Equal(bootstrapv1.KThreesConfigDataSecretInvalidJinjaReason))
		g.Expect(cond.Message).To(And(ContainSubstring(`Key "values.yaml" of Secret chart-values (spec.files[0].contentFrom)`),
			ContainSubstring(`line 2, column 14: unexpected "."`), ContainSubstring("{% raw %}")))
		events := &corev1.EventList{}
		g.Expect(env.Client.List(ctx, events, client.InNamespace(ns.Name))).To(Succeed())
		var messages []string
		for _, ev := range events.Items {
			if ev.Type == corev1.EventTypeWarning && ev.Reason == bootstrapv1.KThreesConfigDataSecretInvalidJinjaReason {
				messages = append(messages, ev.Message)
			}
		}
		g.Expect(messages).To(ContainElement(ContainSubstring("chart-values")))
	}, eventually).Should(Succeed())
	g.Expect(bootstrapSecret(ctx, config)).To(BeNil())

	// The content is wrapped in a raw block: the Secret event renders the data, with the text as written.
	values.Data["values.yaml"] = []byte("{% raw %}image: x\nreplicas: {{ .Values.x }}\n{% endraw %}")
	g.Expect(env.Client.Update(ctx, values)).To(Succeed())
	g.Eventually(func(g Gomega) {
		s := bootstrapSecret(ctx, config)
		g.Expect(s).ToNot(BeNil())
		g.Expect(string(s.Data["value"])).To(ContainSubstring("{{ .Values.x }}"))
		g.Expect(conditions.IsTrue(getConfig(ctx, g, config), bootstrapv1.KThreesConfigDataSecretAvailableCondition)).To(BeTrue())
	}, eventually).Should(Succeed())
}

func TestKThreesConfigReconciler_ReleasesLockOfDeletedMachine(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns, err := env.CreateNamespace(ctx, "stale-lock")
	g.Expect(err).ToNot(HaveOccurred())
	cluster := newCluster(t, ctx, ns.Name, false)
	info, _ := json.Marshal(map[string]string{"machineName": "deleted-machine"})
	g.Expect(env.Client.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "c1-lock"},
		Data:       map[string]string{"lock-information": string(info)},
	})).To(Succeed())

	_, config := newMachine(t, ctx, cluster, "cp-0", machineOptions{controlPlane: true})
	g.Eventually(func(g Gomega) {
		s := bootstrapSecret(ctx, config)
		g.Expect(s).ToNot(BeNil())
		g.Expect(string(s.Data["value"])).To(ContainSubstring("cluster-init: true"))
	}, eventually).Should(Succeed())
	lock := &corev1.ConfigMap{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: "c1-lock"}, lock)).To(Succeed())
	g.Expect(lock.Data["lock-information"]).To(ContainSubstring("cp-0"))
}

func TestKThreesConfigReconciler_PausedClusterDoesNothing(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns, err := env.CreateNamespace(ctx, "paused")
	g.Expect(err).ToNot(HaveOccurred())
	cluster := newCluster(t, ctx, ns.Name, true)
	_, config := newMachine(t, ctx, cluster, "cp-0", machineOptions{controlPlane: true})

	g.Eventually(func(g Gomega) {
		g.Expect(conditions.IsTrue(getConfig(ctx, g, config), clusterv1.PausedCondition)).To(BeTrue())
	}, eventually).Should(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(bootstrapSecret(ctx, config)).To(BeNil())
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: "c1-lock"}, &corev1.ConfigMap{})).ToNot(Succeed())
	}, 2*time.Second).Should(Succeed())

	g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(cluster), cluster)).To(Succeed())
	cluster.Spec.Paused = ptr.To(false)
	g.Expect(env.Client.Update(ctx, cluster)).To(Succeed())
	g.Eventually(func() *corev1.Secret { return bootstrapSecret(ctx, config) }, eventually).ShouldNot(BeNil())
}

func TestKThreesConfigReconciler_MachinePoolTakesVersionFromTemplate(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns, err := env.CreateNamespace(ctx, "machinepool")
	g.Expect(err).ToNot(HaveOccurred())
	cluster := newCluster(t, ctx, ns.Name, false)
	g.Expect(env.Client.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "c1-token"}, Data: map[string][]byte{"value": []byte("pool-token")},
	})).To(Succeed())
	markControlPlaneInitialized(t, ctx, cluster)

	config := &bootstrapv1.KThreesConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "pool", Labels: map[string]string{clusterv1.ClusterNameLabel: cluster.Name}}}
	g.Expect(env.Client.Create(ctx, config)).To(Succeed())
	pool := &clusterv1.MachinePool{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "pool", Labels: map[string]string{clusterv1.ClusterNameLabel: cluster.Name}},
		Spec: clusterv1.MachinePoolSpec{ClusterName: cluster.Name, Template: clusterv1.MachineTemplateSpec{Spec: clusterv1.MachineSpec{
			ClusterName:       cluster.Name,
			Version:           "v1.33.5+k3s1",
			Bootstrap:         clusterv1.Bootstrap{ConfigRef: clusterv1.ContractVersionedObjectReference{APIGroup: bootstrapv1.GroupVersion.Group, Kind: "KThreesConfig", Name: "pool"}},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{APIGroup: "infrastructure.cluster.x-k8s.io", Kind: "TestMachinePool", Name: "pool"},
		}}},
	}
	g.Expect(env.Client.Create(ctx, pool)).To(Succeed())
	setOwner(t, ctx, config, pool, "MachinePool")

	g.Eventually(func(g Gomega) {
		s := bootstrapSecret(ctx, config)
		g.Expect(s).ToNot(BeNil())
		value := string(s.Data["value"])
		g.Expect(value).To(ContainSubstring("INSTALL_K3S_VERSION=v1.33.5+k3s1"))
		g.Expect(value).To(ContainSubstring("sh -s - agent"))
		g.Expect(value).To(ContainSubstring("token: pool-token"))
	}, eventually).Should(Succeed())
}

func TestKThreesConfigReconciler_IgnitionFormat(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns, err := env.CreateNamespace(ctx, "ignition")
	g.Expect(err).ToNot(HaveOccurred())
	cluster := newCluster(t, ctx, ns.Name, false)
	_, config := newMachine(t, ctx, cluster, "cp-0", machineOptions{controlPlane: true, spec: bootstrapv1.KThreesConfigSpec{Format: bootstrapv1.Ignition}})

	g.Eventually(func(g Gomega) {
		s := bootstrapSecret(ctx, config)
		g.Expect(s).ToNot(BeNil())
		g.Expect(string(s.Data["format"])).To(Equal("ignition"))
		var doc map[string]any
		g.Expect(json.Unmarshal(s.Data["value"], &doc)).To(Succeed())
		g.Expect(doc).To(HaveKey("ignition"))
		g.Expect(strings.Contains(string(s.Data["value"]), "k3s")).To(BeTrue())
	}, eventually).Should(Succeed())
}

// A control plane creates the config just before its Machine, and CAPI's Machine controller sets the config's owner
// reference only in a later, rate-limited reconcile. The data is rendered as soon as exactly one Machine claims the
// config in its spec; a config that no Machine claims, or that two Machines claim, waits for its owner reference.
func TestKThreesConfigReconciler_RendersForTheClaimingMachine(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns, err := env.CreateNamespace(ctx, "claim")
	g.Expect(err).ToNot(HaveOccurred())
	cluster := newCluster(t, ctx, ns.Name, false)

	machine, claimed := newMachine(t, ctx, cluster, "cp-0", machineOptions{controlPlane: true, claimOnly: true})
	g.Eventually(func() *corev1.Secret { return bootstrapSecret(ctx, claimed) }, eventually).ShouldNot(BeNil())
	secret := bootstrapSecret(ctx, claimed)
	g.Expect(metav1.IsControlledBy(secret, claimed)).To(BeTrue())
	g.Expect(string(secret.Data["value"])).To(ContainSubstring("cluster-init: true"))
	g.Expect(string(secret.Data["value"])).To(ContainSubstring("INSTALL_K3S_VERSION=" + machine.Spec.Version))
	g.Expect(getConfig(ctx, g, claimed).OwnerReferences).To(BeEmpty(), "the provider leaves the owner reference to CAPI")

	unclaimed := &bootstrapv1.KThreesConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "unclaimed",
		Labels: map[string]string{clusterv1.ClusterNameLabel: cluster.Name}}}
	g.Expect(env.Client.Create(ctx, unclaimed)).To(Succeed())
	_, twice := newMachine(t, ctx, cluster, "worker-0", machineOptions{claimOnly: true})
	second := &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "worker-0-copy",
		Labels: map[string]string{clusterv1.ClusterNameLabel: cluster.Name}}}
	second.Spec = *machine.Spec.DeepCopy()
	second.Spec.Bootstrap.ConfigRef.Name = twice.Name
	g.Expect(env.Client.Create(ctx, second)).To(Succeed())
	markControlPlaneInitialized(t, ctx, cluster)
	g.Consistently(func(g Gomega) {
		g.Expect(bootstrapSecret(ctx, unclaimed)).To(BeNil())
		g.Expect(bootstrapSecret(ctx, twice)).To(BeNil())
	}, 2*time.Second).Should(Succeed())
}
