#!/bin/bash
# t_ctl_records.sh - ddnsctl record set / list / del against the real daemon:
# A, AAAA, TXT with spaces and quotes, CNAME, several values, --ttl, relative
# and full names; dig answers every change at once and the SOA serial moves
# by exactly one per change (not for an unchanged set or a refused one);
# invalid types, values and names and a CNAME beside other data exit 1 with
# one line; record list agrees with dig and filters by zone; record del
# leaves NXDOMAIN or NODATA; GET /audit shows the changes with source "cli".
. "$(dirname "$0")/lib.sh"

ONE_ZONE=1
write_http_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
wait_ctl || exit 1
Z=$ZONE

mark()
{
	S_MARK=$(soa_serial "$Z")
	A_MARK=$(audit_rows)
}

# moved DESC N: the serial moved by N since mark, the audit table by N rows.
moved()
{
	assert_eq "$1: SOA serial +$2" $((S_MARK + $2)) "$(soa_serial "$Z")"
	assert_eq "$1: audit rows +$2" $((A_MARK + $2)) "$(audit_rows)"
}

# ---- A: create, unchanged, several values with --ttl, full name with a dot
mark
ctl record set www A 192.0.2.1
assert_ctl_ok "record set www A"
assert_eq "record set: reply" "www.$Z A updated" "$CTL_OUT"
q +norec "www.$Z" A
check_answer "dig right after record set" NOERROR "qr aa" "www.$Z. 300 IN A 192.0.2.1"
moved "record set www A" 1
mark
ctl record set www A 192.0.2.1
assert_ctl_ok "the same set again"
assert_eq "the same set again: unchanged" "www.$Z A unchanged" "$CTL_OUT"
moved "unchanged set" 0
mark
ctl record set "www.$Z." A 192.0.2.2 192.0.2.1 192.0.2.3 --ttl 60
assert_ctl_ok "record set full name with a trailing dot, three values, --ttl 60"
assert_eq "full name: reply" "www.$Z A updated" "$CTL_OUT"
q +norec "www.$Z" A
check_answer "dig: the three values with TTL 60" NOERROR "qr aa" \
	"www.$Z. 60 IN A 192.0.2.1
www.$Z. 60 IN A 192.0.2.2
www.$Z. 60 IN A 192.0.2.3"
moved "three values" 1
mark
ctl record set "www.$Z" A 192.0.2.3 192.0.2.1 192.0.2.2 --ttl 60
assert_eq "the same set in another order: unchanged" "www.$Z A unchanged" "$CTL_OUT"
moved "same set, another order" 0
mark
ctl record set www A 192.0.2.1 192.0.2.3 --ttl 60
assert_eq "one value fewer: updated" "www.$Z A updated" "$CTL_OUT"
assert_dns "dig: the remaining pair" "www.$Z" A "192.0.2.1 192.0.2.3"
moved "one value fewer" 1
mark
ctl record set www --ttl 90 A 192.0.2.1 192.0.2.3
assert_eq "--ttl before the values: a TTL-only change" "www.$Z A updated" "$CTL_OUT"
q +norec "www.$Z" A
check_answer "dig: TTL 90" NOERROR "qr aa" "www.$Z. 90 IN A 192.0.2.1
www.$Z. 90 IN A 192.0.2.3"
moved "TTL-only change" 1
ctl --json record set MiXeD A 192.0.2.4
assert_ctl_ok "record set --json"
assert_json "record set --json: name, type, updated" '[j["name"], j["type"], j["updated"]]' \
	"[\"mixed.$Z\",\"A\",true]" "$CTL_OUT"
assert_dns "dig the lower-cased name" "mixed.$Z" A 192.0.2.4
ctl record set "*.wild" A 192.0.2.50
assert_eq "record set a wildcard" "*.wild.$Z A updated" "$CTL_OUT"
q +norec "anything.wild.$Z" A
check_answer "dig a name under the wildcard" NOERROR "qr aa" "anything.wild.$Z. 300 IN A 192.0.2.50"
ctl record set @ A 192.0.2.99
assert_ctl_ok "record set @ (the apex)"
assert_dns "dig the apex A" "$Z" A 192.0.2.99

# ---- AAAA
mark
ctl record set www AAAA 2001:DB8:0:0::1 --ttl 120
assert_eq "record set www AAAA" "www.$Z AAAA updated" "$CTL_OUT"
q +norec "www.$Z" AAAA
check_answer "dig AAAA, canonical" NOERROR "qr aa" "www.$Z. 120 IN AAAA 2001:db8::1"
assert_dns "the A records are untouched" "www.$Z" A "192.0.2.1 192.0.2.3"
moved "AAAA" 1
ctl record set www AAAA 2001:db8::1 --ttl 120
assert_eq "another form of the same address: unchanged" "www.$Z AAAA unchanged" "$CTL_OUT"

