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
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/clientcmd/api"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/certs"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func TestReconcile_Create(t *testing.T) {
	tests := []struct {
		name       string
		endpoint   clusterv1.APIEndpoint
		wantServer string
	}{
		{name: "IPv4", endpoint: clusterv1.APIEndpoint{Host: "10.0.0.1", Port: 6443}, wantServer: "https://10.0.0.1:6443"},
		{name: "DNS", endpoint: clusterv1.APIEndpoint{Host: "api.example.com", Port: 443}, wantServer: "https://api.example.com:443"},
		{name: "IPv6", endpoint: clusterv1.APIEndpoint{Host: "2001:db8::1", Port: 6443}, wantServer: "https://[2001:db8::1]:6443"},
		{name: "IPv6 already bracketed", endpoint: clusterv1.APIEndpoint{Host: "[2001:db8::1]", Port: 6443}, wantServer: "https://[2001:db8::1]:6443"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			serverCA, clientCA := testCAs(t)
			c := fake.NewClientBuilder().WithScheme(newScheme(t)).WithObjects(caSecrets(t)...).Build()

			res, err := Reconcile(t.Context(), c, testCluster, tt.endpoint, testOwner)
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(res).To(Equal(Result{Created: true}))

			s := getKubeconfig(t, c)
			g.Expect(s.Type).To(Equal(clusterv1.ClusterSecretType))
			g.Expect(s.Labels).To(Equal(map[string]string{clusterv1.ClusterNameLabel: "c1"}))
			g.Expect(s.OwnerReferences).To(ConsistOf(testOwner))
			g.Expect(s.Data).To(HaveLen(1))
			g.Expect(s.Data).To(HaveKey("value"))

			config, err := clientcmd.Load(s.Data["value"])
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(config.CurrentContext).To(Equal("c1-admin@c1"))
			g.Expect(config.Contexts).To(HaveLen(1))
			g.Expect(config.Contexts["c1-admin@c1"].Cluster).To(Equal("c1"))
			g.Expect(config.Contexts["c1-admin@c1"].AuthInfo).To(Equal("c1-admin"))
			g.Expect(config.Clusters).To(HaveLen(1))
			g.Expect(config.Clusters["c1"].Server).To(Equal(tt.wantServer))
			g.Expect(config.Clusters["c1"].CertificateAuthorityData).To(Equal(certs.EncodeCertPEM(serverCA.cert)))
			g.Expect(config.AuthInfos).To(HaveKey("c1-admin"))
			_, err = clientcmd.RESTConfigFromKubeConfig(s.Data["value"])
			g.Expect(err).ToNot(HaveOccurred())

			cert, certPEM, keyPEM := clientCertOf(t, s.Data["value"])
			g.Expect(verifyAgainst(cert, clientCA)).To(Succeed(), "the client certificate is signed by the K3s client CA")
			g.Expect(verifyAgainst(cert, serverCA)).ToNot(Succeed(), "the client certificate is not signed by the server CA")
			g.Expect(cert.Subject.CommonName).To(Equal("kubernetes-admin"))
			g.Expect(cert.Subject.Organization).To(Equal([]string{"system:masters"}))
			g.Expect(cert.ExtKeyUsage).To(Equal([]x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}))
			g.Expect(cert.IsCA).To(BeFalse())
			g.Expect(cert.NotAfter).To(BeTemporally("~", time.Now().Add(365*24*time.Hour), time.Minute))

			pair, err := tls.X509KeyPair(certPEM, keyPEM)
			g.Expect(err).ToNot(HaveOccurred(), "the key matches the certificate")
			g.Expect(pair.PrivateKey).To(BeAssignableToTypeOf(&rsa.PrivateKey{}))
			g.Expect(pair.PrivateKey.(*rsa.PrivateKey).N.BitLen()).To(Equal(2048))

			needs, err := NeedsRotation(s.Data["value"], time.Now())
			g.Expect(err).ToNot(HaveOccurred())
			g.Expect(needs).To(BeFalse())
		})
	}
}

