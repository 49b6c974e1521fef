#!/bin/sh
# run.sh SECONDS - a short libFuzzer run of every target (make test-fuzz).
# Fails when a target finds a crash, leak or undefined behaviour; the input
# is left in build/fuzz/ to be added to the corpus once fixed.
set -u
secs=${1:-20}
fail=0
for t in pkt config zonefile http update tsig dyndns2; do
	corpus=tests/fuzz/corpus; [ $t = pkt ] || corpus=tests/fuzz/corpus-$t
	mkdir -p "build/fuzz/$t-new"
	log=build/fuzz/$t.log
	if build/fuzz/fuzz_$t -max_total_time="$secs" -max_len=4096 -print_final_stats=1 \
		-artifact_prefix=build/fuzz/ "build/fuzz/$t-new" "$corpus" >"$log" 2>&1; then
		echo "ok   fuzz_$t: $(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}') inputs in ${secs}s"
	else
		echo "FAIL fuzz_$t (see $log):"; grep -m5 -E 'ERROR|SUMMARY|runtime error' "$log"
		fail=1
	fi
done
exit $fail
