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

package mux

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/cluster-api/util/certs"

	inmemoryruntime "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/runtime"
	inmemoryapi "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/server/api"
	inmemoryetcd "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/server/etcd"
)

// Host is the only address the mux listens on.
const Host = "127.0.0.1"

// alarmMethod is the gRPC method answered by the alarm server instead of the inmemory etcd handler.
const alarmMethod = "/etcdserverpb.Maintenance/Alarm"

// Options configure a Mux.
type Options struct {
	// MinPort and MaxPort bound the ports given to clusters that ask for none (inclusive).
	MinPort, MaxPort int32

	// DebugPort is the port of the inmemory debug server (listeners, resource groups) on 127.0.0.1; 0 disables
	// it.
	DebugPort int32

	// Logger logs listener changes; the request handlers log at V(4).
	Logger logr.Logger
}

// Mux serves the workload clusters. It is safe for concurrent use.
type Mux struct {
	manager          inmemoryruntime.Manager
	log              logr.Logger
	minPort, maxPort int32

	mu       sync.RWMutex
	clusters map[string]*workloadCluster
	ports    map[int32]string
	debug    *http.Server
	closed   bool
}

// workloadCluster is the listener and certificates of one cluster.
type workloadCluster struct {
	name          string
	port          int32
	resourceGroup string
	handler       http.Handler

	apiServers []string
	apiCA      *x509.Certificate
	apiCert    *tls.Certificate
	apiServing *keyPair
	admin      *keyPair

	etcdCerts map[string]*tls.Certificate
	// etcdConns are the open connections to each etcd member (by pod), closed when K3s would drop them: its
	// member's certificate renewed (K3s restarted) or the member removed.
	connsMu   sync.Mutex
	etcdConns map[string]map[net.Conn]struct{}

	// server serves the listener; nil while stopped.
	server *http.Server
}

// keyPair is a PEM certificate and key.
type keyPair struct {
	cert, key []byte
}

// New returns a mux whose request handlers serve the resource groups of manager, and starts its debug server
// when opts.DebugPort is set.
func New(manager inmemoryruntime.Manager, opts Options) (*Mux, error) {
	if manager == nil {
		return nil, errors.New("an inmemory runtime manager is required")
	}
	if opts.MinPort <= 0 || opts.MaxPort < opts.MinPort || opts.MaxPort > 65535 {
		return nil, fmt.Errorf("invalid port range %d-%d", opts.MinPort, opts.MaxPort)
	}
	if opts.DebugPort < 0 || opts.DebugPort > 65535 {
		return nil, fmt.Errorf("invalid debug port %d", opts.DebugPort)
	}
	logger := opts.Logger
	if logger.GetSink() == nil {
		logger = logr.Discard()
	}
	m := &Mux{
		manager:  manager,
		log:      logger,
		minPort:  opts.MinPort,
		maxPort:  opts.MaxPort,
		clusters: map[string]*workloadCluster{},
		ports:    map[int32]string{},
	}
	if opts.DebugPort > 0 {
		l, err := net.Listen("tcp", net.JoinHostPort(Host, strconv.Itoa(int(opts.DebugPort)))) //nolint:noctx // no context to bound a listen.
		if err != nil {
			return nil, fmt.Errorf("failed to listen for the debug server: %w", err)
		}
		m.debug = &http.Server{
			Handler:           inmemoryapi.NewDebugHandler(manager, logger.V(4), m),
			ReadHeaderTimeout: 30 * time.Second,
			ErrorLog:          m.errorLog(),
		}
		go func() { _ = m.debug.Serve(l) }()
		m.log.Info("Debug server started", "address", l.Addr().String())
	}
	return m, nil
}

// errorLog returns the error log of the HTTP servers: TLS handshakes rejected by clients (an unreachable etcd
// member presents the wrong certificate on purpose) are expected, so they are logged at V(4) only.
func (m *Mux) errorLog() *log.Logger {
	return log.New(logWriter{m.log.V(4)}, "", 0)
}

type logWriter struct{ log logr.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Info(strings.TrimSpace(string(p)))
	return len(p), nil
}

