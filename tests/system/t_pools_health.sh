#!/bin/bash
# t_pools_health.sh - health checks of pool members against real TCP
# listeners on 127.0.0.1:P and 127.0.0.2:P (one port, so one check applies
# to both): a failover pool moves to member 2 within 1 s of member 1's
# listener closing and back within 1 s of it reopening; with every member
# down, allDown open answers with all of them and allDown closed gives
# NODATA; http checks compare the status with `expect`; a hashed client
# whose member is down moves to a healthy one and back.
. "$(dirname "$0")/lib.sh"

ONE_ZONE=1
write_http_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
M=$MASTER
Z=$ZONE
P=$("$PY" "$SYS_DIR/ports.py" 1)
A1=127.0.0.1
A2=127.0.0.2

pool()
{
	api "$M" PUT "/pools/$1" "$2"
	assert_status "PUT /pools/$1" 200
}

# first_of NAME [ARGS...]: the answer's addresses in wire order on one line.
first_of()
{
	timeout 5 "$PY" "$SYS_DIR/pool_probe.py" first "$DNS_PORT" "$@"
}

answers_are() # NAME WANT [ARGS...]
{
	local n=$1 w=$2
	shift 2
	[ "$(first_of "$n" "$@")" = "$w" ]
}

# listener ADDR: starts a TCP/HTTP listener on ADDR:P; its pid in LPID.
listener()
{
	"$PY" "$SYS_DIR/pool_probe.py" listen "$1" "$P" >>"$T_DIR/listen.log" 2>&1 &
	LPID=$!
	BG_PIDS+=("$LPID")
	wait_until 3000 bash -c "echo >/dev/tcp/$1/$P" ||
		fail "listener on $1:$P starts" "$(tail -n 5 "$T_DIR/listen.log")"
}