# ---- TXT with spaces and quotes
mark
ctl record set txt TXT "hello world" 'say "hi"' "semi;colon"
assert_ctl_ok "record set TXT with spaces, quotes and a semicolon"
q +norec "txt.$Z" TXT
check_answer "dig TXT" NOERROR "qr aa" "txt.$Z. 300 IN TXT \"hello world\"
txt.$Z. 300 IN TXT \"say \\\"hi\\\"\"
txt.$Z. 300 IN TXT \"semi;colon\""
moved "TXT" 1
long=$(printf 'x%.0s' $(seq 255))
ctl record set long TXT "$long"
assert_ctl_ok "TXT of 255 bytes"
assert_dns "dig TXT of 255 bytes" "long.$Z" TXT "\"$long\""

# ---- CNAME
mark
ctl record set alias CNAME "www.$Z"
assert_eq "record set CNAME" "alias.$Z CNAME updated" "$CTL_OUT"
q +norec "alias.$Z" A
check_answer "dig A at the alias follows the CNAME" NOERROR "qr aa" "alias.$Z. 300 IN CNAME www.$Z.
www.$Z. 90 IN A 192.0.2.1
www.$Z. 90 IN A 192.0.2.3"
moved "CNAME" 1

# ---- refused: types, values, names, TTLs, CNAME conflicts
mark
ctl record set bad MX "10 mail.$Z"
assert_ctl_fail "type MX" "type must be one of A, AAAA, TXT, CNAME"
ctl record set bad a1 192.0.2.1
assert_ctl_fail "type a1" "type must be"
for v in 999.1.1.1 192.0.2 not-an-ip 2001:db8::1; do
	ctl record set bad A "$v"
	assert_ctl_fail "A value $v" "invalid A value '$v'"
done
ctl record set bad A 192.0.2.1 192.0.2.300
assert_ctl_fail "one invalid value among good ones" "invalid A value '192.0.2.300'"
ctl record set bad AAAA 192.0.2.1
assert_ctl_fail "AAAA value 192.0.2.1" "invalid AAAA value"
ctl record set bad AAAA 2001:db8::g
assert_ctl_fail "AAAA value 2001:db8::g" "invalid AAAA value"
ctl record set bad TXT "${long}y"
assert_ctl_fail "TXT of 256 bytes" "invalid TXT value"
ctl record set bad CNAME "bad..target"
assert_ctl_fail "CNAME to an invalid name" "invalid CNAME value"
for n in "bad..name" "has space" "bang!" "a.*.w" "$(printf 'a%.0s' $(seq 64))"; do
	ctl record set "$n" A 192.0.2.1
	assert_ctl_fail "name '${n:0:20}'" "not a valid name"
done
for t in 0 604801 -5; do
	ctl record set bad A 192.0.2.1 --ttl "$t"
	assert_ctl_fail "--ttl $t" "ttl"
done
ctl record set www CNAME "other.$Z"
assert_ctl_fail "CNAME beside A and AAAA" "CNAME cannot coexist"
ctl record set alias A 192.0.2.7
assert_ctl_fail "A beside a CNAME" "CNAME cannot coexist"
ctl record set alias TXT x
assert_ctl_fail "TXT beside a CNAME" "CNAME cannot coexist"
ctl record set alias2 CNAME "a.$Z" "b.$Z"
assert_ctl_fail "two CNAME values" "CNAME"
moved "refused sets" 0
assert_dns "A untouched by the refused sets" "www.$Z" A "192.0.2.1 192.0.2.3"
assert_dns "CNAME untouched by the refused sets" "alias.$Z" CNAME "www.$Z."
mark
ctl record set "host.nowhere.test." A 192.0.2.1
assert_ctl_fail "a full name with a trailing dot outside the zone" "in none of the zones"
moved "a name outside the zone" 0
q +norec "host.nowhere.test.$Z" A
check_negative "the outside name was not made relative to the zone" NXDOMAIN
for n in bad alias2; do
	q +norec "$n.$Z" A
	check_negative "nothing created at $n" NXDOMAIN
done

