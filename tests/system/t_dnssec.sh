#!/bin/bash
# t_dnssec.sh - online signing (zones[].dnssec): for each algorithm and
# denial (ECDSA P-256 and Ed25519; NSEC3 with iterations 0 and no salt, and
# NSEC) ddnsd
# serves a zone that a validating Unbound, anchored with the DNSKEYs
# `ddnsctl dnssec dnskey` prints, answers with the ad flag: A, AAAA, TXT, a
# CNAME to a name in the zone, a wildcard, NXDOMAIN, NODATA and an empty
# non-terminal; with a wrong anchor it answers SERVFAIL; delv agrees on its
# own.  DO=1 answers carry RRSIGs, DO=0 answers are unchanged; `ddnsctl
# dnssec ds` is the KSK's DS.  An HTTP update, a dyndns2 update and an RFC
# 2136 UPDATE are each validated with their new value by the very next query
# (no wait: signing is part of the commit); deleted names become validated
# NXDOMAINs; the AXFR passes ldns-verify-zone and dnssec-verify before and
# after the updates.
#
# DNSSEC_ALGS and DNSSEC_DENIALS (space-separated) choose the runs; by
# default every algorithm with each denial, NSEC3 and NSEC.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"
. "$(dirname "$0")/dnssec_lib.sh"

dnssec_tools
ALGS=${DNSSEC_ALGS:-ecdsap256sha256 ed25519}
DENIALS=${DNSSEC_DENIALS:-nsec3 nsec}
declare -A ALG_NUM=([ecdsap256sha256]=13 [ed25519]=15)
ONE_ZONE=1
Z=$ZONE
ZONE_XFR[$Z]="{ allow: [127.0.0.1] }"
key_yaml "$UPD_KEY" hmac-sha256 "$UPD_SECRET" all
pick_ports

# nic QUERY: GET /nic/update (dyndns2) as the master token; reply body in
# $N_BODY, status in $H_CODE.
nic()
{
	H_CODE=$(curl -s -m $((10 * SLOW)) -o "$T_DIR/nic.body" -w '%{http_code}' -u "any:$MASTER" \
		"http://127.0.0.1:$HTTP_PORT/nic/update?$1")
	N_BODY=$(tr -d '\r' <"$T_DIR/nic.body" 2>/dev/null)
}

