# dnssec_lib.sh - helpers for the DNSSEC tests (t_dnssec.sh,
# t_dnssec_xfr.sh, dnssec_ref.sh); sourced after lib.sh.
#
# A signed zone is checked by three independent validators:
#   - Unbound 1.17 (ub_start), a validating resolver on a loopback port of its
#     own with the zone as a stub zone and the zone's DNSKEYs as trust anchors;
#     vq / assert_ad / assert_servfail query it;
#   - delv 9.18 (delv_q, assert_delv), which validates by itself, straight
#     against the authoritative server, with the same anchors;
#   - ldns-verify-zone and dnssec-verify on an AXFR of the whole zone
#     (verify_axfr).
# Anchors are files of DNSKEY lines in zone-file form, one record per line,
# no parentheses ("example.test. 3600 IN DNSKEY 257 3 13 BASE64"), as
# `ddnsctl dnssec dnskey` prints them.
#
# Unbound caches nothing (cache-max-ttl 0, cache-max-negative-ttl 0,
# val-bogus-ttl 0, aggressive-nsec off): every query reaches the server, so
# an answer right after an update is the updated one and one failed check
# does not poison the next.  It answers only for the zone: a local-zone
# "." refuse (the zone itself transparent) keeps it from ever trying the
# root servers, so a query outside the zone gets REFUSED at once.

UNBOUND=/usr/sbin/unbound
declare -A UB_PORT=() # instance name -> port
declare -A UB_PID=()  # instance name -> pid ("" once stopped)
declare -A UB_CONF=() # instance name -> config file
declare -A UB_LOG=()  # instance name -> log file
UB=                   # the instance vq and the asserts query (ub_use)
VQ=                   # the output of the last vq

# dnssec_tools: skips the whole test (one TAP SKIP) when a tool is missing.
dnssec_tools()
{
	local t
	for t in "$UNBOUND" delv dig ldns-verify-zone dnssec-verify dnssec-keygen dnssec-dsfromkey; do
		if ! command -v "$t" >/dev/null 2>&1; then
			skip "DNSSEC checks: $t not installed (unbound, bind9-utils, bind9-dnsutils, ldnsutils)"
			exit 0
		fi
	done
}

# free_port: one more port free on 127.0.0.1, distinct from DNS_PORT,
# HTTP_PORT and the ports handed out before.
free_port()
{
	local p _ f=$T_DIR/used_ports
	# kept in a file: callers run this in a subshell ($(free_port))
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		p=$("$PY" "$SYS_DIR/ports.py" 1) || continue
		case " $(cat "$f" 2>/dev/null) ${DNS_PORT:-} ${HTTP_PORT:-} " in *" $p "*) continue ;; esac
		printf '%s ' "$p" >>"$f"
		echo "$p"
		return 0
	done
	echo "cannot find a free port" >&2
	return 1
}

# ---------------------------------------------------------------- config

# dnssec_block FILE ZONE ALG DENIAL [VALIDITY]: adds zones[].dnssec (enabled)
# to ZONE's entry of the ddnsd config FILE.
dnssec_block()
{
	local f=$1 z=$2 x
	x="    dnssec:\n      enabled: true\n      algorithm: $3\n      denial: $4\n      signature_validity: ${5:-14d}"
	awk -v z="  - name: $z" -v x="$x" '{ print } $0 == z { print x }' "$f" >"$f.tmp" && mv "$f.tmp" "$f"
	grep -q "^      algorithm: $3\$" "$f"
}

# dnssec_config ALG DENIAL [VALIDITY]: the transfer tests' one-zone config
# (write_xfr_config) with the zone signed; exits the test when the block is
# not in it.
dnssec_config()
{
	write_xfr_config
	if ! dnssec_block "$CONF" "$ZONE" "$@"; then
		fail "the dnssec block is in the config" "$(cat "$CONF")"
		exit 1
	fi
}

# dnssec_up: a new database, the daemon started, its HTTP API and control
# socket answering; exits the test when one is not.
dnssec_up()
{
	init_db || exit 1
	start_daemon || exit 1
	wait_http || exit 1
	wait_ctl || exit 1
}

