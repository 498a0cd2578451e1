# tandem — porcelain over the Makefile (the build truth) and the scripts.
# `just` alone lists the recipes.

set shell := ["bash", "-euo", "pipefail", "-c"]

bin := env_var_or_default("TANDEM_BIN", "build/bin")

# list the recipes
default:
    @just --list

# build every variant, the tools and the unit tests (or one variant: just build smol-1kb)
build variant="":
    make -j2 {{ if variant == "" { "" } else { "VARIANT=" + variant } }}

# the whole test suite: unit, integration (simulator), ASan+UBSan, valgrind
test:
    make -j2 all
    make check

# unit tests only (fast)
unit:
    make -j2 unit

# the embedded default: simulated dual-Ollama, every built variant, one and two devices
demo *args: build
    scripts/demo.sh {{args}}

# run the Ollama simulator in the foreground (two ports on one shared device by default)
sim *args="--port 11434@gpu0 --port 11435@gpu0 --decode-tps 50 --alpha 1":
    make -s build/bin/tandem-sim
    {{bin}}/tandem-sim {{args}}

# show what this machine has: compiler, libraries, variants, tools
env:
    @echo "compiler:  $(cc --version | head -1)"
    @echo "libraries: curl $(pkg-config --modversion libcurl), libuv $(pkg-config --modversion libuv), libcyaml $(pkg-config --modversion libcyaml), jansson $(pkg-config --modversion jansson), cmocka $(pkg-config --modversion cmocka)"
    @echo "gnuplot:   $(gnuplot --version 2>/dev/null || echo missing)"
    @echo "just:      $(just --version)"
    @echo "variants:  $(make -s list-variants)"
    @echo "cpus:      $(nproc)"

# remove build outputs
clean:
    make clean
