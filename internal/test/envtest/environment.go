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

package envtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	crenvtest "sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

// localhost is the only address the test servers listen on.
const localhost = "127.0.0.1"

const (
	// defaultReadyTimeout bounds waiting for the webhook server and the manager's cache when the caller's context
	// has no deadline.
	defaultReadyTimeout = 2 * time.Minute
	// stopTimeout bounds waiting for the manager to return after Stop cancels it.
	stopTimeout = time.Minute
	// certWatcherGrace is how long Stop waits between stopping the manager and deleting the serving certificates.
	certWatcherGrace = 250 * time.Millisecond
)

// Options configure New. The zero value starts the environment without webhooks or controllers.
type Options struct {
	// Setup functions are called with the manager before it starts, in order; they register webhooks and
	// controllers (for example (&webhooks.KThreesConfig{}).SetupWebhookWithManager).
	Setup []func(ctrl.Manager) error

	// Scheme replaces the default scheme (NewScheme). Multi-version CRDs of kinds that are convertible in it get
	// conversion webhooks pointing at the manager's webhook server.
	Scheme *runtime.Scheme

	// ManagerOptions, if set, can adjust the manager options after the defaults are filled in (metrics and health
	// probes off, leader election off, webhook server on the envtest serving address).
	ManagerOptions func(*ctrl.Options)

	// Logger is passed to ctrl.SetLogger the first time an environment starts in this process. Defaults to a logger
	// printing errors to stderr.
	Logger *logr.Logger

	// CRDs are installed in addition to the CAPI core CRDs and ours, e.g. minimal infrastructure template CRDs
	// carrying CAPI contract labels.
	CRDs []*apiextensionsv1.CustomResourceDefinition

	// SkipWebhookManifests installs no admission webhook configurations (OurWebhookManifests), for tests that
	// register no admission webhooks. Conversion webhooks are still configured.
	SkipWebhookManifests bool

	// CAPICoreWebhooks also installs CAPI core's admission webhook configurations (defaulting and validation of
	// Clusters, Machines, MachineDeployments...) and installs CAPI's CRDs with conversion strategy Webhook at the
	// manager's webhook server, as CAPI's deployment does; the Setup functions must register CAPI's webhooks then
	// (their builders register CAPI's converters too) and set CAPI's conversion APIVersionGetter.
	CAPICoreWebhooks bool

	// ExtraWebhookManifests are more admission webhook manifests (absolute paths) by a prefix that keeps their
	// configuration names apart; the Setup functions must register their webhooks.
	ExtraWebhookManifests map[string]string

	// APIServerFlags are set on the kube-apiserver (e.g. audit-log-path).
	APIServerFlags map[string]string

	// AttachControlPlaneOutput copies the kube-apiserver and etcd output to stdout/stderr.
	AttachControlPlaneOutput bool
}

// Environment is a running kube-apiserver and etcd with CRDs and webhooks installed, and a started manager.
type Environment struct {
	// Client is an uncached client, so reads see writes immediately.
	Client client.Client
	// Manager is the started manager; its GetClient reads from the informer cache.
	Manager ctrl.Manager
	// Config is the admin rest config of the API server.
	Config *rest.Config
	// Scheme is the scheme of Client and Manager.
	Scheme *runtime.Scheme
	// TestEnv is the underlying controller-runtime environment.
	TestEnv *crenvtest.Environment

	cancel   context.CancelFunc
	done     chan struct{}
	mgrErr   error
	stopOnce sync.Once
	stopErr  error
}

var setLoggerOnce sync.Once

// New starts the API server and etcd, installs the CRDs and webhook configurations, calls the setup functions and
// starts the manager. It returns once the webhook server accepts TLS connections and the manager's cache is synced.
// ctx bounds only the start-up; the environment runs until Stop.
func New(ctx context.Context, opts Options) (*Environment, error) {
	setLoggerOnce.Do(func() {
		logger := logr.FromSlogHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
		if opts.Logger != nil {
			logger = *opts.Logger
		}
		ctrl.SetLogger(logger)
	})

	testEnv, scheme, capiDir, err := newTestEnv(ctx, opts)
	if err != nil {
		return nil, err
	}
	cfg, err := testEnv.Start()
	if err != nil {
		// Start may fail after launching processes; stopping is best effort.
		_ = testEnv.Stop()
		return nil, fmt.Errorf("failed to start envtest: %w", err)
	}
	env := &Environment{Config: cfg, Scheme: scheme, TestEnv: testEnv}
	if capiDir != "" {
		// Installed once the webhook serving address and CA exist, which envtest sets up in Start.
		if err := installCAPICRDs(cfg, capiDir, &testEnv.WebhookInstallOptions); err != nil {
			return nil, errors.Join(err, env.Stop())
		}
	}
	if err := env.startManager(ctx, opts); err != nil {
		return nil, errors.Join(err, env.Stop())
	}
	return env, nil
}

