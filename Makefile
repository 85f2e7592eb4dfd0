# Makefile for smtpd and mailc.
#
#   make            build smtpd/smtpd and mailc/mailc (-std=c11 -Wall -Wextra -Werror)
#   make run        build and run smtpd in the foreground on etc/smtpd.conf
#   make layers     check that every #include points down the layers
#   make mutate     invert each assertion of a sample of tests: each must fail
#   make test       build and run the bats suite (t/*.bats), BATS_JOBS tests at a time
#   make asan       build with address+undefined sanitizers into build/asan and run the suite
#   make fuzz       build the libFuzzer harnesses and run each for a short while
#   make bench      every load scenario against fresh daemons, beside the disk's limit
#   make bench-idle hold 10,000 idle sessions, their memory, then one message
#   make bench-queue the relay child's CPU per queued message past a deep queue
#   make install    install binaries, man pages, units, samples and a config
#                   (see "Install" below and README.md)
#   make uninstall  remove what install added, never the config or the mail
#   make test-tools install what `make test` runs (as root, with apt-get)
#   make clean

SHELL       = /bin/bash
# where `make install` puts things (give the same values to `make`: the
# default config and Maildir skeleton paths are compiled in)
PREFIX     ?= /usr/local
SYSCONFDIR ?= $(PREFIX)/etc
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share/smtpd
# systemd reads system units from /usr/local/lib/systemd/system and
# /usr/lib/systemd/system (systemd.unit(5)); /etc/systemd/system otherwise
UNITDIR    ?= $(PREFIX)/lib/systemd/system
MAILROOT   ?= /var/mail
QUEUEDIR   ?= /var/spool/smtpd
RUNUSER    ?= _smtpd
CONFDIR     = $(SYSCONFDIR)/smtpd
CC         ?= cc
CFLAGS     ?= -O2 -g
WARN        = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
DEFS        = -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
              -DSYSCONFDIR=\"$(SYSCONFDIR)\" -DSKELDIR=\"$(DATADIR)/maildir-skel\"
CPPFLAGS   += -Ilib $(DEFS)
SMTPD_CPPFLAGS = -Ismtpd
LDLIBS_SMTPD = -lcrypt -lresolv
LDLIBS_MAILC =
# every symbol bound at start and the GOT read-only (full RELRO): the
# master binds them once, so a session child neither writes the GOT nor
# runs the lazy binder (fewer private pages and faults per fork)
LDNOW       = -Wl,-z,relro -Wl,-z,now

# TLS=1: STARTTLS and implicit TLS with libtls (Debian: libtls-dev), the
# one optional dependency (lib/tlsio.h); TLS=0, the default: POSIX and
# the C library only.  The variant is kept in $(B)/.variant, so that
# switching rebuilds everything.
TLS        ?= 0
ifeq ($(TLS),1)
CPPFLAGS   += -DHAVE_TLS
LDLIBS_SMTPD += -ltls
LDLIBS_MAILC += -ltls
endif
VARIANT     = TLS=$(TLS)

