#!/usr/bin/env bash
# tests/nix/check.sh — the flake's own wiring, checked offline against a stub nixpkgs.
#
# This machine cannot fetch nixpkgs, so the flake is evaluated and built with its nixpkgs
# input replaced by tests/nix/stub-nixpkgs (--override-input): a stand-in that has only
# attributes the real nixpkgs has, forces and checks what the flake passes to them, and
# builds with the host's compiler and libraries through the Makefile, as nixpkgs' stdenv
# would. It checks:
#   - flake.nix pins nixpkgs explicitly (github:NixOS/nixpkgs/<rev>, never the indirect
#     `nixpkgs`) and flake.lock locks that same revision;
#   - the output names: a package per variant (= `make list-variants`) plus the tools
#     (tandem-sim, -sweep, -report, -calibrate) and default; the apps; the dev shells;
#     the checks;
#   - every variant's package builds with VARIANT=<v> and PREFIX=$(out), runs the unit
#     tests (doCheck, cmocka), and has pkg-config and the libraries as inputs (curl,
#     libuv, libcyaml with libyaml, jansson); the dev shell has the tools;
#   - evaluation is pure: no --impure anywhere, nothing impure in flake.nix, the same
#     derivation from a different environment, and `nix flake check --no-build` passes;
#   - `nix build .#smol-1kb` gives a working result/bin/tandem-smol-1kb (its unit tests
#     run in the build; with tandem-gpu-telemetry beside it once the Makefile builds that),
#     `nix build .#tandem-report` installs the whole plots/ folder and wraps gnuplot onto
#     PATH, and `nix build .#python-httpx` (if the client is in the tree) stamps it;
#   - the GPU shell: its hook exports TANDEM_OLLAMA_BIN=<ollama-cuda>/bin/ollama and
#     TANDEM_OLLAMA_GPU=1 and says that ollama-cuda is unfree and compiles locally; the
#     unfree CUDA packages are allowed by name (allowUnfreePredicate), never globally;
#   - the sandbox: the `tests` check's derivation (same source, postPatch and build),
#     with a check phase that starts each script its checks run by its `#!` (build/bin's
#     scripts, tests/run-unit.sh, tests/integration/run.sh), builds in the stub's
#     sandbox, where a `#!/usr/bin/env` that patchShebangs did not rewrite fails; and the
#     `tests` check deselects the integration tests marked `timing`;
#   - the stub itself refuses what nixpkgs refuses (just as a build input, unfree
#     ollama-cuda without its CUDA packages allowed, a library missing from buildInputs,
#     libcyaml without libyaml).
# It does NOT check nixpkgs: not that the pinned revision builds these packages, not
# the library versions, not Ollama. That needs network: `nix flake check` on a machine
# that can fetch the lock's nixpkgs (see ARTIFACT.md).
#
#   tests/nix/check.sh           the checks above (about a minute)
#   tests/nix/check.sh --full    also builds every package and runs `nix flake check`
#                                (every variant with its unit tests, the integration
#                                tests, the report from report/reference if present)
#
# The working tree (tracked and untracked files, not ignored ones) is copied to a
# scratch git repository, built in a private Nix store there, and removed afterwards
# (TANDEM_NIX_KEEP=1 keeps it). Without nix it says SKIPPED and exits 0.
# Last line: "flake-wiring: N passed, N failed"; exit status 1 if any failed.
set -uo pipefail

full=0
case "${1:-}" in
    --full) full=1 ;;
    "") ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "check.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
NIX=${NIX:-nix}
SYSTEM=x86_64-linux

if ! command -v "$NIX" > /dev/null 2>&1; then
    echo "flake-wiring: SKIPPED: nix is not installed (Debian: apt-get install nix-bin)"
    exit 0
fi