# ---------------------------------------------------------------- anchors

# dnskey_norm [FILE...]: the DNSKEY records of FILE (or stdin) in the anchor
# form, one a line: owner, TTL (3600 if absent), IN, DNSKEY, flags, protocol,
# algorithm, the key in one piece.  Other lines are dropped.
dnskey_norm()
{
	awk '{ for (i = 1; i <= NF; i++) if ($i == "DNSKEY") break
		if (i > NF || i + 4 > NF) next
		ttl = ($2 ~ /^[0-9]+$/) ? $2 : 3600
		k = ""; for (j = i + 4; j <= NF; j++) k = k $j
		print tolower($1), ttl, "IN", "DNSKEY", $(i + 1), $(i + 2), $(i + 3), k }' "$@"
}

# anchor_from_server PORT ZONE FILE: ZONE's DNSKEY RRset as 127.0.0.1:PORT
# serves it, written to FILE as an anchor; 1 when there is none.
anchor_from_server()
{
	dig @127.0.0.1 -p "$1" +tries=1 +time=$((2 * SLOW)) +norec +nocookie +noall +answer +nosplit \
		"$2" DNSKEY 2>/dev/null | dnskey_norm >"$3"
	grep -q ' DNSKEY 257 ' "$3"
}

# wrong_anchor ZONE ALG FILE: a freshly made KSK of ZONE with algorithm ALG
# (ecdsap256sha256, ed25519) that signs nothing, written to FILE as an anchor.
wrong_anchor()
{
	local d=$T_DIR/keygen.$RANDOM k
	mkdir -p "$d"
	k=$(dnssec-keygen -q -K "$d" -a "$(echo "$2" | tr '[:lower:]' '[:upper:]')" -f KSK "$1" 2>&1) ||
		{ echo "dnssec-keygen: $k" >&2; return 1; }
	dnskey_norm "$d/$k.key" >"$3"
	grep -q ' DNSKEY 257 ' "$3"
}

# anchor_tags FILE: the key tags of the KSKs (flags 257) in the anchor FILE,
# one a line, from dnssec-dsfromkey.
anchor_tags()
{
	local z
	z=$(awk 'NR == 1 { print $1 }' "$1")
	dnssec-dsfromkey -2 -f "$1" "$z" 2>/dev/null | awk '$4 == "DS" { print $5 } $3 == "DS" { print $4 }' | sort -u
}

# ---------------------------------------------------------------- Unbound

# ub_start NAME ZONE AUTH_PORT ANCHOR_FILE: starts a validating Unbound
# (instance NAME, files in $T_DIR/unbound.NAME) on a port of its own, with
# ZONE a stub zone at 127.0.0.1@AUTH_PORT and every line of ANCHOR_FILE a
# trust-anchor; waits (bounded) until it answers.  The first instance
# started becomes the one vq queries.  One check.
ub_start()
{
	local name=$1 zone=${2%.} auth=$3 anchor=$4 d port l
	d=$T_DIR/unbound.$name
	mkdir -p "$d"
	port=$(free_port) || { fail "a free port for unbound $name"; return 1; }
	{
		cat <<EOF
server:
    interface: 127.0.0.1
    port: $port
    do-ip4: yes
    do-ip6: no
    do-udp: yes
    do-tcp: yes
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$d"
    pidfile: "$d/unbound.pid"
    logfile: "$d/unbound.log"
    use-syslog: no
    log-time-ascii: yes
    verbosity: 1
    val-log-level: 2
    num-threads: 1
    so-reuseport: no
    module-config: "validator iterator"
    access-control: 127.0.0.0/8 allow
    # the stub server is on loopback
    do-not-query-localhost: no
    # every query reaches the server; a bogus answer is not remembered
    cache-max-ttl: 0
    cache-max-negative-ttl: 0
    val-bogus-ttl: 0
    aggressive-nsec: no
    prefetch: no
    prefetch-key: no
    serve-expired: no
    # answers in the order served: pool rotation is the server's, not a
    # shuffle by query ID (the default since Unbound 1.17)
    rrset-roundrobin: no
    qname-minimisation: no
    trust-anchor-signaling: no
    root-key-sentinel: no
    # only the zone: nothing outside it is ever resolved (no root priming)
    local-zone: "test." nodefault
    local-zone: "." refuse
    local-zone: "$zone." transparent
EOF
		while IFS= read -r l; do
			[ -n "$l" ] && printf '    trust-anchor: "%s"\n' "$l"
		done <"$anchor"
		cat <<EOF
remote-control:
    control-enable: no
stub-zone:
    name: "$zone."
    stub-addr: 127.0.0.1@$auth
EOF
	} >"$d/unbound.conf"
	UB_PORT[$name]=$port
	UB_CONF[$name]=$d/unbound.conf
	UB_LOG[$name]=$d/unbound.log
	[ -n "$UB" ] || UB=$name
	ub_run "$name" "$zone"
}

