#!/bin/bash
# t_nsupdate.sh - RFC 2136 UPDATE with Debian's nsupdate and TSIG: add,
# change (delete + add in one message), append to an RRset, delete one
# record, an RRset and a name, over UDP and TCP, with -y and with a key file,
# hmac-sha256 and hmac-sha512.  Every accepted update is answered by dig at
# once, listed by GET /records, audited with source rfc2136, counted in
# ddnsd_updates_total{source="rfc2136"} and moves the SOA serial by one.
# Failed prerequisites give NXDOMAIN/YXDOMAIN/NXRRSET/YXRRSET; no key gives
# REFUSED, an unknown key or a wrong secret NOTAUTH; a key's update policy
# (names, types) is enforced with REFUSED; a message is applied whole or not
# at all; none of the refused messages changes anything.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"

ANY_KEY=any-key
ANY_SECRET=$(tsig_secret)
K512=key512
K512_SECRET=$(tsig_secret 64)
ONE_ZONE=1
Z=$ZONE
key_yaml "$UPD_KEY" hmac-sha256 "$UPD_SECRET" "\"*.dyn.$Z\", \"host.$Z\"" "A, AAAA, TXT"
key_yaml "$ANY_KEY" hmac-sha256 "$ANY_SECRET" all
key_yaml "$K512" hmac-sha512 "$K512_SECRET" "\"*.dyn.$Z\"" "A, TXT"
write_xfr_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
YU=(-y "hmac-sha256:$UPD_KEY:$UPD_SECRET")
YA=(-y "hmac-sha256:$ANY_KEY:$ANY_SECRET")
METRIC="ddnsd_updates_total{source=\"rfc2136\"}"

# mark / moved DESC N: the SOA serial moved by N since mark
mark() { S_MARK=$(soa_serial "$Z"); M_MARK=$(metric_value "$METRIC"); M_MARK=${M_MARK:-0}; }
moved()
{
	assert_eq "$1: SOA serial +$2" $((S_MARK + $2)) "$(soa_serial "$Z")"
}
# counted DESC N: ddnsd_updates_total{source="rfc2136"} moved by N since mark
counted()
{
	local v
	v=$(metric_value "$METRIC")
	assert_eq "$1: $METRIC +$2" $((M_MARK + $2)) "${v:-<absent>}"
}
# audited NAME TYPE NEW: the newest audit row is this rfc2136 change
audited()
{
	api "$MASTER" GET "/audit?limit=1"
	assert_json "audit: newest row is the rfc2136 change of $1 $2" \
		'[j["audit"][0][k] for k in ("source", "name", "type", "newValue")]' \
		"[\"rfc2136\",\"$1\",\"$2\",$3]"
}

# ---- add an A record (UDP, -y)
mark
nsu "$DNS_PORT" "update add a.dyn.$Z 60 A 192.0.2.1" "${YU[@]}"
assert_nsu_ok "add a.dyn A with $UPD_KEY"
q +norec "a.dyn.$Z" A
check_answer "dig right after the UPDATE" NOERROR "qr aa" "a.dyn.$Z. 60 IN A 192.0.2.1"
moved "add" 1
counted "add" 1
if records_has "a.dyn.$Z" A 192.0.2.1; then
	pass "GET /records lists the UPDATE's record"
else
	fail "GET /records lists the UPDATE's record" "$H_BODY"
fi
audited "a.dyn.$Z" A '"192.0.2.1"'
api "$MASTER" GET "/audit?limit=1"
assert_json "audit: a creation has oldValue null" 'j["audit"][0]["oldValue"]' null
note "audit row: $H_BODY"

# ---- TXT, then a change (delete + add in one message)
nsu "$DNS_PORT" "update add t.dyn.$Z 120 TXT \"hello update\"" "${YU[@]}"
assert_nsu_ok "add t.dyn TXT"
q +norec "t.dyn.$Z" TXT
check_answer "dig TXT" NOERROR "qr aa" "t.dyn.$Z. 120 IN TXT \"hello update\""
mark
nsu "$DNS_PORT" "update delete a.dyn.$Z A
update add a.dyn.$Z 60 A 192.0.2.2" "${YU[@]}"
assert_nsu_ok "change a.dyn A (delete + add in one message)"
q +norec "a.dyn.$Z" A
check_answer "dig after the change: only the new address" NOERROR "qr aa" "a.dyn.$Z. 60 IN A 192.0.2.2"
moved "one message" 1
counted "one message" 1
if records_has "a.dyn.$Z" A 192.0.2.2 && ! records_has "a.dyn.$Z" A 192.0.2.1; then
	pass "GET /records: the new address only"