// newTestEnv configures (without starting) the controller-runtime environment. With opts.CAPICoreWebhooks it leaves
// CAPI's CRDs out and returns the CAPI module's directory: New installs them with their conversion webhooks once
// envtest has started (installCAPICRDs).
func newTestEnv(ctx context.Context, opts Options) (*crenvtest.Environment, *runtime.Scheme, string, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, nil, "", err
	}
	assets, err := AssetsDir(ctx, root)
	if err != nil {
		return nil, nil, "", err
	}
	var crdDirs []string
	if !opts.CAPICoreWebhooks {
		capiCRDs, err := CAPICRDDir(ctx, root)
		if err != nil {
			return nil, nil, "", err
		}
		crdDirs = append(crdDirs, capiCRDs)
	}
	for _, d := range OurCRDDirs {
		crdDirs = append(crdDirs, filepath.Join(root, d))
	}
	webhooks := &webhookConfigurations{}
	if !opts.SkipWebhookManifests {
		manifests, err := existingFiles(root, OurWebhookManifests)
		if err != nil {
			return nil, nil, "", err
		}
		if webhooks, err = readWebhookManifests(root, manifests); err != nil {
			return nil, nil, "", err
		}
	}
	var capiDir string
	if opts.CAPICoreWebhooks {
		if capiDir, err = ModuleDir(ctx, root, capiModule); err != nil {
			return nil, nil, "", err
		}
		core, err := readWebhookManifests(capiDir, []string{capiWebhookManifest})
		if err != nil {
			return nil, nil, "", err
		}
		webhooks.mutating = append(webhooks.mutating, core.mutating...)
		webhooks.validating = append(webhooks.validating, core.validating...)
	}
	for prefix, path := range opts.ExtraWebhookManifests {
		if err := webhooks.read(path, prefix); err != nil {
			return nil, nil, "", err
		}
	}
	scheme := opts.Scheme
	if scheme == nil {
		if scheme, err = NewScheme(); err != nil {
			return nil, nil, "", err
		}
	}

	testEnv := &crenvtest.Environment{
		Scheme:                   scheme,
		CRDs:                     opts.CRDs,
		BinaryAssetsDirectory:    assets,
		CRDDirectoryPaths:        crdDirs,
		ErrorIfCRDPathMissing:    true,
		AttachControlPlaneOutput: opts.AttachControlPlaneOutput,
		WebhookInstallOptions: crenvtest.WebhookInstallOptions{
			MutatingWebhooks:   webhooks.mutating,
			ValidatingWebhooks: webhooks.validating,
			LocalServingHost:   localhost,
		},
	}
	// Pin the API server and etcd client addresses to 127.0.0.1 (envtest would resolve "localhost").
	apiServer := testEnv.ControlPlane.GetAPIServer()
	apiServer.Configure().Set("advertise-address", localhost)
	for flag, value := range opts.APIServerFlags {
		apiServer.Configure().Set(flag, value)
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, nil, "", err
	}
	apiServer.Address = localhost
	apiServer.Port = strconv.Itoa(ports[0])
	testEnv.ControlPlane.Etcd = &crenvtest.Etcd{
		URL: &url.URL{Scheme: "http", Host: net.JoinHostPort(localhost, strconv.Itoa(ports[1]))},
	}
	return testEnv, scheme, capiDir, nil
}

// freePorts returns n distinct ports that were free on localhost a moment ago.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(localhost, "0"))
		if err != nil {
			return nil, fmt.Errorf("failed to find a free port: %w", err)
		}
		// Keep the listener open until all ports are chosen, so they differ.
		defer func() { _ = l.Close() }()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// startManager creates the manager, runs the setup functions, starts it and waits until it serves.
