#!/bin/sh
# callgrind.sh [NAMES [QUERIES]] - instructions per query on the answer path.
#
# Runs build/rel/bench/answer_ir (bench/answer_ir.c: dns_answer() over a
# table of NAMES names, QUERIES queries) under callgrind, counting only
# inside dns_answer(), and prints "Ir per query" with the split by function
# (the ten largest).  Deterministic: the same binary gives the same counts.
# Needs valgrind (tools/deps.sh --bench).
set -eu
names=${1:-100000}
nq=${2:-200000}
bin=build/rel/bench/answer_ir
out=$(mktemp -d "${TMPDIR:-/tmp}/ddnsd-callgrind.XXXXXX")
trap 'rm -rf "$out"' EXIT
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind not installed" >&2; exit 1; }
valgrind --tool=callgrind --toggle-collect=dns_answer --callgrind-out-file="$out/cg.out" \
	"$bin" "$names" "$nq" >"$out/run.log" 2>&1 || { cat "$out/run.log" >&2; exit 1; }
total=$(callgrind_annotate "$out/cg.out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
echo "## answer path (callgrind): $names names, $nq queries"
echo
echo "| Ir total | Ir per query |"
echo "|---:|---:|"
awk -v t="$total" -v q="$nq" 'BEGIN { printf "| %d | %.0f |\n", t, t / q }'
echo
echo "The ten largest functions by self cost, Ir per query:"
echo
callgrind_annotate "$out/cg.out" 2>/dev/null | awk -v q="$nq" '
	/^-+$/ { sep++; next }
	sep >= 3 && NF >= 2 && $1 ~ /^[0-9,]+$/ && !/PROGRAM TOTALS/ && n < 10 {
		v = $1; gsub(",", "", v); $1 = ""; sub(/^ +/, "");
		sub(/\[.*\]/, ""); printf "- %.0f  %s\n", v / q, $0; n++ }'
