#!/usr/bin/env bash
# zone-sizes.sh - CPU per query against zone size, ddnsd beside NSD and Knot.
#
# Runs ../shared/bench/peers.sh once per zone size (SIZES, default 1k 10k
# 100k 1M names) with ddnsd as the project (bench/bench-config.sh), NSD and
# Knot DNS, and collects each server's "srv CPU us/query" (server-core busy
# time per answered query, median of the rounds), start-up time and PSS.
# Writes the table to stdout (markdown) and, when gnuplot is installed, the
# plot to $PLOT (default docs/perf-zone-size.png).
#
# Usage (from the project root, after make): bench/zone-sizes.sh
# Env: SIZES ("1000 10000 100000 1000000"), T (3), R (3), PLOT, PEERS_SH
#      (../shared/bench/peers.sh), DDNSD_IO (auto; see bench-config.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZES=${SIZES:-1000 10000 100000 1000000}
T=${T:-3}; R=${R:-3}
PLOT=${PLOT:-$ROOT/docs/perf-zone-size.png}
PEERS_SH=${PEERS_SH:-$ROOT/../shared/bench/peers.sh}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/zone-sizes.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
log() { printf '[zone-sizes %s] %s\n' "$(date +%T)" "$*" >&2; }

DAT=$WORK/cpu.dat
echo "# names nsd knot ddnsd (srv CPU us/query)" >"$DAT"
TABLE=$WORK/table.md
for n in $SIZES; do
	log "peers.sh -n $n -t $T -r $R"
	PROJECT_CMD="$ROOT/bin/ddnsd -c \"\$BENCH_DIR/ddnsd.yaml\"" PROJECT_PORT=15350 \
		PROJECT_SETUP="$ROOT/bench/bench-config.sh" \
		"$PEERS_SH" -n "$n" -t "$T" -r "$R" -p "nsd knot project" -o "$WORK/sum.$n.md" \
		>"$WORK/peers.$n.log" 2>&1 || { tail -n 20 "$WORK/peers.$n.log" >&2; exit 1; }
	# | server | QPS | min-max | lat | lost | srv core | client core | srv procs | srv CPU us/query | cost | vs | vs refl | startup | PSS | RSS |
	awk -F'|' -v n="$n" -v dat="$DAT" '
		$2 ~ /^ *(nsd|knot|project) *$/ { s = $2; gsub(/ /, "", s); cpu[s] = $10 + 0; up[s] = $14 + 0; pss[s] = $15 + 0 }
		END {
			printf "%d %.2f %.2f %.2f\n", n, cpu["nsd"], cpu["knot"], cpu["project"] >> dat
			best = (cpu["knot"] < cpu["nsd"] ? cpu["knot"] : cpu["nsd"])
			printf "| %d | %.2f | %.2f | **%.2f** | %.2f | %.2f / %.2f / %.2f | %.1f / %.1f / %.1f |\n", n,
				cpu["nsd"], cpu["knot"], cpu["project"], (best > 0 ? cpu["project"] / best : 0),
				up["nsd"], up["knot"], up["project"], pss["nsd"], pss["knot"], pss["project"]
		}' "$WORK/sum.$n.md" >>"$TABLE"
done

echo "## CPU per query against zone size (peers.sh, ${R}x${T}s per size, medians)"
echo
echo "| names | NSD µs/query | Knot µs/query | ddnsd µs/query | ddnsd vs best peer | start-up s (NSD / Knot / ddnsd) | PSS MiB (NSD / Knot / ddnsd) |"
echo "|---:|---:|---:|---:|---:|---|---|"
cat "$TABLE"
if command -v gnuplot >/dev/null; then
	gnuplot <<GP
set terminal pngcairo size 900,540 noenhanced font "sans,11"
set output "$PLOT"
set title "Server CPU per answered query against zone size (one core, dnsperf on the other)"
set xlabel "names in the zone"
set ylabel "server-core CPU, microseconds per query"
set logscale x
set xrange [700:1500000]
set xtics ("1k" 1000, "10k" 10000, "100k" 100000, "1M" 1000000)
set yrange [0:*]
set key top left
set grid ytics
plot "$DAT" using 1:2 with linespoints lw 2 pt 7 title "NSD", \
     "$DAT" using 1:3 with linespoints lw 2 pt 5 title "Knot DNS", \
     "$DAT" using 1:4 with linespoints lw 2 pt 9 title "ddnsd"
GP
	echo
	echo "Plot: ${PLOT#"$ROOT"/}"
else
	log "gnuplot not installed: no plot (tools/deps.sh --bench)"
fi