stop_listener()
{
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# members_up POOL WANT: GET /pools/POOL lists the members' up flags as WANT
# (e.g. [true,false]; prints the reply).
members_up()
{
	api "$M" GET "/pools/$1"
	printf '%s\n' "$H_BODY"
	[ "$(jv '[m["up"] for m in j["members"]]')" = "$2" ]
}

# moves DESC LIMIT_MS NAME WANT [ARGS...]: the answer of NAME becomes WANT
# within LIMIT_MS (one check, with the time it took, or the answer seen
# after 5 s more on failure).
moves()
{
	local desc=$1 limit=$(($2 * SLOW)) n=$3 w=$4 t0 dt
	shift 4
	t0=$(now_ms)
	if wait_until "$limit" answers_are "$n" "$w" "$@"; then
		dt=$(($(now_ms) - t0))
		pass "$desc (${dt} ms)"
		return 0
	fi
	if wait_until 5000 answers_are "$n" "$w" "$@"; then
		fail "$desc within $limit ms" "it took $(($(now_ms) - t0)) ms"
	else
		fail "$desc within $limit ms" "answer after $(($(now_ms) - t0)) ms: $(first_of "$n" "$@")"
	fi
	return 1
}

FAST="\"interval\":0.2,\"timeout\":0.2,\"rise\":1,\"fall\":1"
TWO="[{\"ip\":\"$A1\"},{\"ip\":\"$A2\"}]"

listener $A1
L1=$LPID
listener $A2
L2=$LPID

pool hp "{\"policy\":\"failover\",\"members\":$TWO,\"answers\":2,\"ttl\":10,\"allDown\":\"open\",
	\"check\":{\"type\":\"tcp\",\"port\":$P,$FAST}}"
pool hc "{\"policy\":\"failover\",\"members\":$TWO,\"answers\":2,\"ttl\":10,\"allDown\":\"closed\",
	\"check\":{\"type\":\"tcp\",\"port\":$P,$FAST}}"
pool hs "{\"policy\":\"hashed\",\"members\":$TWO,\"check\":{\"type\":\"tcp\",\"port\":$P,$FAST}}"
pool hok "{\"policy\":\"failover\",\"members\":$TWO,\"allDown\":\"closed\",
	\"check\":{\"type\":\"http\",\"port\":$P,\"path\":\"/ok\",\"expect\":200,$FAST}}"
pool hbad "{\"policy\":\"failover\",\"members\":$TWO,\"allDown\":\"closed\",
	\"check\":{\"type\":\"http\",\"port\":$P,\"path\":\"/bad\",\"expect\":200,$FAST}}"
pool h503 "{\"policy\":\"failover\",\"members\":$TWO,\"allDown\":\"closed\",
	\"check\":{\"type\":\"http\",\"port\":$P,\"path\":\"/bad\",\"expect\":503,$FAST}}"

# fall 3 at 0.4 s: member 1 stays in the answer for at least 0.8 s after its
# listener closes, time enough for the query that checks it stayed
FALL3="\"interval\":0.4,\"timeout\":0.2,\"rise\":1,\"fall\":3"
pool hf "{\"policy\":\"failover\",\"members\":$TWO,\"answers\":2,\"ttl\":10,
	\"check\":{\"type\":\"tcp\",\"port\":$P,$FALL3}}"
for pol in round-robin random weighted least-load hashed; do
	pool "d-$pol" "{\"policy\":\"$pol\",\"members\":[{\"ip\":\"$A1\",\"weight\":5},{\"ip\":\"$A2\"}],
		\"answers\":2,\"check\":{\"type\":\"tcp\",\"port\":$P,$FAST}}"
done

# ---- everything up
sleep 0.6
moves "both up: member 1 first, then member 2" 1000 "hp.$Z" "$A1 $A2"
assert_eventually "GET: both members up" 2 members_up hp '[true,true]'
py_checks pool_probe.py dist "$DNS_PORT" "hp.$Z" 300 --members "$A1,$A2" --answers 2 --ttl 10 \
	--always $A1 --label "failover, both up"

# ---- http checks: the status compared with expect
moves "http check, 200 expected and served: member 1" 1500 "hok.$Z" "$A1"
moves "http check, 200 expected, 503 served: all down, NODATA (closed)" 1500 "hbad.$Z" NODATA
moves "http check, 503 expected and served: member 1" 1500 "h503.$Z" "$A1"
assert_eventually "GET: http check failing, both members down" 2 members_up hbad '[false,false]'

# ---- hashed: a source whose member is 127.0.0.1 (both members up first)
assert_eventually "GET: both members of the hashed pool up" 2 members_up hs '[true,true]'
SRC=
for x in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
	if [ "$(first_of "hs.$Z" --src 127.0.$x.9)" = "$A1" ]; then
		SRC=127.0.$x.9
		break
	fi
done
[ -n "$SRC" ] || fail "hashed: some source of 127.0.0-15.9 gets $A1"

# ---- member 1 goes down
stop_listener "$L1"
t0=$(now_ms)
q +norec "hf.$Z" A
assert_eq "fall 3: member 1 still answered right after its listener closed ($(($(now_ms) - t0)) ms)" \
	2 "$(q_count ANSWER)"
moves "member 1's listener closed: answers move to member 2" 1000 "hp.$Z" "$A2"
moves "allDown closed pool: member 2 only" 1000 "hc.$Z" "$A2"
assert_eventually "GET: member 1 down, member 2 up" 2 members_up hp '[false,true]'
py_checks pool_probe.py dist "$DNS_PORT" "hp.$Z" 300 --members "$A1,$A2" --answers 1 \
	--never $A1 --always $A2 --label "failover, member 1 down"
if [ -n "$SRC" ]; then
	moves "hashed: the client of member 1 moves to member 2" 1000 "hs.$Z" "$A2" --src "$SRC"
else
	fail "hashed: the client of member 1 moves to member 2" "no source of member 1 was found"
fi
for pol in round-robin random weighted least-load hashed; do
	py_checks pool_probe.py dist "$DNS_PORT" "d-$pol.$Z" 300 --members "$A1,$A2" --answers 1 \
		--never $A1 --label "$pol, member 1 down: never handed out"
done
moves "fall 3: member 1 leaves after 3 failed checks" 2000 "hf.$Z" "$A2"
api "$M" PUT /pools/hf "{\"policy\":\"failover\",\"members\":$TWO,\"answers\":2,\"ttl\":11,
	\"check\":{\"type\":\"tcp\",\"port\":$P,$FALL3}}"
assert_status "change only the ttl of hf while member 1 is down" 200
py_checks pool_probe.py dist "$DNS_PORT" "hf.$Z" 200 --members "$A1,$A2" --answers 1 --ttl 11 \
	--never $A1 --label "right after the ttl change: member 1 still not handed out"

# ---- member 1 comes back
listener $A1
L1=$LPID
moves "member 1's listener reopened: answers move back (rise 1)" 1000 "hp.$Z" "$A1 $A2"
if [ -n "$SRC" ]; then
	moves "hashed: the client returns to member 1" 1000 "hs.$Z" "$A1" --src "$SRC"
else
	fail "hashed: the client returns to member 1" "no source of member 1 was found"
fi

# ---- every member down
stop_listener "$L1"
stop_listener "$L2"
moves "all down, allDown closed: NODATA" 1000 "hc.$Z" NODATA
moves "all down, allDown open: all members" 1000 "hp.$Z" "$A1 $A2"
q +norec "hc.$Z" A
check_negative "all down, allDown closed" NOERROR
q +norec "hp.$Z" A
assert_eq "all down, allDown open: the answer" \
	"$(printf 'hp.%s. 10 IN A %s\nhp.%s. 10 IN A %s' "$Z" $A1 "$Z" $A2)" "$(q_section ANSWER)"
assert_eventually "GET: both members down" 2 members_up hp '[false,false]'

# ---- all back
listener $A2
L2=$LPID
moves "member 2 back: the closed pool answers it" 1000 "hc.$Z" "$A2"
moves "member 2 back: the open pool answers it alone" 1000 "hp.$Z" "$A2"
listener $A1
L1=$LPID
moves "member 1 back: both again" 1000 "hp.$Z" "$A1 $A2"
