#!/bin/bash
# t_pools_policies.sh - what each pool policy hands out, measured over many
# UDP queries (pool_probe.py): round-robin and random spread evenly,
# weighted follows the weights, least-load the lowest report, failover the
# first healthy member, hashed one member per client /24; `answers` distinct
# addresses with the chosen one first, the pool's TTL, A for IPv4 members and
# AAAA for IPv6 ones.
. "$(dirname "$0")/lib.sh"

ONE_ZONE=1
write_http_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
M=$MASTER
Z=$ZONE

# pool NAME BODY: PUT /pools/NAME as master (one check).
pool()
{
	api "$M" PUT "/pools/$1" "$2"
	assert_status "PUT /pools/$1" 200
}

# probe ARGS...: pool_probe.py against this daemon.
probe()
{
	local sub=$1
	shift
	py_checks pool_probe.py "$sub" "$DNS_PORT" "$@"
}

first_of()
{
	timeout 5 "$PY" "$SYS_DIR/pool_probe.py" first "$DNS_PORT" "$@"
}

R4=192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4
members4='[{"ip":"192.0.2.1"},{"ip":"192.0.2.2"},{"ip":"192.0.2.3"},{"ip":"192.0.2.4"}]'

# ---- round-robin: 10,000 queries, each member first in 2,500 +- 2 %
pool rr "{\"policy\":\"round-robin\",\"members\":$members4}"
probe dist "rr.$Z" 10000 --sockets 4 --members "$R4" --answers 1 --ttl 30 --label "round-robin" \
	--share 192.0.2.1=0.245:0.255 --share 192.0.2.2=0.245:0.255 \
	--share 192.0.2.3=0.245:0.255 --share 192.0.2.4=0.245:0.255
probe dist "rr.$Z" 400 --members "$R4" --label "round-robin, one client socket" \
	--share 192.0.2.1=0.2475:0.2525 --share 192.0.2.2=0.2475:0.2525 \
	--share 192.0.2.3=0.2475:0.2525 --share 192.0.2.4=0.2475:0.2525

# ---- weighted 3:1
pool w '{"policy":"weighted","members":[{"ip":"192.0.2.21","weight":3},{"ip":"192.0.2.22","weight":1}],"ttl":77}'
probe dist "w.$Z" 10000 --members 192.0.2.21,192.0.2.22 --answers 1 --ttl 77 --label "weighted 3:1" \
	--share 192.0.2.21=0.72:0.78 --share 192.0.2.22=0.22:0.28

# ---- random
pool rnd "{\"policy\":\"random\",\"members\":$members4,\"ttl\":5}"
probe dist "rnd.$Z" 10000 --members "$R4" --answers 1 --ttl 5 --label "random" \
	--share 192.0.2.1=0.20:0.30 --share 192.0.2.2=0.20:0.30 \
	--share 192.0.2.3=0.20:0.30 --share 192.0.2.4=0.20:0.30

# ---- least-load
pool ll '{"policy":"least-load","members":[{"ip":"192.0.2.31"},{"ip":"192.0.2.32"},{"ip":"192.0.2.33"}]}'
for r in 192.0.2.31=5 192.0.2.32=1 192.0.2.33=9; do
	api "$M" POST /pools/ll/report "{\"ip\":\"${r%=*}\",\"load\":${r#*=}}"
	assert_status "least-load: report $r" 200
done
probe dist "ll.$Z" 1000 --members 192.0.2.31,192.0.2.32,192.0.2.33 --answers 1 \
	--label "least-load 5/1/9" --always 192.0.2.32
api "$M" POST /pools/ll/report '{"ip":"192.0.2.32","load":20}'
assert_status "least-load: report 192.0.2.32=20" 200
probe dist "ll.$Z" 1000 --label "least-load 5/20/9" --always 192.0.2.31
api "$M" POST /pools/ll/report '{"ip":"192.0.2.33","load":2}'
probe dist "ll.$Z" 1000 --label "least-load 5/20/2" --always 192.0.2.33
pool ll0 '{"policy":"least-load","members":[{"ip":"192.0.2.35"},{"ip":"192.0.2.36"},{"ip":"192.0.2.37"}],"answers":3}'
api "$M" POST /pools/ll0/report '{"ip":"192.0.2.35","load":5}'
api "$M" POST /pools/ll0/report '{"ip":"192.0.2.36","load":3}'
probe dist "ll0.$Z" 500 --members 192.0.2.35,192.0.2.36,192.0.2.37 --answers 3 \
	--label "least-load, the unreported member counts as 0" --always 192.0.2.37

# ---- failover: the first member, until its check fails
pool fo '{"policy":"failover","members":[{"ip":"192.0.2.51"},{"ip":"192.0.2.52"},{"ip":"192.0.2.53"}]}'
probe dist "fo.$Z" 1000 --members 192.0.2.51,192.0.2.52,192.0.2.53 --answers 1 \
	--label "failover" --always 192.0.2.51