# ub_run NAME ZONE: starts instance NAME from its config and waits until
# it answers a query for ZONE's SOA (any rcode: with a wrong anchor that is
# SERVFAIL).  One check.
ub_run()
{
	local name=$1 zone=$2 out limit=$((10 * SLOW))
	if ! out=$(unbound-checkconf "${UB_CONF[$name]}" 2>&1); then
		fail "unbound-checkconf accepts the config of unbound $name" "$out"
		return 1
	fi
	"$UNBOUND" -d -c "${UB_CONF[$name]}" >>"$T_DIR/unbound.$name/stderr.log" 2>&1 &
	UB_PID[$name]=$!
	BG_PIDS+=("$!")
	ub_answers()
	{
		proc_alive "${UB_PID[$name]}" &&
			dig @127.0.0.1 -p "${UB_PORT[$name]}" +tries=1 +time=2 +dnssec "$zone" SOA 2>&1 |
			grep -q 'status: '
	}
	if wait_for "$limit" ub_answers; then
		pass "unbound $name (validating, anchor for $zone) answers on 127.0.0.1:${UB_PORT[$name]}"
		return 0
	fi
	fail "unbound $name answers on 127.0.0.1:${UB_PORT[$name]} within $(secs "$limit")" \
		"stderr:" "$(tail -n 10 "$T_DIR/unbound.$name/stderr.log" 2>&1)" \
		"log:" "$(tail -n 20 "${UB_LOG[$name]}" 2>&1)"
	return 1
}

# ub_stop NAME: SIGTERM to instance NAME (by pid); waits until it is gone.
ub_stop()
{
	local pid=${UB_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	wait_until $((5000 * SLOW)) proc_dead "$pid" || kill -KILL "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null
	UB_PID[$1]=
}

# ub_restart NAME ZONE: a fresh instance NAME (an empty cache) on the same
# port.  Not needed for cache reasons (Unbound caches nothing here), but for
# a changed anchor file: rewrite it with ub_start instead.
ub_restart()
{
	ub_stop "$1"
	ub_run "$1" "$2"
}

# ub_use NAME: vq and the asserts query instance NAME from now on.
ub_use()
{
	UB=$1
}

# vq NAME TYPE [DIG_ARGS...]: one query with DO=1 to the current Unbound
# (bounded); prints dig's output and leaves it in $VQ.
vq()
{
	local n=$1 t=$2
	shift 2
	VQ=$(dig @127.0.0.1 -p "${UB_PORT[$UB]}" +tries=1 +time=$((5 * SLOW)) +dnssec +nocookie \
		"$@" "$n" "$t" 2>&1)
	printf '%s\n' "$VQ"
}

# vq_status / vq_flags / vq_answer: the rcode, the header flags and the
# answer section (blanks squeezed, RRSIGs left out, sorted) of $VQ.
vq_status()
{
	printf '%s\n' "$VQ" | sed -n 's/.*status: \([A-Z0-9]*\),.*/\1/p' | head -n 1
}

vq_flags()
{
	printf '%s\n' "$VQ" | sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p' | head -n 1
}

vq_answer()
{
	printf '%s\n' "$VQ" | awk '$0 == ";; ANSWER SECTION:" { on = 1; next }
		on && /^$/ { exit }
		on && $4 != "RRSIG" { $1 = $1; $2 = "TTL"; print }' | sort
}

# ub_why: the validation failures Unbound logged (val-log-level 2), for a
# failed check's detail.
ub_why()
{
	grep -E 'validation failure|error|bogus' "${UB_LOG[$UB]}" 2>/dev/null | tail -n 6
}

# ad_ok NAME TYPE RCODE [ANSWER_ERE]: one query to the current Unbound gets
# RCODE with the ad flag, and an answer that fits: with ANSWER_ERE, some
# answer line matches it ("" = the answer is empty); without, NOERROR has a
# TYPE record of NAME in the answer and anything else an empty answer.
ad_ok()
{
	local n=$1 t=$2 rc=$3 an
	vq "$n" "$t" >/dev/null
	[ "$(vq_status)" = "$rc" ] || return 1
	case " $(vq_flags) " in *" ad "*) ;; *) return 1 ;; esac
	an=$(vq_answer)
	if [ $# -ge 4 ]; then
		if [ -z "$4" ]; then
			[ -z "$an" ]
		else
			printf '%s\n' "$an" | grep -Eq -- "$4"
		fi
	elif [ "$rc" = NOERROR ]; then
		printf '%s\n' "$an" | awk -v n="${n%.}." -v t="$t" 'tolower($1) == tolower(n) && $4 == t { f = 1 }
			END { exit !f }'
	else
		[ -z "$an" ]
	fi
}

