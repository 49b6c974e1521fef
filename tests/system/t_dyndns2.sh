#!/bin/bash
# t_dyndns2.sh - the dyndns2 protocol (GET /nic/update with HTTP Basic
# auth): good, nochg, IPv4+IPv6 in one request, several hosts, nohost,
# notfqdn, numhost, abuse, badauth; then the real clients ddclient and
# inadyn update a name and dig answers their address.
. "$(dirname "$0")/lib.sh"

write_http_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
M=$MASTER
Z=$ZONE

new_user router
R=$TOK
new_user other
O=$TOK

# nic USER:PASS QUERY: one dyndns2 request; body in $N_BODY (CR removed),
# status in $H_CODE, headers in $H_HDRS.
nic()
{
	local auth=$1 qs=$2
	local -a a=(-s -m 10 -o "$T_DIR/nic.body" -D "$T_DIR/nic.hdrs" -w '%{http_code}')
	[ -n "$auth" ] && a+=(-u "$auth")
	rm -f "$T_DIR/nic.body" "$T_DIR/nic.hdrs"
	H_CODE=$(curl "${a[@]}" "http://127.0.0.1:$HTTP_PORT/nic/update?$qs")
	N_BODY=$(tr -d '\r' <"$T_DIR/nic.body" 2>/dev/null)
	H_HDRS=$(tr -d '\r' <"$T_DIR/nic.hdrs" 2>/dev/null)
}

# ---- good, nochg
s0=$(soa_serial "$Z")
nic "router:$R" "hostname=home.$Z&myip=192.0.2.1"
assert_eq "first update: HTTP 200" 200 "$H_CODE"
assert_eq "first update: good" "good 192.0.2.1" "$N_BODY"
assert_match "text/plain" '^text/plain' "$(h_header Content-Type)"
q +norec "home.$Z" A
check_answer "dig after good" NOERROR "qr aa" "home.$Z. 300 IN A 192.0.2.1"
assert_eq "SOA serial +1" $((s0 + 1)) "$(soa_serial "$Z")"
nic "router:$R" "hostname=home.$Z&myip=192.0.2.1"
assert_eq "same address again: nochg" "nochg 192.0.2.1" "$N_BODY"
assert_eq "SOA serial unchanged by nochg" $((s0 + 1)) "$(soa_serial "$Z")"
nic "router:$R" "hostname=home.$Z&myip=192.0.2.2"
assert_eq "new address: good" "good 192.0.2.2" "$N_BODY"
assert_dns "dig after the change" "home.$Z" A 192.0.2.2
nic "router:$R" "hostname=home.$Z"
assert_eq "no myip: the caller's address" "good 127.0.0.1" "$N_BODY"
assert_dns "dig the caller's address" "home.$Z" A 127.0.0.1
nic "any-name:$R" "hostname=home.$Z&myip=192.0.2.3"
assert_eq "the Basic user name does not matter" "good 192.0.2.3" "$N_BODY"

assert_eq "audit rows with source dyndns2: one per good" 4 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE source = 'dyndns2' AND name = 'home.$Z';")"

# ---- IPv4 and IPv6 together, IPv6 alone
nic "router:$R" "hostname=dual.$Z&myip=192.0.2.5,2001:db8::5"
assert_eq "myip=IPv4,IPv6" "good 192.0.2.5,2001:db8::5" "$N_BODY"
assert_dns "dig A of the dual-stack name" "dual.$Z" A 192.0.2.5
assert_dns "dig AAAA of the dual-stack name" "dual.$Z" AAAA 2001:db8::5
nic "router:$R" "hostname=v6.$Z&myip=2001:0db8:0::7"
assert_eq "IPv6 only, canonical in the reply" "good 2001:db8::7" "$N_BODY"
assert_dns "dig AAAA" "v6.$Z" AAAA 2001:db8::7

