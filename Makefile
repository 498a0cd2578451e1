# tandem's build: the single source of truth for Debian (apt) and Nix builds alike.
#
#   make                      every variant found under variants/, the tools and the tests
#   make VARIANT=smol-1kb     only that variant's binary (what each Nix package builds)
#   make test                 unit tests, then integration tests against tandem-sim
#   make asan                 the whole test suite under AddressSanitizer + UBSan
#   make valgrind             unit tests under valgrind (leaks are errors)
#   make install PREFIX=/usr  installs what was built into $(PREFIX)/bin
#
# Objects live under $(BUILD)/obj, libraries under $(BUILD)/lib, programs under
# $(BUILD)/bin. Dependencies are tracked with -MMD -MP. Every library is found with
# pkg-config so Debian's and nixpkgs' builds differ only in what pkg-config reports.

PREFIX   ?= /usr/local
SAN      ?=
ifeq ($(SAN),1)
BUILD    ?= build/san
else
BUILD    ?= build
endif

CC       ?= cc
PKG_CONFIG ?= pkg-config
OPTFLAGS ?= -O2 -g
# Warnings are errors in our code; a packager whose compiler adds its own flags (nixpkgs'
# hardening) may turn that off with WERROR= without touching the warnings themselves.
WERROR   ?= -Werror
WARN     := -Wall -Wextra $(WERROR) -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CSTD     := -std=c17 -D_GNU_SOURCE
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
SANFLAGS :=
endif

# Build description recorded in every result's provenance.
TDM_VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
BUILD_DESC  := $(CC) $(OPTFLAGS) $(SANFLAGS)

pkg_cflags = $(shell $(PKG_CONFIG) --cflags $(1))
pkg_libs   = $(shell $(PKG_CONFIG) --libs $(1))

CORE_PKGS  := jansson libcyaml
CFLAGS_ALL  = $(CSTD) $(WARN) $(OPTFLAGS) $(SANFLAGS) -Isrc -MMD -MP \
              -DTDM_VERSION='"$(TDM_VERSION)"' -DTDM_BUILD_DESC='"$(BUILD_DESC)"' \
              $(call pkg_cflags,$(CORE_PKGS) libuv libcurl) $(CFLAGS)
LDFLAGS_ALL = $(SANFLAGS) $(LDFLAGS)

