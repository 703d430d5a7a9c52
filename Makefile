# SPDX-License-Identifier: Apache-2.0
# Warren build.  `make` builds ./warren; `make test` runs every test,
# `make check` all but the slow wall-clock ones; `make bench` runs the
# benchmarks; `make run` starts the live demo.
# SANITIZE=address (ASan+UBSan) or SANITIZE=thread builds into its own
# folder under build/ so sanitized and plain objects never mix.

CC      ?= cc
SANITIZE ?=
PKGS    := libcjson libmicrohttpd libcurl rdkafka inih openssl

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -pthread $(WARN)

ifeq ($(SANITIZE),address)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
else ifeq ($(SANITIZE),thread)
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
else ifneq ($(SANITIZE),)
$(error SANITIZE must be address or thread, not '$(SANITIZE)')
endif

BUILD   := build/$(if $(SANITIZE),$(SANITIZE),default)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CRIT_LIBS  = $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

ALL_CFLAGS  = $(BASE_CFLAGS) $(SANFLAGS) -I. $(CFLAGS)
ALL_LDFLAGS = -pthread $(SANFLAGS) $(LDFLAGS)

# One library per stage; monitor/cmd/ (main and the CLI commands) is the
# composition root and lives only in the binary.
MON_DIRS := base config sources store service notify replay demo
EV_SRC   := $(wildcard evaluator/*.c)
BC_SRC   := $(wildcard broker-core/*.c)
MON_SRC  := $(foreach d,$(MON_DIRS),$(wildcard monitor/$(d)/*.c))
SRV_SRC  := $(wildcard http/server/*.c)
API_SRC  := $(wildcard http/routes/*.c)
CMD_SRC  := $(wildcard monitor/cmd/*.c)
LIB_SRC  := $(EV_SRC) $(BC_SRC) $(MON_SRC) $(SRV_SRC) $(API_SRC)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
LIBEV  := $(BUILD)/libev.a
LIBBC  := $(BUILD)/libbc.a
LIBMON := $(BUILD)/libmon.a
LIBSRV := $(BUILD)/libhttpd.a
LIBAPI := $(BUILD)/libapi.a
# Link order is the dependency order: each library needs only those after it.
ALL_LIBS := $(LIBAPI) $(LIBSRV) $(LIBMON) $(LIBBC) $(LIBEV)

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
INTEG_SRC := $(wildcard tests/integration/test_*.c)
INTEG_BIN := $(patsubst tests/integration/%.c,$(BUILD)/tests/%,$(INTEG_SRC))
BENCH_SRC := $(wildcard tests/bench/bench_*.c)
BENCH_BIN := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
VERDICT_SRC := $(wildcard tests/verdict/verdict_*.c)
VERDICT_BIN := $(patsubst tests/verdict/%.c,$(BUILD)/verdict/%,$(VERDICT_SRC))
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPER_BIN := $(patsubst tests/helpers/%.c,$(BUILD)/helpers/%,$(HELPER_SRC))

.PHONY: all deps deps-build run test check test-programs unit bench clean format \
        fuzz compile_commands.json shellcheck format-check
all: warren

# ./warren is always the plain build; sanitized builds keep theirs in BUILD.
ifeq ($(SANITIZE),)
warren: $(BUILD)/warren
	cp $< $@.tmp && mv -f $@.tmp $@
else
warren: $(BUILD)/warren
endif

# A change of compiler or flags (CC, CFLAGS, LDFLAGS, SANITIZE, the
# packages' flags) rebuilds: every object and program of BUILD depends on
# this file, rewritten only when what it records changes.
FLAGS_STAMP := $(BUILD)/flags.stamp
# (make expands the whole recipe before running it: the directory is
# made in the expansion, before $(file) writes into it.)
$(FLAGS_STAMP): FORCE
	$(shell mkdir -p $(dir $@))$(file >$@.tmp,$(CC) $(ALL_CFLAGS) \
	  $(PKG_CFLAGS) $(ALL_LDFLAGS) $(CRIT_LIBS) $(PKG_LIBS))
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

# Programs compiled and linked in one step write their header
# dependencies next to them, as objects do (test-only headers included).
DEPFLAGS = -MMD -MP -MF $@.d -MT $@

$(BUILD)/warren: $(call obj,$(CMD_SRC)) $(ALL_LIBS) $(FLAGS_STAMP)
	$(CC) $(ALL_LDFLAGS) -o $@ $(call obj,$(CMD_SRC)) $(ALL_LIBS) $(PKG_LIBS) -lm

$(BUILD)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBEV): $(call obj,$(EV_SRC))
$(LIBBC): $(call obj,$(BC_SRC))
$(LIBMON): $(call obj,$(MON_SRC))
$(LIBSRV): $(call obj,$(SRV_SRC))
$(LIBAPI): $(call obj,$(API_SRC))
$(ALL_LIBS):
	@mkdir -p $(dir $@)
	rm -f $@
	$(if $^,ar rcs $@ $^,ar rcs $@)

# Leaf modules are tested alone: test_ev_* links only the evaluator and
# test_bc_* only the broker core, which proves they need nothing else.
$(BUILD)/tests/test_ev_%: tests/unit/test_ev_%.c $(LIBEV) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(LIBEV) $(CRIT_LIBS) \
	  $(ALL_LDFLAGS) -lm
$(BUILD)/tests/test_bc_%: tests/unit/test_bc_%.c $(LIBBC) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(LIBBC) $(CRIT_LIBS) \
	  $(ALL_LDFLAGS) -lm
$(BUILD)/tests/%: tests/unit/%.c $(ALL_LIBS) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) $(DEPFLAGS) -o $@ $< $(ALL_LIBS) \
	  $(CRIT_LIBS) $(PKG_LIBS) $(ALL_LDFLAGS) -lm
$(BUILD)/tests/%: tests/integration/%.c $(ALL_LIBS) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) $(DEPFLAGS) -o $@ $< $(ALL_LIBS) \
	  $(CRIT_LIBS) $(PKG_LIBS) $(ALL_LDFLAGS) -lm
# The broker CLI in-process: its objects (in no library) linked with
# bc_producer_new wrapped, so a producer that cannot be created can be
# simulated (tests/unit/test_mon_cli_broker.c).
CLI_BROKER_OBJ := $(call obj,$(wildcard monitor/cmd/mon_cli_broker*.c) \
                            monitor/cmd/mon_cli_opt.c)
$(BUILD)/tests/test_mon_cli_broker: tests/unit/test_mon_cli_broker.c \
                                    $(CLI_BROKER_OBJ) $(ALL_LIBS) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) $(DEPFLAGS) -o $@ $< $(CLI_BROKER_OBJ) \
	  $(ALL_LIBS) $(CRIT_LIBS) $(PKG_LIBS) $(ALL_LDFLAGS) \
	  -Wl,--wrap=bc_producer_new -lm
# Helpers, the verdict corpus (a simulator and a scorer over the real
# store), benchmarks and stress programs: plain programs over the
# libraries.
PROGRAM_LINK = $(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) $(DEPFLAGS) -o $@ $< \
  $(ALL_LIBS) $(PKG_LIBS) $(ALL_LDFLAGS) -lm
$(BUILD)/helpers/%: tests/helpers/%.c $(ALL_LIBS) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(PROGRAM_LINK)
$(BUILD)/verdict/%: tests/verdict/%.c $(ALL_LIBS) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(PROGRAM_LINK)
$(BUILD)/bench/%: tests/bench/%.c $(ALL_LIBS) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(PROGRAM_LINK)

# ---- Version ----------------------------------------------------------
# One string, fixed at build time: the VERSION file of a release tarball,
# else `git describe --always --dirty` ("unknown" without either). It lands in a generated header
# that is rewritten only when the string changes, and only
# monitor/base/mon_version.c includes it, so a new version recompiles one
# file and relinks.
VERSION_RAW := $(shell (cat VERSION 2>/dev/null || \
             { [ -e .git ] && git describe --always --dirty; }) 2>/dev/null | \
             head -n 1 | tr -cd 'A-Za-z0-9._+~-')
VERSION := $(or $(VERSION_RAW),unknown)
GEN := $(BUILD)/gen
$(GEN)/warren_version.h: FORCE
	@mkdir -p $(dir $@)
	@printf '#define WARREN_VERSION "%s"\n' '$(VERSION)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
$(BUILD)/monitor/base/mon_version.o: $(GEN)/warren_version.h
$(BUILD)/monitor/base/mon_version.o: ALL_CFLAGS += -I$(GEN)
.PHONY: FORCE
FORCE:

# ---- Install, man page, Debian package ---------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, the dashboard
# (PREFIX/share/warren/dashboards, found from the binary's own location),
# samples and README (PREFIX/share/doc/warren), warren(1) and
# warren.ini(5). make deb: the same tree under PREFIX=/usr plus samples/packaging/
# (unit, conffile, maintainer scripts), built with dpkg-deb into
# build/warren_<version>_<arch>.deb.
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  := $(PREFIX)/bin
DATADIR := $(PREFIX)/share/warren
DOCDIR  := $(PREFIX)/share/doc/warren
MAN1DIR := $(PREFIX)/share/man/man1
MAN5DIR := $(PREFIX)/share/man/man5
MANPAGE := $(BUILD)/warren.1
MANPAGE5 := $(BUILD)/warren.ini.5
DASH_FILES   = $(filter-out dashboards/README.md,$(wildcard dashboards/*))
SAMPLE_FILES = $(wildcard samples/*.ini samples/*.jsonl) samples/README.md
TMPL_FILES   = $(wildcard samples/templates/*)

# warren(1) is written from the binary's own --help texts and its key
# table (samples/packaging/mkman.py); warren.ini(5) by `warren config-keys --man`.
$(MANPAGE): $(BUILD)/warren samples/packaging/mkman.py
	python3 samples/packaging/mkman.py $(BUILD)/warren '$(VERSION)' >$@.tmp
	mv -f $@.tmp $@
$(MANPAGE5): $(BUILD)/warren
	$(BUILD)/warren config-keys --man >$@.tmp
	mv -f $@.tmp $@

.PHONY: man install uninstall deb
man: $(MANPAGE) $(MANPAGE5)

install: $(BUILD)/warren $(MANPAGE) $(MANPAGE5)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/dashboards \
	  $(DESTDIR)$(DOCDIR)/samples/templates $(DESTDIR)$(MAN1DIR) \
	  $(DESTDIR)$(MAN5DIR)
	install -m 0755 $(BUILD)/warren $(DESTDIR)$(BINDIR)/warren
	install -m 0644 $(DASH_FILES) $(DESTDIR)$(DATADIR)/dashboards/
	install -m 0644 $(SAMPLE_FILES) $(DESTDIR)$(DOCDIR)/samples/
	install -m 0644 $(TMPL_FILES) $(DESTDIR)$(DOCDIR)/samples/templates/
	install -m 0644 README.md LICENSE $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(MANPAGE) $(DESTDIR)$(MAN1DIR)/warren.1
	install -m 0644 $(MANPAGE5) $(DESTDIR)$(MAN5DIR)/warren.ini.5

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/warren $(DESTDIR)$(MAN1DIR)/warren.1 \
	  $(DESTDIR)$(MAN5DIR)/warren.ini.5
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

DEB_STAGE := $(BUILD)/deb/debian/warren
deb: $(BUILD)/warren
	rm -rf $(BUILD)/deb build/warren_*.deb
	@$(MAKE) --no-print-directory install PREFIX=/usr \
	  DESTDIR=$(CURDIR)/$(DEB_STAGE)
	sh samples/packaging/mkdeb.sh $(DEB_STAGE) build '$(VERSION)'

# make dist: build/warren-<version>.tar.gz, the committed tree (HEAD) with
# a VERSION file, which a build from the tarball uses instead of git.
DIST_VERSION = $(shell git describe --always 2>/dev/null | tr -cd 'A-Za-z0-9._+~-')
.PHONY: dist
dist:
	@[ -n "$(DIST_VERSION)" ] || { echo "make dist needs a git checkout" >&2; exit 2; }
	@mkdir -p build/dist
	@printf '%s\n' '$(DIST_VERSION)' >build/dist/VERSION
	git archive --format=tar.gz --prefix=warren-$(DIST_VERSION)/ \
	  --add-file=build/dist/VERSION -o build/warren-$(DIST_VERSION).tar.gz HEAD
	@echo build/warren-$(DIST_VERSION).tar.gz

# `make deps` installs everything `make test` needs; `make deps-build` only
# what building and `make run` need (tests/deps.sh says which is which).
deps:
	@sh tests/deps.sh test
deps-build:
	@sh tests/deps.sh build

unit: $(UNIT_BIN)

# Criterion cannot start under ThreadSanitizer (its inheritable arena
# collides with TSan's memory layout: Criterion issue #274). So with
# SANITIZE=thread the Criterion programs are the plain build, while the
# warren binary they and the scripts drive, and the stress programs in
# tests/stress/ (plain C, many threads), are built with TSan.
ifeq ($(SANITIZE),thread)
CRIT_BUILD := build/default
else
CRIT_BUILD := $(BUILD)
endif
STRESS_SRC := $(wildcard tests/stress/stress_*.c)
STRESS_BIN := $(patsubst tests/stress/%.c,$(BUILD)/stress/%,$(STRESS_SRC))
$(BUILD)/stress/%: tests/stress/%.c $(ALL_LIBS) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(PROGRAM_LINK)

# libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang and ASan+UBSan
# whatever SANITIZE says: the libraries' sources are compiled once more
# into build/fuzz/obj (instrumented for coverage) and each target links
# what it needs from them. Each runs on its corpus tests/fuzz/corpus_NAME
# (crash inputs are kept there as regression seeds): `make test` runs
# every target for FUZZ_QUICK_S seconds; `make fuzz` for FUZZ_S each
# (FUZZ_TARGETS=name... for some), new inputs going to build/fuzz/.
FUZZ_CC ?= clang
FUZZ_S ?= 600
FUZZ_QUICK_S ?= 3
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC))
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_BINS := $(patsubst %,build/fuzz/fuzz_%,$(FUZZ_NAMES))
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -I. -fno-omit-frame-pointer \
              -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJ := $(patsubst %.c,build/fuzz/obj/%.o,$(LIB_SRC))
FUZZ_LIB := build/fuzz/libwarren_fuzz.a
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) \
	  -MMD -MP -c -o $@ $<
build/fuzz/obj/monitor/base/mon_version.o: $(GEN)/warren_version.h
build/fuzz/obj/monitor/base/mon_version.o: FUZZ_FLAGS += -I$(GEN)
$(FUZZ_LIB): $(FUZZ_OBJ)
	rm -f $@
	ar rcs $@ $^
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $< \
	  $(FUZZ_LIB) $(PKG_LIBS) -lm -pthread

fuzz: $(patsubst %,build/fuzz/fuzz_%,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus_$$t; \
	  echo "== fuzz_$$t ($(FUZZ_S) s)"; \
	  build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_S) -rss_limit_mb=2048 \
	    -timeout=20 -artifact_prefix=build/fuzz/crash-$$t- \
	    build/fuzz/corpus_$$t tests/fuzz/corpus_$$t || exit 1; \
	done

# make chaos: the broker-chaos test for CHAOS_S seconds (make test runs
# it for 60): random broker outages under both offset modes, no daemon
# death allowed.
CHAOS_S ?= 600
.PHONY: chaos
chaos: deps test-programs
	@CHAOS_S=$(CHAOS_S) BUILD=$(BUILD) WARREN_BIN=$(BUILD)/warren \
	  bash tests/integration/test_kafka_chaos.sh

# `make test` runs everything; `make check` all but the slow wall-clock
# programs (tests/run.sh lists them: Kafka mock clusters, the browser, the
# clock step, the fuzz run). Both run the programs concurrently.
test: deps format-check shellcheck test-programs
	@BUILD=$(BUILD) CRIT_BUILD=$(CRIT_BUILD) FUZZ_BINS="$(FUZZ_BINS)" \
	  FUZZ_QUICK_S=$(FUZZ_QUICK_S) sh tests/run.sh

check: deps format-check shellcheck test-programs
	@BUILD=$(BUILD) CRIT_BUILD=$(CRIT_BUILD) sh tests/run.sh --quick

# Every program the test runs need, built one job per CPU unless make was
# given -j itself.
PAR_JOBS = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc 2>/dev/null || echo 1))
test-programs:
	@$(MAKE) --no-print-directory $(PAR_JOBS) warren $(HELPER_BIN) \
	  $(STRESS_BIN) $(FUZZ_BINS) $(VERDICT_BIN)
ifeq ($(SANITIZE),thread)
	@$(MAKE) --no-print-directory $(PAR_JOBS) SANITIZE= warren \
	  $(subst build/thread,build/default,$(UNIT_BIN) $(INTEG_BIN) $(HELPER_BIN))
else
	@$(MAKE) --no-print-directory $(PAR_JOBS) $(UNIT_BIN) $(INTEG_BIN)
endif

bench: deps
	@$(MAKE) --no-print-directory $(PAR_JOBS) warren $(BENCH_BIN) $(HELPER_BIN) \
	  $(VERDICT_BIN)
	@BUILD=$(BUILD) sh tests/bench.sh

run: deps-build
	@$(MAKE) --no-print-directory $(PAR_JOBS) warren
	./warren serve --demo

# ---- Tooling ----------------------------------------------------------
# compile_commands.json for clangd and clang-tidy, written by make itself
# (no bear, no compiledb): one entry per C file with the flags this
# Makefile compiles it with (tests as they are built, compile step only).
CDB_LIB := $(LIB_SRC) $(CMD_SRC)
CDB_TEST := $(UNIT_SRC) $(INTEG_SRC) $(HELPER_SRC) $(BENCH_SRC) \
            $(STRESS_SRC) $(VERDICT_SRC) $(wildcard tests/fuzz/*.c)
CDB_SRC := $(CDB_LIB) $(CDB_TEST)
json_str = "$(subst ",\",$(subst \,\\,$(1)))"
cdb_obj = $(if $(filter $(1),$(CDB_LIB)),$(call obj,$(1)),/dev/null)
cdb_entry = {"directory": $(call json_str,$(CURDIR)), "file": \
  $(call json_str,$(1)), "command": $(call json_str,$(CC) $(ALL_CFLAGS) \
  -I$(GEN) $(PKG_CFLAGS) -c -o $(call cdb_obj,$(1)) $(1))}
compile_commands.json: $(GEN)/warren_version.h FORCE
	$(file >$@.tmp,[$(call cdb_entry,$(firstword $(CDB_SRC))))
	$(foreach f,$(wordlist 2,$(words $(CDB_SRC)),$(CDB_SRC)),\
	  $(file >>$@.tmp,,$(call cdb_entry,$(f))))
	$(file >>$@.tmp,])
	@mv -f $@.tmp $@
	@echo "compile_commands.json: $(words $(CDB_SRC)) files"

# The shell scripts of the tests and CI, with .shellcheckrc's settings.
SH_SCRIPTS := $(wildcard tests/*.sh tests/*/*.sh) .ci/run
shellcheck:
	@shellcheck $(SH_SCRIPTS)

# Every C file and header is in .clang-format's style: make format writes
# it, make format-check (run by make test and make check) fails on any
# file that differs, naming it. clang-format 14 (Debian 12) decides.
FORMAT_SRC := $(CDB_SRC) $(wildcard evaluator/*.h broker-core/*.h \
              monitor/*/*.h http/*/*.h tests/*/*.h)
format:
	@clang-format -i $(FORMAT_SRC)

format-check:
	@bad=$$(clang-format --dry-run -Werror $(FORMAT_SRC) 2>&1 | \
	  sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: .*/\1/p' | sort -u); \
	if [ -n "$$bad" ]; then \
	  echo "not in .clang-format's style (make format):"; \
	  echo "$$bad" | sed 's/^/  /'; exit 1; \
	fi

clean:
	rm -rf build warren compile_commands.json

-include $(shell find build -name '*.d' 2>/dev/null)