# assert_ad NAME TYPE DESC [RCODE [ANSWER_ERE]]: one check: ad_ok (RCODE
# defaults to NOERROR).  On failure: rcode, flags, answer, Unbound's reason.
assert_ad()
{
	local n=$1 t=$2 desc=$3 rc=${4:-NOERROR}
	local -a want=()
	[ $# -ge 5 ] && want=("$5")
	if ad_ok "$n" "$t" "$rc" "${want[@]}"; then
		pass "$desc: $rc, ad (unbound $UB)"
		return 0
	fi
	fail "$desc: $rc, ad (unbound $UB)" "query: $n $t; expected $rc with ad${want:+, an answer line matching ${want[0]}}" \
		"got: $(vq_status), flags: $(vq_flags)" "answer:" "$(vq_answer)" "unbound says:" "$(ub_why)"
}

# assert_servfail NAME TYPE DESC: one check: the current Unbound answers
# SERVFAIL (validation failed) without the ad flag.
assert_servfail()
{
	local n=$1 t=$2 desc=$3
	vq "$n" "$t" >/dev/null
	if [ "$(vq_status)" = SERVFAIL ] && case " $(vq_flags) " in *" ad "*) false ;; *) true ;; esac; then
		pass "$desc: SERVFAIL (unbound $UB)"
		return 0
	fi
	fail "$desc: SERVFAIL (unbound $UB)" "query: $n $t" "got: $(vq_status), flags: $(vq_flags)" \
		"answer:" "$(vq_answer)"
}

# ---------------------------------------------------------------- delv

# delv_anchor ANCHOR_FILE OUT: the anchors in delv's (named.conf) syntax:
# trust-anchors { "zone." static-key FLAGS PROTO ALG "KEY"; };
delv_anchor()
{
	awk '$4 == "DNSKEY" { printf "trust-anchors { \"%s\" static-key %s %s %s \"%s\"; };\n", $1, $5, $6, $7, $8 }' \
		"$1" >"$2"
}

# delv_q PORT ANCHOR_FILE ZONE NAME TYPE: delv validating by itself against
# 127.0.0.1:PORT with ZONE's anchor (delv exits 0 whatever the outcome:
# the verdict is in its output, printed here stdout then stderr).
delv_q()
{
	local p=$1 a=$2 z=${3%.} n=$4 t=$5
	delv_anchor "$a" "$a.delv"
	timeout $((20 * SLOW)) delv @127.0.0.1 -p "$p" -a "$a.delv" +root="$z" \
		"$n" "$t" 2>"$T_DIR/delv.err"
	cat "$T_DIR/delv.err"
}

