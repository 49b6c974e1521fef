#!/bin/sh
# run-unit.sh BUILD_DIR - run every unit test binary and the fuzz corpus replay
# found in BUILD_DIR/tests; exit 1 if any fails.
set -u
dir=${1:?usage: run-unit.sh BUILD_DIR}
fail=0; n=0
for t in "$dir"/tests/test_*; do
	[ -x "$t" ] || continue
	n=$((n + 1))
	out=$("$t" 2>&1); rc=$?
	total=$(printf '%s\n' "$out" | grep -c '^ok \|^not ok ')
	bad=$(printf '%s\n' "$out" | grep -c '^not ok ')
	if [ $rc -ne 0 ] || [ "$bad" -ne 0 ]; then
		printf '%s\n' "$out" | grep -A3 '^not ok \|ERROR\|runtime error' | head -40
		echo "FAIL $(basename "$t") ($bad of $total failed, exit $rc)"
		fail=1
	else
		echo "ok   $(basename "$t") ($total checks)"
	fi
done
if [ -x "$dir/tests/fuzz_replay" ]; then
	if "$dir/tests/fuzz_replay" tests/fuzz/corpus >/dev/null 2>&1; then
		echo "ok   fuzz_replay ($(ls tests/fuzz/corpus | wc -l) corpus files)"
	else
		echo "FAIL fuzz_replay"; "$dir/tests/fuzz_replay" tests/fuzz/corpus 2>&1 | tail -20; fail=1
	fi
fi
if [ -x "$dir/tests/fuzz_replay_config" ]; then
	if "$dir/tests/fuzz_replay_config" tests/fuzz/corpus-config >/dev/null 2>&1; then
		echo "ok   fuzz_replay_config ($(ls tests/fuzz/corpus-config | wc -l) corpus files)"
	else
		echo "FAIL fuzz_replay_config"; fail=1
	fi
fi
if [ -x "$dir/tests/fuzz_replay_zonefile" ]; then
	if "$dir/tests/fuzz_replay_zonefile" tests/fuzz/corpus-zonefile >/dev/null 2>&1; then
		echo "ok   fuzz_replay_zonefile ($(ls tests/fuzz/corpus-zonefile | wc -l) corpus files)"
	else
		echo "FAIL fuzz_replay_zonefile"; fail=1
	fi
fi
if [ -x "$dir/tests/fuzz_replay_http" ]; then
	if "$dir/tests/fuzz_replay_http" tests/fuzz/corpus-http >/dev/null 2>&1; then
		echo "ok   fuzz_replay_http ($(ls tests/fuzz/corpus-http | wc -l) corpus files)"
	else
		echo "FAIL fuzz_replay_http"; "$dir/tests/fuzz_replay_http" tests/fuzz/corpus-http 2>&1 | tail -20
		fail=1
	fi
fi
if [ -x "$dir/tests/fuzz_replay_update" ]; then
	if "$dir/tests/fuzz_replay_update" tests/fuzz/corpus-update >/dev/null 2>&1; then
		echo "ok   fuzz_replay_update ($(ls tests/fuzz/corpus-update | wc -l) corpus files)"
	else
		echo "FAIL fuzz_replay_update"; "$dir/tests/fuzz_replay_update" tests/fuzz/corpus-update 2>&1 | tail -20
		fail=1
	fi
fi
[ $n -gt 0 ] || { echo "no unit tests in $dir/tests"; exit 1; }
exit $fail
