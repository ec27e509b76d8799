#!/usr/bin/env bash
# Builds (or reuses) kube-apiserver and etcd for envtest from the Go module proxy and prints the directory that holds
# them, usable as KUBEBUILDER_ASSETS. setup-envtest cannot download binaries on machines without internet access,
# so the binaries are compiled from the published Kubernetes and etcd modules instead.
#
# The result is cached outside the repository, keyed by version:
#   ${ENVTEST_ASSETS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cluster-api-k3s/envtest}/k8s/<k8s>-<os>-<arch>/{kube-apiserver,etcd}
# A warm run only checks that both binaries exist and answer --version.
set -euo pipefail

K8S_VERSION="${ENVTEST_K8S_VERSION:-1.36.5}"
ETCD_VERSION="${ENVTEST_ETCD_VERSION:-3.6.16}"
GOOS="$(go env GOOS)"
GOARCH="$(go env GOARCH)"
CACHE_ROOT="${ENVTEST_ASSETS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cluster-api-k3s/envtest}"
ASSETS_DIR="${CACHE_ROOT}/k8s/${K8S_VERSION}-${GOOS}-${GOARCH}"
STAMP="${ASSETS_DIR}/.etcd-${ETCD_VERSION}"

log() { echo "envtest-assets: $*" >&2; }

assets_ready() {
  [[ -x "${ASSETS_DIR}/kube-apiserver" && -x "${ASSETS_DIR}/etcd" && -f "${STAMP}" ]] &&
    "${ASSETS_DIR}/kube-apiserver" --version >/dev/null 2>&1 &&
    "${ASSETS_DIR}/etcd" --version >/dev/null 2>&1
}

if assets_ready; then
  echo "${ASSETS_DIR}"
  exit 0
fi

mkdir -p "${ASSETS_DIR}"
WORK="$(mktemp -d)"
trap 'rm -rf "${WORK}"' EXIT
export GOFLAGS="-mod=mod"
export CGO_ENABLED=0
start=$(date +%s)

build_kube_apiserver() {
  log "building kube-apiserver v${K8S_VERSION} (a few minutes on a cold cache)"
  local dir="${WORK}/kube-apiserver"
  mkdir -p "${dir}"
  (
    cd "${dir}"
    go mod init envtest.local/kube-apiserver >/dev/null 2>&1
    go mod edit -go=1.26.0 -require="k8s.io/kubernetes@v${K8S_VERSION}"
    # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging paths; point each
    # of them at the published module of the same release instead.
    local gomod
    gomod="$(go mod download -json "k8s.io/kubernetes@v${K8S_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
    local staging
    staging="$(awk '$2=="=>" && $3 ~ /^\.\/staging\// {print $1}' "${gomod}" | grep -v '^k8s.io/sample-')"
    for m in ${staging}; do
      go mod edit -replace="${m}=${m}@v0.${K8S_VERSION#1.}"
    done
    go get "k8s.io/kubernetes/cmd/kube-apiserver@v${K8S_VERSION}" >/dev/null
    local minor="${K8S_VERSION#1.}"
    minor="${minor%%.*}"
    local ld="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ld+=" -X ${pkg}.gitVersion=v${K8S_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor} -X ${pkg}.gitTreeState=clean"
    done
    go build -trimpath -ldflags "${ld}" -o "${ASSETS_DIR}/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
    mv "${ASSETS_DIR}/kube-apiserver.tmp" "${ASSETS_DIR}/kube-apiserver"
  )
}

build_etcd() {
  log "building etcd v${ETCD_VERSION}"
  local dir="${WORK}/etcd"
  mkdir -p "${dir}"
  (
    cd "${dir}"
    go mod init envtest.local/etcd >/dev/null 2>&1
    go mod edit -go=1.26.0
    go get "go.etcd.io/etcd/server/v3@v${ETCD_VERSION}" >/dev/null
    go build -trimpath -ldflags "-s -w" -o "${ASSETS_DIR}/etcd.tmp" go.etcd.io/etcd/server/v3
    mv "${ASSETS_DIR}/etcd.tmp" "${ASSETS_DIR}/etcd"
  )
}

if ! { [[ -x "${ASSETS_DIR}/kube-apiserver" ]] && "${ASSETS_DIR}/kube-apiserver" --version >/dev/null 2>&1; }; then
  build_kube_apiserver
fi
if ! { [[ -x "${ASSETS_DIR}/etcd" ]] && "${ASSETS_DIR}/etcd" --version >/dev/null 2>&1; }; then
  build_etcd
fi
touch "${STAMP}"
log "ready in $(( $(date +%s) - start ))s: ${ASSETS_DIR}"
echo "${ASSETS_DIR}"