# assert_delv DESC PORT ANCHOR_FILE ZONE NAME TYPE [KIND]: one check: delv
# reports "; fully validated" with a TYPE record of NAME (KIND positive,
# the default), or "; negative response, fully validated" and "ncache
# nxdomain" (KIND nxdomain) / "ncache nxrrset" (KIND nodata).
assert_delv()
{
	local desc=$1 p=$2 a=$3 z=$4 n=$5 t=$6 kind=${7:-positive} out ok=0
	out=$(delv_q "$p" "$a" "$z" "$n" "$t")
	case $kind in
	positive)
		printf '%s\n' "$out" | grep -q '^; fully validated$' &&
			printf '%s\n' "$out" | awk -v n="${n%.}." -v t="$t" 'tolower($1) == tolower(n) && $4 == t { f = 1 }
				END { exit !f }' && ok=1
		;;
	nxdomain | nodata)
		local nc=nxdomain
		[ "$kind" = nodata ] && nc=nxrrset
		printf '%s\n' "$out" | grep -q '^; negative response, fully validated$' &&
			printf '%s\n' "$out" | grep -q "resolution failed: ncache $nc" && ok=1
		;;
	esac
	if [ $ok = 1 ]; then
		pass "$desc: delv fully validated ($kind)"
	else
		fail "$desc: delv fully validated ($kind)" "delv @127.0.0.1 -p $p -a $a.delv +root=${z%.} $n $t:" "$out"
	fi
}

# ---------------------------------------------------------------- the server itself

# do_checks PORT NAME TYPE WHO: two checks straight against the server at
# 127.0.0.1:PORT: with DO=1 the answer carries an RRSIG covering TYPE; with
# DO=0 no RRSIG, NSEC or NSEC3 anywhere in the reply.
do_checks()
{
	local p=$1 n=$2 t=$3 who=$4 out
	out=$(dig @127.0.0.1 -p "$p" +tries=1 +time=$((2 * SLOW)) +nocookie +norec +dnssec "$n" "$t" 2>&1)
	if printf '%s\n' "$out" | awk -v t="$t" '$0 == ";; ANSWER SECTION:" { on = 1; next }
		on && /^$/ { exit } on && $4 == "RRSIG" && $5 == t { f = 1 } END { exit !f }'; then
		pass "$who: DO=1 answer to $n $t carries RRSIG $t"
	else
		fail "$who: DO=1 answer to $n $t carries RRSIG $t" "$out"
	fi
	out=$(dig @127.0.0.1 -p "$p" +tries=1 +time=$((2 * SLOW)) +nocookie +norec +nodnssec "$n" "$t" 2>&1)
	if printf '%s\n' "$out" | grep -q 'status: NOERROR' &&
		! printf '%s\n' "$out" | grep -Eq '[[:space:]]IN[[:space:]]+(RRSIG|NSEC|NSEC3)[[:space:]]'; then
		pass "$who: DO=0 answer to $n $t has no RRSIG/NSEC/NSEC3"
	else
		fail "$who: DO=0 answer to $n $t has no RRSIG/NSEC/NSEC3" "$out"
	fi
}

# ds_norm: DS records on stdin as "TAG ALG DIGTYPE DIGEST" (digest in upper
# case, in one piece), sorted.
ds_norm()
{
	awk '{ for (i = 1; i <= NF; i++) if ($i == "DS") break
		if (i + 4 > NF) next
		d = ""; for (j = i + 4; j <= NF; j++) d = d $j
		print $(i + 1), $(i + 2), $(i + 3), toupper(d) }' | sort
}

# assert_ds DESC DS_TEXT ANCHOR_FILE: one check: DS_TEXT holds DS records of
# digest type 2 only, exactly those dnssec-dsfromkey -2 makes from the KSKs
# of ANCHOR_FILE (same key tag, algorithm and digest).
assert_ds()
{
	local desc=$1 got want z
	got=$(printf '%s\n' "$2" | ds_norm)
	z=$(awk 'NR == 1 { print $1 }' "$3")
	want=$(dnssec-dsfromkey -2 -f "$3" "$z" 2>&1 | ds_norm)
	if [ -n "$want" ] && [ "$got" = "$want" ]; then
		pass "$desc: DS (tag alg 2 digest) $(printf '%s' "$got" | awk '{ print $1 }' | tr '\n' ' ')matches the KSK"
	else
		fail "$desc: DS matches the KSK" "expected (dnssec-dsfromkey -2): $want" "got: $got" \
			"DS text:" "$2" "DNSKEYs:" "$(cat "$3")"
	fi
}

