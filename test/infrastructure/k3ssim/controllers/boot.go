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
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/certs"
	"sigs.k8s.io/cluster-api/util/secret"
	"sigs.k8s.io/controller-runtime/pkg/client"

	k3scerts "github.com/k3s-io/cluster-api-k3s/pkg/certs"
	infrav1 "github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/api/v1beta1"
	"github.com/k3s-io/cluster-api-k3s/test/infrastructure/k3ssim/node"
)

// waitRequeue is how often a machine waiting for something that is not watched (secrets) tries again, as K3s
// retries.
const waitRequeue = 5 * time.Second

// Paths of the CA files of the first server, as K3s reads them.
var (
	serverCACertPath = path.Join(k3scerts.TLSDir, "server-ca.crt")
	serverCAKeyPath  = path.Join(k3scerts.TLSDir, "server-ca.key")
	etcdCACertPath   = path.Join(k3scerts.TLSDir, "etcd", "server-ca.crt")
	etcdCAKeyPath    = path.Join(k3scerts.TLSDir, "etcd", "server-ca.key")
)

// bootError tells why a machine does not boot (yet).
type bootError struct {
	// reason is the reason of the Booted condition.
	reason string
	// message says why, for a person.
	message string
	// terminal errors end the machine's attempts: it never boots.
	terminal bool
	// requeueAfter, for errors that are not terminal, is when to try again if nothing else triggers it; 0 means
	// only events (the cluster's initialization) do.
	requeueAfter time.Duration
}

func (e *bootError) Error() string { return e.message }

func waiting(reason string, requeueAfter time.Duration, format string, args ...any) *bootError {
	return &bootError{reason: reason, message: fmt.Sprintf(format, args...), requeueAfter: requeueAfter}
}

func failed(reason, format string, args ...any) *bootError {
	return &bootError{reason: reason, message: fmt.Sprintf(format, args...), terminal: true}
}

// keyPair is a parsed CA.
type keyPair struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// clusterCAs are the CA secrets of a Cluster, read from the management cluster.
type clusterCAs struct {
	server keyPair
	etcd   keyPair
}

// readClusterCAs reads <cluster>-ca and <cluster>-etcd; a missing secret means waiting.
func readClusterCAs(ctx context.Context, c client.Reader, cluster client.ObjectKey) (*clusterCAs, error) {
	cas := &clusterCAs{}
	for _, ca := range []struct {
		purpose secret.Purpose
		into    *keyPair
	}{{secret.ClusterCA, &cas.server}, {secret.EtcdCA, &cas.etcd}} {
		s, err := secret.GetFromNamespacedName(ctx, c, cluster, ca.purpose)
		if err != nil {
			if apierrors.IsNotFound(err) {
				return nil, waiting(infrav1.WaitingForCertificatesReason, waitRequeue,
					"Waiting for the CA secret %s-%s of Cluster %s", cluster.Name, ca.purpose, cluster)
			}
			return nil, fmt.Errorf("failed to read the CA secret %s-%s: %w", cluster.Name, ca.purpose, err)
		}
		kp, err := parseKeyPair(s.Data[secret.TLSCrtDataName], s.Data[secret.TLSKeyDataName])
		if err != nil {
			return nil, failed(infrav1.CertificateMismatchReason, "The CA secret %s is not usable: %v", s.Name, err)
		}
		*ca.into = *kp
	}
	return cas, nil
}

// parseKeyPair parses a PEM CA certificate (the first of the bundle) and its key.
func parseKeyPair(certPEM, keyPEM []byte) (*keyPair, error) {
	cert, err := certs.DecodeCertPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("invalid certificate: %w", err)
	}
	if cert == nil {
		return nil, errors.New("no PEM certificate")
	}
	key, err := certs.DecodePrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("invalid private key: %w", err)
	}
	if key == nil {
		return nil, errors.New("no PEM private key")
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, errors.New("the private key does not belong to the certificate")
	}
	return &keyPair{cert: cert, key: key}, nil
}

// bootInput is what a machine boots with.
type bootInput struct {
	uid        types.UID
	listener   string
	endpoint   clusterv1.APIEndpoint
	nodeName   string
	providerID string
	version    string
	// failureDomain labels the Node's zone.
	failureDomain string
	boot          *node.Boot
	// cas are the Cluster's CAs; read for cluster-init servers only.
	cas   *clusterCAs
	knobs infrav1.K3sSimMachineSpec
	// unreachable is set when the machine's deletion started and it becomes unreachable then.
	unreachable bool
}