CP=$("$PY" "$SYS_DIR/ports.py" 1)
"$PY" "$SYS_DIR/pool_probe.py" listen 127.0.0.4 "$CP" >"$T_DIR/listen.log" 2>&1 &
BG_PIDS+=("$!")
wait_until 3000 bash -c "echo >/dev/tcp/127.0.0.4/$CP" ||
	fail "check listener on 127.0.0.4:$CP starts" "$(cat "$T_DIR/listen.log")"
pool fo2 "{\"policy\":\"failover\",\"members\":[{\"ip\":\"127.0.0.3\"},{\"ip\":\"127.0.0.4\"}],
	\"check\":{\"type\":\"tcp\",\"port\":$CP,\"interval\":0.2,\"timeout\":0.2,\"rise\":1,\"fall\":1}}"
fo2_moved() { [ "$(first_of "fo2.$Z")" = 127.0.0.4 ]; }
if wait_until 3000 fo2_moved; then
	pass "failover: the first member (no listener) leaves the answer"
else
	fail "failover: the first member (no listener) leaves the answer within 3 s" \
		"answer: $(first_of "fo2.$Z")" "$(api "$M" GET /pools/fo2; echo "$H_BODY")"
fi
probe dist "fo2.$Z" 1000 --members 127.0.0.3,127.0.0.4 --answers 1 --never 127.0.0.3 \
	--label "failover, first member down" --always 127.0.0.4

# ---- hashed: one member per client address (/24)
pool hh "{\"policy\":\"hashed\",\"members\":$members4,\"answers\":2}"
SRCS=127.0.0.1,127.0.0.77,127.0.1.1,127.0.1.200,127.0.2.1,127.0.3.1,127.0.4.1,127.0.5.1
probe hashed "hh.$Z" 1000 "$SRCS" --members "$R4" --answers 2 --min-distinct 2 --label "hashed"

# ---- answers: distinct addresses, the chosen one first
pool rr3 "{\"policy\":\"round-robin\",\"members\":$members4,\"answers\":3,\"ttl\":600}"
probe dist "rr3.$Z" 2000 --members "$R4" --answers 3 --ttl 600 --label "round-robin, answers 3" \
	--share 192.0.2.1=0.24:0.26 --share 192.0.2.2=0.24:0.26 \
	--share 192.0.2.3=0.24:0.26 --share 192.0.2.4=0.24:0.26
pool fo3 '{"policy":"failover","members":[{"ip":"192.0.2.61"},{"ip":"192.0.2.62"},{"ip":"192.0.2.63"},{"ip":"192.0.2.64"}],"answers":3}'
probe dist "fo3.$Z" 500 --members 192.0.2.61,192.0.2.62,192.0.2.63,192.0.2.64 --answers 3 \
	--label "failover, answers 3" --always 192.0.2.61
pool w3 '{"policy":"weighted","members":[{"ip":"192.0.2.71","weight":9},{"ip":"192.0.2.72","weight":1}],"answers":2}'
probe dist "w3.$Z" 2000 --members 192.0.2.71,192.0.2.72 --answers 2 --label "weighted 9:1, answers 2" \
	--share 192.0.2.71=0.86:0.94
pool rr32 "{\"policy\":\"random\",\"members\":$members4,\"answers\":32}"
probe dist "rr32.$Z" 200 --members "$R4" --answers 4 --label "answers 32 with 4 members: all 4" \
	--min-first 4

# ---- address families
pool mix '{"policy":"round-robin","members":[{"ip":"192.0.2.81"},{"ip":"2001:db8::81"},{"ip":"192.0.2.82"},{"ip":"2001:db8::82"}],"answers":2,"ttl":60}'
probe dist "mix.$Z" 400 --members 192.0.2.81,192.0.2.82 --answers 2 --ttl 60 \
	--label "mixed pool, A: the IPv4 members" --min-first 2
probe dist "mix.$Z" 400 --type AAAA --members 2001:db8::81,2001:db8::82 --answers 2 --ttl 60 \
	--label "mixed pool, AAAA: the IPv6 members" --min-first 2
pool six '{"policy":"round-robin","members":[{"ip":"2001:db8::91"},{"ip":"2001:db8::92"}]}'
probe dist "six.$Z" 400 --type AAAA --members 2001:db8::91,2001:db8::92 --answers 1 --ttl 30 \
	--label "IPv6-only pool, AAAA" --share 2001:db8::91=0.45:0.55 --share 2001:db8::92=0.45:0.55
q +norec "rr.$Z" AAAA
check_negative "IPv4-only pool, AAAA: NODATA" NOERROR
q +norec "six.$Z" A
check_negative "IPv6-only pool, A: NODATA" NOERROR
q +norec "rr.$Z" TXT
check_negative "pool name, TXT: NODATA" NOERROR