# ---- the other spellings of both families: myipv4= and myipv6= (deSEC,
# ddclient, routers' URL templates), myip= with myipv6=; one commit each
s1=$(soa_serial "$Z")
nic "router:$R" "hostname=ds.$Z&myipv4=192.0.2.21&myipv6=2001:db8::21"
assert_eq "myipv4= and myipv6=: both, comma-joined" "good 192.0.2.21,2001:db8::21" "$N_BODY"
assert_dns "dig A of myipv4" "ds.$Z" A 192.0.2.21
assert_dns "dig AAAA of myipv6" "ds.$Z" AAAA 2001:db8::21
assert_eq "both families: one serial bump" $((s1 + 1)) "$(soa_serial "$Z")"
nic "router:$R" "hostname=ds.$Z&myip=192.0.2.22&myipv6=2001:db8::22"
assert_eq "myip= and myipv6=" "good 192.0.2.22,2001:db8::22" "$N_BODY"
assert_eq "again one serial bump" $((s1 + 2)) "$(soa_serial "$Z")"
assert_dns "dig AAAA of myip+myipv6" "ds.$Z" AAAA 2001:db8::22
nic "router:$R" "hostname=ds.$Z&myipv4=192.0.2.22&myipv6=2001:db8::22"
assert_eq "the same two addresses: nochg with both" "nochg 192.0.2.22,2001:db8::22" "$N_BODY"
nic "router:$R" "hostname=ds.$Z&myipv4=2001:db8::99"
assert_eq "an IPv6 address in myipv4 is ignored: the caller's address" "good 127.0.0.1" "$N_BODY"

# ---- several hosts, one line each
nic "router:$R" "hostname=h1.$Z,h2.$ZONE2&myip=192.0.2.8"
assert_eq "two hosts: one line each" "good 192.0.2.8
good 192.0.2.8" "$N_BODY"
assert_dns "dig the first host" "h1.$Z" A 192.0.2.8
assert_dns "dig the second host (other zone)" "h2.$ZONE2" A 192.0.2.8
nic "router:$R" "hostname=h1.$Z,h3.nowhere.test,h4.$Z&myip=192.0.2.9"
assert_eq "a host outside our zones among others" "good 192.0.2.9
nohost
good 192.0.2.9" "$N_BODY"

# ---- refusals
nic "router:$R" "hostname=host.nowhere.test&myip=192.0.2.10"
assert_eq "outside our zones: nohost" nohost "$N_BODY"
nic "router:$R" "hostname=plainname&myip=192.0.2.10"
assert_eq "not a full name: notfqdn" notfqdn "$N_BODY"
hosts=$(for i in $(seq 21); do printf 'n%d.%s,' "$i" "$Z"; done)
nic "router:$R" "hostname=${hosts%,}&myip=192.0.2.11"
assert_eq "21 hosts: numhost" numhost "$(printf '%s\n' "$N_BODY" | head -n 1)"
q +norec "n1.$Z" A
check_negative "nothing written for numhost" NXDOMAIN
nic "other:$O" "hostname=home.$Z&myip=192.0.2.12"
assert_eq "someone else's name: nohost" nohost "$N_BODY"
assert_dns "the owner's address stays" "home.$Z" A 192.0.2.3
api "$R" POST /tokens "{\"subdomain\":\"home.$Z\"}"
assert_status "a token scoped to home" 201
S=$(jv 'j["token"]')
nic "router:$S" "hostname=home.$Z&myip=192.0.2.13"
assert_eq "scoped token as password: good" "good 192.0.2.13" "$N_BODY"
nic "router:$S" "hostname=h1.$Z&myip=192.0.2.13"
assert_eq "scoped token, another name: nohost" nohost "$N_BODY"

# ---- badauth
nic "" "hostname=home.$Z&myip=192.0.2.14"
assert_eq "no credentials: HTTP 401" 401 "$H_CODE"
assert_eq "no credentials: badauth" badauth "$N_BODY"
assert_match "WWW-Authenticate: Basic realm=\"ddnsd\"" '^Basic realm="ddnsd"' "$(h_header WWW-Authenticate)"
nic "router:wrong-password" "hostname=home.$Z&myip=192.0.2.14"
assert_eq "wrong password: HTTP 401 badauth" "401 badauth" "$H_CODE $N_BODY"
assert_dns "nothing written without credentials" "home.$Z" A 192.0.2.13

