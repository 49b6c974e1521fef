#!/bin/bash
# dnssec_ref.sh - the DNSSEC harness (dnssec_lib.sh) checked against a
# reference signer: Knot DNS (knotd 3.2, dnssec-signing: on) as the signing
# primary of a small zone on loopback, once with ECDSA P-256 and a KSK + ZSK,
# once with Ed25519 and one combined key (CSK); both with NSEC3, iterations 0,
# no salt (RFC 9276).  The checks are those t_dnssec.sh makes of ddnsd:
# validated answers (A, AAAA, TXT, a CNAME, a wildcard, NXDOMAIN, NODATA, an
# empty non-terminal) from Unbound, SERVFAIL with a wrong anchor, delv, the
# DO bit, the DS, an RFC 2136 update validated at once, and the AXFR through
# ldns-verify-zone and dnssec-verify.
#
# Not named t_*.sh: the suite does not run it.  Run it by hand, from the
# repository (lib.sh wants bin/ddnsd built):
#   bash tests/system/dnssec_ref.sh
# It leaves Knot's answers (dig +dnssec) under $DNSSEC_REF_OUT (default
# /tmp/ddnsd-dnssec-ref), one directory per algorithm, for comparison.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"
. "$(dirname "$0")/dnssec_lib.sh"

KNOTD=/usr/sbin/knotd
[ -x "$KNOTD" ] || { skip "knotd not installed"; exit 0; }
dnssec_tools
OUTDIR=${DNSSEC_REF_OUT:-/tmp/ddnsd-dnssec-ref}
Z=$ZONE
KNOT_PID=

# knot_start ALG CSK: knotd signing $Z with ALG (CSK on: one combined key)
# on a port of its own (KNOT_PORT); waits until it serves the DNSKEYs.
knot_start()
{
	local alg=$1 csk=$2 kd=$T_DIR/knot.$1 out
	mkdir -p "$kd"
	KNOT_PORT=$(free_port) || exit 1
	cat >"$kd/$Z.zone" <<EOF
\$ORIGIN $Z.
\$TTL 300
@       SOA   ns1 hostmaster 1 3600 600 604800 60
@       NS    ns1
ns1     A     127.0.0.1
host    A     192.0.2.1
v6      AAAA  2001:db8::1
txt     TXT   "hello world"
alias   CNAME host
*.wild  TXT   "wild"
a.b     A     192.0.2.7
EOF
	cat >"$kd/knot.conf" <<EOF
server:
    rundir: "$kd"
    pidfile: "$kd/knot.pid"
    listen: 127.0.0.1@$KNOT_PORT
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "$kd/knot.sock"
log:
  - target: stderr
    any: info
database:
    storage: "$kd"
policy:
  - id: ref
    algorithm: $alg
    single-type-signing: $csk
    nsec3: on
    nsec3-iterations: 0
    nsec3-salt-length: 0
acl:
  - id: local
    address: 127.0.0.1
    action: [transfer, update]
template:
  - id: default
    storage: "$kd"
    zonefile-sync: -1
    zonefile-load: difference-no-serial
    journal-content: all
zone:
  - domain: $Z
    file: "$Z.zone"
    dnssec-signing: on
    dnssec-policy: ref
    acl: local
EOF
	KNOT_CONF=$kd/knot.conf
	if ! out=$(knotc -c "$KNOT_CONF" conf-check 2>&1); then
		fail "knotc conf-check accepts the Knot config ($alg)" "$out"
		exit 1
	fi
	KNOT_LOG=$kd/knot.log
	"$KNOTD" -c "$KNOT_CONF" >"$KNOT_LOG" 2>&1 &
	KNOT_PID=$!
	BG_PIDS+=("$KNOT_PID")
	ANCHOR=$T_DIR/anchor.$alg
	if wait_for 10 anchor_from_server "$KNOT_PORT" "$Z" "$ANCHOR"; then
		pass "knotd ($alg, CSK $csk) serves the signed zone's DNSKEYs on 127.0.0.1:$KNOT_PORT"
	else
		fail "knotd ($alg) serves the signed zone's DNSKEYs within $(secs 10)" "$(tail -n 20 "$KNOT_LOG")"
		exit 1
	fi
}

knot_stop()
{
	kill -TERM "$KNOT_PID" 2>/dev/null
	wait_until $((5000 * SLOW)) proc_dead "$KNOT_PID" || fail "knotd exits on SIGTERM"
	{ wait "$KNOT_PID"; } 2>/dev/null
}

# save_ref ALG NAME TYPE: Knot's answer (dig +dnssec +norec) into OUTDIR.
save_ref()
{
	dig @127.0.0.1 -p "$KNOT_PORT" +tries=1 +time=2 +norec +nocookie +dnssec +nosplit "$2" "$3" \
		>"$OUTDIR/$1/$2.$3.txt" 2>&1
}