else
	fail "GET /records: the new address only" "$H_BODY"
fi
audited "a.dyn.$Z" A '"192.0.2.2"'

# ---- append to the RRset, delete one record of it, over TCP
nsu "$DNS_PORT" "update add a.dyn.$Z 60 A 192.0.2.3" -v "${YU[@]}"
assert_nsu_ok "add a second A to a.dyn over TCP (-v)"
assert_dns "dig: both addresses" "a.dyn.$Z" A "192.0.2.2 192.0.2.3"
nsu "$DNS_PORT" "update delete a.dyn.$Z A 192.0.2.2" "${YU[@]}"
assert_nsu_ok "delete one A record of a.dyn"
assert_dns "dig: the other address stays" "a.dyn.$Z" A 192.0.2.3

# ---- deletes: an RRset (TXT), a whole name
mark
nsu "$DNS_PORT" "update delete t.dyn.$Z TXT" "${YU[@]}"
assert_nsu_ok "delete the TXT RRset of t.dyn"
q +norec "t.dyn.$Z" TXT
check_negative "t.dyn after its only RRset was deleted" NXDOMAIN
moved "delete TXT" 1
if records_has "t.dyn.$Z" TXT "hello update"; then
	fail "GET /records: the deleted TXT is gone" "$H_BODY"
else
	pass "GET /records: the deleted TXT is gone"
fi
api "$MASTER" GET "/audit?limit=1"
assert_json "audit: the delete has source rfc2136 and newValue null" \
	'[j["audit"][0][k] for k in ("source", "name", "type", "newValue")]' "[\"rfc2136\",\"t.dyn.$Z\",\"TXT\",null]"
nsu "$DNS_PORT" "update add t2.dyn.$Z 60 TXT one
update add t2.dyn.$Z 60 A 192.0.2.4" "${YU[@]}"
assert_nsu_ok "add TXT and A at t2.dyn"
nsu "$DNS_PORT" "update delete t2.dyn.$Z" "${YA[@]}"
assert_nsu_ok "delete every RRset of t2.dyn (with $ANY_KEY: type ANY is outside $UPD_KEY's types)"
q +norec "t2.dyn.$Z" A
check_negative "t2.dyn after the name was deleted" NXDOMAIN

# ---- a key file (-k) and hmac-sha512
cat >"$T_DIR/update.key" <<EOF
key "$UPD_KEY" {
	algorithm hmac-sha256;
	secret "$UPD_SECRET";
};
EOF
nsu "$DNS_PORT" "update add host.$Z 300 TXT \"via key file\"" -k "$T_DIR/update.key"
assert_nsu_ok "add host TXT with -k KEYFILE"
assert_dns "dig host TXT" "host.$Z" TXT '"via key file"'
nsu "$DNS_PORT" "update add s.dyn.$Z 60 A 192.0.2.5" -y "hmac-sha512:$K512:$K512_SECRET"
assert_nsu_ok "add s.dyn A with an hmac-sha512 key"
assert_dns "dig s.dyn" "s.dyn.$Z" A 192.0.2.5

# ---- HTTP and RFC 2136 change the same records
upd "$MASTER" "{\"subdomain\":\"h1.dyn.$Z\",\"ip\":\"192.0.2.40\"}"
assert_status "POST /update h1.dyn" 200
nsu "$DNS_PORT" "prereq yxrrset h1.dyn.$Z A 192.0.2.40
update delete h1.dyn.$Z A
update add h1.dyn.$Z 60 A 192.0.2.41" "${YU[@]}"
assert_nsu_ok "UPDATE of a record created over HTTP (prereq on its value)"
assert_dns "dig: the UPDATE's value" "h1.dyn.$Z" A 192.0.2.41
if records_has "h1.dyn.$Z" A 192.0.2.41; then
	pass "GET /records: the UPDATE's value"