passed=0 failed=0
ok() { passed=$((passed + 1)); printf 'ok   %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }
note() { printf '     %s\n' "$*"; }
show_log() { sed 's/^/     | /' "$1" | tail -n "${2:-25}"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tandem-flake-wiring.XXXXXX")
cleanup() {
    if [ "${TANDEM_NIX_KEEP:-0}" = 1 ]; then
        echo "(kept $work)"
    else
        chmod -R u+w "$work" 2> /dev/null
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export XDG_CACHE_HOME="$work/cache"   # Nix's fetcher and eval caches: ours alone

echo "flake-wiring: tandem's flake.nix against the stub nixpkgs in tests/nix/stub-nixpkgs"
echo "              (the flake's wiring only; nixpkgs itself is not checked here)"
echo "              $("$NIX" --version)"

# ---- the scratch copy ---------------------------------------------------------------------
src="$work/src"
mkdir -p "$src"
if git -C "$root" rev-parse --git-dir > /dev/null 2>&1; then
    (cd "$root" && git ls-files -z --cached --others --exclude-standard) |
        while IFS= read -r -d '' f; do
            if [ -e "$root/$f" ] || [ -L "$root/$f" ]; then printf '%s\0' "$f"; fi
        done | (cd "$root" && xargs -0 -r cp -P --parents -t "$src")
else
    (cd "$root" && tar -c --exclude=./build --exclude=./.cache --exclude=./results --exclude=./result . ) |
        tar -x -C "$src"
fi
# The stub's python3 is the host's python3 that has pytest (which need not be Debian's).
host_python="" host_python_prefix=""
for py in "$(command -v python3 2> /dev/null)" /usr/bin/python3 /usr/local/bin/python3; do
    if [ -z "$py" ] || [ ! -x "$py" ]; then continue; fi
    if exe=$("$py" -c 'import pytest, sys; print(sys.executable)' 2> /dev/null); then
        host_python=$exe
        host_python_prefix=$("$py" -c 'import sys; print(sys.base_prefix)')
        break
    fi
done
if [ -n "$host_python" ]; then
    printf '{ python3 = "%s"; }\n' "$host_python" > "$src/tests/nix/stub-nixpkgs/host.nix"
fi
(
    cd "$src" && git init -q && git add -A &&
        git -c user.name=flake-wiring -c user.email=flake-wiring@localhost -c commit.gpgsign=false \
            commit -q -m "flake-wiring snapshot"
) || { bad "could not make the scratch git copy of the tree in $src"; exit 1; }
stub="path:$src/tests/nix/stub-nixpkgs"

base=(--extra-experimental-features 'nix-command flakes' --option substituters '')
# A private store (a chroot store under $work) keeps the host's /nix alone; its sandbox
# shows the builds the host's compiler, libraries and tools.
sandbox_paths=""
for p in /bin /usr /lib /lib64 /lib32 /libx32 /etc; do
    if [ -e "$p" ]; then sandbox_paths="$sandbox_paths $p"; fi
done
case "$host_python_prefix" in
    ""|/usr|/usr/*) ;;
    *) sandbox_paths="$sandbox_paths $host_python_prefix" ;;
esac
store_dir="$work/store"
store=(--store "$store_dir" --option sandbox true --option extra-sandbox-paths "${sandbox_paths# }")
probe="$work/probe.nix"
cat > "$probe" <<'EOF'
derivation { name = "probe"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo ok > $out" ]; }
EOF
if ! "$NIX" "${base[@]}" "${store[@]}" build --no-link -f "$probe" > "$work/probe.log" 2>&1; then
    # no user namespaces here: the machine's own store, if we may build in it
    store=()
    store_dir=""
    if ! "$NIX" "${base[@]}" build --no-link -f "$probe" > "$work/probe.log" 2>&1; then
        store=(none)
    fi
fi
nx() { "$NIX" "${base[@]}" "${store[@]}" "$@"; }
real() { printf '%s%s' "$store_dir" "$1"; }   # a store path as a host path
over=(--override-input nixpkgs "$stub" --no-write-lock-file)
if [ "${store[*]}" = none ]; then
    store=()
    cannot_build=$(tail -n 3 "$work/probe.log" | tr '\n' ' ')
else
    cannot_build=""
fi

flake="git+file://$src"
ev() { nx eval --json "$flake#$1" "${over[@]}" "${@:2}"; }   # ev ATTR [--apply F]

# ---- 1. the pin ---------------------------------------------------------------------------
if python3 - "$src/flake.nix" "$src/flake.lock" > "$work/pin.out" 2>&1 <<'PY'
import json, re, sys
nix, lock = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
code = "\n".join(l.split("#", 1)[0] for l in nix.splitlines())
urls = re.findall(r'nixpkgs\.url\s*=\s*"([^"]*)"', code)
assert len(urls) == 1, "flake.nix should set inputs.nixpkgs.url once, found %r" % urls
m = re.fullmatch(r"github:NixOS/nixpkgs/([0-9a-f]{40})", urls[0])
assert m, "inputs.nixpkgs.url must be github:NixOS/nixpkgs/<40-hex rev>, not %r" % urls[0]
rev = m.group(1)
node = lock["nodes"][lock["nodes"][lock["root"]]["inputs"]["nixpkgs"]]
lk, orig = node["locked"], node["original"]
for k, v in (("type", "github"), ("owner", "NixOS"), ("repo", "nixpkgs"), ("rev", rev)):
    assert lk.get(k) == v, "flake.lock: locked.%s is %r, flake.nix says %r" % (k, lk.get(k), v)
    assert orig.get(k) == v, "flake.lock: original.%s is %r, flake.nix says %r" % (k, orig.get(k), v)
nar = lk.get("narHash")
assert nar is None or re.fullmatch(r"sha256-[A-Za-z0-9+/]{43}=", nar), "flake.lock: bad narHash %r" % nar
print("github:NixOS/nixpkgs/%s, %s" % (rev, "narHash " + nar if nar else "no narHash yet (added by `nix flake update` on a networked machine; the rev cannot move)"))
PY
then ok "pin: $(cat "$work/pin.out")"; else bad "pin:"; show_log "$work/pin.out"; fi

# ---- 2. output names ------------------------------------------------------------------------
read -r -a variants <<< "$(make -s -C "$src" list-variants 2> "$work/make.log")"
expect_tools="tandem-sim tandem-sweep tandem-report tandem-calibrate"
expect_packages="${variants[*]} $expect_tools default ollama ollama-cuda"
if [ -f "$src/clients/python-httpx/tandem-python-httpx" ] && ! printf ' %s ' "${variants[@]}" | grep -q ' python-httpx '; then
    expect_packages="$expect_packages python-httpx"
fi
expect_checks="${expect_packages/ default ollama ollama-cuda/} tests apps"
if [ -d "$src/report/reference" ]; then expect_checks="$expect_checks report"; fi
sorted() { tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'; }
names() { ev "$1" --apply builtins.attrNames 2> "$work/eval.log" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)))'; }
check_names() {   # check_names WHAT ATTR EXPECTED
    local got want
    got=$(names "$2" | sorted)
    want=$(echo "$3" | sorted)
    if [ -n "$got" ] && [ "$got" = "$want" ]; then
        ok "$1: $got"
    else
        bad "$1: got [${got}], expected [${want}]"
        show_log "$work/eval.log"
    fi
}
check_names "packages" "packages.$SYSTEM" "$expect_packages"
check_names "apps" "apps.$SYSTEM" "default demo sweep report sim"
check_names "devShells" "devShells.$SYSTEM" "default gpu"
check_names "checks" "checks.$SYSTEM" "$expect_checks"

# ---- 3. every variant's package -----------------------------------------------------------------
ev "packages.$SYSTEM" --apply '
  ps: builtins.mapAttrs (n: p: {
    pname = p.pname or null;
    makeFlags = p.makeFlags or [ ];
    doCheck = p.doCheck or false;
    checkTarget = p.checkTarget or null;
    inputs = map (d: d.pname or d.name) ((p.nativeBuildInputs or [ ]) ++ (p.buildInputs or [ ]));
  }) ps' > "$work/variants.json" 2> "$work/eval.log"
if python3 - "$work/variants.json" "${variants[@]}" > "$work/variants.out" 2>&1 <<'PY'
import json, sys
ps, variants = json.load(open(sys.argv[1])), sys.argv[2:]
need = ["pkg-config-wrapper", "curl", "libuv", "libcyaml", "libyaml", "jansson", "cmocka"]
bad = []
for v in variants:
    p = ps[v]
    mf = p["makeFlags"]
    problems = []
    if p["pname"] != "tandem-" + v: problems.append("pname %r" % p["pname"])
    if "VARIANT=" + v not in mf: problems.append("no VARIANT=%s in makeFlags" % v)
    if "PREFIX=$(out)" not in mf: problems.append("no PREFIX=$(out) in makeFlags")
    if [f for f in mf if f.startswith("VARIANT=") and f != "VARIANT=" + v]: problems.append("another VARIANT")
    if not p["doCheck"]: problems.append("doCheck is off")
    missing = [n for n in need if n not in p["inputs"]]
    if missing: problems.append("inputs lack " + ", ".join(missing))
    print("  %-15s %s  check: %s%s" % (v, " ".join(mf), p["checkTarget"] or "(make check)",
                                       "  <- " + "; ".join(problems) if problems else ""))
    if problems: bad.append(v)
sys.exit(1 if bad else 0)
PY
then
    ok "every variant: VARIANT=<v> PREFIX=\$(out), unit tests in doCheck, inputs pkg-config curl libuv libcyaml libyaml jansson (+cmocka)"
else
    bad "variant packages:"
    show_log "$work/eval.log" 5
fi
sed 's/^/     /' "$work/variants.out"

# the dev shell's tools
ev "devShells.$SYSTEM.default" --apply 'd: map (p: p.pname or p.name) (d.packages or (d.nativeBuildInputs or [ ]))' \
    > "$work/shell.json" 2> "$work/eval.log"
shell_pkgs=$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))))' "$work/shell.json" 2> /dev/null)
missing=""
for p in pkg-config-wrapper gnuplot just python3-env ollama curl libuv libcyaml libyaml jansson cmocka; do
    case " $shell_pkgs " in *" $p "*) ;; *) missing="$missing $p" ;; esac
done
if [ -n "$shell_pkgs" ] && [ -z "$missing" ]; then
    ok "devShells.default: $shell_pkgs"
else
    bad "devShells.default lacks:${missing:- (could not evaluate)}"
    show_log "$work/eval.log" 5
fi

# the GPU shell: what its hook exports, run in a bare bash
ev "devShells.$SYSTEM.gpu" --apply 'd: { hook = d.shellHook; }' > "$work/gpushell.json" 2> "$work/eval.log"
cuda_out=$(ev "packages.$SYSTEM.ollama-cuda.outPath" 2>> "$work/eval.log" | tr -d '"')
if python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hook"])' "$work/gpushell.json" > "$work/gpuhook.sh" 2>> "$work/eval.log" &&
    got=$(env -i PATH="$PATH" TANDEM_OLLAMA_BIN=/somewhere/else/ollama bash -c \
        '. "$1" > "$2"; printf "%s %s" "$TANDEM_OLLAMA_BIN" "${TANDEM_OLLAMA_GPU:-unset}"' _ "$work/gpuhook.sh" "$work/gpuhook.out") &&
    [ -n "$cuda_out" ] && [ "$got" = "$cuda_out/bin/ollama 1" ] &&
    grep -qi 'unfree' "$work/gpuhook.out" && grep -q 'cache.nixos.org' "$work/gpuhook.out" &&
    grep -qi 'hours' "$work/gpuhook.out" && grep -qF 'TANDEM_OLLAMA_BIN=$(command -v ollama)' "$work/gpuhook.out"; then
    ok "devShells.gpu: exports TANDEM_OLLAMA_BIN=<ollama-cuda>/bin/ollama TANDEM_OLLAMA_GPU=1; says unfree, not in cache.nixos.org, hours to compile, and how to use the host's Ollama"
else
    bad "devShells.gpu's hook: exports '${got:-?}' (want '$cuda_out/bin/ollama 1'), or its note lacks unfree / cache.nixos.org / hours / TANDEM_OLLAMA_BIN=\$(command -v ollama):"
    show_log "$work/gpuhook.out" 6
    show_log "$work/eval.log" 5
fi
if python3 - "$src/flake.nix" > "$work/unfree.out" 2>&1 <<'PY2'
import re, sys
code = "\n".join(l.split("#", 1)[0] for l in open(sys.argv[1]).read().splitlines())
glob = re.findall(r"allowUnfree\s*=\s*true", code)
pred = re.findall(r"allowUnfreePredicate\s*=", code)
print("allowUnfree = true: %d, allowUnfreePredicate: %d" % (len(glob), len(pred)))
sys.exit(1 if glob or not pred else 0)
PY2
then
    ok "unfree: only by name (allowUnfreePredicate), never allowUnfree = true; ollama-cuda and devShells.gpu evaluate with it (nix flake check --no-build, below)"
else
    bad "unfree: flake.nix must allow the CUDA packages by name (allowUnfreePredicate), not allowUnfree = true ($(cat "$work/unfree.out"))"
fi

# the Nix build's integration tests leave out the ones that assert wall-clock bounds
addopts=$(ev "checks.$SYSTEM.tests.PYTEST_ADDOPTS" 2> "$work/eval.log" | tr -d '"')
ntiming=$(cat "$src"/tests/integration/test_*.py | grep -c '^@pytest.mark.timing')
if [ "$addopts" = "-m 'not timing'" ] && [ "$ntiming" -gt 0 ] &&
    grep -q '"markers", "timing:' "$src/tests/integration/conftest.py"; then
    ok "checks.tests: PYTEST_ADDOPTS=$addopts ($ntiming tests marked timing in tests/integration, the marker registered in conftest.py)"
else
    bad "checks.tests: PYTEST_ADDOPTS is '$addopts' (want -m 'not timing'); $ntiming tests marked @pytest.mark.timing"
    show_log "$work/eval.log" 5
fi

# ---- 4. purity --------------------------------------------------------------------------------------
if python3 - "$src/flake.nix" > "$work/pure.out" 2>&1 <<'PY'
import re, sys
code = "\n".join(l.split("#", 1)[0] for l in open(sys.argv[1]).read().splitlines())
impure = ["getEnv", "currentSystem", "currentTime", "fetchTarball", "fetchurl", "fetchGit",
          "fetchTree", "fetchClosure", "getFlake", "storePath", "nixPath", "impure"]
found = [w for w in impure if re.search(r"\b%s\b" % w, code)]
found += re.findall(r"<[A-Za-z0-9_.-]+>", code)   # <nixpkgs>-style lookups
print(", ".join(found) if found else "none")
sys.exit(1 if found else 0)
PY
then
    ok "pure: flake.nix uses no getEnv/currentSystem/fetch*/<path> lookups; every evaluation here ran without --impure"
else
    bad "impure constructs in flake.nix: $(cat "$work/pure.out")"
fi
drv1=$(ev "packages.$SYSTEM.smol-1kb.drvPath" 2> "$work/eval.log")
drv2=$(cd / && env -i PATH="$PATH" HOME="$work/otherhome" XDG_CACHE_HOME="$XDG_CACHE_HOME" TZ=Pacific/Chatham \
    NIX_PATH=nixpkgs=/nonexistent TANDEM_BIN=/nonexistent \
    "$NIX" "${base[@]}" "${store[@]}" eval --json "$flake#packages.$SYSTEM.smol-1kb.drvPath" "${over[@]}" 2>> "$work/eval.log")
if [ -n "$drv1" ] && [ "$drv1" = "$drv2" ]; then
    ok "pure: the same derivation from another environment (cwd, HOME, NIX_PATH, TZ): $(basename "${drv1//\"/}")"
else
    bad "pure: smol-1kb's derivation depends on the environment ($drv1 vs $drv2)"
    show_log "$work/eval.log" 5
fi
if nx flake check --no-build "$flake" "${over[@]}" > "$work/flakecheck.log" 2>&1; then
    ok "pure: nix flake check --no-build (every output evaluates; apps, shells and checks well-formed)"
else
    bad "nix flake check --no-build:"
    show_log "$work/flakecheck.log"
fi

# ---- 5. the stub refuses what nixpkgs refuses ---------------------------------------------------------
stubf="$src/tests/nix/stub-nixpkgs/default.nix"
refuses() {   # refuses WHAT EXPR NEEDLE
    if nx eval --json -f "$stubf" --apply "f: let p = f { system = \"$SYSTEM\"; }; in $2" > "$work/neg.log" 2>&1; then
        bad "stub accepted $1"
    elif grep -q "$3" "$work/neg.log"; then
        ok "stub refuses $1"
    else
        bad "stub failed on $1, but not for that reason:"
        show_log "$work/neg.log" 5
    fi
}
refuses "just in a build's inputs" \
    '(p.stdenv.mkDerivation { pname = "x"; version = "1"; src = p.just; nativeBuildInputs = [ p.just ]; }).drvPath' \
    'setup hook replaces'
refuses "ollama-cuda without allowUnfree" 'p.ollama-cuda.drvPath' 'unfree'
refuses "ollama-cuda with a predicate that allows only some of its CUDA packages" \
    '(f { system = "'"$SYSTEM"'"; config.allowUnfreePredicate = q: p.lib.getName q == "cuda_cudart"; }).ollama-cuda.drvPath' \
    "libcublas.*unfree license"

# ---- 6. builds --------------------------------------------------------------------------------------------
build() {   # build ATTR -> prints the out path
    nx build --no-link --json -L "$flake#$1" "${over[@]}" > "$work/build.json" 2> "$work/build.log" &&
        python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["outputs"]["out"])' "$work/build.json"
}
if [ -n "$cannot_build" ]; then
    note "SKIPPED the builds: this machine cannot build with nix ($cannot_build)"
else
    version=$(cat "$src/VERSION")
    if out=$(build smol-1kb); then
        got=$("$(real "$out")/bin/tandem-smol-1kb" --version 2>&1)
        units=$(grep -o 'unit: [0-9]* passed, [0-9]* failed' "$work/build.log" | tail -n 1)
        if [ "$got" = "tandem-smol-1kb $version" ]; then
            ok "nix build .#smol-1kb: result/bin/tandem-smol-1kb --version says '$got'; check phase: ${units:-?}"
        else
            bad "nix build .#smol-1kb built, but tandem-smol-1kb --version says '$got'"
        fi
        # the GPU telemetry tool goes with every variant once the Makefile builds it
        # under VARIANT=<v> too (make install installs it)
        want="./bin/tandem-smol-1kb"
        if grep -q 'tandem-gpu-telemetry' "$src/Makefile"; then want="$want ./bin/tandem-gpu-telemetry"; fi
        have=$(cd "$(real "$out")" && find . -type f | sort | tr '\n' ' ' | sed 's/ $//')
        if [ "$have" = "$(echo "$want" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')" ]; then
            ok "smol-1kb's output holds ${want//.\//} and nothing else"
        else
            bad "smol-1kb's output holds [$have], expected [$want]"
        fi
    else
        bad "nix build .#smol-1kb:"
        show_log "$work/build.log"
    fi

    if out=$(build tandem-report); then
        r=$(real "$out")
        nplots=$(find "$src/plots" -type f | wc -l)
        ninst=$(find "$r/share/tandem/plots" -type f 2> /dev/null | wc -l)
        same=yes
        diff -r "$src/plots" "$r/share/tandem/plots" > /dev/null 2>&1 || same="no (differs from plots/)"
        gp_dir=$(grep -o "PATH='[^']*'" "$r/bin/tandem-report" | head -n 1 | sed "s/PATH='//; s/'$//")
        # (the wrapper names store paths; from here, run what it wraps by its host path)
        if [ "$ninst" -gt 0 ] && [ "$ninst" = "$nplots" ] && [ "$same" = yes ] && [ -x "$(real "$gp_dir")/gnuplot" ] &&
            grep -q "/bin/.tandem-report-wrapped" "$r/bin/tandem-report" &&
            "$r/bin/.tandem-report-wrapped" --help > /dev/null 2>&1; then
            ok "nix build .#tandem-report: plots/ whole ($ninst files) in share/tandem/plots, gnuplot ($gp_dir) on the wrapper's PATH, --help runs"
        else
            bad "tandem-report: plots $ninst of $nplots files, the same as plots/: $same, gnuplot dir '${gp_dir}', --help: $("$r/bin/.tandem-report-wrapped" --help > /dev/null 2>&1 && echo ok || echo fails)"
        fi
    else
        bad "nix build .#tandem-report:"
        show_log "$work/build.log"
    fi

    case " $expect_packages " in
        *" python-httpx "*)
            if out=$(build python-httpx); then
                r=$(real "$out")
                got=$("${host_python:-python3}" "$r/bin/tandem-python-httpx" --version 2>&1)
                # it runs on tandemkit and asks the flake's tandem-report for its plan
                report_tool=$(sed -n 's/^REPORT_TOOL = "\(.*\)".*/\1/p' "$r/bin/tandem-python-httpx")
                if ! grep -q '@TDM_VERSION@' "$r/bin/tandem-python-httpx" && [ "$got" = "tandem-python-httpx $version" ] &&
                    [ -f "$r/lib/tandem/python/tandemkit.py" ] && [ -x "$(real "$report_tool")" ]; then
                    ok "nix build .#python-httpx: the Makefile's stamped client, --version says '$got', tandemkit in lib/tandem/python, tandem-report at $report_tool"
                else
                    bad "python-httpx: --version says '$got'; tandemkit: $(ls "$r/lib/tandem/python" 2>&1); tandem-report: '$report_tool'"
                fi
            else
                bad "nix build .#python-httpx:"
                show_log "$work/build.log"
            fi
            ;;
    esac

    # The sandbox: the `tests` check's own derivation (its source, postPatch, inputs),
    # building only what its scripts need, with a check phase that starts each script the
    # full check runs by its `#!` line, as make and the tests do (`nix flake check`, in
    # --full, runs them all). In the stub's sandbox, as in a real one, a `#!/usr/bin/env`
    # that the derivation's patchShebangs did not rewrite fails (missing-interpreter.sh).
    startup='
      set -e
      n=0
      for s in build/bin/* tests/run-unit.sh tests/integration/run.sh; do
        [ -f "$s" ] && [ -x "$s" ] && [ "$(head -c 2 "$s")" = "#!" ] || continue
        echo "starting $s by its #! line: $(head -n 1 "$s")"
        case "$s" in
          tests/run-unit.sh) "$s" > /dev/null ;;
          *) "$s" --version > /dev/null ;;
        esac
        n=$((n + 1))
      done
      echo "started $n scripts"
    '
    scripts_built=$(cd "$src" && for f in clients/*/tandem-*; do [ -x "$f" ] && printf '"build/bin/%s" ' "$(basename "$f")"; done)
    sandbox_drv=$(ev "checks.$SYSTEM.tests" --apply "t: (t.overrideAttrs (o: {
        pname = \"tandem-tests-startup\";
        buildFlags = [ $scripts_built ];
        checkPhase = ''$startup'';
        installPhase = \"mkdir -p \$out\";
      })).drvPath" 2> "$work/eval.log" | tr -d '"')
    if [ -z "$sandbox_drv" ]; then
        bad "sandbox: could not derive the tests check's startup build:"
        show_log "$work/eval.log" 10
    elif nx build --no-link -L "$sandbox_drv" > "$work/sandbox.log" 2>&1; then
        ok "sandbox: the tests check's scripts start by their #! lines without /usr/bin/env ($(grep -o 'started [0-9]* scripts' "$work/sandbox.log" | tail -n 1): $(grep -o 'starting [^ ]*' "$work/sandbox.log" | sed 's/starting //' | paste -sd ' ' -))"
    else
        bad "sandbox: a script the tests check runs fails in the build sandbox (a #! that patchShebangs did not rewrite?):"
        grep -E 'stub sandbox|starting' "$work/sandbox.log" | sed 's/^/     | /' | tail -n 6
        grep -q 'stub sandbox' "$work/sandbox.log" || show_log "$work/sandbox.log" 15
    fi

    # a library left out of buildInputs fails the build, as in nixpkgs
    nolib() {   # nolib WHAT BUILDINPUTS MODULES NEEDLE
        cat > "$work/nolib.nix" <<EOF
let p = import $stubf { system = "$SYSTEM"; }; in
p.stdenv.mkDerivation { pname = "nolib"; version = "1"; src = p.curl; nativeBuildInputs = [ p.pkg-config ];
  buildInputs = [ $2 ]; dontBuild = true; installPhase = "pkg-config --cflags --libs $3 > \$out"; }
EOF
        if nx build --no-link -f "$work/nolib.nix" > "$work/neg.log" 2>&1; then
            bad "stub pkg-config answered for $1"
        elif grep -q "$4" "$work/neg.log"; then
            ok "stub refuses $1"
        else
            bad "the build without $1 failed for another reason:"
            show_log "$work/neg.log" 5
        fi
    }
    nolib "a library missing from buildInputs (libuv)" "p.jansson" "jansson libuv" \
        "no input of this derivation provides 'libuv'"
    nolib "libcyaml without libyaml (nixpkgs' libcyaml does not propagate it)" "p.libcyaml" "libcyaml" \
        "links 'yaml-0.1'"

    if [ "$full" = 1 ]; then
        if build default > /dev/null; then
            ok "nix build .#default: $(ls "$(real "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["outputs"]["out"])' "$work/build.json")")/bin" | tr '\n' ' ')"
        else
            bad "nix build .#default:"
            show_log "$work/build.log"
        fi
        if nx flake check -L "$flake" "${over[@]}" > "$work/flakecheck.log" 2>&1; then
            ok "nix flake check (builds every check): $(grep -o 'unit: [0-9]* passed, [0-9]* failed' "$work/flakecheck.log" | tail -n 1); pytest: $(grep -oE '[0-9]+ passed[^=]*in [0-9.]+s' "$work/flakecheck.log" | paste -sd ';' -)"
        else
            bad "nix flake check:"
            show_log "$work/flakecheck.log" 40
        fi
    fi
fi

echo "flake-wiring: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