func (e *Environment) startManager(ctx context.Context, opts Options) error {
	var err error
	if e.Client, err = client.New(e.Config, client.Options{Scheme: e.Scheme}); err != nil {
		return fmt.Errorf("failed to create the client: %w", err)
	}

	wio := &e.TestEnv.WebhookInstallOptions
	mgrOpts := ctrl.Options{
		Scheme:                 e.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		LeaderElection:         false,
		WebhookServer: webhook.NewServer(webhook.Options{
			Host:    wio.LocalServingHost,
			Port:    wio.LocalServingPort,
			CertDir: wio.LocalServingCertDir,
		}),
		// Tests may register the same controllers in more than one manager of a process.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	}
	if opts.ManagerOptions != nil {
		opts.ManagerOptions(&mgrOpts)
	}
	if e.Manager, err = ctrl.NewManager(e.Config, mgrOpts); err != nil {
		return fmt.Errorf("failed to create the manager: %w", err)
	}
	for i, setup := range opts.Setup {
		if err := setup(e.Manager); err != nil {
			return fmt.Errorf("failed to run setup function %d: %w", i, err)
		}
	}
	// Adds the webhook server to the manager even when no setup function registered a webhook, so that the
	// conversion and admission URLs envtest installed always answer.
	_ = e.Manager.GetWebhookServer()

	mgrCtx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.done = make(chan struct{})
	go func() {
		defer close(e.done)
		e.mgrErr = e.Manager.Start(mgrCtx)
	}()

	readyCtx := ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancelReady context.CancelFunc
		readyCtx, cancelReady = context.WithTimeout(ctx, defaultReadyTimeout)
		defer cancelReady()
	}
	if err := waitForTLS(readyCtx, e.done, net.JoinHostPort(wio.LocalServingHost, strconv.Itoa(wio.LocalServingPort)), wio.LocalServingCAData); err != nil {
		return fmt.Errorf("webhook server did not become ready: %w", errors.Join(err, e.managerError()))
	}
	if !e.Manager.GetCache().WaitForCacheSync(readyCtx) {
		return fmt.Errorf("manager cache did not sync: %w", errors.Join(readyCtx.Err(), e.managerError()))
	}
	return nil
}

// managerError returns the manager's error if it has already returned.
func (e *Environment) managerError() error {
	select {
	case <-e.done:
		if e.mgrErr != nil {
			return fmt.Errorf("manager stopped: %w", e.mgrErr)
		}
		return errors.New("manager stopped")
	default:
		return nil
	}
}

// waitForTLS dials addr until a TLS handshake verified against caPEM succeeds, ctx ends or stopped is closed.
func waitForTLS(ctx context.Context, stopped <-chan struct{}, addr string, caPEM []byte) error {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return errors.New("no webhook serving CA")
	}
	tlsConfig := &tls.Config{RootCAs: pool, ServerName: localhost, MinVersion: tls.VersionTLS12}
	ticker := time.NewTicker(100 * time.Millisecond)
	defer ticker.Stop()
	var lastErr error
	for {
		dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: time.Second}, Config: tlsConfig}
		conn, err := dialer.DialContext(ctx, "tcp", addr)
		if err == nil {
			return conn.Close()
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last dial error: %w)", ctx.Err(), lastErr)
		case <-stopped:
			return fmt.Errorf("manager stopped (last dial error: %w)", lastErr)
		case <-ticker.C:
		}
	}
}

// EtcdURL returns the client URL of envtest's etcd (for example http://127.0.0.1:12345), to read stored objects.
func (e *Environment) EtcdURL() string {
	if e.TestEnv.ControlPlane.Etcd == nil || e.TestEnv.ControlPlane.Etcd.URL == nil {
		return ""
	}
	return e.TestEnv.ControlPlane.Etcd.URL.String()
}

// CreateNamespace creates a namespace named <prefix>-<random suffix>.
func (e *Environment) CreateNamespace(ctx context.Context, prefix string) (*corev1.Namespace, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	if err := e.Client.Create(ctx, ns); err != nil {
		return nil, fmt.Errorf("failed to create namespace with prefix %q: %w", prefix, err)
	}
	return ns, nil
}

// Stop stops the manager, then the API server and etcd. It is safe to call more than once.
func (e *Environment) Stop() error {
	e.stopOnce.Do(func() {
		var errs []error
		if e.cancel != nil {
			e.cancel()
			select {
			case <-e.done:
				if e.mgrErr != nil {
					errs = append(errs, fmt.Errorf("manager failed: %w", e.mgrErr))
				}
				// The webhook server's certificate watcher runs in a goroutine the manager does not wait for;
				// give it a moment to close before envtest deletes the serving certificates it watches.
				time.Sleep(certWatcherGrace)
			case <-time.After(stopTimeout):
				errs = append(errs, fmt.Errorf("manager did not stop within %s", stopTimeout))
			}
		}
		if err := e.TestEnv.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("failed to stop envtest: %w", err))
		}
		e.stopErr = errors.Join(errs...)
	})
	return e.stopErr
}