B          ?= .
LIB_SRC    = $(wildcard lib/*.c)
SMTPD_SRC  = $(wildcard smtpd/*.c smtpd/*/*.c)
MAILC_SRC  = $(wildcard mailc/*.c)
HDRS       = $(wildcard lib/*.h smtpd/*.h smtpd/*/*.h mailc/*.h)
LIB_OBJ    = $(LIB_SRC:%.c=$(B)/%.o)
SMTPD_OBJ  = $(SMTPD_SRC:%.c=$(B)/%.o)
MAILC_OBJ  = $(MAILC_SRC:%.c=$(B)/%.o)

all: $(B)/smtpd/smtpd $(B)/mailc/mailc

# rewritten only when the variant changes (so `make -q` stays true when
# nothing did)
ifneq ($(shell cat $(B)/.variant 2>/dev/null),$(VARIANT))
$(B)/.variant: FORCE
endif
$(B)/.variant:
	@mkdir -p $(@D); echo "$(VARIANT)" > $@
FORCE:

$(B)/%.o: %.c $(HDRS) $(B)/.variant
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# smtpd's own headers are named from smtpd/: "conf.h", "store/queue.h"
$(SMTPD_OBJ): CPPFLAGS += $(SMTPD_CPPFLAGS)

$(B)/lib/libmail.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(B)/smtpd/smtpd: $(SMTPD_OBJ) $(B)/lib/libmail.a
	$(CC) $(CFLAGS) $(LDFLAGS) $(LDNOW) -o $@ $(SMTPD_OBJ) $(B)/lib/libmail.a $(LDLIBS_SMTPD)

$(B)/mailc/mailc: $(MAILC_OBJ) $(B)/lib/libmail.a
	$(CC) $(CFLAGS) $(LDFLAGS) $(LDNOW) -o $@ $(MAILC_OBJ) $(B)/lib/libmail.a $(LDLIBS_MAILC)

run: all
	./smtpd/smtpd -f etc/smtpd.conf

# prove the tests can fail: invert each assertion of a sample of tests,
# one at a time, and see the test fail (t/mutate.sh; MUTATE_FLAGS="-n 0"
# for every test)
MUTATE_FLAGS ?=
mutate: all test-tools
	SMTPD_BIN=$(CURDIR)/smtpd/smtpd MAILC_BIN=$(CURDIR)/mailc/mailc t/mutate.sh $(MUTATE_FLAGS)

# every #include points down the layers (DESIGN.md §1; .ci/layers)
layers:
	./.ci/layers

# What `make test` runs, each as COMMAND:PACKAGE (Debian's package that
# has it): bats-core runs the suite, python3 the protocol helpers, mandoc
# lints the man pages (t/docs.bats), systemd's tools activate sockets and
# verify the units, setpriv runs a check as nobody, GNU parallel runs
# bats' jobs (BATS_JOBS), flock and ss pick the tests' free ports;
# libtls-dev builds the TLS variant the suite runs on, openssl makes its
# certificates, swaks, msmtp and mpop are TLS clients nobody here wrote.
# Missing ones are installed with apt-get when root, else named with
# their packages.
BATS = bats
TEST_TOOLS = $(BATS):bats parallel:parallel python3:python3 mandoc:mandoc \
             systemd-socket-activate:systemd systemd-analyze:systemd \
             setpriv:util-linux flock:util-linux ss:iproute2 \
             s-nail:s-nail php:php-cli \
             /usr/lib/git-core/git-send-email:git-email \
             /usr/include/tls.h:libtls-dev openssl:openssl swaks:swaks \
             msmtp:msmtp mpop:mpop
test-tools:
	@missing=; pkgs=; \
	for t in $(TEST_TOOLS); do \
	  case $${t%%:*} in /*) [ -e "$${t%%:*}" ];; \
	    *) command -v "$${t%%:*}" >/dev/null 2>&1;; esac && continue; \
	  missing="$$missing $${t%%:*}"; \
	  case " $$pkgs " in *" $${t#*:} "*) ;; *) pkgs="$$pkgs $${t#*:}";; esac; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "not found:$$missing: installing$$pkgs with apt-get"; \
	  (DEBIAN_FRONTEND=noninteractive apt-get install -y $$pkgs >/dev/null 2>&1 || \
	   { apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y $$pkgs >/dev/null; }) || \
	  { echo "could not install$$pkgs: install them and re-run"; exit 1; }; \
	else \
	  echo "needed for 'make test' but not found:$$missing: install the package(s)$$pkgs"; exit 1; \
	fi

# the old name
bats-check: test-tools

# mail(1) of bsd-mailx for t/sendmail_callers.bats, and Postfix, the peer
# of t/postfix.bats.  bsd-mailx's package depends on an MTA, and
# installing one (Postfix) would take over /usr/sbin/sendmail: so they are
# unpacked (apt-get download, dpkg -x) under build/debs, never installed,
# with the library bsd-mailx needs (Postfix's are on the machine already).
TEST_DEBS = bsd-mailx liblockfile1 postfix
DEBS_DIR  = $(CURDIR)/build/debs
test-debs:
	@[ -x $(DEBS_DIR)/usr/bin/bsd-mailx ] && \
	  [ -x $(DEBS_DIR)/usr/lib/postfix/sbin/master ] && exit 0; \
	rm -rf $(DEBS_DIR) && mkdir -p $(DEBS_DIR)/pkg && cd $(DEBS_DIR)/pkg && \
	{ apt-get download $(TEST_DEBS) >/dev/null 2>&1 || \
	  { apt-get update >/dev/null 2>&1 && apt-get download $(TEST_DEBS) >/dev/null; }; } && \
	for d in *.deb; do dpkg -x "$$d" $(DEBS_DIR) || exit 1; done || \
	{ echo "could not unpack $(TEST_DEBS) into $(DEBS_DIR)"; exit 1; }

# The suite runs BATS_JOBS files at a time, each BATS_JOBS tests at a time
# (bats --jobs, with GNU parallel): most of a test's time is spent waiting
# (for a daemon, a timeout, a retry), so more jobs than processors pay.
# Each test has its own root and its own ports (t/helpers.bash's
# free_port), so tests of any file may run together; but the files of
# BATS_SERIAL run afterwards, one test at a time, alone:
#   login_limits.bats  compares the time failed logins take, and counts
#                      the password hashes running at once against half
#                      the processors
#   mx.bats            checks that a verify over five hanging hosts takes
#                      one verify_timeout (3 s), at most 5 s in all
#   relay_crash.bats   3,000 messages relayed under SIGKILLs: the machine's
#                      whole worth of processes and disk
# BATS_JOBS=1 runs everything one at a time, as before.
BATS_JOBS   ?= 2
# more options for both runs, e.g. BATS_FLAGS=--timing
BATS_FLAGS  ?=
BATS_SERIAL ?= t/login_limits.bats t/mx.bats t/relay_crash.bats
# the files to run (.ci/run runs the TLS files alone on one build)
BATS_FILES  ?= $(wildcard t/*.bats)
BATS_PARALLEL = $(filter-out $(BATS_SERIAL),$(BATS_FILES))
BATS_SERIAL_RUN = $(filter $(BATS_SERIAL),$(BATS_FILES))

# TAP_JOIN FILE...: the TAP of bats runs one after another as one, under
# one plan, each run's tests numbered on from the last
TAP_JOIN = awk 'FNR == 1 && /^1\.\.[0-9]+$$/ { base = total; total += substr($$0, 4); next } \
	  match($$0, /^(not )?ok [0-9]+/) { head = substr($$0, 1, RLENGTH); \
	    tail = substr($$0, RLENGTH + 1); n = head; sub(/.* /, "", n); \
	    sub(/[0-9]+$$/, n + base, head); $$0 = head tail } \
	  { out[++k] = $$0 } END { print "1.." total; for (i = 1; i <= k; i++) print out[i] }'

# run the suite (the files of BATS_PARALLEL BATS_JOBS at a time, then
# those of BATS_SERIAL alone; either run is left out when it has no
# files: bats given none fails), keep its TAP output in build/NAME.tap,
# and end with one "N passed, N failed" line
define run_bats
	@mkdir -p build; export SMTPD_BIN=$(1) MAILC_BIN=$(2) SMTPD_TLS=$(TEST_TLS); rc=0; \
	$(if $(strip $(BATS_PARALLEL)),$(BATS) --tap $(BATS_FLAGS) $(if $(filter-out 0 1,$(BATS_JOBS)),--jobs $(BATS_JOBS)) $(BATS_PARALLEL) \
	  | tee build/$(3).1.tap; [ "$${PIPESTATUS[0]}" = 0 ] || rc=1;) \
	$(if $(strip $(BATS_SERIAL_RUN)),$(BATS) --tap $(BATS_FLAGS) $(BATS_SERIAL_RUN) \
	  | tee build/$(3).2.tap; [ "$${PIPESTATUS[0]}" = 0 ] || rc=1;) \
	$(TAP_JOIN) $(if $(strip $(BATS_PARALLEL)),build/$(3).1.tap) $(if $(strip $(BATS_SERIAL_RUN)),build/$(3).2.tap) >build/$(3).tap && \
	rm -f build/$(3).1.tap build/$(3).2.tap; \
	echo "$(3): $$(grep -c '^ok ' build/$(3).tap) passed, $$(grep -c '^not ok ' build/$(3).tap) failed"; \
	exit $$rc
endef

# make test runs the suite on the TLS build (TLS=1 unless TLS= is given
# on the command line: `make test TLS=0` runs it on the default build,
# as .ci/run does too); so does make asan
TEST_TLS = $(if $(filter command line,$(origin TLS)),$(TLS),1)

test: test-tools test-debs
	$(MAKE) TLS=$(TEST_TLS) all
	$(call run_bats,$(CURDIR)/smtpd/smtpd,$(CURDIR)/mailc/mailc,test)

# each variant in a directory of its own (build/asan, build/asan-tls),
# so that .ci/run's two sanitizer runs do not rebuild each other's
ASAN_B = build/asan$(if $(filter 1,$(TEST_TLS)),-tls)
asan: export ASAN_OPTIONS = detect_leaks=0:abort_on_error=1
asan: export UBSAN_OPTIONS = print_stacktrace=1:halt_on_error=1
asan: test-tools
	$(MAKE) B=$(ASAN_B) CC=clang TLS=$(TEST_TLS) \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" all
	$(MAKE) test-debs
	$(call run_bats,$(CURDIR)/$(ASAN_B)/smtpd/smtpd,$(CURDIR)/$(ASAN_B)/mailc/mailc,$(notdir $(ASAN_B)))

# libFuzzer harnesses, one per parser that reads the network or a file
# (fuzz/README.md).  lib/ and smtpd/ (but main.c) are compiled once with
# coverage and sanitizers, then linked into each fuzz/fuzz_*.c.
#   make fuzz                  build all, run each for FUZZ_SECONDS (20)
#   make fuzz FUZZ_SECONDS=5   the quick smoke run for CI
#   make fuzz-addr             run one (fuzz/fuzz_addr.c), same variables
# New corpus entries go to build/fuzz/corpus-NAME; the seeds in
# fuzz/seeds/NAME, the past crashes in fuzz/crashes/NAME (regressions)
# and fuzz/NAME.dict are read too.  New crashes go to
# build/fuzz/artifacts/NAME/, the output to build/fuzz/NAME.log.
FUZZ_NAMES   = $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_TARGETS = $(FUZZ_NAMES:%=build/fuzz/%)
FUZZ_RUNS    = $(FUZZ_NAMES:fuzz_%=fuzz-%)
FUZZ_SECONDS ?= 20
FUZZ_MAX_LEN ?= 4096
# fuzz_dot: DATA lines longer than smtp/data.c's 8 KB chunks and lineio's buffer
FUZZ_MAX_LEN_dot ?= 40000
# fuzz_msghdr: header lines longer than lib/msghdr.c's 8 KB read buffer
FUZZ_MAX_LEN_msghdr ?= 40000
FUZZ_FLAGS   ?=
FUZZ_SAN     = address,undefined
FUZZ_CFLAGS  = $(WARN) -Wno-strict-prototypes $(CPPFLAGS) -Ismtpd -DFUZZING \
               -g -O1 -fno-omit-frame-pointer
FUZZ_OBJ     = $(patsubst %.c,build/fuzz/obj/%.o,$(LIB_SRC) \
                 $(filter-out smtpd/main.c,$(SMTPD_SRC)))
# fuzz/fuzz_mailc_*.c test mailc's parsers: lib/ and mailc/ (but main.c)
FUZZ_MAILC_TARGETS = $(filter build/fuzz/fuzz_mailc_%,$(FUZZ_TARGETS))
FUZZ_MAILC_OBJ = $(patsubst %.c,build/fuzz/obj/%.o,$(LIB_SRC) \
                   $(filter-out mailc/main.c,$(MAILC_SRC)))

$(sort $(FUZZ_OBJ) $(FUZZ_MAILC_OBJ)): build/fuzz/obj/%.o: %.c $(HDRS)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<

$(filter-out $(FUZZ_MAILC_TARGETS),$(FUZZ_TARGETS)): build/fuzz/%: fuzz/%.c $(wildcard fuzz/*.h) $(FUZZ_OBJ)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< \
	  $(FUZZ_OBJ) -lcrypt -lresolv

$(FUZZ_MAILC_TARGETS): build/fuzz/%: fuzz/%.c $(wildcard fuzz/*.h) $(FUZZ_MAILC_OBJ)
	clang $(FUZZ_CFLAGS) -Imailc -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< \
	  $(FUZZ_MAILC_OBJ)

# -close_fd_mask=2: the daemon's logs go nowhere, libFuzzer's report
# (and any sanitizer's) still reaches the log
$(FUZZ_RUNS): fuzz-%: build/fuzz/fuzz_%
	@n=fuzz_$*; mkdir -p build/fuzz/corpus-$$n build/fuzz/artifacts/$$n; \
	echo "fuzzing $$n for $(FUZZ_SECONDS)s"; \
	build/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=$(or $(FUZZ_MAX_LEN_$*),$(FUZZ_MAX_LEN)) \
	  -timeout=10 -close_fd_mask=2 -print_final_stats=1 \
	  -artifact_prefix=build/fuzz/artifacts/$$n/ $(FUZZ_FLAGS) \
	  $(if $(wildcard fuzz/fuzz_$*.dict),-dict=fuzz/fuzz_$*.dict) \
	  build/fuzz/corpus-$$n $(wildcard fuzz/seeds/fuzz_$*) \
	  $(wildcard fuzz/crashes/fuzz_$*) \
	  >build/fuzz/$$n.log 2>&1 || { tail -40 build/fuzz/$$n.log; exit 1; }; \
	grep -h '^stat::number_of_executed_units' build/fuzz/$$n.log | \
	  sed "s/^stat::number_of_executed_units: */  $$n: runs /"

fuzz: $(FUZZ_RUNS)

.PHONY: $(FUZZ_RUNS)

# the load generator and the disk's durable-write probe (bench/README.md)
BENCH_BIN = build/bench/smtpload build/bench/fsyncbench
$(BENCH_BIN): build/bench/%: bench/%.c bench/bench.h $(B)/lib/libmail.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/lib/libmail.a $(LDLIBS_MAILC)

# bench: every scenario of bench/README.md against fresh daemons (1 KiB and
# 100 KiB, 1 and 50 sessions, one and many messages a connection,
# PIPELINING, the relay across two daemons, STARTTLS on the TLS build),
# each beside fsyncbench's durable-write limit at its concurrency and size;
# a median of BENCH_REPEAT (3) runs within BENCH_BUDGET (240) seconds; one
# table, also written to build/bench/bench-YYYYmmdd-HHMMSS.txt.  On the TLS
# build as make test (`make bench TLS=0`: without the STARTTLS row).
# bench-idle: BENCH_IDLE_N (10000) idle sessions held, their PSS, then one
# message's latency.  bench-queue: the relay child's CPU per message past a
# deep queue (not in `make bench`: it takes minutes).
bench:
	$(MAKE) TLS=$(TEST_TLS) all $(BENCH_BIN)
	BENCH_TLS_BUILD=$(TEST_TLS) ./bench/bench.sh

bench-idle:
	$(MAKE) TLS=$(TEST_TLS) all $(BENCH_BIN)
	BENCH_TLS_BUILD=$(TEST_TLS) ./bench/bench.sh idle

bench-queue: all
	./bench/queue.sh

# Install.  The units, the inetd lines and the sample config name the
# default paths (/usr/local/sbin/smtpd, /usr/local/etc/smtpd,
# /usr/local/share/smtpd, /var/mail, /var/spool/smtpd, user _smtpd):
# INSTALL_PATHS rewrites them to the ones given, each first to a marker so
# that no value is rewritten twice.  The config and the accounts file are
# the admin's: installed only when missing, never removed.  As root and
# without DESTDIR, a missing RUNUSER is created as a system user (a
# package does that in its postinst) and the accounts file is given its
# group (smtpd re-reads it as that user); then smtpd -n checks the result.
UNITS = $(notdir $(wildcard etc/systemd/*.service etc/systemd/*.socket))
MAN1  = man/mailc.1
MAN5  = man/smtpd.conf.5
MAN8  = man/smtpd.8
INSTALL_PATHS = sed \
  -e 's|/usr/local/sbin/smtpd|@SBIN@|g' -e 's|/usr/local/etc/smtpd|@CONF@|g' \
  -e 's|/usr/local/share/smtpd|@DATA@|g' -e 's|/var/spool/smtpd|@QUEUE@|g' \
  -e 's|/var/mail|@MAIL@|g' -e 's|\<_smtpd\>|@USER@|g' \
  -e 's|@SBIN@|$(SBINDIR)/smtpd|g' -e 's|@CONF@|$(CONFDIR)|g' \
  -e 's|@DATA@|$(DATADIR)|g' -e 's|@QUEUE@|$(QUEUEDIR)|g' \
  -e 's|@MAIL@|$(MAILROOT)|g' -e 's|@USER@|$(RUNUSER)|g'
# install_paths SOURCE,TARGET: SOURCE with its paths rewritten, mode 644
install_paths = $(INSTALL_PATHS) $(1) >$(2).new && chmod 644 $(2).new && mv -f $(2).new $(2)
AS_ROOT_HERE = [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]
# mailc answers to the name sendmail (mailc(1) SENDMAIL): a symbolic link
# in SBINDIR, made only where no other sendmail is, removed only if ours
SENDMAIL_LINK = $(DESTDIR)$(SBINDIR)/sendmail
SENDMAIL_OURS = [ -L $(SENDMAIL_LINK) ] && [ "$$(readlink $(SENDMAIL_LINK))" = $(BINDIR)/mailc ]

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(CONFDIR) $(DESTDIR)$(UNITDIR) \
	  $(DESTDIR)$(DATADIR)/maildir-skel/cur $(DESTDIR)$(DATADIR)/maildir-skel/new \
	  $(DESTDIR)$(DATADIR)/maildir-skel/tmp
	install -m 755 $(B)/smtpd/smtpd $(DESTDIR)$(SBINDIR)/smtpd
	install -m 755 $(B)/mailc/mailc $(DESTDIR)$(BINDIR)/mailc
	@if $(SENDMAIL_OURS) || ! [ -e $(SENDMAIL_LINK) -o -L $(SENDMAIL_LINK) ]; then \
	  ln -sfn $(BINDIR)/mailc $(SENDMAIL_LINK) && echo "$(SENDMAIL_LINK) -> $(BINDIR)/mailc"; \
	else \
	  echo "$(SENDMAIL_LINK): another sendmail, kept: mailc's link not made"; \
	fi
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	$(foreach u,$(UNITS),$(call install_paths,etc/systemd/$(u),$(DESTDIR)$(UNITDIR)/$(u)) && ) true
	$(call install_paths,etc/inetd.conf,$(DESTDIR)$(CONFDIR)/inetd.conf.sample)
	$(call install_paths,etc/smtpd.conf.sample,$(DESTDIR)$(CONFDIR)/smtpd.conf.sample)
	install -m 644 etc/mailc.conf $(DESTDIR)$(SYSCONFDIR)/mailc.conf.sample
	@c=$(DESTDIR)$(CONFDIR)/smtpd.conf; \
	if [ -e "$$c" ] || [ -L "$$c" ]; then \
	  echo "$$c: kept (the new sample is smtpd.conf.sample)"; \
	else \
	  cp $(DESTDIR)$(CONFDIR)/smtpd.conf.sample "$$c" && chmod 644 "$$c" && \
	  echo "$$c: installed from the sample"; \
	fi
	@if $(AS_ROOT_HERE) && ! id -u $(RUNUSER) >/dev/null 2>&1; then \
	  if getent group $(RUNUSER) >/dev/null 2>&1; then g="-g $(RUNUSER)"; \
	  else g=--user-group; fi; \
	  echo "useradd --system $$g $(RUNUSER) (smtpd runs as it)"; \
	  useradd --system $$g --no-create-home --home-dir /nonexistent \
	    --shell "$$(command -v nologin || echo /bin/false)" $(RUNUSER); \
	fi
	@p=$(DESTDIR)$(CONFDIR)/passwd; \
	if [ -e "$$p" ] || [ -L "$$p" ]; then \
	  echo "$$p: kept"; \
	else \
	  (umask 077 && : >"$$p") && chmod 640 "$$p" && \
	  if $(AS_ROOT_HERE) && g=$$(id -gn $(RUNUSER) 2>/dev/null); then \
	    chgrp "$$g" "$$p"; fi && \
	  echo "$$p: installed, empty (mode 640, group $$(stat -c %G "$$p"))"; \
	fi
	@if [ -z "$(DESTDIR)" ]; then \
	  $(SBINDIR)/smtpd -n -f $(CONFDIR)/smtpd.conf || \
	  echo "smtpd -n: fix the above before starting smtpd"; \
	fi

uninstall:
	@if $(SENDMAIL_OURS); then rm -f $(SENDMAIL_LINK); fi
	rm -f $(DESTDIR)$(SBINDIR)/smtpd $(DESTDIR)$(BINDIR)/mailc \
	  $(DESTDIR)$(MANDIR)/man1/$(notdir $(MAN1)) \
	  $(DESTDIR)$(MANDIR)/man5/$(notdir $(MAN5)) \
	  $(DESTDIR)$(MANDIR)/man8/$(notdir $(MAN8)) \
	  $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)) \
	  $(DESTDIR)$(CONFDIR)/smtpd.conf.sample $(DESTDIR)$(CONFDIR)/inetd.conf.sample \
	  $(DESTDIR)$(SYSCONFDIR)/mailc.conf.sample
	-rmdir $(DESTDIR)$(DATADIR)/maildir-skel/cur $(DESTDIR)$(DATADIR)/maildir-skel/new \
	  $(DESTDIR)$(DATADIR)/maildir-skel/tmp $(DESTDIR)$(DATADIR)/maildir-skel \
	  $(DESTDIR)$(DATADIR)
	@echo "kept: $(DESTDIR)$(CONFDIR) (smtpd.conf, passwd), the user $(RUNUSER), $(MAILROOT), $(QUEUEDIR)"

clean:
	rm -rf build smtpd/smtpd mailc/mailc .variant
	find lib smtpd mailc -name '*.[oa]' -delete

.PHONY: all run layers mutate test asan fuzz bench bench-idle bench-queue install uninstall clean \
        test-tools bats-check test-debs
