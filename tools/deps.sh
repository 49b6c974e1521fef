#!/bin/sh
# deps.sh - make sure the Debian packages that ddnsd's build, `make run` and
# `make test` need are installed.  As root, installs what is missing (apt-get);
# otherwise names the missing packages and exits 1.  `--bench` is for `make
# bench` (NSD, Knot, dnsperf); `--test` for `make test` also installs s3rver from
# the npm registry into tests/node.  `--check` only checks the
# build dependencies and says how to get them (used by plain `make`).  The
# test set includes NSD and Knot DNS: the transfer tests run them as
# secondaries of ddnsd on loopback; the DNSSEC tests validate with Unbound,
# delv (bind9-dnsutils), dnssec-verify (bind9-utils) and ldns-verify-zone
# (ldnsutils).
set -u
BUILD="build-essential pkg-config libevent-dev libsqlite3-dev libsodium-dev libyaml-dev
       libjansson-dev liburing-dev libidn2-dev libcurl4-openssl-dev libssl-dev libseccomp-dev
       libcap-ng-dev"
RUN="sqlite3 bind9-dnsutils curl"
TEST="knot-dnsutils python3 python3-dnspython clang libclang-rt-14-dev ddclient inadyn e2fsprogs
      prometheus bind9-utils knot-dnssecutils nsd knot nodejs unbound ldnsutils"
BENCH="nsd knot dnsperf valgrind pdns-server pdns-backend-sqlite3 bind9 wrk gnuplot-nox"
mode=${1:-all}

missing() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s ' "$p"
	done
}

if [ "$mode" = "--check" ]; then
	m=$(missing $BUILD)
	[ -z "$m" ] && exit 0
	echo "deps: missing build packages: $m" >&2
	echo "deps: run 'make deps' as root, or: apt-get install $m" >&2
	exit 1
fi

if [ "$mode" = "--bench" ]; then
	m=$(missing $BUILD $RUN $BENCH)
else
	m=$(missing $BUILD $RUN $TEST)
fi
if [ -n "$m" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing packages: $m" >&2
		echo "deps: run as root: apt-get install $m" >&2
		exit 1
	fi
	echo "deps: installing $m"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q $m >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 &&
		apt-get install -y -q $m >/dev/null; } || { echo "deps: apt-get install failed" >&2; exit 1; }
fi

# the S3-compatible server the backup test uploads to (npm registry), for make test
if [ "$mode" = "--test" ] && command -v npm >/dev/null 2>&1 &&
	[ ! -x tests/node/node_modules/.bin/s3rver ]; then
	echo "deps: installing s3rver (npm) into tests/node"
	npm install --prefix tests/node --no-audit --no-fund --loglevel=error s3rver@3.7.1 >/dev/null 2>&1 ||
		echo "deps: npm install s3rver failed: the S3 part of t_backup will be skipped" >&2
fi

