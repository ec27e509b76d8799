#!/usr/bin/env bash
# Installs (or reuses) Debian's cloud-init for the tests that run real `cloud-init devel render` and
# `cloud-init schema` on the bootstrap data (internal/test/cloudinit), and prints the command to run on its last
# stdout line (usable as CLOUD_INIT). Only Debian's packages are needed, no other network access.
#
#   - cloud-init already answers --version (on PATH, or in the cache): nothing is installed.
#   - root, or passwordless sudo: `apt-get install --no-install-recommends cloud-init` system-wide.
#   - otherwise (or CLOUD_INIT_INSTALL=extract): the .debs of cloud-init and of its Python dependencies that are not
#     installed are downloaded with `apt-get download` and extracted with `dpkg-deb -x` under
#       ${CLOUD_INIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cluster-api-k3s/cloud-init}
#     with a wrapper bin/cloud-init that runs the system's /usr/bin/python3 on them. Without root, nothing is written
#     outside the cache: the package lists apt-get needs are kept there too.
set -euo pipefail

CACHE_DIR="${CLOUD_INIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cluster-api-k3s/cloud-init}"
WRAPPER="${CACHE_DIR}/bin/cloud-init"
MODE="${CLOUD_INIT_INSTALL:-auto}" # auto, system or extract

log() { echo "install-cloud-init: $*" >&2; }

works() { "$@" --version >/dev/null 2>&1; }
version() { "$@" --version 2>&1 | awk 'END {print "cloud-init " $NF}'; }

# Reuse what is there: the cached extraction first (it is what an earlier run chose), then the system's.
if [[ "${MODE}" != system ]] && works "${WRAPPER}"; then
  echo "${WRAPPER}"
  exit 0
fi
if [[ "${MODE}" != extract ]] && command -v cloud-init >/dev/null && works cloud-init; then
  command -v cloud-init
  exit 0
fi

SUDO=()
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  elif [[ "${MODE}" == system ]]; then
    log "CLOUD_INIT_INSTALL=system needs root or passwordless sudo"
    exit 1
  else
    MODE=extract
  fi
fi
if ! command -v apt-get >/dev/null; then
  log "apt-get not found: install Debian's cloud-init package by other means (cloud-init must be on PATH)"
  exit 1
fi

if [[ "${MODE}" != extract ]]; then
  log "installing Debian's cloud-init system-wide"
  "${SUDO[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends cloud-init >&2
  if works cloud-init; then
    log "ready: $(version cloud-init)"
    command -v cloud-init
    exit 0
  fi
  log "the installed cloud-init does not run; falling back to an extraction into ${CACHE_DIR}"
fi

# Extraction into the cache. Without root, apt-get keeps its lists and archives under the cache.
if [[ ! -x /usr/bin/python3 ]]; then
  log "/usr/bin/python3 is needed to run an extracted cloud-init (apt-get install python3)"
  exit 1
fi
APT=(apt-get)
if [[ "$(id -u)" != 0 && ${#SUDO[@]} == 0 ]]; then
  mkdir -p "${CACHE_DIR}/apt/lists/partial" "${CACHE_DIR}/apt/archives/partial"
  APT=(apt-get -o Dir::State::Lists="${CACHE_DIR}/apt/lists" -o Dir::Cache="${CACHE_DIR}/apt"
    -o Dir::Cache::archives="${CACHE_DIR}/apt/archives" -o Debug::NoLocking=1)
  log "updating package lists under ${CACHE_DIR}/apt"
  "${APT[@]}" update -qq >&2
else
  "${SUDO[@]}" apt-get update -qq >&2
fi

# cloud-init and the Python packages it needs, recursively, that the system lacks (the interpreter must come from the
# system: extracted compiled modules are only usable by the python3 they were built for).
installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]; }
mapfile -t deps < <("${APT[@]/apt-get/apt-cache}" depends --recurse --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances cloud-init | grep -E '^python3-' | sort -u)
pkgs=(cloud-init)
for p in "${deps[@]}"; do
  installed "${p}" || pkgs+=("${p}")
done

WORK="$(mktemp -d)"
trap 'rm -rf "${WORK}"' EXIT
log "downloading ${pkgs[*]}"
(cd "${WORK}" && "${APT[@]}" download -qq "${pkgs[@]}" >&2)
rm -rf "${CACHE_DIR}/root.tmp"
mkdir -p "${CACHE_DIR}/root.tmp" "${CACHE_DIR}/bin"
for deb in "${WORK}"/*.deb; do
  dpkg-deb -x "${deb}" "${CACHE_DIR}/root.tmp"
done
# Byte-compile as Debian's postinst does (py3compile): every cloud-init start imports much of the package.
/usr/bin/python3 -m compileall -q -j 0 "${CACHE_DIR}/root.tmp/usr/lib/python3/dist-packages" >/dev/null || true
rm -rf "${CACHE_DIR}/root"
mv "${CACHE_DIR}/root.tmp" "${CACHE_DIR}/root"
cat >"${WRAPPER}" <<EOF
#!/bin/sh
# Runs the cloud-init extracted by hack/install-cloud-init.sh with the system's python3.
PYTHONPATH="${CACHE_DIR}/root/usr/lib/python3/dist-packages\${PYTHONPATH:+:\${PYTHONPATH}}" exec /usr/bin/python3 "${CACHE_DIR}/root/usr/bin/cloud-init" "\$@"
EOF
chmod +x "${WRAPPER}"
if ! works "${WRAPPER}"; then
  log "the extracted cloud-init does not run:"
  "${WRAPPER}" --version >&2 || true
  exit 1
fi
log "ready: $(version "${WRAPPER}") in ${CACHE_DIR}"
echo "${WRAPPER}"