// boot does what K3s does with the bootstrap data: starts the cluster (cluster-init server) or joins it
// (server or agent with server and token). It returns the simulated node or a *bootError.
func (s *Simulator) boot(ctx context.Context, in *bootInput) (*machineState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started || s.stopped {
		return nil, errors.New("the simulator is shut down")
	}
	if st, ok := s.machines[in.uid]; ok {
		return st, nil
	}
	cs, ok := s.clusters[in.listener]
	if !ok {
		return nil, waiting(infrav1.WaitingForClusterInfrastructureReason, waitRequeue,
			"Waiting for the endpoint of workload cluster %s to be reserved", in.listener)
	}
	b := in.boot
	var (
		st  *machineState
		err error
	)
	switch {
	case b.Role == node.RoleServer && b.ClusterInit:
		st, err = s.initServerLocked(ctx, cs, in)
	case b.Server != "":
		st, err = s.joinLocked(ctx, cs, in)
	default:
		err = failed(infrav1.InvalidBootstrapDataReason,
			"The %s has neither cluster-init nor server: K3s would start a standalone server with SQLite, which is not simulated", b.Role)
	}
	if err != nil {
		return nil, err
	}
	s.machines[in.uid] = st
	return st, nil
}

// initServerLocked starts the cluster.
func (s *Simulator) initServerLocked(ctx context.Context, cs *clusterState, in *bootInput) (*machineState, error) {
	if cs.initialized {
		return nil, failed(infrav1.ClusterAlreadyInitializedReason,
			"The server has cluster-init but the cluster is already initialized (by node %s): K3s would start a second, separate etcd cluster (split brain)",
			cs.initNode)
	}
	serverCA, etcdCA, err := casOfBootData(in.boot, in.cas)
	if err != nil {
		return nil, err
	}
	token, err := tokenOf(in.boot)
	if err != nil {
		return nil, err
	}
	if token == "" {
		// K3s generates a token when the first server has none; no node can join then.
		token = randomHex(16)
	}
	if err := s.checkNodeNameLocked(ctx, in); err != nil {
		return nil, err
	}
	clusterID, err := randomID()
	if err != nil {
		return nil, err
	}
	cs.serverCA, cs.serverCAKey = serverCA.cert, serverCA.key
	cs.etcdCA, cs.etcdCAKey = etcdCA.cert, etcdCA.key
	cs.etcdClusterID = clusterID
	st, err := s.startServerLocked(ctx, cs, in, true)
	if err != nil {
		return nil, err
	}
	cs.initialized, cs.initNode, cs.token = true, in.nodeName, token
	cs.agentToken = stringValue(in.boot.EffectiveConfig["agent-token"])
	s.log.Info("Workload cluster initialized", "cluster", cs.name, "node", in.nodeName)
	s.wakeLocked()
	return st, nil
}

// joinLocked joins a server or agent to the cluster.
func (s *Simulator) joinLocked(ctx context.Context, cs *clusterState, in *bootInput) (*machineState, error) {
	b := in.boot
	want := endpointURL(in.endpoint)
	if !sameServer(b.Server, in.endpoint) {
		return nil, waiting(infrav1.WaitingForServerReason, 0,
			"K3s cannot reach server %s: the cluster's endpoint is %s; it keeps retrying", b.Server, want)
	}
	if !cs.initialized || len(s.mux.APIServers(cs.name)) == 0 {
		return nil, waiting(infrav1.WaitingForServerReason, 0,
			"Waiting for a server at %s: the cluster is not initialized yet; K3s keeps retrying", want)
	}
	token, err := tokenOf(b)
	if err != nil {
		return nil, err
	}
	if !tokenMatches(token, cs.token) && (b.Role == node.RoleServer || cs.agentToken == "" || !tokenMatches(token, cs.agentToken)) {
		return nil, failed(infrav1.JoinRejectedReason,
			"The server at %s rejected the %s: its token does not match the cluster's token", want, b.Role)
	}
	if err := s.checkNodeNameLocked(ctx, in); err != nil {
		return nil, err
	}
	if b.Role == node.RoleServer {
		return s.startServerLocked(ctx, cs, in, false)
	}
	return s.startAgentLocked(ctx, cs, in)
}

