# cluster-api-k3s: K3s bootstrap and control-plane providers for Cluster API.
SHELL := /usr/bin/env bash -o errexit -o pipefail -o nounset
.DEFAULT_GOAL := help

TOOLS := go tool -modfile=hack/gotools/go.mod
CONTROLLER_GEN := $(TOOLS) controller-gen
CONVERSION_GEN := $(TOOLS) conversion-gen
GOLANGCI_LINT := $(TOOLS) golangci-lint
BOILERPLATE := hack/boilerplate.go.txt

# Arguments passed to `make run`, e.g. `make run ARGS=--once`.
ARGS ?=
# Extra `go test` flags, e.g. `make test TEST_ARGS='-run TestFoo -v'`.
TEST_ARGS ?=

##@ General

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z0-9_-]+:.*?##/ { printf "  %-24s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: run
run: ## Start a local API server with the providers' CRDs and webhooks, apply upstream-shaped sample objects and show them in every API version (ARGS=--once exits after the check)
	go run ./hack/tools/run-local $(ARGS)

.PHONY: demo
demo: ## Run the providers locally on simulated K3s infrastructure: create a 3+2 K3s cluster, show it, keep running (ARGS=--once exits after success)
	KUBEBUILDER_ASSETS="$$(bash hack/envtest-assets.sh)" go run ./hack/tools/demo $(ARGS)

.PHONY: envtest-assets
envtest-assets: ## Build (or reuse) kube-apiserver and etcd for envtest and print their directory (usable as KUBEBUILDER_ASSETS)
	@bash hack/envtest-assets.sh

.PHONY: cloud-init
cloud-init: ## Install (or reuse) Debian's cloud-init for the tests that run it on rendered bootstrap data and print its command (usable as CLOUD_INIT)
	@bash hack/install-cloud-init.sh

##@ Generate

.PHONY: generate
generate: generate-go-deepcopy generate-go-conversions generate-manifests generate-mocks ## Regenerate all generated code and manifests

.PHONY: generate-mocks
generate-mocks: ## Generate go.uber.org/mock mocks (go:generate directives under pkg/)
	go generate ./pkg/...

.PHONY: generate-go-deepcopy
generate-go-deepcopy: ## Generate deepcopy functions
	$(CONTROLLER_GEN) object:headerFile=$(BOILERPLATE) paths=./bootstrap/api/... paths=./controlplane/api/... paths=./test/infrastructure/k3ssim/api/...

.PHONY: generate-go-conversions
generate-go-conversions: ## Generate conversion functions of the v1beta1/v1beta2 spokes
	rm -f ./bootstrap/api/v1beta1/zz_generated.conversion.go ./bootstrap/api/v1beta2/zz_generated.conversion.go \
		./controlplane/api/v1beta1/zz_generated.conversion.go ./controlplane/api/v1beta2/zz_generated.conversion.go
	@# The control-plane spokes wrap the bootstrap conversions, so the bootstrap packages are generated first.
	for pkg in ./bootstrap/api/v1beta1 ./bootstrap/api/v1beta2 ./controlplane/api/v1beta1 ./controlplane/api/v1beta2; do \
		$(CONVERSION_GEN) --output-file=zz_generated.conversion.go --go-header-file=$(BOILERPLATE) $$pkg 2>/dev/null; \
	done

.PHONY: generate-manifests
generate-manifests: ## Generate CRDs, webhook manifests and RBAC roles
	$(CONTROLLER_GEN) crd paths=./bootstrap/api/... output:crd:dir=./bootstrap/config/crd/bases
	$(CONTROLLER_GEN) webhook paths=./bootstrap/webhooks/... output:webhook:dir=./bootstrap/config/webhook
	$(CONTROLLER_GEN) rbac:roleName=manager-role paths=./bootstrap/reconcilers/... output:rbac:dir=./bootstrap/config/rbac
	$(CONTROLLER_GEN) crd paths=./controlplane/api/... output:crd:dir=./controlplane/config/crd/bases
	$(CONTROLLER_GEN) webhook paths=./controlplane/webhooks/... output:webhook:dir=./controlplane/config/webhook
	$(CONTROLLER_GEN) rbac:roleName=manager-role paths=./controlplane/reconcilers/... output:rbac:dir=./controlplane/config/rbac
	$(CONTROLLER_GEN) crd paths=./test/infrastructure/k3ssim/api/... output:crd:dir=./test/infrastructure/k3ssim/config/crd/bases

##@ Verify

.PHONY: verify
verify: verify-modules verify-gen lint verify-patches ## Fail when modules are untidy, generated files are stale, the linters complain or the patch queue is inconsistent