# ---------------------------------------------------------------- whole zone

# verify_axfr ZONE [PORT [DIG_ARGS...]]: an AXFR of ZONE from 127.0.0.1:PORT
# (default DNS_PORT; DIG_ARGS e.g. -y for TSIG) into $T_DIR/axfr.ZONE.N, then
# ldns-verify-zone and dnssec-verify -o ZONE on it (-z when the DNSKEY
# RRset has no ZSK, i.e. one combined key signs everything).  Three checks.
AXFR_N=0
verify_axfr()
{
	local z=${1%.} p=${2:-$DNS_PORT} f out rc n z_opt=
	if [ $# -ge 2 ]; then shift 2; else shift $#; fi
	AXFR_N=$((AXFR_N + 1))
	f=$T_DIR/axfr.$z.$AXFR_N
	timeout $((30 * SLOW)) dig @127.0.0.1 -p "$p" +tries=1 +time=$((5 * SLOW)) +nocookie \
		+noall +answer +onesoa +nosplit "$@" "$z" AXFR >"$f" 2>&1
	n=$(grep -c . "$f")
	if grep -Eq "^$z\\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+SOA" "$f" &&
		grep -Eq "[[:space:]]RRSIG[[:space:]]+SOA[[:space:]]" "$f" &&
		! grep -q '^; Transfer failed' "$f"; then
		pass "AXFR of $z from 127.0.0.1:$p: $n records, with the SOA's RRSIG"
	else
		fail "AXFR of $z from 127.0.0.1:$p: a signed zone" "$(head -n 20 "$f")"
		return 1
	fi
	out=$(timeout $((30 * SLOW)) ldns-verify-zone "$f" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		pass "ldns-verify-zone: the AXFR of $z is verified and complete"
	else
		fail "ldns-verify-zone: the AXFR of $z is verified and complete" "exit $rc (zone in $f)" "$out"
	fi
	awk '$4 == "DNSKEY" && $5 == 256 { f = 1 } END { exit !f }' "$f" || z_opt=-z
	out=$(timeout $((30 * SLOW)) dnssec-verify $z_opt -o "$z" "$f" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		pass "dnssec-verify ${z_opt:+$z_opt }-o $z: the AXFR is fully signed"
	else
		fail "dnssec-verify ${z_opt:+$z_opt }-o $z: the AXFR is fully signed" "exit $rc (zone in $f)" "$out"
	fi
}

# ---------------------------------------------------------------- ddnsd

# dnssec_populate: the records the DNSSEC checks query, created in $ZONE
# through POST /update with the master token (ONE_ZONE=1): host A, v6 AAAA,
# txt TXT, alias CNAME host, *.wild TXT, a.b A (b is an empty non-terminal).
# One check.
dnssec_populate()
{
	local b ok=1
	for b in '{"subdomain":"host","ip":"192.0.2.1"}' \
		'{"subdomain":"v6","ip":"2001:db8::1"}' \
		'{"subdomain":"txt","type":"TXT","value":"hello world"}' \
		"{\"subdomain\":\"alias\",\"type\":\"CNAME\",\"value\":\"host.$ZONE\"}" \
		'{"subdomain":"*.wild","type":"TXT","value":"wild"}' \
		'{"subdomain":"a.b","ip":"192.0.2.7"}'; do
		upd "$MASTER" "$b"
		[ "$H_CODE" = 200 ] || { ok=0; fail "POST /update $b" "HTTP $H_CODE: $H_BODY"; }
	done
	[ $ok = 1 ] && pass "six records created through POST /update (host, v6, txt, alias, *.wild, a.b)"
	# pools: three IPv4 members one at a time (3 signed sets), two IPv6
	# members both at once (3 sets: either one alone when the other is down)
	api "$MASTER" PUT /pools/lb \
		'{"policy":"round-robin","members":[{"ip":"192.0.2.31"},{"ip":"192.0.2.32"},{"ip":"192.0.2.33"}],"answers":1,"ttl":30}'
	assert_status "PUT /pools/lb (three members, one per answer)" 200
	api "$MASTER" PUT /pools/lb6 \
		'{"policy":"round-robin","members":[{"ip":"2001:db8::31"},{"ip":"2001:db8::32"}],"answers":2,"ttl":30}'
	assert_status "PUT /pools/lb6 (two IPv6 members, both per answer)" 200
	# prefixMatch: "<label>.lbx" answers as lbx, signed as an expansion of *.lbx
	api "$MASTER" PUT /pools/lbx \
		'{"policy":"round-robin","members":[{"ip":"192.0.2.41"},{"ip":"192.0.2.42"}],"answers":1,"ttl":30,"prefixMatch":true}'
	assert_status "PUT /pools/lbx (prefixMatch, two members)" 200
}

# pool_ad NAME TYPE N DESC: N validating queries of a pool name all come back
# NOERROR with ad, and rotation shows more than one member first.
pool_ad()
{
	local n=$1 t=$2 k=$3 desc=$4 i bad=0 first seen=""
	for ((i = 0; i < k; i++)); do
		vq "$n" "$t" >/dev/null
		if ! printf '%s\n' "$VQ" | grep -q 'status: NOERROR' ||
			! printf '%s\n' "$VQ" | grep -Eq '^;; flags:[^;]* ad[ ;]'; then
			bad=$((bad + 1))
			continue
		fi
		first=$(printf '%s\n' "$VQ" | awk -v t="$t" '$4 == t { print $5; exit }')
		case " $seen " in *" $first "*) ;; *) seen="$seen $first" ;; esac
	done
	if [ "$bad" = 0 ] && [ "$(echo $seen | wc -w)" -gt 1 ]; then
		pass "$desc: $k queries, all ad; first members seen:$seen"
	else
		fail "$desc: $k queries all ad, rotating" "not ad: $bad; first members seen:$seen" \
			"last answer:" "$VQ"
	fi
}

# ctl_anchor ZONE ALGNUM FILE: `ddnsctl dnssec dnskey ZONE` exits 0 and
# prints DNSKEY lines only, in zone-file form without parentheses, of
# algorithm ALGNUM, at least one KSK; written to FILE as the anchor; they
# are the DNSKEY RRset the server serves.  Two checks; 1 when there is no
# usable anchor.
ctl_anchor()
{
	local z=$1 alg=$2 f=$3 re served
	ctl dnssec dnskey "$z"
	re="^$(printf '%s' "$z" | sed 's/\./\\./g')\\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+DNSKEY[[:space:]]+(256|257)[[:space:]]+3[[:space:]]+${alg}[[:space:]]+[A-Za-z0-9+/]+=*\$"
	if [ "$CTL_RC" = 0 ] && [ -z "$CTL_ERR" ] && [ -n "$CTL_OUT" ] &&
		! printf '%s\n' "$CTL_OUT" | grep -Evq -- "$re" &&
		printf '%s\n' "$CTL_OUT" | grep -Eq "[[:space:]]DNSKEY[[:space:]]+257[[:space:]]"; then
		pass "ddnsctl dnssec dnskey $z: DNSKEY lines of algorithm $alg with a KSK, one record a line"
	else
		fail "ddnsctl dnssec dnskey $z: DNSKEY lines of algorithm $alg with a KSK, one record a line" \
			"exit $CTL_RC" "stdout:" "$CTL_OUT" "stderr:" "$CTL_ERR" "each line must match: $re"
		return 1
	fi
	printf '%s\n' "$CTL_OUT" | dnskey_norm >"$f"
	served=$(dig @127.0.0.1 -p "$DNS_PORT" +tries=1 +time=$((2 * SLOW)) +norec +nocookie +noall +answer \
		+nosplit "$z" DNSKEY 2>&1 | dnskey_norm | awk '{ $2 = ""; print }' | sort)
	assert_eq "ddnsctl dnssec dnskey $z: the DNSKEY RRset the server serves" \
		"$(awk '{ $2 = ""; print }' "$f" | sort)" "$served"
}
