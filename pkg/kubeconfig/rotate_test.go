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

package kubeconfig

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/clientcmd/api"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/certs"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

const gatewayServer = "http://gateway.example:8080/kubernetes/abc"

// countWrites returns interceptor funcs that count every write call and pass it on.
func countWrites(writes *int) interceptor.Funcs {
	return interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			*writes++
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			*writes++
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			*writes++
			return c.Patch(ctx, obj, patch, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			*writes++
			return c.Delete(ctx, obj, opts...)
		},
	}
}

func TestReconcile_Rotation(t *testing.T) {
	serverCA, clientCA := testCAs(t)
	serverCAPEM := certs.EncodeCertPEM(serverCA.cert)
	otherCAPEM := certs.EncodeCertPEM(newECCA(t, "gateway-ca").cert)
	now := time.Now()
	expiring := now.Add(30 * 24 * time.Hour)
	fresh := now.Add(RenewalThreshold + 24*time.Hour)
	freshCert, freshKey := clientCA.clientCert(t, fresh)
	upstreamOwner := testOwner
	upstreamOwner.UID = "upstream-kcp-uid"
	olderAPIOwner := testOwner
	olderAPIOwner.APIVersion = "controlplane.cluster.x-k8s.io/v1beta1"
	notController := testOwner
	notController.Controller = nil
	clusterLabel := map[string]string{clusterv1.ClusterNameLabel: "c1"}

	tests := []struct {
		name       string
		data       map[string][]byte
		owners     []metav1.OwnerReference
		labels     map[string]string
		wantResult Result
		wantWrites int
		wantServer string
		wantCA     []byte
		wantEntry  *api.Cluster
		// wantExtension is an extension of wantEntry that must be kept.
		wantExtension string
	}{
		{
			name:       "an expiring certificate is rotated and the gateway's server is kept exactly",
			data:       map[string][]byte{"value": kubeconfigExpiringAt(t, gatewayServer, expiring), "apiServerCA": []byte("gateway data")},
			owners:     []metav1.OwnerReference{testOwner},
			labels:     clusterLabel,
			wantResult: Result{Rotated: true}, wantWrites: 1, wantServer: gatewayServer, wantCA: serverCAPEM,
		},
		{
			name:       "an expired certificate is rotated",
			data:       map[string][]byte{"value": kubeconfigExpiringAt(t, "https://10.9.9.9:6443", now.Add(-time.Minute))},
			owners:     []metav1.OwnerReference{testOwner},
			labels:     clusterLabel,
			wantResult: Result{Rotated: true}, wantWrites: 1, wantServer: "https://10.9.9.9:6443", wantCA: serverCAPEM,
		},
		{
			name:       "a certificate expiring just inside the threshold is rotated",
			data:       map[string][]byte{"value": kubeconfigExpiringAt(t, gatewayServer, now.Add(RenewalThreshold-time.Hour))},
			owners:     []metav1.OwnerReference{testOwner},
			labels:     clusterLabel,
			wantResult: Result{Rotated: true}, wantWrites: 1, wantServer: gatewayServer, wantCA: serverCAPEM,
		},
		{
			name:       "a fresh certificate is not rotated",
			data:       map[string][]byte{"value": kubeconfigExpiringAt(t, gatewayServer, fresh)},
			owners:     []metav1.OwnerReference{testOwner},
			labels:     clusterLabel,
			wantResult: Result{}, wantWrites: 0,
		},
		{
			name:       "a fresh certificate without the cluster-name label only gets the label",
			data:       map[string][]byte{"value": kubeconfigExpiringAt(t, gatewayServer, fresh)},
			owners:     []metav1.OwnerReference{testOwner},
			wantResult: Result{}, wantWrites: 1,
		},
		{
			name:       "an expiring certificate in a secret controlled by upstream's KCP (another UID) is left alone",
			data:       map[string][]byte{"value": kubeconfigExpiringAt(t, gatewayServer, expiring)},
			owners:     []metav1.OwnerReference{upstreamOwner},
			wantResult: Result{}, wantWrites: 0,
		},
		{
			name:       "a user-provided secret is left alone",
			data:       map[string][]byte{"value": kubeconfigExpiringAt(t, gatewayServer, expiring)},
			wantResult: Result{}, wantWrites: 0,
		},
		{
			name:       "a secret owned but not controlled by the owner is left alone",
			data:       map[string][]byte{"value": []byte("garbage")},
			owners:     []metav1.OwnerReference{notController},
			wantResult: Result{}, wantWrites: 0,
		},
		{
			name:       "a secret controlled through an older API version of the owner is rotated",
			data:       map[string][]byte{"value": kubeconfigExpiringAt(t, gatewayServer, expiring)},
			owners:     []metav1.OwnerReference{olderAPIOwner},
			labels:     clusterLabel,
			wantResult: Result{Rotated: true}, wantWrites: 1, wantServer: gatewayServer, wantCA: serverCAPEM,
		},
		{
			name: "an unparsable client certificate is rotated and the server kept",
			data: map[string][]byte{"value": kubeconfigFor(t, &api.Cluster{Server: gatewayServer, CertificateAuthorityData: serverCAPEM},
				&api.AuthInfo{ClientCertificateData: []byte("not a certificate"), ClientKeyData: []byte("not a key")})},
			owners:     []metav1.OwnerReference{testOwner},
			wantResult: Result{Rotated: true}, wantWrites: 1, wantServer: gatewayServer, wantCA: serverCAPEM,
		},
		{
			name: "a kubeconfig without a client certificate is rotated and the server kept",
			data: map[string][]byte{"value": kubeconfigFor(t, &api.Cluster{Server: gatewayServer, CertificateAuthorityData: serverCAPEM},
				&api.AuthInfo{Token: "t"})},
			owners:     []metav1.OwnerReference{testOwner},
			wantResult: Result{Rotated: true}, wantWrites: 1, wantServer: gatewayServer, wantCA: serverCAPEM,
		},
		{
			name:       "an unparsable kubeconfig is rebuilt for the endpoint",
			data:       map[string][]byte{"value": []byte("clusters: [ {")},
			owners:     []metav1.OwnerReference{testOwner},
			wantResult: Result{Rotated: true}, wantWrites: 1, wantServer: "https://10.0.0.1:6443", wantCA: serverCAPEM,
		},
		{
			name:       "a secret without the value key is rebuilt for the endpoint",
			owners:     []metav1.OwnerReference{testOwner},
			wantResult: Result{Rotated: true}, wantWrites: 1, wantServer: "https://10.0.0.1:6443", wantCA: serverCAPEM,
		},
		{
			name: "CA data of the existing entry is kept",
			data: map[string][]byte{"value": kubeconfigFor(t, &api.Cluster{Server: gatewayServer, CertificateAuthorityData: otherCAPEM},
				&api.AuthInfo{Token: "t"})},
			owners:     []metav1.OwnerReference{testOwner},
			wantResult: Result{Rotated: true}, wantWrites: 1, wantServer: gatewayServer, wantCA: otherCAPEM,
		},
		{
			name: "an entry without CA data gets the server CA",
			data: map[string][]byte{"value": kubeconfigFor(t, &api.Cluster{Server: gatewayServer},
				&api.AuthInfo{Token: "t"})},
			owners:     []metav1.OwnerReference{testOwner},
			wantResult: Result{Rotated: true}, wantWrites: 1, wantServer: gatewayServer, wantCA: serverCAPEM,
		},
		{
			name: "an entry that skips TLS verification gets no CA",
			data: map[string][]byte{"value": kubeconfigFor(t, &api.Cluster{Server: "https://h:6443", InsecureSkipTLSVerify: true},
				&api.AuthInfo{Token: "t"})},
			owners:     []metav1.OwnerReference{testOwner},
			wantResult: Result{Rotated: true}, wantWrites: 1,
			wantEntry: &api.Cluster{Server: "https://h:6443", InsecureSkipTLSVerify: true},
		},
		{
			name:       "the whole cluster entry of the current context is kept, whatever its name",
			data:       map[string][]byte{"value": gatewayKubeconfig(t, freshCert, freshKey, now.Add(time.Hour))},
			owners:     []metav1.OwnerReference{testOwner},
			wantResult: Result{Rotated: true}, wantWrites: 1,
			wantEntry: &api.Cluster{
				Server: gatewayServer, ProxyURL: "socks5://proxy.example:1080", TLSServerName: "api.internal",
				CertificateAuthorityData: serverCAPEM, DisableCompression: true,
			},
			wantExtension: "tunnel",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			existing := &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c1-kubeconfig", Labels: tt.labels, OwnerReferences: tt.owners},
				Data:       tt.data,
			}
			writes := 0
			c := fake.NewClientBuilder().WithScheme(newScheme(t)).WithObjects(append(caSecrets(t), existing)...).
				WithInterceptorFuncs(countWrites(&writes)).Build()

			res, err := Reconcile(t.Context(), c, testCluster, testEndpoint, testOwner)
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(res).To(Equal(tt.wantResult))
			g.Expect(writes).To(Equal(tt.wantWrites))

			s := getKubeconfig(t, c)
			g.Expect(s.Type).To(BeEmpty(), "the type of an existing secret is never changed")
			g.Expect(s.OwnerReferences).To(Equal(tt.owners))
			if tt.wantWrites > 0 {
				g.Expect(s.Labels).To(HaveKeyWithValue(clusterv1.ClusterNameLabel, "c1"))
			} else {
				g.Expect(s.Labels).To(Equal(tt.labels))
			}
			for k, v := range tt.data {
				if k != "value" || !res.Rotated {
					g.Expect(s.Data).To(HaveKeyWithValue(k, v), "data %q is kept", k)
				}
			}
			if !res.Rotated {
				return
			}
			expectRotated(t, s.Data["value"], clientCA)
			config, err := clientcmd.Load(s.Data["value"])
			g.Expect(err).ToNot(HaveOccurred())
			entry := config.Clusters["c1"]
			g.Expect(entry).ToNot(BeNil())
			if tt.wantEntry != nil {
				if tt.wantExtension != "" {
					g.Expect(entry.Extensions).To(HaveKey(tt.wantExtension))
				}
				entry.LocationOfOrigin, entry.Extensions = "", nil
				g.Expect(entry).To(Equal(tt.wantEntry))
				return
			}
			g.Expect(entry.Server).To(Equal(tt.wantServer))
			g.Expect(entry.CertificateAuthorityData).To(Equal(tt.wantCA))
		})
	}
}