# ---- record list agrees with dig
# list_vs_dig JSON: one check per (name, type) of a record list --json:
# dig (dnspython) answers exactly these values with these TTLs.
list_vs_dig()
{
	local out
	out=$(printf '%s' "$1" | "$PY" -c '
import json, sys
import dns.message, dns.query, dns.rdatatype
port = int(sys.argv[1])
recs = json.load(sys.stdin)["records"]
groups = {}
for r in recs:
    groups.setdefault((r["name"], r["type"]), set()).add((r["ttl"], r["value"]))
def text(rd, t):
    if t == "TXT":
        return b"".join(rd.strings).decode("utf-8", "replace")
    if t == "CNAME":
        return rd.target.to_text().rstrip(".")
    return rd.address
for (name, t), want in sorted(groups.items()):
    want = set((ttl, v.rstrip(".") if t == "CNAME" else v) for ttl, v in want)
    try:
        r = dns.query.udp(dns.message.make_query(name, t), "127.0.0.1", port=port, timeout=2)
        got = set((rr.ttl, text(rd, t)) for rr in r.answer
                  if rr.rdtype == dns.rdatatype.from_text(t) and rr.name.to_text().rstrip(".") == name
                  for rd in rr)
    except Exception as e:
        got = repr(e)
    print(("PASS" if got == want else "FAIL") + " record list %s %s matches dig (%d values)" % (name, t, len(want)))
    if got != want:
        print("    list: %s" % sorted(want))
        print("    dig:  %s" % (sorted(got) if isinstance(got, set) else got))
' "$DNS_PORT" 2>&1)
	py_report "record list vs dig" 0 "$out"
}
ctl --json record list
assert_ctl_ok "record list --json"
list_json=$CTL_OUT
assert_json "record list --json: entries have name, type, ttl, value" \
	'all(sorted(r) == ["name", "ttl", "type", "value"] for r in j["records"])' true "$list_json"
assert_json "record list --json: one entry per value" \
	"sorted(r[\"value\"] for r in j[\"records\"] if r[\"name\"] == \"www.$Z\" and r[\"type\"] == \"A\")" \
	'["192.0.2.1","192.0.2.3"]' "$list_json"
list_vs_dig "$list_json"
ctl record list
assert_ctl_ok "record list"
assert_match "record list: header" '^NAME +TYPE +TTL +VALUE$' "$CTL_OUT"
assert_eq "record list: as many rows as --json entries" "$(jv 'len(j["records"])' "$list_json")" \
	$(($(ctl_lines "$CTL_OUT") - 1))
assert_match "record list: www A row" "^www\\.$Z +A +90 192\\.0\\.2\\.1\$" "$CTL_OUT"
assert_match "record list: TXT row with spaces" "^txt\\.$Z +TXT +300 hello world\$" "$CTL_OUT"
assert_match "record list: TXT row with quotes" "^txt\\.$Z +TXT +300 say \"hi\"\$" "$CTL_OUT"
assert_match "record list: CNAME row" "^alias\\.$Z +CNAME +300 www\\.$Z\\.?\$" "$CTL_OUT"
assert_match "record list: wildcard row" "^\\*\\.wild\\.$Z +A +300 192\\.0\\.2\\.50\$" "$CTL_OUT"
ctl record list "$Z"
assert_ctl_ok "record list ZONE"
assert_eq "record list ZONE: the same rows with one zone" \
	"$(jv 'len(j["records"])' "$list_json")" $(($(ctl_lines "$CTL_OUT") - 1))
ctl record list nozone.test
assert_ctl_fail "record list of an unknown zone" "no zone nozone\\.test"
ctl record list "bad..zone"
assert_ctl_fail "record list of an invalid zone name" "no zone"

# ---- record del
mark
ctl record del www A
assert_ctl_ok "record del www A"
assert_eq "record del www A: reply" "www.$Z: 2 records deleted" "$CTL_OUT"
q +norec "www.$Z" A
check_negative "dig A after record del www A: NODATA" NOERROR
assert_dns "AAAA survives" "www.$Z" AAAA 2001:db8::1
moved "record del www A" 1
mark
ctl record del www A
assert_ctl_fail "record del www A again: nothing to delete" "no A records at www\\.$Z"
ctl record del txt AAAA
assert_ctl_fail "record del of a type the name lacks" "no AAAA records at txt\\.$Z"
ctl record del nothing
assert_ctl_fail "record del of a name without records" "no records at nothing\\.$Z"
ctl record del txt MX
assert_ctl_fail "record del type MX" "type must be"
ctl record del "bad..name"
assert_ctl_fail "record del of an invalid name" "not a valid name"
moved "refused deletes" 0
assert_dns "TXT untouched by the refused deletes" "txt.$Z" TXT '"hello world" "say \"hi\"" "semi;colon"'
mark
ctl --json record del "www.$Z."
assert_ctl_ok "record del full name --json"
assert_json "record del --json: name, deleted" '[j["name"], j["deleted"]]' "[\"www.$Z\",1]" "$CTL_OUT"
q +norec "www.$Z" AAAA
check_negative "dig AAAA after record del www: NXDOMAIN" NXDOMAIN
q +norec "alias.$Z" A
check_answer "the CNAME now points at nothing: NXDOMAIN with the CNAME (RFC 6604)" NXDOMAIN "qr aa" "alias.$Z. 300 IN CNAME www.$Z."
moved "record del www" 1
ctl record del txt
assert_eq "record del txt: three values" "txt.$Z: 3 records deleted" "$CTL_OUT"
q +norec "txt.$Z" TXT
check_negative "dig TXT after record del: NXDOMAIN" NXDOMAIN
ctl record del "*.wild"
assert_ctl_ok "record del a wildcard"
q +norec "anything.wild.$Z" A
check_negative "under the deleted wildcard: NXDOMAIN" NXDOMAIN

# ---- audit: the CLI's changes with source "cli"
api "$MASTER" GET "/audit?limit=1000"
assert_status "GET /audit" 200
cli_rows=$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE source = 'cli';")
assert_json "GET /audit: every row so far has source cli" \
	'sorted(set(a["source"] for a in j["audit"]))' '["cli"]'
assert_json "GET /audit: as many rows as the audit table" 'len(j["audit"])' "$cli_rows"
assert_json "GET /audit: the newest is the wildcard delete" \
	'[j["audit"][0][k] for k in ("source", "action", "name")]' "[\"cli\",\"delete\",\"*.wild.$Z\"]"
assert_json "GET /audit: the three-value set of www" \
	"[a[\"newValue\"] is not None and sorted(a[\"newValue\"].split()) for a in j[\"audit\"] if a[\"name\"] == \"www.$Z\" and a[\"type\"] == \"A\" and a[\"action\"] == \"set\"][-2]" \
	'["192.0.2.1","192.0.2.2","192.0.2.3"]'
assert_json "GET /audit: the TXT set with source cli" \
	"[a[\"source\"] for a in j[\"audit\"] if a[\"name\"] == \"txt.$Z\" and a[\"action\"] == \"set\"]" '["cli"]'
assert_json "GET /audit: the CNAME set" \
	"[a[\"newValue\"].rstrip(\".\") for a in j[\"audit\"] if a[\"name\"] == \"alias.$Z\"]" "[\"www.$Z\"]"
upd "$MASTER" '{"subdomain":"viahttp","ip":"192.0.2.77"}'
assert_status "POST /update viahttp" 200
api "$MASTER" GET /audit?limit=1
assert_json "GET /audit: an HTTP update has source http" '[j["audit"][0]["source"], j["audit"][0]["name"]]' \
	"[\"http\",\"viahttp.$Z\"]"

# ---- two zones: full names required, record list ZONE filters
stop_daemon
ONE_ZONE=0
write_http_config
start_daemon || exit 1
wait_ctl || exit 1
ctl record set rel A 192.0.2.1
assert_ctl_fail "a relative name with two zones" "rel: in none of the zones"
s2=$(soa_serial "$ZONE2")
ctl record set "host.$ZONE2" A 192.0.2.81
assert_eq "record set in the second zone" "host.$ZONE2 A updated" "$CTL_OUT"
q +norec "host.$ZONE2" A
check_answer "dig: the second zone's default TTL" NOERROR "qr aa" "host.$ZONE2. 120 IN A 192.0.2.81"
assert_eq "second zone's serial +1" $((s2 + 1)) "$(soa_serial "$ZONE2")"
ctl record set "two.$ZONE2" TXT "two words"
ctl --json record list "$ZONE2"
assert_ctl_ok "record list $ZONE2"
assert_json "record list $ZONE2: only its names" 'sorted(set(r["name"] for r in j["records"]))' \
	"[\"host.$ZONE2\",\"two.$ZONE2\"]" "$CTL_OUT"
list_vs_dig "$CTL_OUT"
ctl --json record list "$ZONE."
assert_json "record list $ZONE. (trailing dot): none of $ZONE2's names" \
	"any(r[\"name\"].endswith(\"$ZONE2\") for r in j[\"records\"])" false "$CTL_OUT"
assert_json "record list $ZONE.: its names" \
	"\"mixed.$Z\" in [r[\"name\"] for r in j[\"records\"]]" true "$CTL_OUT"
ctl --json record list
assert_json "record list: both zones" \
	"sorted(set(r[\"name\"] for r in j[\"records\"] if r[\"name\"].endswith(\"$ZONE2\")))" \
	"[\"host.$ZONE2\",\"two.$ZONE2\"]" "$CTL_OUT"
stop_daemon
