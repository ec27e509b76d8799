#!/bin/sh
# start.sh BINARY [ARGS...] runs BINARY with ARGS and runs it again each time restart.sh asks, so Tilt's live update
# can replace BINARY while the container keeps running. It runs a copy of BINARY, so the file can be overwritten
# while the manager runs. SIGTERM and SIGINT are passed on to the manager; any exit not asked for by restart.sh ends
# the container with the manager's status.
set -u

run_dir="${TILT_RUN_DIR:-/tmp/tilt}"
binary="$1"
shift
mkdir -p "$run_dir"

child=0
stop() {
	if [ "$child" -ne 0 ]; then
		kill -TERM "$child" 2>/dev/null
		wait "$child"
		exit $?
	fi
	exit 143
}
trap stop TERM INT

while :; do
	rm -f "$run_dir/restart"
	cp "$binary" "$run_dir/manager.new" && mv -f "$run_dir/manager.new" "$run_dir/manager" || exit 1
	"$run_dir/manager" "$@" &
	child=$!
	echo "$child" >"$run_dir/pid"
	wait "$child"
	status=$?
	# restart.sh leaves the marker before it stops the manager.
	if [ ! -f "$run_dir/restart" ]; then
		exit "$status"
	fi
	echo "start.sh: restarting $binary"
done
