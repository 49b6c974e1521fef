#!/bin/bash
# t_dnssec_bgsign.sh - for each denial (NSEC3, NSEC): signing turned on for
# a zone that already holds 12,000 records (more than the 10,000 signed
# before the table serves): the daemon
# is ready at once and serves the zone unsigned while the writer signs it in
# steps; an update made meanwhile is taken (and signed with the rest); once
# `ddnsctl dnssec status` says signed, a validating Unbound anchored with
# `ddnsctl dnssec dnskey` answers with the ad flag for the first and the last
# name, the update, an NXDOMAIN and the SOA, and the AXFR verifies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"
. "$(dirname "$0")/dnssec_lib.sh"

dnssec_tools
N=12000
Z=$ZONE
ONE_ZONE=1
ZONE_XFR[$Z]="{ allow: [127.0.0.1] }"
pick_ports
"$PY" - "$N" "$Z" >"$T_DIR/rows.sql" <<'PYEOF'
import sys
n, z = int(sys.argv[1]), sys.argv[2]
print("BEGIN;")
for i in range(n):
    print("INSERT INTO records (name, type, value, ttl) VALUES ('h%d.%s', 'A', '10.%d.%d.%d', NULL);"
          % (i, z, i // 65536 % 256, i // 256 % 256, i % 256))
print("COMMIT;")
PYEOF
for denial in ${DNSSEC_DENIALS:-nsec3 nsec}; do
	note "---- $denial"
	rm -rf "$T_DIR/data"
	dnssec_config ecdsap256sha256 "$denial"
	# table room for the names, their empty non-terminals and the NSEC3 bins or NSEC nodes
	sed -i "s/^  capacity: 1000\$/  capacity: $((4 * N))/" "$CONF"
	grep -q "^  capacity: $((4 * N))\$" "$CONF" || { fail "table.capacity is raised" "$(cat "$CONF")"; exit 1; }
	init_db || exit 1
	sqlite3 "$DB" <"$T_DIR/rows.sql" || { fail "the $N records are in the database"; exit 1; }
	start_daemon || exit 1
	wait_http || exit 1
	wait_ctl || exit 1
	assert_log "the master leaves the signing to the background" \
		"$N records to sign: served unsigned while they are signed in the background" "$DAEMON_LOG"
	upd "$MASTER" '{"subdomain":"during","ip":"192.0.2.99"}'
	assert_status "POST /update during the signing" 200
	assert_eq "a name answers (DO=0) during the signing" 10.0.0.5 "$(dnsq +short "h5.$Z" A)"

	signed() { ctl dnssec status "$Z"; printf '%s\n' "$CTL_OUT" | grep -q "^zone $Z: signed,"; }
	if wait_for 120 signed; then
		pass "$denial: ddnsctl dnssec status says signed within $(secs 120)"
	else
		fail "the zone is signed within $(secs 120)" "$CTL_OUT" "$(tail -n 5 "$DAEMON_LOG")"
		exit 1
	fi
	assert_log "the writer says so" "zone $Z: signed in the background" "$DAEMON_LOG"
	ready=$(grep -n "ready:" "$DAEMON_LOG" | head -n 1 | cut -d: -f1)
	done_at=$(grep -n "signed in the background;" "$DAEMON_LOG" | head -n 1 | cut -d: -f1)
	if [ -n "$ready" ] && [ -n "$done_at" ] && [ "$ready" -lt "$done_at" ]; then
		pass "the daemon served before the signing was done (log lines $ready < $done_at)"
	else
		fail "the daemon served before the signing was done" "ready at line '$ready', signed at '$done_at'"
	fi
	A=$T_DIR/anchor
	ctl_anchor "$Z" 13 "$A" || exit 1
	ub_start "good.$denial" "$Z" "$DNS_PORT" "$A" || exit 1
	ub_use "good.$denial"
	assert_ad "h0.$Z" A "$denial: after the background signing: the first name" NOERROR 'IN A 10\.0\.0\.0$'
	assert_ad "h$((N - 1)).$Z" A "$denial: the last name" NOERROR
	assert_ad "during.$Z" A "$denial: the name updated during the signing" NOERROR 'IN A 192\.0\.2\.99$'
	assert_ad "nope.$Z" A "$denial: NXDOMAIN" NXDOMAIN ""
	assert_ad "$Z" SOA "$denial: the SOA" NOERROR
	verify_axfr "$Z" "$DNS_PORT"
	ub_stop "good.$denial"
	stop_daemon
done