// expectRotated checks that kubeconfig has the standard names and a new one-year admin certificate from clientCA.
func expectRotated(t *testing.T, kubeconfig []byte, clientCA *testCA) {
	t.Helper()
	g := NewWithT(t)
	config, err := clientcmd.Load(kubeconfig)
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(config.CurrentContext).To(Equal("c1-admin@c1"))
	g.Expect(config.Contexts).To(HaveKeyWithValue("c1-admin@c1", HaveField("Cluster", "c1")))
	cert, _, _ := clientCertOf(t, kubeconfig)
	g.Expect(verifyAgainst(cert, clientCA)).To(Succeed())
	g.Expect(cert.Subject.CommonName).To(Equal("kubernetes-admin"))
	g.Expect(cert.NotAfter).To(BeTemporally("~", time.Now().Add(365*24*time.Hour), time.Minute))
	needs, err := NeedsRotation(kubeconfig, time.Now())
	g.Expect(err).ToNot(HaveOccurred())
	g.Expect(needs).To(BeFalse())
}

// gatewayKubeconfig returns a kubeconfig as another tool might write it: its own names, extra entries, a proxy, and
// an expiring client certificate next to a fresh one.
func gatewayKubeconfig(t *testing.T, freshCert, freshKey []byte, expiring time.Time) []byte {
	t.Helper()
	serverCA, clientCA := testCAs(t)
	cert, key := clientCA.clientCert(t, expiring)
	config := api.NewConfig()
	config.Clusters["gateway"] = &api.Cluster{
		Server: gatewayServer, ProxyURL: "socks5://proxy.example:1080", TLSServerName: "api.internal",
		CertificateAuthorityData: certs.EncodeCertPEM(serverCA.cert), DisableCompression: true,
		Extensions: map[string]runtime.Object{"tunnel": &runtime.Unknown{Raw: []byte(`{"id":"abc"}`)}},
	}
	config.Clusters["c1"] = &api.Cluster{Server: "https://10.0.0.1:6443"}
	config.AuthInfos["gateway-user"] = &api.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	config.AuthInfos["other"] = &api.AuthInfo{ClientCertificateData: freshCert, ClientKeyData: freshKey}
	config.Contexts["gateway"] = &api.Context{Cluster: "gateway", AuthInfo: "gateway-user"}
	config.Contexts["direct"] = &api.Context{Cluster: "c1", AuthInfo: "other"}
	config.CurrentContext = "gateway"
	out, err := clientcmd.Write(*config)
	NewWithT(t).Expect(err).ToNot(HaveOccurred())
	return out
}