else
	fail "GET /records: the UPDATE's value" "$H_BODY"
fi
api "$MASTER" GET "/audit?limit=1"
assert_json "audit: the change's source and new value" \
	'[j["audit"][0][k] for k in ("source", "newValue")]' '["rfc2136","192.0.2.41"]'

# ---- prerequisites
nsu "$DNS_PORT" "prereq nxdomain p.dyn.$Z
update add p.dyn.$Z 60 A 192.0.2.6" "${YU[@]}"
assert_nsu_ok "prereq nxdomain of an absent name holds: the add is done"
assert_dns "dig p.dyn" "p.dyn.$Z" A 192.0.2.6
mark
nsu "$DNS_PORT" "prereq nxdomain host.$Z
update add pre1.dyn.$Z 60 A 192.0.2.7" "${YU[@]}"
assert_nsu_fail "prereq nxdomain of an existing name: YXDOMAIN" 'update failed: YXDOMAIN'
nsu "$DNS_PORT" "prereq yxdomain nothere.dyn.$Z
update add pre2.dyn.$Z 60 A 192.0.2.7" "${YU[@]}"
assert_nsu_fail "prereq yxdomain of an absent name: NXDOMAIN" 'update failed: NXDOMAIN'
nsu "$DNS_PORT" "prereq nxrrset host.$Z TXT
update add pre3.dyn.$Z 60 A 192.0.2.7" "${YU[@]}"
assert_nsu_fail "prereq nxrrset of an existing RRset: YXRRSET" 'update failed: YXRRSET'
nsu "$DNS_PORT" "prereq yxrrset host.$Z AAAA
update add pre4.dyn.$Z 60 A 192.0.2.7" "${YU[@]}"
assert_nsu_fail "prereq yxrrset of an absent RRset: NXRRSET" 'update failed: NXRRSET'
nsu "$DNS_PORT" "prereq yxrrset host.$Z TXT \"another value\"
update add pre5.dyn.$Z 60 A 192.0.2.7" "${YU[@]}"
assert_nsu_fail "prereq yxrrset with a value the RRset lacks: NXRRSET" 'update failed: NXRRSET'
nsu "$DNS_PORT" "prereq nxdomain p.dyn.$Z
update delete p.dyn.$Z A" "${YU[@]}"
assert_nsu_fail "prereq nxdomain fails: the delete is not done" 'update failed: YXDOMAIN'
moved "failed prerequisites" 0
counted "failed prerequisites" 0
for i in 1 2 3 4 5; do
	q +norec "pre$i.dyn.$Z" A
	assert_eq "failed prerequisite $i: nothing added" NXDOMAIN "$(q_status)"
done
assert_dns "failed prerequisite: the delete was not done" "p.dyn.$Z" A 192.0.2.6