.PHONY: verify-gen
verify-gen: generate ## Fail when generated files differ from the committed ones
	@if [[ -n "$$(git status --porcelain -- bootstrap controlplane pkg test/infrastructure)" ]]; then \
		git status --porcelain -- bootstrap controlplane pkg test/infrastructure; git diff --stat -- bootstrap controlplane pkg test/infrastructure; \
		echo "generated files are stale: run 'make generate' and commit the result"; exit 1; fi

.PHONY: verify-patches
verify-patches: ## Fail when a patches/ record is malformed, names a missing test, or UPSTREAM.md's index disagrees
	go run ./hack/tools/verify-patches

.PHONY: verify-modules
verify-modules: ## Fail when go.mod/go.sum are not tidy
	go mod tidy -diff
	cd hack/gotools && go mod tidy -diff

.PHONY: lint
lint: ## Run go vet and golangci-lint (also on the e2e suite, build tag e2e)
	go vet ./...
	go vet -tags e2e ./test/e2e/...
	$(GOLANGCI_LINT) run ./...
	$(GOLANGCI_LINT) run --build-tags e2e ./test/e2e/...

##@ Test

.PHONY: test-fuzz
test-fuzz: ## Run every native fuzz target (conversions, renderers) for FUZZTIME each (default 15s)
	bash hack/fuzz.sh

.PHONY: test
test: ## Run unit, fuzz round-trip, envtest and real cloud-init tests (builds the envtest binaries and installs cloud-init on first use); reports coverage
	@mkdir -p out
	KUBEBUILDER_ASSETS="$$(bash hack/envtest-assets.sh)" CLOUD_INIT="$${CLOUD_INIT:-$$(bash hack/install-cloud-init.sh)}" \
		go test ./... -coverprofile=out/cover.out $(TEST_ARGS)
	@bash hack/coverage.sh out/cover.out

# The tests that give every rendered cloud-config document to the real cloud-init (docs/development.md).
CLOUD_INIT_TEST_PACKAGES := ./internal/test/cloudinit/ ./pkg/cloudinit/ ./pkg/k3sconfig/ ./hack/tools/render-bootstrap/

.PHONY: test-cloud-init
test-cloud-init: ## Install cloud-init if needed, then run only the tests that render the bootstrap data with it (fail rather than skip)
	CLOUD_INIT="$$(bash hack/install-cloud-init.sh)" CLOUD_INIT_REQUIRED=1 go test $(CLOUD_INIT_TEST_PACKAGES) -run 'RealCloudInit' -count=1 $(TEST_ARGS)

E2E_ARGS ?=
GINKGO_FOCUS ?=

.PHONY: test-e2e-sim
test-e2e-sim: ## Run the e2e suite on simulated K3s infrastructure, all in process (no Docker)
	KUBEBUILDER_ASSETS="$$(bash hack/envtest-assets.sh)" go test -tags e2e ./test/e2e/ -count=1 -timeout 45m -v \
		-args -e2e.backend=sim -e2e.artifacts-folder=$(CURDIR)/_artifacts/e2e-sim -ginkgo.focus="$(GINKGO_FOCUS)" -ginkgo.v $(E2E_ARGS)

# Fleet benchmark settings (docs/scale.md): clusters, shape ("1" or "3+1"), arrival rate (clusters/s, 0 = all at
# once), provider concurrency (0 = the binaries' defaults), manager processes per provider, steady window, the
# ClusterCache retry interval after a failed workload connection, the peer flavor (kubeadm) and extra flags.
N ?= 10
SHAPE ?= 1
RATE ?= 0
CONCURRENCY ?= 0
SHARDS ?= 1
STEADY ?= 60s
RETRY_INTERVAL ?= 30s
PEER ?=
BENCH_ARGS ?=

.PHONY: bench-fleet
bench-fleet: ## Fleet benchmark: N simulated clusters through the provider binaries (PEER=kubeadm: KubeadmControlPlane in the same run); report in _artifacts/bench-fleet
	KUBEBUILDER_ASSETS="$$(bash hack/envtest-assets.sh)" go run ./hack/tools/bench-fleet -n $(N) -shape $(SHAPE) -rate $(RATE) \
		-concurrency $(CONCURRENCY) -shards $(SHARDS) -steady $(STEADY) -retry-interval $(RETRY_INTERVAL) -peer "$(PEER)" \
		-out $(CURDIR)/_artifacts/bench-fleet $(BENCH_ARGS)