func Test_NeedsRotation(t *testing.T) {
	_, clientCA := testCAs(t)
	now := time.Now()
	certAt := func(notAfter time.Time) *api.AuthInfo {
		cert, key := clientCA.clientCert(t, notAfter)
		return &api.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	}
	entry := &api.Cluster{Server: "https://h:6443"}
	fresh := certAt(now.Add(RenewalThreshold + time.Hour))
	expiring := certAt(now.Add(RenewalThreshold - time.Hour))
	twoUsers := func(a, b *api.AuthInfo) []byte {
		config := api.NewConfig()
		config.Clusters["c"] = entry
		config.AuthInfos["a"] = a
		config.AuthInfos["b"] = b
		out, err := clientcmd.Write(*config)
		NewWithT(t).Expect(err).ToNot(HaveOccurred())
		return out
	}
	bundle := &api.AuthInfo{ClientCertificateData: append(append([]byte{}, fresh.ClientCertificateData...), expiring.ClientCertificateData...)}

	tests := []struct {
		name       string
		kubeconfig []byte
		now        time.Time
		want       bool
		wantErr    bool
	}{
		{name: "fresh", kubeconfig: kubeconfigFor(t, entry, fresh), now: now, want: false},
		{name: "fresh now, expiring later", kubeconfig: kubeconfigFor(t, entry, fresh), now: now.Add(2 * time.Hour), want: true},
		{name: "within the threshold", kubeconfig: kubeconfigFor(t, entry, expiring), now: now, want: true},
		{name: "expired", kubeconfig: kubeconfigFor(t, entry, certAt(now.Add(-time.Minute))), now: now, want: true},
		{name: "one of two users expiring", kubeconfig: twoUsers(fresh, expiring), now: now, want: true},
		{name: "token user next to a fresh certificate", kubeconfig: twoUsers(&api.AuthInfo{Token: "t"}, fresh), now: now, want: false},
		{name: "expiring certificate later in the bundle", kubeconfig: kubeconfigFor(t, entry, bundle), now: now, want: true},
		{name: "no user", kubeconfig: []byte("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://h\n"), now: now, want: true, wantErr: true},
		{name: "token only", kubeconfig: kubeconfigFor(t, entry, &api.AuthInfo{Token: "t"}), now: now, want: true, wantErr: true},
		{name: "invalid certificate PEM", kubeconfig: kubeconfigFor(t, entry, &api.AuthInfo{ClientCertificateData: []byte("x")}), now: now, want: true, wantErr: true},
		{
			name: "invalid certificate DER", now: now, want: true, wantErr: true,
			kubeconfig: kubeconfigFor(t, entry, &api.AuthInfo{ClientCertificateData: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")}),
		},
		{name: "empty", kubeconfig: nil, now: now, want: true, wantErr: true},
		{name: "not YAML", kubeconfig: []byte("{{{"), now: now, want: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := NeedsRotation(tt.kubeconfig, tt.now)
			if tt.wantErr {
				g.Expect(err).To(HaveOccurred())
			} else {
				g.Expect(err).ToNot(HaveOccurred())
			}
			g.Expect(got).To(Equal(tt.want))
		})
	}
}

func Test_keptCluster(t *testing.T) {
	write := func(config *api.Config) []byte {
		out, err := clientcmd.Write(*config)
		NewWithT(t).Expect(err).ToNot(HaveOccurred())
		return out
	}
	withClusters := func(current string, contexts map[string]string, clusters ...string) []byte {
		config := api.NewConfig()
		for _, name := range clusters {
			config.Clusters[name] = &api.Cluster{Server: "https://" + name}
		}
		for name, cluster := range contexts {
			config.Contexts[name] = &api.Context{Cluster: cluster}
		}
		config.CurrentContext = current
		return write(config)
	}
	tests := []struct {
		name       string
		kubeconfig []byte
		wantServer string
	}{
		{name: "current context's cluster", kubeconfig: withClusters("x", map[string]string{"x": "b"}, "a", "b", "c1"), wantServer: "https://b"},
		{name: "current context points nowhere, cluster by name", kubeconfig: withClusters("x", map[string]string{"x": "gone"}, "a", "c1"), wantServer: "https://c1"},
		{name: "no context, cluster by name", kubeconfig: withClusters("", nil, "a", "c1"), wantServer: "https://c1"},
		{name: "the only cluster", kubeconfig: withClusters("", nil, "other"), wantServer: "https://other"},
		{name: "ambiguous", kubeconfig: withClusters("", nil, "a", "b")},
		{name: "no cluster", kubeconfig: withClusters("", nil)},
		{name: "empty server", kubeconfig: write(&api.Config{Clusters: map[string]*api.Cluster{"c1": {}}})},
		{name: "not a kubeconfig", kubeconfig: []byte("\x00\x01")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got := keptCluster(tt.kubeconfig, "c1")
			if tt.wantServer == "" {
				g.Expect(got).To(BeNil())
				return
			}
			g.Expect(got).ToNot(BeNil())
			g.Expect(got.Server).To(Equal(tt.wantServer))
		})
	}
}

// FuzzNeedsRotation checks that arbitrary secret content never panics and that what cannot be checked is rotated.
func FuzzNeedsRotation(f *testing.F) {
	f.Add([]byte(nil))
	f.Add([]byte("apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    client-certificate-data: eA==\n"))
	f.Add([]byte("clusters: [ {"))
	f.Add([]byte("apiVersion: v1\nkind: Config\ncurrent-context: x\ncontexts:\n- name: x\n  context:\n    cluster: y\nclusters:\n- name: y\n  cluster: null\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		needs, err := NeedsRotation(data, time.Now())
		if err != nil && !needs {
			t.Fatalf("an error must come with needs rotation: %v", err)
		}
		_ = keptCluster(data, "c1")
	})
}
