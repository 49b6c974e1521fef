# ddnsd - plain Makefile.  `make`, `make run`, `make test`, `make bench`,
# `make fuzz`, `make clean`.  `make SAN=address,undefined` builds a sanitized
# tree under build/san (binaries in build/san/bin).

CC      ?= cc
SAN     ?=
PKGS    := libevent sqlite3 libsodium yaml-0.1 jansson libidn2 libcurl libcrypto libseccomp \
	   libcap-ng

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wpointer-arith -Wcast-qual -Wformat=2 -Wvla -Wimplicit-fallthrough \
	   -Wundef -Wwrite-strings -Werror
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS_COMMON = -std=c11 -D_GNU_SOURCE $(WARN) -fstack-protector-strong -g -I. $(PKG_CFLAGS)

ifeq ($(SAN),)
B       := build/rel
BIN     := bin
CFLAGS  ?= -O2
ALLFLAGS = $(CFLAGS_COMMON) -D_FORTIFY_SOURCE=2 $(CFLAGS)
LDSAN   :=
else
B       := build/san
BIN     := build/san/bin
CFLAGS  ?= -O1
ALLFLAGS = $(CFLAGS_COMMON) $(CFLAGS) -fsanitize=$(SAN) -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
LDSAN   := -fsanitize=$(SAN)
endif

