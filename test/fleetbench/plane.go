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
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-logr/logr"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/k3s-io/cluster-api-k3s/internal/test/envtest"
	"github.com/k3s-io/cluster-api-k3s/internal/test/mgmtplane"
)

// plane is the management plane of a run: kube-apiserver (with the audit log) and etcd, CAPI core, the
// infrastructure and the providers' webhooks in this process.
type plane struct {
	*mgmtplane.Plane
	auditLog string
}

// startPlane starts the plane for a flavor.
func startPlane(ctx context.Context, cfg Config, flavor Flavor) (*plane, error) {
	auditLog := filepath.Join(cfg.OutDir, "audit.log")
	policy := filepath.Join(cfg.OutDir, "audit-policy.yaml")
	if err := os.WriteFile(policy, AuditPolicy(), 0o600); err != nil {
		return nil, err
	}
	crds, err := flavor.CRDs(ctx)
	if err != nil {
		return nil, err
	}
	webhooks, err := flavor.WebhookManifests(ctx)
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(cfg.OutDir, "plane.log")) //nolint:gosec // the run's output directory
	if err != nil {
		return nil, err
	}
	planeLog.set(logFile)
	// CAPI's in-memory API servers report through the standard logger.
	log.SetOutput(planeLog)
	p, err := mgmtplane.Start(ctx, mgmtplane.Options{
		Logger:             &planeLogger,
		AddToScheme:        []func(*runtime.Scheme) error{flavor.AddToScheme},
		InfrastructureCRDs: crds,
		SetupInfrastructure: func(ctx context.Context, mgr ctrl.Manager) error {
			return flavor.SetupPlane(ctx, mgr, cfg)
		},
		ExternalProviders:       true,
		ConnectionRetryInterval: time.Duration(cfg.ConnectionRetryInterval),
		ExtraWebhookManifests:   webhooks,
		APIServerFlags: map[string]string{
			"audit-log-path":           auditLog,
			"audit-policy-file":        policy,
			"audit-log-format":         "json",
			"audit-log-mode":           "batch",
			"audit-log-maxsize":        "0",
			"audit-log-batch-max-wait": "1s",
		},
	})
	if err != nil {
		return nil, err
	}
	return &plane{Plane: p, auditLog: auditLog}, nil
}

// planeLog receives the errors logged by CAPI core and the infrastructure of the current run (the controller-runtime
// logger is set once per process, runs come one after the other).
var planeLog = &switchWriter{w: io.Discard}

var planeLogger = logr.FromSlogHandler(slog.NewTextHandler(planeLog, &slog.HandlerOptions{Level: slog.LevelError}))

// switchWriter is a writer whose target can change.
type switchWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *switchWriter) set(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w = w
}

func (s *switchWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// kubeconfigFor creates a user bound to a provider's ClusterRole and writes its kubeconfig.
func (p *plane) kubeconfigFor(ctx context.Context, user, roleFile, path string) error {
	u, err := mgmtplane.AddUser(ctx, p.Env, user, roleFile)
	if err != nil {
		return err
	}
	data, err := u.KubeConfig()
	if err != nil {
		return fmt.Errorf("failed to write the kubeconfig of %s: %w", user, err)
	}
	return os.WriteFile(path, data, 0o600)
}

// driverConfig is the admin config with the driver's own client settings (it creates and watches many objects).
func (p *plane) driverConfig() *rest.Config {
	c := rest.CopyConfig(p.Env.Config)
	c.QPS, c.Burst = 500, 1000
	c.UserAgent = "fleetbench-driver"
	return c
}

// writeServingCert writes a self-signed certificate for 127.0.0.1 into dir (tls.crt, tls.key): the providers'
// binaries start a webhook server even when no webhook is registered.
func writeServingCert(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fleetbench"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	return errors.Join(
		os.WriteFile(filepath.Join(dir, "tls.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600),
		os.WriteFile(filepath.Join(dir, "tls.key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600),
	)
}

// RepoRoot is the root of the repository the benchmark builds the providers from.
func RepoRoot() (string, error) { return envtest.RepoRoot() }