// casOfBootData returns the CAs a cluster-init server uses: those of its bootstrap data, which must be the
// Cluster's.
func casOfBootData(b *node.Boot, cas *clusterCAs) (server, etcd *keyPair, err error) {
	if cas == nil {
		return nil, nil, errors.New("the Cluster's CAs were not read")
	}
	server, err = caOfBootData(b, serverCACertPath, serverCAKeyPath, &cas.server, secret.ClusterCA)
	if err != nil {
		return nil, nil, err
	}
	etcd, err = caOfBootData(b, etcdCACertPath, etcdCAKeyPath, &cas.etcd, secret.EtcdCA)
	if err != nil {
		return nil, nil, err
	}
	return server, etcd, nil
}

// caOfBootData returns the CA written at certPath/keyPath, checking it is the Cluster's; K3s generates a CA that
// is not written, which the Cluster's kubeconfig would not trust.
func caOfBootData(b *node.Boot, certPath, keyPath string, want *keyPair, purpose secret.Purpose) (*keyPair, error) {
	certFile, okCert := b.Files[certPath]
	keyFile, okKey := b.Files[keyPath]
	if !okCert || !okKey {
		return nil, failed(infrav1.CertificateMismatchReason,
			"The bootstrap data of the cluster-init server does not write %s and %s: K3s would generate a CA the Cluster's <cluster>-%s secret does not match",
			certPath, keyPath, purpose)
	}
	kp, err := parseKeyPair(certFile.Content, keyFile.Content)
	if err != nil {
		return nil, failed(infrav1.CertificateMismatchReason, "The CA written at %s is not usable: %v", certPath, err)
	}
	if !bytes.Equal(kp.cert.Raw, want.cert.Raw) {
		return nil, failed(infrav1.CertificateMismatchReason,
			"The CA written at %s (%q) is not the Cluster's <cluster>-%s CA (%q)", certPath,
			kp.cert.Subject.CommonName, purpose, want.cert.Subject.CommonName)
	}
	return kp, nil
}

// tokenOf returns the token K3s reads: token, or the content of token-file when written by the data.
func tokenOf(b *node.Boot) (string, error) {
	if b.Token != "" {
		return b.Token, nil
	}
	p := stringValue(b.EffectiveConfig["token-file"])
	if p == "" {
		return "", nil
	}
	f, ok := b.Files[p]
	if !ok {
		return "", failed(infrav1.InvalidBootstrapDataReason, "The token-file %s is not written by the bootstrap data", p)
	}
	return strings.TrimSpace(string(f.Content)), nil
}

// tokenMatches compares a node's token with a cluster token. K3s tokens are either a password or the secure
// form K10<CA hash>::<user>:<password>; only the passwords are compared (the CA hash is not checked).
func tokenMatches(nodeToken, clusterToken string) bool {
	return nodeToken != "" && tokenPassword(nodeToken) == tokenPassword(clusterToken)
}

func tokenPassword(token string) string {
	if !strings.HasPrefix(token, "K10") {
		return token
	}
	_, creds, ok := strings.Cut(token, "::")
	if !ok {
		return token
	}
	if _, password, ok := strings.Cut(creds, ":"); ok {
		return password
	}
	return creds
}

// endpointURL returns https://<endpoint>.
func endpointURL(ep clusterv1.APIEndpoint) string {
	return "https://" + net.JoinHostPort(ep.Host, strconv.Itoa(int(ep.Port)))
}

// sameServer tells whether a server URL reaches the endpoint.
func sameServer(server string, ep clusterv1.APIEndpoint) bool {
	u, err := url.Parse(server)
	if err != nil || u.Scheme != "https" || (u.Path != "" && u.Path != "/") {
		return false
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	return u.Hostname() == ep.Host && port == strconv.Itoa(int(ep.Port))
}

// stringValue returns a config value as a string ("" when absent or not a scalar).
func stringValue(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return ""
	case []any:
		if len(t) == 0 {
			return ""
		}
		return stringValue(t[len(t)-1])
	default:
		return fmt.Sprint(t)
	}
}

// randomHex returns n random bytes in lowercase hexadecimal.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// randomID returns a random etcd ID that the inmemory etcd handler can parse (a positive int64).
func randomID() (int64, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return 0, fmt.Errorf("failed to generate an ID: %w", err)
	}
	return n.Int64() + 1, nil
}