// InitWorkloadClusterListener reserves a port for the cluster: port if not 0 (a port used before, e.g. read
// back from an endpoint), else the lowest free port of the range. The listener starts with StartListener. It
// returns the port; calling it again returns the same port.
func (m *Mux) InitWorkloadClusterListener(name string, port int32) (int32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, errors.New("the mux is shut down")
	}
	if c, ok := m.clusters[name]; ok {
		if port != 0 && port != c.port {
			return 0, fmt.Errorf("workload cluster %s already listens on port %d, not %d", name, c.port, port)
		}
		return c.port, nil
	}
	if port == 0 {
		var err error
		if port, err = m.freePortLocked(); err != nil {
			return 0, err
		}
	} else if other, ok := m.ports[port]; ok {
		return 0, fmt.Errorf("port %d of workload cluster %s is used by workload cluster %s", port, name, other)
	}
	c := &workloadCluster{name: name, port: port, etcdCerts: map[string]*tls.Certificate{}, etcdConns: map[string]map[net.Conn]struct{}{}}
	c.handler = m.newHandler(c)
	m.clusters[name] = c
	m.ports[port] = name
	m.log.Info("Workload cluster listener reserved", "cluster", name, "address", c.address())
	return port, nil
}

// freePortLocked returns the lowest port of the range that no cluster uses and that can be bound now.
func (m *Mux) freePortLocked() (int32, error) {
	for p := m.minPort; p <= m.maxPort; p++ {
		if _, used := m.ports[p]; used {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort(Host, strconv.Itoa(int(p)))) //nolint:noctx // no context to bound a listen.
		if err != nil {
			continue
		}
		_ = l.Close()
		return p, nil
	}
	return 0, fmt.Errorf("no free port in the range %d-%d", m.minPort, m.maxPort)
}