LIB_SRC  := $(wildcard daemon/*.c workers/*.c shm/*.c dns/*.c http/*.c)
LIB_SRC  := $(filter-out daemon/main.c,$(LIB_SRC))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
LIBA     := $(B)/libddnsd.a
LIBS     = $(PKG_LIBS) -luring -lpthread

.PHONY: all run test test-unit test-system test-fuzz bench fuzz clean deps check-deps units
all: check-deps $(BIN)/ddnsd $(BIN)/ddnsctl

check-deps:
	@tools/deps.sh --check

deps:
	@tools/deps.sh

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLFLAGS) -MMD -MP -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/ddnsd: $(B)/daemon/main.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LIBS)

$(BIN)/ddnsctl: $(B)/tools/ddnsctl.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LIBS)

$(B)/bench/answer_ir: $(B)/bench/answer_ir.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LIBS)

$(B)/tests/%: $(B)/tests/unit/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LIBS)

$(B)/tests/fuzz_replay: $(B)/tests/fuzz/replay.o $(B)/tests/fuzz/fuzz_pkt.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LIBS)

$(B)/tests/fuzz_replay_config: $(B)/tests/fuzz/replay.o $(B)/tests/fuzz/fuzz_config.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LIBS)

$(B)/tests/fuzz_replay_zonefile: $(B)/tests/fuzz/replay.o $(B)/tests/fuzz/fuzz_zonefile.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LIBS)

$(B)/tests/fuzz_replay_http: $(B)/tests/fuzz/replay.o $(B)/tests/fuzz/fuzz_http.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LIBS)

$(B)/tests/fuzz_replay_update: $(B)/tests/fuzz/replay.o $(B)/tests/fuzz/fuzz_update.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LIBS)

$(B)/tests/fuzz_replay_tsig: $(B)/tests/fuzz/replay.o $(B)/tests/fuzz/fuzz_tsig.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LIBS)

$(B)/tests/fuzz_replay_dyndns2: $(B)/tests/fuzz/replay.o $(B)/tests/fuzz/fuzz_dyndns2.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LIBS)

units: $(UNIT_BIN) $(B)/tests/fuzz_replay $(B)/tests/fuzz_replay_config $(B)/tests/fuzz_replay_zonefile $(B)/tests/fuzz_replay_http \
	$(B)/tests/fuzz_replay_update $(B)/tests/fuzz_replay_tsig $(B)/tests/fuzz_replay_dyndns2

# ---------------------------------------------------------------- run
DEV_DIR := dev
run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p $(DEV_DIR)
	@test -f $(DEV_DIR)/config.yaml || { cp config.yaml.sample $(DEV_DIR)/config.yaml; \
		echo "created $(DEV_DIR)/config.yaml from config.yaml.sample"; }
	@test -f $(DEV_DIR)/data/ddnsd.db || { $(BIN)/ddnsd -c $(DEV_DIR)/config.yaml --init-db && \
		sqlite3 $(DEV_DIR)/data/ddnsd.db < tools/sample-records.sql && \
		echo "seeded $(DEV_DIR)/data/ddnsd.db with sample records"; }
	@echo "try: dig @127.0.0.1 -p 5353 home.dyn.example.test A"
	exec $(BIN)/ddnsd -c $(DEV_DIR)/config.yaml

# ---------------------------------------------------------------- test
# Unit tests and corpus replay in both builds; the system suite against the
# release build and again against the ASan+UBSan build.
test:
	@tools/deps.sh --test
	@$(MAKE) --no-print-directory -j$$(nproc) all units
	@$(MAKE) --no-print-directory -j$$(nproc) SAN=address,undefined all units
	tests/run-unit.sh build/rel
	tests/run-unit.sh build/san
	$(MAKE) --no-print-directory test-fuzz
	DDNSD_BIN=bin/ddnsd tests/system/run.sh
	DDNSD_BIN=bin/ddnsd DDNSD_IO=recvmmsg tests/system/run.sh $(UDP_TESTS)
	DDNSD_BIN=build/san/bin/ddnsd DDNSD_SAN=1 tests/system/run.sh

test-unit: all units
	tests/run-unit.sh $(B)

test-system: all
	DDNSD_BIN=$(BIN)/ddnsd tests/system/run.sh

# the UDP query path again on the recvmmsg fallback (the main pass takes
# io_uring where the kernel has it)
UDP_TESTS = t_basic.sh t_answers.sh t_edns_tc.sh t_malformed.sh t_wildcard.sh t_tcp.sh \
	    t_attack_tcpflood.sh \
	    t_tsig.sh t_nsupdate.sh t_pools_policies.sh t_process.sh t_ctl_basic.sh

# brief libFuzzer run (clang) when available; the corpus replay above always runs
FUZZ_SECONDS ?= 10
test-fuzz:
	@if command -v clang >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory -j$$(nproc) build/fuzz/fuzz_pkt build/fuzz/fuzz_config build/fuzz/fuzz_zonefile build/fuzz/fuzz_http \
			build/fuzz/fuzz_update build/fuzz/fuzz_tsig build/fuzz/fuzz_dyndns2 && \
		tests/fuzz/run.sh $(FUZZ_SECONDS); \
	else echo "clang not found: skipping libFuzzer run"; fi

FUZZ_TARGET ?= pkt
fuzz:
	@$(MAKE) --no-print-directory build/fuzz/fuzz_$(FUZZ_TARGET)
	@mkdir -p build/fuzz/corpus$(if $(filter-out pkt,$(FUZZ_TARGET)),-$(FUZZ_TARGET))
	build/fuzz/fuzz_$(FUZZ_TARGET) build/fuzz/corpus$(if $(filter-out pkt,$(FUZZ_TARGET)),-$(FUZZ_TARGET)) \
		tests/fuzz/corpus$(if $(filter-out pkt,$(FUZZ_TARGET)),-$(FUZZ_TARGET))

FUZZ_LIB_SRC := $(filter shm/% dns/% daemon/log.c daemon/util.c,$(LIB_SRC))
build/fuzz/fuzz_pkt: tests/fuzz/fuzz_pkt.c $(FUZZ_LIB_SRC) $(wildcard shm/*.h dns/*.h daemon/*.h)
	@mkdir -p build/fuzz/corpus
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined \
		-o $@ tests/fuzz/fuzz_pkt.c $(FUZZ_LIB_SRC) $(shell pkg-config --libs libsodium libcrypto)

build/fuzz/fuzz_update: tests/fuzz/fuzz_update.c $(FUZZ_LIB_SRC) $(wildcard shm/*.h dns/*.h daemon/*.h)
	@mkdir -p build/fuzz/corpus-update
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined \
		-o $@ tests/fuzz/fuzz_update.c $(FUZZ_LIB_SRC) $(shell pkg-config --libs libsodium libcrypto)

CFG_FUZZ_SRC := daemon/config.c daemon/config_check.c daemon/config_schema.c daemon/config_value.c daemon/log.c daemon/util.c daemon/clientip.c
build/fuzz/fuzz_config: tests/fuzz/fuzz_config.c $(CFG_FUZZ_SRC) daemon/config.h daemon/config_int.h daemon/config_value.h
	@mkdir -p build/fuzz/corpus-config
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined \
		-o $@ tests/fuzz/fuzz_config.c $(CFG_FUZZ_SRC) $(shell pkg-config --libs yaml-0.1 libsodium)

build/fuzz/fuzz_tsig: tests/fuzz/fuzz_tsig.c $(FUZZ_LIB_SRC) $(wildcard shm/*.h dns/*.h daemon/*.h)
	@mkdir -p build/fuzz/corpus-tsig
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined \
		-o $@ tests/fuzz/fuzz_tsig.c $(FUZZ_LIB_SRC) $(shell pkg-config --libs libsodium libcrypto)

# dyndns2.c and acme.c also hold their handlers, which reach most of the
# library (server, writer, db): the whole library is linked in, compiled
# once for both targets.
FUZZ_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. $(PKG_CFLAGS) -MMD -MP \
		-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -c $< -o $@
-include $(FUZZ_OBJ:.o=.d)
build/fuzz/libddnsd.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^
build/fuzz/fuzz_http build/fuzz/fuzz_dyndns2: build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c build/fuzz/libddnsd.a
	@mkdir -p build/fuzz/corpus-$*
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. $(PKG_CFLAGS) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ tests/fuzz/fuzz_$*.c build/fuzz/libddnsd.a $(LIBS)

build/fuzz/fuzz_zonefile: tests/fuzz/fuzz_zonefile.c $(FUZZ_LIB_SRC) $(wildcard shm/*.h dns/*.h daemon/*.h)
	@mkdir -p build/fuzz/corpus-zonefile
	clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined \
		-o $@ tests/fuzz/fuzz_zonefile.c $(FUZZ_LIB_SRC) $(shell pkg-config --libs libsodium libcrypto)

# ---------------------------------------------------------------- bench
BENCH_N ?= 100000
BENCH_T ?= 10
BENCH_R ?= 5
BENCH_UPDATES_N ?= 20000
BENCH_UPDATES_R ?= 3
# BENCH_QUICK=1: a short look (small zone, 3 rounds of 2 s, no pool or 1M runs; under 6 minutes)
ifeq ($(BENCH_QUICK),1)
BENCH_N := 10000
BENCH_T := 2
BENCH_R := 3
BENCH_UPDATES_N := 2000
BENCH_UPDATES_R := 1
BENCH_UPDATE_PEERS := knot pdns project
BENCH_MIXED := -t 3 -r 1
BENCH_DNSSEC := --quick
BENCH_ABUSE := -n 10000 -t 4 -r 1
BENCH_SYSCALLS := -t 2
BENCH_POOL :=
BENCH_FALLBACK_PEERS := reflector project
BENCH_HTTP_CONNS := 64 1
BENCH_CALLGRIND := 10000 20000
BENCH_1M :=
BENCH_SUSTAINED :=
else
BENCH_UPDATE_PEERS := knot bind pdns project
BENCH_POOL := 1
BENCH_MIXED := -t $(BENCH_T)
BENCH_DNSSEC :=
BENCH_ABUSE :=
BENCH_SYSCALLS :=
BENCH_FALLBACK_PEERS := reflector knot project
BENCH_HTTP_CONNS := 64 4 1
BENCH_CALLGRIND := 100000 200000
BENCH_1M := 1
BENCH_SUSTAINED := 1
endif
bench:
	@tools/deps.sh --bench
	@$(MAKE) --no-print-directory all $(B)/bench/answer_ir
	flock /tmp/ddnsd-bench.lock env PROJECT_CMD='$(CURDIR)/bin/ddnsd -c "$$BENCH_DIR/ddnsd.yaml"' \
		PROJECT_PORT=15350 PROJECT_SETUP='$(CURDIR)/bench/bench-config.sh' \
		../shared/bench/peers.sh -n $(BENCH_N) -t $(BENCH_T) -r $(BENCH_R) \
		-p "reflector reflector-uring nsd knot project" -o bench-summary.md
	flock /tmp/ddnsd-bench.lock env DDNSD_IO=recvmmsg \
		PROJECT_CMD='$(CURDIR)/bin/ddnsd -c "$$BENCH_DIR/ddnsd.yaml"' \
		PROJECT_PORT=15350 PROJECT_SETUP='$(CURDIR)/bench/bench-config.sh' \
		../shared/bench/peers.sh -n $(BENCH_N) -t $(BENCH_T) -r $(BENCH_R) \
		-p "$(BENCH_FALLBACK_PEERS)" -o bench-summary-recvmmsg.md
	env PROJECT_CMD='$(CURDIR)/bin/ddnsd -c "$$BENCH_DIR/ddnsd.yaml"' \
		PROJECT_DNS_PORT=15750 PROJECT_HTTP_PORT=15751 \
		PROJECT_SETUP='$(CURDIR)/bench/bench-config.sh' HTTP_CONNS="$(BENCH_HTTP_CONNS)" \
		../shared/bench/updates.sh -n $(BENCH_UPDATES_N) -t $(BENCH_T) -r $(BENCH_UPDATES_R) \
		-s "dnsupdate http visible mixed" -p "$(BENCH_UPDATE_PEERS)" -o bench-updates.md
	$(if $(BENCH_SUSTAINED),env PROJECT_CMD='$(CURDIR)/bin/ddnsd -c "$$BENCH_DIR/ddnsd.yaml"' \
		PROJECT_DNS_PORT=15750 PROJECT_HTTP_PORT=15751 \
		PROJECT_SETUP='$(CURDIR)/bench/bench-config.sh' HTTP_CONNS=64 \
		../shared/bench/updates.sh -n $(BENCH_UPDATES_N) -t 75 -r 1 -s http -p project \
		-o bench-sustained.md)
	flock /tmp/ddnsd-bench.lock bench/mixed-worker.sh $(BENCH_MIXED) | tee bench-mixed-worker.md
	flock /tmp/ddnsd-bench.lock bench/dnssec-bench.sh $(BENCH_DNSSEC) | tee bench-dnssec.md
	flock /tmp/ddnsd-bench.lock bench/abuse-bench.sh $(BENCH_ABUSE) | tee bench-abuse.md
	$(if $(BENCH_POOL),flock /tmp/ddnsd-bench.lock bench/pool-bench.sh)
	bench/callgrind.sh $(BENCH_CALLGRIND) | tee bench-callgrind.md
	flock /tmp/ddnsd-bench.lock bench/syscalls.sh $(BENCH_SYSCALLS) | tee bench-syscalls.md
	$(if $(BENCH_1M),flock /tmp/ddnsd-bench.lock env PROJECT_CMD='$(CURDIR)/bin/ddnsd -c "$$BENCH_DIR/ddnsd.yaml"' \
		PROJECT_PORT=15350 PROJECT_SETUP='$(CURDIR)/bench/bench-config.sh' \
		../shared/bench/peers.sh -n 1000000 -t 2 -r 1 -p "nsd knot project" -o bench-1m.md)
	$(if $(BENCH_1M),flock /tmp/ddnsd-bench.lock bench/zone-sizes.sh | tee bench-zone-sizes.md)

clean:
	rm -rf build bin

.SECONDARY:
-include $(LIB_OBJ:.o=.d) $(B)/daemon/main.d $(B)/tools/ddnsctl.d $(UNIT_SRC:tests/unit/%.c=$(B)/tests/unit/%.d) \
	$(wildcard $(B)/tests/fuzz/*.d)
