#!/bin/sh
# run-unit.sh BUILD_DIR - run every unit test binary and the fuzz corpus replay
# found in BUILD_DIR/tests; exit 1 if any fails.
#
# Prints "ok"/"FAIL" per binary with its counts and a closing
# "unit: N passed, N failed, N skipped" line.  A TAP line "ok N # SKIP
# reason" (tap.h's skip()) is a skip, never a pass; each corpus replay counts
# as one check.  A binary that exits non-zero without a "not ok" line (a
# crash, a sanitizer report) or prints no check at all counts as one failed
# check.
set -u
dir=${1:?usage: run-unit.sh BUILD_DIR}
fail=0; n=0
passed=0; failed=0; skipped=0
for t in "$dir"/tests/test_*; do
	[ -x "$t" ] || continue
	n=$((n + 1))
	out=$("$t" 2>&1); rc=$?
	total=$(printf '%s\n' "$out" | grep -c '^ok \|^not ok ')
	bad=$(printf '%s\n' "$out" | grep -c '^not ok ')
	skip=$(printf '%s\n' "$out" | grep -Eic '^ok [0-9]+( [^#]*)?#[[:space:]]*skip')
	good=$((total - bad - skip))
	passed=$((passed + good))
	skipped=$((skipped + skip))
	if [ $rc -ne 0 ] || [ "$bad" -ne 0 ] || [ "$total" -eq 0 ]; then
		printf '%s\n' "$out" | grep -A3 '^not ok \|ERROR\|runtime error' | head -40
		echo "FAIL $(basename "$t") ($bad of $total failed, $skip skipped, exit $rc)"
		failed=$((failed + (bad > 0 ? bad : 1)))
		fail=1
	elif [ "$skip" -ne 0 ]; then
		echo "ok   $(basename "$t") ($good checks, $skip skipped)"
		printf '%s\n' "$out" | grep -Ei '^ok [0-9]+( [^#]*)?#[[:space:]]*skip' | sed 's/^/    /'
	else
		echo "ok   $(basename "$t") ($good checks)"
	fi
done

# replay CORPUS_DIR BINARY [SHOW_TAIL]: one corpus replay, one check.
replay()
{
	[ -x "$dir/tests/$2" ] || return 0
	if "$dir/tests/$2" "tests/fuzz/$1" >/dev/null 2>&1; then
		echo "ok   $2 ($(ls "tests/fuzz/$1" | wc -l) corpus files)"
		passed=$((passed + 1))
	else
		echo "FAIL $2"
		[ "${3:-}" = tail ] && "$dir/tests/$2" "tests/fuzz/$1" 2>&1 | tail -20
		failed=$((failed + 1))
		fail=1
	fi
}
replay corpus fuzz_replay tail
replay corpus-config fuzz_replay_config
replay corpus-zonefile fuzz_replay_zonefile
replay corpus-http fuzz_replay_http tail
replay corpus-update fuzz_replay_update tail
replay corpus-tsig fuzz_replay_tsig tail
replay corpus-dyndns2 fuzz_replay_dyndns2 tail
if [ $n -eq 0 ]; then
	echo "no unit tests in $dir/tests"
	failed=$((failed + 1))
	fail=1
fi
echo "unit: $passed passed, $failed failed, $skipped skipped"
exit $fail