# ---- variants ---------------------------------------------------------------
# A variant is data: variants/<v>/variant.mk names a runtime (a design, one file in
# src/runtime/), its HTTP client, its read size and the line `info` prints:
#   RUNTIME   := epoll_http1     (src/runtime/epoll_http1.c)
#   HTTP      := http1           (curl: libcurl; http1: tandem's own client)
#   READ_SIZE := 1024            (bytes per read, or libcurl's receive buffer)
#   SUMMARY   := one line, no double quotes
# The runtime file is compiled once per variant with these (src/runtime/variant.h), so
# `diff -r variants/a variants/b` is all that differs between two variants of a design.
ALL_VARIANTS := $(sort $(notdir $(patsubst %/variant.mk,%,$(wildcard variants/*/variant.mk))))
define LOAD_VARIANT
RUNTIME :=
HTTP :=
READ_SIZE :=
SUMMARY :=
include variants/$(1)/variant.mk
RUNTIME_$(1) := $$(RUNTIME)
HTTP_$(1) := $$(HTTP)
READ_SIZE_$(1) := $$(READ_SIZE)
SUMMARY_$(1) := $$(SUMMARY)
ifeq ($$(wildcard src/runtime/$$(RUNTIME).c),)
$$(error variants/$(1)/variant.mk: RUNTIME '$$(RUNTIME)' is not a file in src/runtime/; name one of: $$(basename $$(notdir $$(wildcard src/runtime/*.c))))
endif
ifeq ($$(HTTP_MODS_$$(HTTP)),)
$$(error variants/$(1)/variant.mk: HTTP '$$(HTTP)' is not curl or http1; set one of them)
endif
ifeq ($$(READ_SIZE),)
$$(error variants/$(1)/variant.mk: READ_SIZE is not set; give the default bytes per read)
endif
USES_$(1) := $$(RT_GLUE_$$(RUNTIME)) $$(HTTP_MODS_$$(HTTP)) $$(RT_LOOP_$$(RUNTIME))
endef
# The modules each runtime joins, in link order: the glue between its loop and its
# client before the client, the loop after it (uv and pthread are system libraries).
RT_GLUE_epoll_curl             := reactorcurl
RT_LOOP_epoll_curl             := reactor
RT_GLUE_epoll_http1            := reactorhttp
RT_LOOP_epoll_http1            := reactor
RT_GLUE_uv_single_curl         := uvcurl
RT_LOOP_uv_single_curl         := uv
RT_GLUE_uv_workers_curl        := uvcurl
RT_LOOP_uv_workers_curl        := uv pthread
RT_GLUE_uvpool_blocking_curl   :=
RT_LOOP_uvpool_blocking_curl   := uv
RT_GLUE_threads_blocking_http1 := reactorhttp
RT_LOOP_threads_blocking_http1 := pthread
HTTP_MODS_curl                 := curl http1
HTTP_MODS_http1                := http1
$(foreach v,$(ALL_VARIANTS),$(eval $(call LOAD_VARIANT,$(v))))

GPU_TOOL := $(if $(wildcard src/gpu/main.c),tandem-gpu-telemetry)

ifeq ($(origin VARIANT),command line)
ifeq ($(filter $(VARIANT),$(ALL_VARIANTS)),)
$(error unknown VARIANT '$(VARIANT)'; choose one of: $(ALL_VARIANTS))
endif
SELECTED_VARIANTS := $(VARIANT)
# Each variant's package carries the GPU sampler its runs start beside the binary.
TOOLS := $(GPU_TOOL)
else
SELECTED_VARIANTS := $(ALL_VARIANTS)
TOOLS := tandem-sim $(if $(wildcard src/report/main.c),tandem-report) $(if $(wildcard src/sweep/main.c),tandem-sweep) $(if $(wildcard src/calibrate/main.c),tandem-calibrate) $(GPU_TOOL)
endif

# ---- modules: each directory under src/ becomes one static library ----------
# src/runtime is not a library: each of its files is compiled per variant (below).
MODULES := $(filter-out runtime,$(notdir $(wildcard src/*)))
mod_srcs = $(filter-out src/$(1)/main.c,$(wildcard src/$(1)/*.c))
mod_objs = $(patsubst src/%.c,$(BUILD)/obj/%.o,$(call mod_srcs,$(1)))
mod_lib  = $(BUILD)/lib/libtandem-$(1).a

# External libraries each module needs at link time.
PKGS_core    := jansson libcyaml
PKGS_curl    := libcurl
PKGS_uv      := libuv
PKGS_sim     := libuv jansson
PKGS_report  := jansson libcyaml
PKGS_sweep   := jansson libcyaml
PKGS_uvcurl  := libuv libcurl
PKGS_reactor :=
PKGS_http1   :=
PKGS_reactorcurl := libcurl
PKGS_gpu     := jansson
LIBS_gpu     := -ldl -lm
LIBS_pthread := -pthread
LIBS_m       := -lm

define MODULE_RULES
$(call mod_lib,$(1)): $(call mod_objs,$(1))
	@mkdir -p $$(@D)
	rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach m,$(MODULES),$(eval $(call MODULE_RULES,$(m))))

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

# A variant links its runtime (compiled with its variant.mk), the modules it uses, then
# the core.
var_objs = $(BUILD)/obj/variants/$(1)/$(RUNTIME_$(1)).o
var_mods = $(filter-out uv pthread m,$(USES_$(1)))
var_pkgs = $(sort $(PKGS_core) $(foreach u,$(USES_$(1)),$(PKGS_$(u))))
var_libs = $(foreach u,$(USES_$(1)),$(LIBS_$(u)))

define VARIANT_RULES
$(call var_objs,$(1)): src/runtime/$(RUNTIME_$(1)).c variants/$(1)/variant.mk
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_ALL) -DTDM_VARIANT_NAME='"$(1)"' "-DTDM_VARIANT_SUMMARY=\"$(SUMMARY_$(1))\"" \
	    -DTDM_READ_SIZE=$(READ_SIZE_$(1)) -c -o $$@ $$<

$(BUILD)/bin/tandem-$(1): $(call var_objs,$(1)) $(BUILD)/obj/core/main.o \
    $(foreach m,$(call var_mods,$(1)),$(call mod_lib,$(m))) $(call mod_lib,core)
	@mkdir -p $$(@D)
	$$(CC) $(LDFLAGS_ALL) -o $$@ $$(filter %.o,$$^) \
	    $(foreach m,$(call var_mods,$(1)),$(call mod_lib,$(m))) $(call mod_lib,core) \
	    $$(call pkg_libs,$(call var_pkgs,$(1))) $(call var_libs,$(1)) -pthread -lm
endef
$(foreach v,$(ALL_VARIANTS),$(eval $(call VARIANT_RULES,$(v))))

# ---- tools --------------------------------------------------------------------
$(BUILD)/bin/tandem-sim: $(BUILD)/obj/sim/main.o $(call mod_lib,sim) $(call mod_lib,core)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(call pkg_libs,libuv jansson libcyaml) -lm

$(BUILD)/bin/tandem-report: $(BUILD)/obj/report/main.o $(call mod_lib,report) $(call mod_lib,core)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(call pkg_libs,jansson libcyaml) -lm

$(BUILD)/bin/tandem-sweep: $(BUILD)/obj/sweep/main.o $(call mod_lib,sweep) $(call mod_lib,http1) $(call mod_lib,core)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(call pkg_libs,jansson libcyaml) -lm

$(BUILD)/bin/tandem-calibrate: $(BUILD)/obj/calibrate/main.o $(call mod_lib,calibrate) $(call mod_lib,core)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(call pkg_libs,jansson libcyaml) -pthread -lm

# NVML is loaded with dlopen at run time: no NVIDIA headers or libraries at build time.
$(BUILD)/bin/tandem-gpu-telemetry: $(BUILD)/obj/gpu/main.o $(call mod_lib,gpu) $(call mod_lib,core)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(call pkg_libs,jansson) $(LIBS_gpu)

PROGRAMS := $(addprefix $(BUILD)/bin/tandem-,$(SELECTED_VARIANTS)) $(addprefix $(BUILD)/bin/,$(TOOLS))

# The Python reference client (asyncio + httpx) is a control variant: copied, not compiled.
PY_CLIENTS := $(if $(filter command line,$(origin VARIANT)),,$(if $(wildcard clients/python-httpx/tandem-python-httpx),python-httpx))
# The official SDKs as clients (clients/ollama-python, clients/openai-python), with
# SDK_CLIENTS=1: each needs its package (scripts/install-deps.sh), and openai-python runs
# only api: openai agents, so a default build leaves them out of every variant loop.
SDK_CLIENTS ?= 0
PY_CLIENTS += $(if $(filter command line,$(origin VARIANT)),,$(if $(filter 1,$(SDK_CLIENTS)),ollama-python openai-python))
PROGRAMS   += $(addprefix $(BUILD)/bin/tandem-,$(PY_CLIENTS))
# It runs on tandemkit (clients/tandemkit), installed where it looks: ../lib/tandem/python.
PY_KIT     := $(BUILD)/lib/tandem/python/tandemkit.py
$(PY_KIT): clients/tandemkit/tandemkit.py
	@mkdir -p $(@D)
	cp $< $@.tmp && mv $@.tmp $@
define PY_CLIENT_RULE
$(BUILD)/bin/tandem-$(1): clients/$(1)/tandem-$(1) VERSION $(PY_KIT)
	@mkdir -p $$(@D)
	sed 's/@TDM_VERSION@/$(TDM_VERSION)/' $$< > $$@.tmp && chmod 0755 $$@.tmp && mv $$@.tmp $$@
endef
# A rule for every client in clients/, built or not by default: `make build/bin/tandem-<c>`
# (and the flake's check of every script's #! line) must work for the SDK clients too.
ALL_PY_CLIENTS := $(patsubst tandem-%,%,$(notdir $(wildcard clients/*/tandem-*)))
$(foreach c,$(ALL_PY_CLIENTS),$(eval $(call PY_CLIENT_RULE,$(c))))

# ---- unit tests (cmocka) --------------------------------------------------------
# tests/unit/test_<module>_<what>.c links libtandem-<module> (and the core).
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
test_mod    = $(word 2,$(subst _, ,$(notdir $(1))))

$(BUILD)/obj/tests/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes $(call pkg_cflags,cmocka) -c -o $@ $<

# A test that needs a further module names it: TEST_USES_<test> := <module>...
TEST_USES_test_http1_conn := reactor
TEST_USES_test_reactorcurl_driver := curl http1 reactor
TEST_USES_test_reactorhttp_driver := http1 reactor
# A module that calls another names it, so its tests link that one too.
MOD_USES_sweep := http1
test_libs = $(foreach m,$(filter-out core,$(call test_mod,$(1)) $(MOD_USES_$(call test_mod,$(1))) $(TEST_USES_$(1))),$(call mod_lib,$(m)))

# Shared test support (tests/unit/support/*.c) is linked into every unit test.
UNIT_SUPPORT := $(patsubst tests/unit/%.c,$(BUILD)/obj/tests/%.o,$(wildcard tests/unit/support/*.c))

define UNIT_RULES
$(BUILD)/tests/$(1): $(BUILD)/obj/tests/$(1).o $(UNIT_SUPPORT) $(call test_libs,$(1)) $(call mod_lib,core)
	@mkdir -p $$(@D)
	$$(CC) $(LDFLAGS_ALL) -o $$@ $$^ $$(call pkg_libs,cmocka jansson libcyaml libuv libcurl) -pthread -lm
endef
$(foreach t,$(notdir $(basename $(UNIT_SRCS))),$(eval $(call UNIT_RULES,$(t))))

# A stand-in libnvidia-ml.so.1 for the GPU tests (tests/gpu/fake_nvml.c), and one that
# lacks the newer entry points. Never sanitized: it is dlopen'ed into sanitized and plain
# binaries alike, and needs nothing from them.
FAKE_NVML := $(BUILD)/tests/fake-nvml/libnvidia-ml.so.1 $(BUILD)/tests/fake-nvml-old/libnvidia-ml.so.1
FAKE_NVML_CFLAGS = $(CSTD) $(WARN) $(OPTFLAGS) -fPIC -shared -Wl,-soname,libnvidia-ml.so.1 $(CFLAGS)
$(BUILD)/tests/fake-nvml/libnvidia-ml.so.1: tests/gpu/fake_nvml.c
	@mkdir -p $(@D)
	$(CC) $(FAKE_NVML_CFLAGS) -o $@ $<
$(BUILD)/tests/fake-nvml-old/libnvidia-ml.so.1: tests/gpu/fake_nvml.c
	@mkdir -p $(@D)
	$(CC) $(FAKE_NVML_CFLAGS) -DFAKE_NVML_OLD -o $@ $<

# ---- top-level targets ------------------------------------------------------------
.PHONY: all programs unit-tests test unit integration e2e nix-check asan valgrind check install clean list-variants
.DEFAULT_GOAL := all

all: programs $(if $(filter command line,$(origin VARIANT)),,unit-tests)
programs: $(PROGRAMS)
unit-tests: $(UNIT_BINS) $(FAKE_NVML)

unit: $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

integration: programs $(FAKE_NVML)
	@TANDEM_BIN=$(BUILD)/bin tests/integration/run.sh
	@TANDEM_BIN=$(BUILD)/bin python3 -m pytest -q -p no:cacheprovider clients/python-httpx clients/tandemkit clients/ollama-python clients/openai-python

test: unit integration

asan:
	$(MAKE) SAN=1 test

valgrind: $(UNIT_BINS)
	@TDM_WRAP="valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99" \
	    tests/run-unit.sh $(UNIT_BINS)

# Every variant against two real Ollama 0.11.4 servers on 127.0.0.1:11434/11435 with a
# generated tiny model; builds Ollama from its Go module on first use (cached in .cache/).
e2e: programs
	@TANDEM_BIN=$(BUILD)/bin tests/e2e/run.sh

# The flake's own wiring, evaluated offline against a stub nixpkgs (tests/nix/README.md).
nix-check:
	@tests/nix/check.sh

# ---- fuzz targets (libFuzzer; tests/fuzz/README.md) ------------------------------------
# Each tests/fuzz/fuzz_<t>.c is one target for a parser of network bytes. libFuzzer needs
# clang, so the sources a target needs are compiled again with clang into $(BUILD)/fuzz/obj
# (instrumented for coverage and sanitized), never taken from the gcc-built libraries.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 15
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(addprefix $(BUILD)/fuzz/fuzz_,$(FUZZ_TARGETS))
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = $(CSTD) $(WARN) -O1 -g $(FUZZ_SAN) -Isrc -MMD -MP $(call pkg_cflags,jansson)
# The module sources each target links (src/<these>.c) and the libraries they need.
FUZZ_SRCS_ndjson_ollama := core/buf core/utf8 core/ndjson core/ollama_line core/json_member core/ollama_proto \
                           core/json_scan core/ollama_fastline
FUZZ_LIBS_ndjson_ollama  = $(call pkg_libs,jansson)
FUZZ_SRCS_sse_openai    := core/buf core/utf8 core/sse core/ollama_line core/json_member core/openai_proto \
                           core/json_scan core/openai_fastchunk
FUZZ_LIBS_sse_openai     = $(call pkg_libs,jansson)
FUZZ_SRCS_chunked       := core/buf http1/chunked
FUZZ_SRCS_response      := core/buf http1/chunked http1/response
FUZZ_SRCS_url           := http1/url
FUZZ_PROBE_MSG := clang with libFuzzer ($(FUZZ_CC) -fsanitize=fuzzer) is not available; \
                  run scripts/install-deps.sh (Debian: apt-get install clang libclang-rt-14-dev)

$(BUILD)/fuzz/obj/%.o: src/%.c | fuzz-probe
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<
$(BUILD)/fuzz/obj/tests/%.o: tests/fuzz/%.c | fuzz-probe
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -c -o $@ $<

define FUZZ_RULES
$(BUILD)/fuzz/fuzz_$(1): $(BUILD)/fuzz/obj/tests/fuzz_$(1).o $(patsubst %,$(BUILD)/fuzz/obj/%.o,$(FUZZ_SRCS_$(1)))
	$$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $$@ $$^ $$(FUZZ_LIBS_$(1)) -lm
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_RULES,$(t))))

.PHONY: fuzz-probe fuzz-build fuzz-regress fuzz-check
# Links a one-line target: clang alone is not enough, libFuzzer's runtime must be there too.
fuzz-probe:
	@mkdir -p $(BUILD)/fuzz
	@printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
	    > $(BUILD)/fuzz/probe.c
	@$(FUZZ_CC) -fsanitize=fuzzer -o $(BUILD)/fuzz/probe $(BUILD)/fuzz/probe.c 2>/dev/null || \
	    { echo "fuzz: $(FUZZ_PROBE_MSG)" >&2; exit 1; }

fuzz-build: $(FUZZ_BINS)

# Every committed input once, then FUZZ_SECONDS of fuzzing per target into a scratch corpus
# under $(BUILD)/fuzz/regress (tests/fuzz/corpus is only read). Fails on any crash.
fuzz-regress: fuzz-build
	@nice -n 10 tests/fuzz/run.sh --regress $(BUILD)/fuzz $(BUILD)/fuzz/regress $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The suite's step: fuzz-regress where clang has libFuzzer, else one line saying why not.
fuzz-check:
	@if $(MAKE) --no-print-directory -s fuzz-probe 2>/dev/null; then \
	    $(MAKE) --no-print-directory fuzz-regress; \
	else \
	    echo "fuzz-regress SKIPPED: $(FUZZ_PROBE_MSG)"; \
	fi

-include $(shell find $(BUILD)/fuzz/obj -name '*.d' 2>/dev/null)

check: test asan valgrind nix-check e2e fuzz-check

install: $(PROGRAMS)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin/
	$(if $(PY_CLIENTS),install -d $(DESTDIR)$(PREFIX)/lib/tandem/python && install -m 0644 $(PY_KIT) $(DESTDIR)$(PREFIX)/lib/tandem/python/)

list-variants:
	@echo $(ALL_VARIANTS)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
