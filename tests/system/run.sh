#!/bin/bash
# run.sh [t_NAME.sh ...] - run the ddnsd system tests (default: every
# tests/system/t_*.sh), each in its own temporary directory and under a time
# limit.  Prints "ok"/"FAIL" per file with its check counts and a closing
# "system: N passed, N failed, N skipped" line; exits 1 if any file failed.
# A TAP line "ok N # SKIP reason" (lib.sh's skip) is a skip, never a pass;
# the reasons are listed under the file's line.
#
# DDNSD_BIN names the daemon (default bin/ddnsd); DDNSD_SAN=1 marks a
# sanitizer build (sanitizer options set, longer time limits).
set -u
export LC_ALL=C
SYS_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$SYS_DIR/../.." && pwd)
cd "$ROOT" || exit 1

DDNSD_BIN=${DDNSD_BIN:-bin/ddnsd}
case $DDNSD_BIN in /*) ;; *) DDNSD_BIN=$ROOT/$DDNSD_BIN ;; esac
export DDNSD_BIN
limit=120
if [ "${DDNSD_SAN:-0}" = 1 ]; then
	export DDNSD_SAN=1
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	limit=360
fi

if [ ! -x "$DDNSD_BIN" ]; then
	echo "FAIL $DDNSD_BIN not found or not executable (run make)"
	echo "system: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
for tool in dig sqlite3 timeout ss pgrep; do
	command -v "$tool" >/dev/null || { echo "FAIL missing tool: $tool (tools/deps.sh)"; exit 1; }
done
if ! /usr/bin/python3 -c 'import dns.message' 2>/dev/null; then
	echo "FAIL /usr/bin/python3 lacks dnspython (apt-get install python3-dnspython)"
	exit 1
fi

if [ $# -gt 0 ]; then
	tests=()
	for t in "$@"; do tests+=("$SYS_DIR/$(basename "$t")"); done
else
	tests=("$SYS_DIR"/t_*.sh)
fi

files_bad=0
checks_ok=0
checks_bad=0
checks_skip=0
SKIP_RE='^ok [0-9]+( [^#]*)?#[[:space:]]*[Ss][Kk][Ii][Pp]'
echo "system tests: $DDNSD_BIN${DDNSD_IO:+ (dns.io: $DDNSD_IO)}"
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	dir=$(mktemp -d "${TMPDIR:-/tmp}/ddnsd-$name.XXXXXX")
	out=$dir/test.out
	start=$(date +%s)
	T_DIR=$dir/work timeout -k 10 "$limit" bash "$t" >"$out" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	n_skip=$(grep -Ec "$SKIP_RE" "$out")
	n_ok=$(($(grep -c '^ok ' "$out") - n_skip))
	n_bad=$(grep -c '^not ok ' "$out")
	checks_ok=$((checks_ok + n_ok))
	checks_bad=$((checks_bad + n_bad))
	checks_skip=$((checks_skip + n_skip))
	skipped=
	[ "$n_skip" -eq 0 ] || skipped=", $n_skip skipped"
	if [ $rc -eq 0 ] && [ "$n_bad" -eq 0 ] && [ $((n_ok + n_skip)) -gt 0 ]; then
		printf 'ok   %-14s %3d checks%s  %3ds\n' "$name" "$n_ok" "$skipped" "$secs"
		grep -E "$SKIP_RE" "$out" | sed 's/^/    /'
		rm -rf "$dir"
	else
		files_bad=$((files_bad + 1))
		why="exit $rc"
		[ $rc -eq 124 ] || [ $rc -eq 137 ] && why="timed out after ${limit}s"
		printf 'FAIL %-14s %3d of %d checks failed%s, %s  %3ds  (kept %s)\n' "$name" "$n_bad" \
			$((n_ok + n_bad)) "$skipped" "$why" "$secs" "$dir"
		grep -A 40 '^not ok ' "$out" | grep -v '^ok ' | head -n 120 | sed 's/^/    /'
		if [ "$n_bad" -eq 0 ]; then
			tail -n 30 "$out" | sed 's/^/    /'
		fi
	fi
done
[ $files_bad -eq 0 ] || checks_bad=$((checks_bad > files_bad ? checks_bad : files_bad))
echo "system: $checks_ok passed, $checks_bad failed, $checks_skip skipped"
[ $files_bad -eq 0 ]