# ---- abuse: the same unchanged update more than 5 times
new_user looper
L=$TOK
got=
for i in 1 2 3 4 5 6 7; do
	nic "looper:$L" "hostname=loop.$Z&myip=192.0.2.20"
	got="$got|$N_BODY"
done
assert_eq "good, 5 x nochg, then abuse" \
	"|good 192.0.2.20|nochg 192.0.2.20|nochg 192.0.2.20|nochg 192.0.2.20|nochg 192.0.2.20|nochg 192.0.2.20|abuse" \
	"$got"
nic "router:$R" "hostname=h1.$Z&myip=192.0.2.8"
assert_eq "another token is not affected" "good 192.0.2.8" "$N_BODY"

# ---- ddclient
if command -v ddclient >/dev/null; then
	cat >"$T_DIR/ddclient.conf" <<EOF
daemon=0
protocol=dyndns2
server=127.0.0.1:$HTTP_PORT
ssl=no
login=router
password='$R'
use=ip, ip=192.0.2.77
ddc.$Z
EOF
	chmod 600 "$T_DIR/ddclient.conf"
	out=$(timeout 30 ddclient -foreground -file "$T_DIR/ddclient.conf" -cache "$T_DIR/ddclient.cache" \
		-daemon=0 -verbose 2>&1)
	assert_match "ddclient reports success" 'SUCCESS: +updating ddc' "$out"
	assert_dns "dig answers ddclient's address" "ddc.$Z" A 192.0.2.77
	# ddclient waits at least 30 s between updates of a name unless forced
	sed -i 's/ip=192.0.2.77/ip=192.0.2.78/' "$T_DIR/ddclient.conf"
	out=$(timeout 30 ddclient -foreground -file "$T_DIR/ddclient.conf" -cache "$T_DIR/ddclient.cache" \
		-daemon=0 -verbose -force 2>&1)
	assert_match "ddclient: second run with a new address" 'SUCCESS: +updating ddc' "$out"
	assert_dns "dig answers ddclient's new address" "ddc.$Z" A 192.0.2.78
	# ddclient finding its address with GET /myip
	sed -i "s|^use=.*|use=web, web=http://127.0.0.1:$HTTP_PORT/myip|; s|^ddc\.|ddcweb.|" \
		"$T_DIR/ddclient.conf"
	out=$(timeout 30 ddclient -foreground -file "$T_DIR/ddclient.conf" -cache "$T_DIR/ddclient.cache" \
		-daemon=0 -verbose 2>&1)
	assert_match "ddclient with use=web and GET /myip" 'SUCCESS: +updating ddcweb' "$out"
	assert_dns "dig answers the address /myip gave ddclient" "ddcweb.$Z" A 127.0.0.1
else
	skip "ddclient updates a name: ddclient is not installed"
fi

# ---- inadyn
if command -v inadyn >/dev/null; then
	mkdir -p "$T_DIR/inadyn"
	cat >"$T_DIR/inadyn.conf" <<EOF
period = 60
custom ddnsd {
    ssl             = false
    username        = router
    password        = "$R"
    ddns-server     = "127.0.0.1:$HTTP_PORT"
    ddns-path       = "/nic/update?hostname=%h&myip=%i"
    checkip-command = "echo 192.0.2.88"
    hostname        = "ina.$Z"
}
EOF
	out=$(timeout 30 inadyn -1 --foreground -f "$T_DIR/inadyn.conf" --cache-dir="$T_DIR/inadyn" \
		-P "$T_DIR/inadyn.pid" -l info 2>&1)
	assert_match "inadyn reports success" 'Successful alias table update for ina' "$out"
	assert_dns "dig answers inadyn's address" "ina.$Z" A 192.0.2.88
else
	skip "inadyn updates a name: inadyn is not installed"
fi
stop_daemon
