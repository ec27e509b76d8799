#!/bin/sh
# restart.sh makes start.sh run the (new) manager binary again: it leaves a marker and stops the running manager.
# Tilt runs it after syncing a new binary into the container (live_update in the Tiltfile).
set -eu

run_dir="${TILT_RUN_DIR:-/tmp/tilt}"
touch "$run_dir/restart"
kill -TERM "$(cat "$run_dir/pid")"
