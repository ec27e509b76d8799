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
  for attempt in 1 2; do
    if go test "${pkg}" -run '^$' -fuzz "^${name}\$" -fuzztime "${FUZZTIME}" > /tmp/fuzz-$$.log 2>&1; then
      tail -n 1 /tmp/fuzz-$$.log
      break
    fi
    # Go's fuzzer reports "context deadline exceeded" when -fuzztime ends while an input is still running or being
    # minimised; that is not a finding unless a failing input was written. Retry once, then report it as a warning.
    if grep -q "context deadline exceeded" /tmp/fuzz-$$.log && ! grep -q "Failing input written" /tmp/fuzz-$$.log; then
      echo "fuzz: ${name}: fuzz time ran out while an input was running (attempt ${attempt}), not a finding"
      continue
    fi
    cat /tmp/fuzz-$$.log
    failed=1
    break
  done
done < <(grep -rhoE --include='*_test.go' --exclude-dir=testdata --exclude-dir=_artifacts '^func Fuzz[A-Za-z0-9_]+' . --with-filename | sed -E 's#^\./##; s#:func #:#' | sort)
rm -f /tmp/fuzz-$$.log
exit "${failed}"