// newHandler returns the request handler of a cluster: gRPC to the etcd handlers, the rest to the API handler.
func (m *Mux) newHandler(c *workloadCluster) http.Handler {
	resolve := func(string) (string, error) {
		m.mu.RLock()
		defer m.mu.RUnlock()
		if c.resourceGroup == "" {
			return "", fmt.Errorf("workload cluster %s has no resource group", c.name)
		}
		return c.resourceGroup, nil
	}
	logger := m.log.V(4).WithValues("cluster", c.name)
	api := inmemoryapi.NewAPIServerHandler(m.manager, logger, resolve)
	etcd := inmemoryetcd.NewEtcdServerHandler(m.manager, logger, resolve)
	alarms := newAlarmHandler(m.manager, resolve)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
			if r.URL.Path == alarmMethod {
				alarms.ServeHTTP(w, r)
				return
			}
			etcd.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// cluster returns the cluster; m.mu must be held.
func (m *Mux) clusterLocked(name string) (*workloadCluster, error) {
	c, ok := m.clusters[name]
	if !ok {
		return nil, fmt.Errorf("workload cluster %s has no listener", name)
	}
	return c, nil
}

// RegisterResourceGroup sets the resource group holding the cluster's objects.
func (m *Mux) RegisterResourceGroup(name, resourceGroup string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.clusterLocked(name)
	if err != nil {
		return err
	}
	c.resourceGroup = resourceGroup
	return nil
}

// Port returns the port of the cluster's listener.
func (m *Mux) Port(name string) (int32, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, err := m.clusterLocked(name)
	if err != nil {
		return 0, err
	}
	return c.port, nil
}

// AddAPIServer adds an API server instance (named after its node) behind the cluster's listener. The first one
// creates the serving certificate, signed by the server CA caCert/caKey, and an admin client certificate for
// RESTConfig; later ones must use the same CA.
func (m *Mux) AddAPIServer(name, instance string, caCert *x509.Certificate, caKey crypto.Signer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.clusterLocked(name)
	if err != nil {
		return err
	}
	if caCert == nil || caKey == nil {
		return fmt.Errorf("workload cluster %s: API server %s needs a CA certificate and key", name, instance)
	}
	if c.apiCA != nil && !c.apiCA.Equal(caCert) {
		return fmt.Errorf("workload cluster %s: API server %s uses another CA (%q) than the cluster's (%q)",
			name, instance, caCert.Subject.CommonName, c.apiCA.Subject.CommonName)
	}
	if c.apiCert == nil {
		serving, err := newCertificate(caCert, caKey, &certs.Config{
			CommonName:   "k3s",
			Organization: []string{"k3s"},
			AltNames: certs.AltNames{
				DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
				IPs:      []net.IP{net.ParseIP(Host), net.IPv6loopback},
			},
			Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			return fmt.Errorf("workload cluster %s: failed to create the API server certificate: %w", name, err)
		}
		servingCert, err := tls.X509KeyPair(serving.cert, serving.key)
		if err != nil {
			return fmt.Errorf("workload cluster %s: failed to load the API server certificate: %w", name, err)
		}
		admin, err := newCertificate(caCert, caKey, &certs.Config{
			CommonName:   "k3ssim-admin",
			Organization: []string{"system:masters"},
			Usages:       []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		})
		if err != nil {
			return fmt.Errorf("workload cluster %s: failed to create the admin certificate: %w", name, err)
		}
		c.apiCA, c.apiCert, c.apiServing, c.admin = caCert, &servingCert, serving, admin
	}
	if !slices.Contains(c.apiServers, instance) {
		c.apiServers = append(c.apiServers, instance)
		m.log.Info("API server added", "cluster", name, "instance", instance)
	}
	return nil
}

// DeleteAPIServer removes an API server instance; removing the last one stops the listener.
func (m *Mux) DeleteAPIServer(name, instance string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.clusters[name]
	if !ok {
		return nil
	}
	if i := slices.Index(c.apiServers, instance); i >= 0 {
		c.apiServers = slices.Delete(c.apiServers, i, i+1)
		m.log.Info("API server removed", "cluster", name, "instance", instance)
	}
	if len(c.apiServers) == 0 {
		return m.stopLocked(c)
	}
	return nil
}

// ServingCertificate returns the PEM certificate and key the cluster's API server serves with.
func (m *Mux) ServingCertificate(name string) (cert, key []byte, err error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, err := m.clusterLocked(name)
	if err != nil {
		return nil, nil, err
	}
	if c.apiServing == nil {
		return nil, nil, fmt.Errorf("workload cluster %s has no API server", name)
	}
	return slices.Clone(c.apiServing.cert), slices.Clone(c.apiServing.key), nil
}

// APIServers returns the API server instances of the cluster.
func (m *Mux) APIServers(name string) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if c, ok := m.clusters[name]; ok {
		return slices.Clone(c.apiServers)
	}
	return nil
}

// StartListener starts serving the cluster on 127.0.0.1:<port>; it needs an API server.
func (m *Mux) StartListener(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errors.New("the mux is shut down")
	}
	c, err := m.clusterLocked(name)
	if err != nil {
		return err
	}
	if c.server != nil {
		return nil
	}
	if c.apiCert == nil {
		return fmt.Errorf("workload cluster %s has no API server", name)
	}
	l, err := net.Listen("tcp", c.hostPort()) //nolint:noctx // no context to bound a listen.
	if err != nil {
		return fmt.Errorf("failed to start the listener of workload cluster %s: %w", name, err)
	}
	c.server = &http.Server{
		Handler:           c.handler,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          m.errorLog(),
		TLSConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
				return m.certificate(c, hello)
			},
		},
		ConnState: func(conn net.Conn, state http.ConnState) {
			if tc, ok := conn.(*tls.Conn); ok && (state == http.StateClosed || state == http.StateHijacked) {
				c.untrackEtcdConn(tc.NetConn())
			}
		},
	}
	go func(s *http.Server) {
		if err := s.ServeTLS(l, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error(err, "Workload cluster listener failed", "cluster", name)
		}
	}(c.server)
	m.log.Info("Workload cluster listener started", "cluster", name, "address", c.address())
	return nil
}

