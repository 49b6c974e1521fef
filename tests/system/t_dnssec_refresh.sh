#!/bin/bash
# t_dnssec_refresh.sh - RRSIGs that live 12 s (zones[].dnssec.
# signature_validity) are made again in the background when a third of their
# life is left: over three refresh rounds a validating Unbound, anchored with
# `ddnsctl dnssec dnskey`, keeps answering an A, a pool, an NXDOMAIN and the
# apex SOA with the ad flag, while nothing is written through the API; each
# round moves the expiration of an unchanged name's RRSIG forward and the
# zone's serial (so secondaries transfer the new signatures); /metrics
# counts the signatures made; the AXFR at the end passes ldns-verify-zone and
# dnssec-verify.  DNSSEC_DENIAL chooses the denial (default nsec3).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"
. "$(dirname "$0")/dnssec_lib.sh"

dnssec_tools
VALIDITY=12
Z=$ZONE
ONE_ZONE=1
ZONE_XFR[$Z]="{ allow: [127.0.0.1] }"
pick_ports
dnssec_config ecdsap256sha256 "${DNSSEC_DENIAL:-nsec3}" "${VALIDITY}s"
dnssec_up
dnssec_populate
A=$T_DIR/anchor
ctl_anchor "$Z" 13 "$A" || exit 1
ub_start good "$Z" "$DNS_PORT" "$A" || exit 1

# rrsig_exp NAME TYPE: the expiration (YYYYMMDDHHMMSS) of NAME's RRSIG over TYPE, from ddnsd
rrsig_exp()
{
	dig @127.0.0.1 -p "$DNS_PORT" +tries=1 +time=$((2 * SLOW)) +norec +dnssec "$1" "$2" 2>/dev/null |
		awk -v t="$2" '$4 == "RRSIG" && $5 == t { print $9; exit }'
}
exp_after() { E=$(rrsig_exp "host.$Z" A); [ -n "$E" ] && [ "$E" -gt "$1" ]; }

E=$(rrsig_exp "host.$Z" A)
if [ -n "$E" ]; then
	pass "host A carries an RRSIG expiring at $E"
else
	fail "host A carries an RRSIG" "$(dig @127.0.0.1 -p "$DNS_PORT" +dnssec "host.$Z" A 2>&1)"
	exit 1
fi
sigs0=$(metric_value "ddnsd_dnssec_signatures_total{zone=\"$Z\"}")
serial0=$(serial_at "$DNS_PORT" "$Z")
for round in 1 2 3; do
	prev=$E
	if wait_until $((VALIDITY * 1000 * SLOW)) exp_after "$prev"; then
		pass "round $round: host A re-signed without a write (expiration $prev -> $E)"
	else
		fail "round $round: host A re-signed within $VALIDITY s" "still $(rrsig_exp "host.$Z" A)" \
			"$(tail -n 5 "$DAEMON_LOG")"
		break
	fi
	assert_ad "host.$Z" A "round $round: A" NOERROR 'IN A 192\.0\.2\.1$'
	assert_ad "lb.$Z" A "round $round: a pool" NOERROR
	assert_ad "nope.$Z" A "round $round: NXDOMAIN" NXDOMAIN ""
	assert_ad "$Z" SOA "round $round: the apex SOA" NOERROR
done
serial1=$(serial_at "$DNS_PORT" "$Z")
if [ -n "$serial1" ] && [ "$serial1" -gt "$serial0" ]; then
	pass "the refreshes moved the serial ($serial0 -> $serial1): secondaries transfer them"
else
	fail "the refreshes moved the serial" "before $serial0, after $serial1"
fi
sigs1=$(metric_value "ddnsd_dnssec_signatures_total{zone=\"$Z\"}")
if [ -n "$sigs0" ] && [ -n "$sigs1" ] && [ "$sigs1" -gt "$sigs0" ]; then
	pass "/metrics: ddnsd_dnssec_signatures_total grew with the refreshes ($sigs0 -> $sigs1)"
else
	fail "/metrics: ddnsd_dnssec_signatures_total grew" "before '$sigs0', after '$sigs1'"
fi
pending=$(metric_value "ddnsd_dnssec_resign_pending{zone=\"$Z\"}")
assert_match "/metrics: ddnsd_dnssec_resign_pending is a count" '^[0-9]+$' "$pending"
verify_axfr "$Z" "$DNS_PORT"
