#!/usr/bin/env bash
# Runs every native Go fuzz target of the repository for FUZZTIME each (go test -fuzz runs one target at a time).
# Seed corpora live in each package's testdata/fuzz and also run as ordinary tests in `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME="${FUZZTIME:-15s}"
failed=0
while IFS=: read -r file name; do
  pkg="./$(dirname "${file}")"
  echo "fuzz: ${pkg} ${name} (${FUZZTIME})"
  if ! go test "${pkg}" -run '^$' -fuzz "^${name}\$" -fuzztime "${FUZZTIME}" > /tmp/fuzz-$$.log 2>&1; then
    cat /tmp/fuzz-$$.log
    failed=1
  fi
  tail -n 1 /tmp/fuzz-$$.log
done < <(grep -rhoE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+' . --with-filename | sed -E 's#^\./##; s#:func #:#' | sort)
rm -f /tmp/fuzz-$$.log
exit "${failed}"