// certificate chooses the serving certificate for a TLS connection to the cluster. A connection to an etcd member
// is recorded under the same lock, so that a renewal either sees it or happens before it gets the certificate.
func (m *Mux) certificate(c *workloadCluster, hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if cert, ok := c.etcdCerts[hello.ServerName]; ok {
		c.trackEtcdConn(hello.ServerName, hello.Conn)
		return cert, nil
	}
	if c.apiCert == nil {
		return nil, fmt.Errorf("workload cluster %s has no API server", c.name)
	}
	return c.apiCert, nil
}

// StopListener stops serving the cluster and closes its connections.
func (m *Mux) StopListener(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.clusterLocked(name)
	if err != nil {
		return err
	}
	return m.stopLocked(c)
}

func (m *Mux) stopLocked(c *workloadCluster) error {
	if c.server == nil {
		return nil
	}
	err := c.server.Close()
	c.server = nil
	m.log.Info("Workload cluster listener stopped", "cluster", c.name, "address", c.address())
	if err != nil {
		return fmt.Errorf("failed to stop the listener of workload cluster %s: %w", c.name, err)
	}
	return nil
}

// Serving tells whether the cluster's listener is started.
func (m *Mux) Serving(name string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.clusters[name]
	return ok && c.server != nil
}

// DeleteWorkloadClusterListener stops the cluster's listener and releases its port.
func (m *Mux) DeleteWorkloadClusterListener(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.clusters[name]
	if !ok {
		return nil
	}
	err := m.stopLocked(c)
	delete(m.clusters, name)
	delete(m.ports, c.port)
	m.log.Info("Workload cluster listener deleted", "cluster", name)
	return err
}

// RESTConfig returns an admin REST config of the cluster (client certificate signed by the server CA; the mux
// does not check client certificates anyway).
func (m *Mux) RESTConfig(name string) (*rest.Config, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, err := m.clusterLocked(name)
	if err != nil {
		return nil, err
	}
	if c.admin == nil {
		return nil, fmt.Errorf("workload cluster %s has no API server", name)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["k3ssim"] = &clientcmdapi.Cluster{Server: c.address(), CertificateAuthorityData: certs.EncodeCertPEM(c.apiCA)}
	cfg.AuthInfos["k3ssim"] = &clientcmdapi.AuthInfo{ClientCertificateData: c.admin.cert, ClientKeyData: c.admin.key}
	cfg.Contexts["k3ssim"] = &clientcmdapi.Context{Cluster: "k3ssim", AuthInfo: "k3ssim"}
	cfg.CurrentContext = "k3ssim"
	return clientcmd.NewDefaultClientConfig(*cfg, nil).ClientConfig()
}

// Shutdown stops every listener and the debug server.
func (m *Mux) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	var errs []error
	for _, c := range m.clusters {
		errs = append(errs, m.stopLocked(c))
	}
	if m.debug != nil {
		errs = append(errs, m.debug.Shutdown(ctx))
		m.debug = nil
	}
	return errors.Join(errs...)
}

// ListListeners implements inmemoryapi.DebugInfoProvider.
func (m *Mux) ListListeners() map[string]string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := map[string]string{}
	for name, c := range m.clusters {
		out[name] = c.address()
		if c.server == nil {
			out[name] += " (stopped)"
		}
	}
	return out
}

// GetCluster implements inmemoryapi.DebugInfoProvider.
func (m *Mux) GetCluster(name string) *inmemoryapi.ClusterDebugInfo {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.clusters[name]
	if !ok {
		return nil
	}
	members := make([]string, 0, len(c.etcdCerts))
	for pod := range c.etcdCerts {
		members = append(members, pod)
	}
	slices.Sort(members)
	servers := slices.Clone(c.apiServers)
	slices.Sort(servers)
	return &inmemoryapi.ClusterDebugInfo{
		Host: Host, Port: c.port, ListenerActive: c.server != nil, ResourceGroup: c.resourceGroup,
		APIServers: servers, EtcdMembers: members,
	}
}

var _ inmemoryapi.DebugInfoProvider = &Mux{}

func (c *workloadCluster) hostPort() string {
	return net.JoinHostPort(Host, strconv.Itoa(int(c.port)))
}

func (c *workloadCluster) address() string {
	return "https://" + c.hostPort()
}