# ---- refused: no key, unknown key, wrong secret, outside the key's policy
mark
nsu "$DNS_PORT" "update add nokey.dyn.$Z 60 A 192.0.2.8"
assert_nsu_fail "UPDATE without a key: REFUSED" 'update failed: REFUSED'
nsu "$DNS_PORT" "update add badkey.dyn.$Z 60 A 192.0.2.8" -y "hmac-sha256:no-such-key:$UPD_SECRET"
assert_nsu_fail "UPDATE signed with an unknown key: NOTAUTH (BADKEY)" 'NOTAUTH'
nsu "$DNS_PORT" "update add badsig.dyn.$Z 60 A 192.0.2.8" -y "hmac-sha256:$UPD_KEY:$(tsig_secret)"
assert_nsu_fail "UPDATE with a wrong secret: NOTAUTH (BADSIG), tsig error reported" 'NOTAUTH'
assert_match "wrong secret: nsupdate reports the TSIG failure" 'tsig|TSIG|BADSIG' "$NSU_OUT"
nsu "$DNS_PORT" "update add other.$Z 60 A 192.0.2.8" "${YU[@]}"
assert_nsu_fail "$UPD_KEY for a name outside its update.names: REFUSED" 'update failed: REFUSED'
nsu "$DNS_PORT" "update add dyn.$Z 60 A 192.0.2.8" "${YU[@]}"
assert_nsu_fail "$UPD_KEY for dyn.$Z itself (\"*.dyn\" means strictly below): REFUSED" 'update failed: REFUSED'
nsu "$DNS_PORT" "update add c.dyn.$Z 60 CNAME host.$Z." "${YU[@]}"
assert_nsu_fail "$UPD_KEY for a type outside its update.types (CNAME): REFUSED" 'update failed: REFUSED'
nsu "$DNS_PORT" "update add x.dyn.$Z 60 AAAA 2001:db8::8" -y "hmac-sha512:$K512:$K512_SECRET"
assert_nsu_fail "$K512 for AAAA (types A, TXT): REFUSED" 'update failed: REFUSED'
nsu "$DNS_PORT" "update add ok.dyn.$Z 60 A 192.0.2.8
update add other2.$Z 60 A 192.0.2.8" "${YU[@]}"
assert_nsu_fail "a message with one record outside the policy: REFUSED as a whole" 'update failed: REFUSED'
nsu "$DNS_PORT" "update add mx.$Z 60 MX 10 mail.$Z." "${YA[@]}"
assert_nsu_fail "$ANY_KEY (update: {}, the four types) for MX: REFUSED" 'update failed: REFUSED'
moved "refused updates" 0
counted "refused updates" 0
for n in nokey.dyn:A badkey.dyn:A badsig.dyn:A other:A dyn:A c.dyn:CNAME x.dyn:AAAA ok.dyn:A other2:A mx:MX; do
	q +norec "${n%%:*}.$Z" "${n#*:}"
	assert_eq "refused update: no ${n#*:} at ${n%%:*}" "0" "$(q_count ANSWER)"
done
assert_dns "refused updates: a.dyn untouched" "a.dyn.$Z" A 192.0.2.3

# ---- the zone section: a name outside it, a zone that is not ours
nsu "$DNS_PORT" "update add x.elsewhere.test 60 A 192.0.2.9" "${YA[@]}"
assert_nsu_fail "a name outside the zone: NOTZONE" 'update failed: NOTZONE'
NSU_OUT=$(printf 'server 127.0.0.1 %s\nzone elsewhere.test\nupdate add x.elsewhere.test 60 A 192.0.2.9\nsend\n' \
	"$DNS_PORT" | timeout $((20 * SLOW)) nsupdate -r 1 -u $((2 * SLOW)) -t $((4 * SLOW)) "${YA[@]}" 2>&1)
NSU_RC=$?
assert_nsu_fail "a zone we do not serve: NOTAUTH or REFUSED" 'update failed: (NOTAUTH|REFUSED)'

# ---- a key without update: policy may update any name, CNAME included
nsu "$DNS_PORT" "update add anyc.$Z 300 CNAME host.$Z." "${YA[@]}"
assert_nsu_ok "$ANY_KEY adds a CNAME anywhere in the zone"
q +norec "anyc.$Z" CNAME
check_answer "dig the CNAME" NOERROR "qr aa" "anyc.$Z. 300 IN CNAME host.$Z."

# ---- totals
api "$MASTER" GET "/audit?limit=1000"
n=$(jv 'len([r for r in j["audit"] if r["source"] == "rfc2136"])')
if [ "${n:-0}" -ge 14 ] 2>/dev/null; then
	pass "audit: every accepted UPDATE change is there with source rfc2136 ($n rows)"
else
	fail "audit: at least 14 rows with source rfc2136" "got: $n" "$H_BODY"
fi
assert_eq "no audit row for a refused name" "[]" \
	"$(jv "[r[\"name\"] for r in j[\"audit\"] if r[\"name\"].split(\".\")[0] in (\"nokey\", \"badkey\", \"badsig\", \"other\", \"other2\", \"ok\", \"mx\", \"pre1\", \"pre2\")]")"
assert_eq "the database serial matches DNS" "$(zone_serial "$Z")" "$(soa_serial "$Z")"
stop_daemon