for alg in $ALGS; do
	for denial in $DENIALS; do
		R="$alg/$denial"
		note "---- $R"
		# ---- a fresh signed zone
		rm -rf "$T_DIR/data"
		dnssec_config "$alg" "$denial"
		dnssec_up
		dnssec_populate

		# ---- the keys, as ddnsctl shows them
		A=$T_DIR/anchor.$alg.$denial
		ctl_anchor "$Z" "${ALG_NUM[$alg]}" "$A" || exit 1
		ctl dnssec ds "$Z"
		assert_ctl_ok "$R: ddnsctl dnssec ds $Z"
		assert_ds "$R: ddnsctl dnssec ds" "$CTL_OUT" "$A"
		ctl dnssec status "$Z"
		assert_ctl_ok "$R: ddnsctl dnssec status $Z"
		ksk=$(anchor_tags "$A" | head -n 1)
		if printf '%s\n' "$CTL_OUT" | grep -Eq "(^|[^0-9])$ksk([^0-9]|\$)" &&
			printf '%s\n' "$CTL_OUT" | grep -Eiq "(^|[^0-9a-z])($alg|${ALG_NUM[$alg]})([^0-9a-z]|\$)"; then
			pass "$R: ddnsctl dnssec status names the KSK's tag $ksk and the algorithm"
		else
			fail "$R: ddnsctl dnssec status names the KSK's tag $ksk and the algorithm" "$CTL_OUT"
		fi

		# ---- validating resolvers: the right anchor and a wrong one
		UB=
		ub_start "good.$alg.$denial" "$Z" "$DNS_PORT" "$A" || exit 1
		wrong_anchor "$Z" "$alg" "$T_DIR/wrong.$alg" || fail "dnssec-keygen makes a wrong anchor"
		ub_start "wrong.$alg.$denial" "$Z" "$DNS_PORT" "$T_DIR/wrong.$alg" || exit 1
		ub_use "good.$alg.$denial"

		assert_ad "host.$Z" A "$R: A" NOERROR 'IN A 192\.0\.2\.1$'
		assert_ad "v6.$Z" AAAA "$R: AAAA" NOERROR 'IN AAAA 2001:db8::1$'
		assert_ad "txt.$Z" TXT "$R: TXT" NOERROR '"hello world"'
		assert_ad "alias.$Z" A "$R: CNAME in the zone" NOERROR "^alias\\.$Z\\. TTL IN CNAME host\\.$Z\\.\$"
		assert_ad "alias.$Z" A "$R: CNAME in the zone, the target's A" NOERROR \
			"^host\\.$Z\\. TTL IN A 192\\.0\\.2\\.1\$"
		assert_ad "x.wild.$Z" TXT "$R: wildcard *.wild" NOERROR "^x\\.wild\\.$Z\\. TTL IN TXT \"wild\"\$"
		assert_ad "nope.$Z" A "$R: NXDOMAIN" NXDOMAIN ""
		assert_ad "nope.wild.x.$Z" A "$R: NXDOMAIN two labels below a name" NXDOMAIN ""
		assert_ad "host.$Z" TXT "$R: NODATA" NOERROR ""
		assert_ad "b.$Z" A "$R: empty non-terminal (a.b exists)" NOERROR ""
		assert_ad "$Z" SOA "$R: the apex SOA" NOERROR
		pool_ad "lb.$Z" A 12 "$R: pool lb (one of three members per answer)"
		pool_ad "lb6.$Z" AAAA 8 "$R: pool lb6 (both IPv6 members per answer)"
		assert_ad "lb6.$Z" A "$R: pool lb6 has no IPv4 member: NODATA" NOERROR ""
		pool_ad "lbx.$Z" A 8 "$R: prefixMatch pool lbx itself"
		pool_ad "x7k2q.lbx.$Z" A 8 "$R: prefixMatch name x7k2q.lbx (an expansion of *.lbx)"
		assert_ad "$RANDOM$RANDOM.lbx.$Z" A "$R: another prefixMatch name" NOERROR \
			'IN A 192\.0\.2\.4[12]$'
		ub_use "wrong.$alg.$denial"
		assert_servfail "host.$Z" A "$R, wrong anchor: A"
		assert_servfail "nope.$Z" A "$R, wrong anchor: NXDOMAIN"
		ub_use "good.$alg.$denial"

		assert_delv "$R: A" "$DNS_PORT" "$A" "$Z" "host.$Z" A
		assert_delv "$R: NXDOMAIN" "$DNS_PORT" "$A" "$Z" "nope.$Z" A nxdomain
		assert_delv "$R: wildcard" "$DNS_PORT" "$A" "$Z" "x.wild.$Z" TXT
		assert_delv "$R: empty non-terminal" "$DNS_PORT" "$A" "$Z" "b.$Z" A nodata

		# ---- the DO bit, straight at ddnsd
		do_checks "$DNS_PORT" "host.$Z" A "$R"
		# the proofs are records of the denial configured, never of the other
		want=NSEC3 other=NSEC
		[ "$denial" = nsec ] && want=NSEC other=NSEC3
		for qn in "nope.$Z A" "host.$Z TXT" "b.$Z A"; do
			# shellcheck disable=SC2086
			q +norec +dnssec $qn
			if printf '%s\n' "$Q" | grep -Eq "[[:space:]]IN[[:space:]]+$want[[:space:]]" &&
				! printf '%s\n' "$Q" | grep -Eq "[[:space:]]IN[[:space:]]+$other[[:space:]]"; then
				pass "$R: DO=1 $qn: the proof is $want records"
			else
				fail "$R: DO=1 $qn: the proof is $want records" "$Q"
			fi
		done
		if [ "$denial" = nsec ]; then
			q +norec +dnssec "host.$Z" NSEC
			if printf '%s\n' "$Q" | grep -Eq "^host\.$Z\.[[:space:]].*IN[[:space:]]+NSEC[[:space:]]" &&
				printf '%s\n' "$Q" | grep -Eq "^host\.$Z\.[[:space:]].*IN[[:space:]]+RRSIG[[:space:]]+NSEC[[:space:]]"; then
				pass "$R: qtype NSEC at host: its NSEC record and RRSIG"
			else
				fail "$R: qtype NSEC at host: its NSEC record and RRSIG" "$Q"
			fi
		fi
		q +norec +nodnssec "nope.$Z" A
		check_negative "$R: DO=0 NXDOMAIN unchanged (no NSEC/NSEC3, no RRSIG)" NXDOMAIN
		q +norec +nodnssec "host.$Z" A
		check_answer "$R: DO=0 A unchanged" NOERROR "qr aa" "host.$Z. 300 IN A 192.0.2.1"

		verify_axfr "$Z"

		# ---- updates, each validated by the very next query
		upd "$MASTER" '{"subdomain":"host","ip":"192.0.2.10"}'
		assert_status "$R: POST /update host 192.0.2.10" 200
		assert_ad "host.$Z" A "$R: right after POST /update: the new A" NOERROR 'IN A 192\.0\.2\.10$'
		nic "hostname=dd.$Z&myip=192.0.2.20"
		assert_eq "$R: dyndns2 /nic/update dd 192.0.2.20" "200 good 192.0.2.20" "$H_CODE $N_BODY"
		assert_ad "dd.$Z" A "$R: right after /nic/update: the new name" NOERROR 'IN A 192\.0\.2\.20$'
		nsu "$DNS_PORT" "update add nsu.$Z 60 TXT \"via rfc2136\"
update delete txt.$Z TXT
update add txt.$Z 60 TXT \"changed\"" -y "hmac-sha256:$UPD_KEY:$UPD_SECRET"
		assert_nsu_ok "$R: nsupdate adds nsu TXT and changes txt TXT"
		assert_ad "nsu.$Z" TXT "$R: right after nsupdate: the new name" NOERROR '"via rfc2136"'
		assert_ad "txt.$Z" TXT "$R: right after nsupdate: the changed TXT" NOERROR '"changed"$'
		api "$MASTER" DELETE /records/v6
		assert_status "$R: DELETE /records/v6" 200
		assert_ad "v6.$Z" AAAA "$R: right after the delete: v6 is NXDOMAIN" NXDOMAIN ""
		api "$MASTER" DELETE /records/a.b
		assert_status "$R: DELETE /records/a.b" 200
		assert_ad "b.$Z" A "$R: right after deleting a.b: b is NXDOMAIN" NXDOMAIN ""
		assert_ad "x.wild.$Z" TXT "$R: the wildcard still validates" NOERROR '"wild"'
		assert_delv "$R: the dyndns2 name" "$DNS_PORT" "$A" "$Z" "dd.$Z" A
		assert_delv "$R: the deleted name" "$DNS_PORT" "$A" "$Z" "v6.$Z" AAAA nxdomain

		verify_axfr "$Z"

		ub_stop "good.$alg.$denial"
		ub_stop "wrong.$alg.$denial"
		stop_daemon
	done
done
