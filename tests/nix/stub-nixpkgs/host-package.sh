#!/bin/bash
# Builder of the stub's host packages (default.nix, hostPackage): bin/ links to the host's
# programs, the stub's own scripts, placeholders, and a setup hook.
set -euf   # no globbing: "[" is a program name here
export PATH=/usr/local/bin:/usr/bin:/bin
mkdir -p "$out/bin" "$out/nix-support"
for entry in $stubBins; do   # name, or name=/absolute/host/program
    b=${entry%%=*}
    want=${entry#*=}
    if [ "${want#/}" != "$want" ] && [ -x "$want" ]; then h=$want; else h=$(command -v "$want") || h=""; fi
    if [ -n "$h" ]; then
        ln -s "$h" "$out/bin/$b"
    else
        printf '#!/bin/sh\necho "stub nixpkgs (%s): the host has no %s" >&2\nexit 127\n' "$pname" "$want" > "$out/bin/$b"
        chmod +x "$out/bin/$b"
    fi
done
for s in $stubScripts; do
    cp "${s#*=}" "$out/bin/${s%%=*}"
    chmod +x "$out/bin/${s%%=*}"
done
for p in $stubPlaceholders; do
    printf '#!/bin/sh\necho "stub nixpkgs: this %s is a placeholder; the real one comes from the pinned nixpkgs" >&2\nexit 1\n' "$p" > "$out/bin/$p"
    chmod +x "$out/bin/$p"
done
if [ -n "$stubSetupHook" ]; then cat "$stubSetupHook" >> "$out/nix-support/setup-hook"; fi
if [ -n "$stubPkgConfig" ]; then
    echo "export STUB_PKG_CONFIG_PROVIDES=\"\${STUB_PKG_CONFIG_PROVIDES:-} $stubPkgConfig\"" >> "$out/nix-support/setup-hook"
fi
# what each module needs from the build's own inputs: STUB_PKG_CONFIG_NEEDS is a list of
# module:needed pairs
for m in $stubPkgConfig; do
    for n in $stubPkgConfigNeeds; do
        echo "export STUB_PKG_CONFIG_NEEDS=\"\${STUB_PKG_CONFIG_NEEDS:-} $m:$n\"" >> "$out/nix-support/setup-hook"
    done
done