func Test_serverURL(t *testing.T) {
	tests := []struct {
		name        string
		endpoint    clusterv1.APIEndpoint
		want        string
		wantNotSet  bool
		wantInvalid bool
	}{
		{name: "IPv4", endpoint: clusterv1.APIEndpoint{Host: "192.168.1.10", Port: 6443}, want: "https://192.168.1.10:6443"},
		{name: "DNS", endpoint: clusterv1.APIEndpoint{Host: "k3s.example.com", Port: 443}, want: "https://k3s.example.com:443"},
		{name: "IPv6", endpoint: clusterv1.APIEndpoint{Host: "fd00::10", Port: 6443}, want: "https://[fd00::10]:6443"},
		{name: "IPv6 bracketed", endpoint: clusterv1.APIEndpoint{Host: "[fd00::10]", Port: 6443}, want: "https://[fd00::10]:6443"},
		{name: "IPv6 loopback", endpoint: clusterv1.APIEndpoint{Host: "::1", Port: 6443}, want: "https://[::1]:6443"},
		{name: "IPv4-mapped IPv6", endpoint: clusterv1.APIEndpoint{Host: "::ffff:10.0.0.1", Port: 6443}, want: "https://[::ffff:10.0.0.1]:6443"},
		{name: "IPv6 with zone", endpoint: clusterv1.APIEndpoint{Host: "fe80::1%eth0", Port: 6443}, want: "https://[fe80::1%25eth0]:6443"},
		{name: "highest port", endpoint: clusterv1.APIEndpoint{Host: "h", Port: 65535}, want: "https://h:65535"},
		{name: "empty", endpoint: clusterv1.APIEndpoint{}, wantNotSet: true},
		{name: "no host", endpoint: clusterv1.APIEndpoint{Port: 6443}, wantNotSet: true},
		{name: "no port", endpoint: clusterv1.APIEndpoint{Host: "10.0.0.1"}, wantNotSet: true},
		{name: "negative port", endpoint: clusterv1.APIEndpoint{Host: "10.0.0.1", Port: -1}, wantInvalid: true},
		{name: "port too large", endpoint: clusterv1.APIEndpoint{Host: "10.0.0.1", Port: 65536}, wantInvalid: true},
		{name: "host with path", endpoint: clusterv1.APIEndpoint{Host: "h/path", Port: 6443}, wantInvalid: true},
		{name: "host with space", endpoint: clusterv1.APIEndpoint{Host: "a b", Port: 6443}, wantInvalid: true},
		{name: "host with user info", endpoint: clusterv1.APIEndpoint{Host: "user@h", Port: 6443}, wantInvalid: true},
		{name: "host with port", endpoint: clusterv1.APIEndpoint{Host: "h:1", Port: 6443}, wantInvalid: true},
		{name: "host with query", endpoint: clusterv1.APIEndpoint{Host: "h?x", Port: 6443}, wantInvalid: true},
		{name: "brackets only", endpoint: clusterv1.APIEndpoint{Host: "[]", Port: 6443}, wantInvalid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := serverURL(tt.endpoint)
			switch {
			case tt.wantNotSet:
				g.Expect(err).To(MatchError(ErrEndpointNotSet))
			case tt.wantInvalid:
				g.Expect(err).To(HaveOccurred())
				g.Expect(err).ToNot(MatchError(ErrEndpointNotSet))
			default:
				g.Expect(err).ToNot(HaveOccurred())
				g.Expect(got).To(Equal(tt.want))
			}
		})
	}
}

func Test_build_ClientKeyFollowsClientCA(t *testing.T) {
	server, rsaClient := testCAs(t)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	NewWithT(t).Expect(err).ToNot(HaveOccurred())
	p384CA, err := selfSign("client-ca-p384", p384)
	NewWithT(t).Expect(err).ToNot(HaveOccurred())
	for _, tc := range []struct {
		name      string
		clientCA  *testCA
		wantKey   any
		wantCurve elliptic.Curve
	}{
		{name: "RSA CA: RSA-2048 key, as upstream", clientCA: rsaClient, wantKey: &rsa.PrivateKey{}},
		{name: "ECDSA P-256 CA: P-256 key", clientCA: newECCA(t, "client-ca-p256"), wantKey: &ecdsa.PrivateKey{}, wantCurve: elliptic.P256()},
		{name: "ECDSA P-384 CA: P-384 key", clientCA: p384CA, wantKey: &ecdsa.PrivateKey{}, wantCurve: elliptic.P384()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			cas := &authorities{serverCAData: certs.EncodeCertPEM(server.cert), clientCACert: tc.clientCA.cert, clientCAKey: tc.clientCA.key}
			data, err := build("c1", &api.Cluster{Server: "https://10.0.0.1:6443"}, cas)
			g.Expect(err).ToNot(HaveOccurred())
			cert, certPEM, keyPEM := clientCertOf(t, data)
			g.Expect(verifyAgainst(cert, tc.clientCA)).To(Succeed())
			pair, err := tls.X509KeyPair(certPEM, keyPEM)
			g.Expect(err).ToNot(HaveOccurred(), "the key matches the certificate")
			g.Expect(pair.PrivateKey).To(BeAssignableToTypeOf(tc.wantKey))
			if tc.wantCurve != nil {
				g.Expect(pair.PrivateKey.(*ecdsa.PrivateKey).Curve).To(Equal(tc.wantCurve))
			}
		})
	}
}