for alg in ecdsap256sha256 ed25519; do
	csk=off
	[ "$alg" = ed25519 ] && csk=on
	note "---- Knot, $alg, NSEC3, CSK $csk"
	knot_start "$alg" "$csk"
	note "anchor:" "$(cat "$ANCHOR")"
	UB=
	ub_start "good.$alg" "$Z" "$KNOT_PORT" "$ANCHOR" || exit 1
	wrong_anchor "$Z" "$alg" "$T_DIR/wrong.$alg" || fail "dnssec-keygen makes a wrong anchor"
	ub_start "wrong.$alg" "$Z" "$KNOT_PORT" "$T_DIR/wrong.$alg" || exit 1

	ub_use "good.$alg"
	assert_ad "host.$Z" A "$alg: A" NOERROR 'IN A 192\.0\.2\.1$'
	assert_ad "v6.$Z" AAAA "$alg: AAAA" NOERROR 'IN AAAA 2001:db8::1$'
	assert_ad "txt.$Z" TXT "$alg: TXT" NOERROR '"hello world"'
	assert_ad "alias.$Z" A "$alg: CNAME chain" NOERROR "^alias\\.$Z\\. TTL IN CNAME host\\.$Z\\.\$"
	assert_ad "alias.$Z" A "$alg: CNAME chain, the target's A" NOERROR "^host\\.$Z\\. TTL IN A 192\\.0\\.2\\.1\$"
	assert_ad "x.wild.$Z" TXT "$alg: wildcard" NOERROR "^x\\.wild\\.$Z\\. TTL IN TXT \"wild\"\$"
	assert_ad "nope.$Z" A "$alg: NXDOMAIN" NXDOMAIN ""
	assert_ad "host.$Z" TXT "$alg: NODATA" NOERROR ""
	assert_ad "b.$Z" A "$alg: empty non-terminal" NOERROR ""
	assert_ad "nope.wild.x.$Z" A "$alg: NXDOMAIN two labels below" NXDOMAIN ""

	ub_use "wrong.$alg"
	assert_servfail "host.$Z" A "$alg, wrong anchor: A"
	assert_servfail "nope.$Z" A "$alg, wrong anchor: NXDOMAIN"
	ub_use "good.$alg"

	assert_delv "$alg: A" "$KNOT_PORT" "$ANCHOR" "$Z" "host.$Z" A
	assert_delv "$alg: wildcard" "$KNOT_PORT" "$ANCHOR" "$Z" "x.wild.$Z" TXT
	assert_delv "$alg: NXDOMAIN" "$KNOT_PORT" "$ANCHOR" "$Z" "nope.$Z" A nxdomain
	assert_delv "$alg: empty non-terminal" "$KNOT_PORT" "$ANCHOR" "$Z" "b.$Z" A nodata
	out=$(delv_q "$KNOT_PORT" "$T_DIR/wrong.$alg" "$Z" "host.$Z" A)
	assert_match "$alg: delv with the wrong anchor: broken trust chain" 'resolution failed: broken trust chain' "$out"

	do_checks "$KNOT_PORT" "host.$Z" A "Knot $alg"
	assert_ds "Knot $alg: keymgr ds" "$(keymgr -c "$KNOT_CONF" "$Z" ds 2>&1 | awk '$(NF - 1) == 2')" "$ANCHOR"
	verify_axfr "$Z" "$KNOT_PORT"

	mkdir -p "$OUTDIR/$alg"
	cp "$ANCHOR" "$OUTDIR/$alg/anchor"
	cp "$T_DIR/axfr.$Z.$AXFR_N" "$OUTDIR/$alg/axfr.zone"
	for nt in "$Z SOA" "$Z DNSKEY" "$Z NSEC3PARAM" "host.$Z A" "alias.$Z A" "x.wild.$Z TXT" \
		"nope.$Z A" "host.$Z TXT" "b.$Z A"; do
		save_ref "$alg" "${nt% *}" "${nt#* }"
	done

	# an RFC 2136 update, validated at once (no wait): changed, added, deleted
	nsu "$KNOT_PORT" "update delete host.$Z A
update add host.$Z 60 A 192.0.2.10
update add new.$Z 60 A 192.0.2.11
update delete v6.$Z"
	assert_nsu_ok "$alg: nsupdate to Knot"
	assert_ad "host.$Z" A "$alg: the changed A right after the update" NOERROR 'IN A 192\.0\.2\.10$'
	assert_ad "new.$Z" A "$alg: the new name right after the update" NOERROR 'IN A 192\.0\.2\.11$'
	assert_ad "v6.$Z" AAAA "$alg: the deleted name right after the update" NXDOMAIN ""
	verify_axfr "$Z" "$KNOT_PORT"

	ub_stop "good.$alg"
	ub_stop "wrong.$alg"
	knot_stop
done
note "Knot's answers: $OUTDIR/{ecdsap256sha256,ed25519}/"
