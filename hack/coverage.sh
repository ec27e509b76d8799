#!/usr/bin/env bash
# Prints statement coverage per area (bootstrap/, controlplane/, pkg/, internal/) from a Go cover profile,
# counting hand-written code only (generated zz_generated.* files and mocks are left out).
# Usage: hack/coverage.sh <cover profile>
set -euo pipefail
profile=${1:?usage: hack/coverage.sh <cover profile>}
module=$(go list -m)
awk -v module="$module/" '
  NR == 1 { next }
  {
    split($1, loc, ":"); file = loc[1]
    if (file ~ /zz_generated|\/mock\//) next
    sub(module, "", file); split(file, parts, "/"); area = parts[1]
    # A block can appear once per test binary; count it once, covered if any binary covered it.
    key = $1
    if (!(key in stmts)) { stmts[key] = $2; areaOf[key] = area }
    if ($3 > 0) covered[key] = 1
  }
  END {
    for (k in stmts) { total[areaOf[k]] += stmts[k]; if (k in covered) hit[areaOf[k]] += stmts[k] }
    for (a in total) printf "coverage %-13s %5.1f%% of %d statements\n", a "/", 100 * hit[a] / total[a], total[a]
  }' "$profile" | sort