.PHONY: test-e2e
test-e2e: ## Run the e2e suite on kind + CAPD with real K3s (needs a Docker engine and the provider images)
	go test -tags e2e ./test/e2e/ -count=1 -timeout 2h -v \
		-args -e2e.backend=docker -e2e.config=$(CURDIR)/test/e2e/config/docker.yaml \
		-e2e.artifacts-folder=$(CURDIR)/_artifacts/e2e-docker -ginkgo.focus="$(GINKGO_FOCUS)" -ginkgo.v $(E2E_ARGS)

##@ Release

# The release tag (image tag of the components; unless dev, a version that a series of metadata.yaml covers), the
# image registry and the output directory of `make release`.
RELEASE_TAG ?= $(shell git describe --tags --exact-match 2>/dev/null || echo dev)
REGISTRY ?= ghcr.io/k3s-io/cluster-api-k3s
RELEASE_DIR ?= out

.PHONY: release
release: ## Write the release to RELEASE_DIR: both providers' components (images REGISTRY/*:RELEASE_TAG), metadata.yaml, cluster templates
	go run ./hack/tools/release/cmd --out $(RELEASE_DIR) --registry $(REGISTRY) --tag $(RELEASE_TAG)

.PHONY: test-release
test-release: ## Install the release into an envtest API server the way clusterctl init does and render the cluster templates
	KUBEBUILDER_ASSETS="$$(bash hack/envtest-assets.sh)" go test ./test/release/... -count=1 $(TEST_ARGS)

##@ Images

# Upstream's image names: $(REGISTRY)/bootstrap-controller:$(TAG) and $(REGISTRY)/controlplane-controller:$(TAG).
TAG ?= dev
REGISTRY ?= ghcr.io/k3s-io/cluster-api-k3s
BOOTSTRAP_IMG ?= $(REGISTRY)/bootstrap-controller:$(TAG)
CONTROLPLANE_IMG ?= $(REGISTRY)/controlplane-controller:$(TAG)
PLATFORMS ?= linux/amd64,linux/arm64

# Version information linked into the managers (internal/version, printed by --version). The build date is the last
# commit's (or SOURCE_DATE_EPOCH's), so rebuilding a commit gives the same binaries and image digests.
VERSION_PKG := github.com/k3s-io/cluster-api-k3s/internal/version
GIT_VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GIT_COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
GIT_TREE_STATE ?= $(shell test -z "$$(git status --porcelain 2>/dev/null)" && echo clean || echo dirty)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || date +%s)
BUILD_DATE ?= $(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -r $(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS ?= -s -w -X $(VERSION_PKG).Version=$(GIT_VERSION) -X $(VERSION_PKG).GitCommit=$(GIT_COMMIT) \
	-X $(VERSION_PKG).GitTreeState=$(GIT_TREE_STATE) -X $(VERSION_PKG).BuildDate=$(BUILD_DATE)
DOCKER_BUILD_ARGS = --build-arg LDFLAGS="$(LDFLAGS)" --build-arg VERSION=$(GIT_VERSION) --build-arg REVISION=$(GIT_COMMIT)

.PHONY: docker-build
docker-build: ## Build both provider images for the local platform with Docker (BOOTSTRAP_IMG, CONTROLPLANE_IMG; needs a Docker engine)
	docker build $(DOCKER_BUILD_ARGS) --build-arg package=bootstrap -t $(BOOTSTRAP_IMG) .
	docker build $(DOCKER_BUILD_ARGS) --build-arg package=controlplane -t $(CONTROLPLANE_IMG) .

.PHONY: docker-push
docker-push: ## Push the images built by docker-build
	docker push $(BOOTSTRAP_IMG)
	docker push $(CONTROLPLANE_IMG)

.PHONY: docker-buildx-push
docker-buildx-push: ## Build multi-arch (PLATFORMS) images with docker buildx and push them
	docker buildx build --platform $(PLATFORMS) $(DOCKER_BUILD_ARGS) --build-arg package=bootstrap -t $(BOOTSTRAP_IMG) --push .
	docker buildx build --platform $(PLATFORMS) $(DOCKER_BUILD_ARGS) --build-arg package=controlplane -t $(CONTROLPLANE_IMG) --push .

.PHONY: image-tarballs
image-tarballs: ## Build both images for PLATFORMS without Docker, as OCI image tarballs out/images/<image>-<TAG>.oci.tar
	go run ./hack/tools/imagebuild --registry=$(REGISTRY) --tag=$(TAG) --platforms=$(PLATFORMS) --ldflags='$(LDFLAGS)' \
		--version=$(GIT_VERSION) --revision=$(GIT_COMMIT) --source-date-epoch=$(SOURCE_DATE_EPOCH) --out=out/images
