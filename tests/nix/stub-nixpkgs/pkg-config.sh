#!/bin/bash
# The stub's pkg-config: the host's, but it answers only for modules that a package in
# the derivation's inputs provides (each input's setup hook adds its modules to
# STUB_PKG_CONFIG_PROVIDES), as nixpkgs' pkg-config sees only the inputs' .pc files; and
# a module whose nixpkgs package links a library it does not propagate (module:needed in
# STUB_PKG_CONFIG_NEEDS) needs that library's module among the inputs too.
for host in /usr/bin/pkg-config /usr/local/bin/pkg-config /bin/pkg-config; do
    [ -x "$host" ] && break
done
skip=0
for a in "$@"; do
    if [ "$skip" = 1 ]; then skip=0; continue; fi
    case "$a" in
        -*) ;;
        '<'*|'>'*|'='*|'!'*) skip=1 ;;   # a version constraint and its version
        *)
            case " ${STUB_PKG_CONFIG_PROVIDES:-} " in
                *" $a "*) ;;
                *)
                    echo "stub pkg-config: no input of this derivation provides '$a' (is its package in buildInputs?)" >&2
                    exit 1
                    ;;
            esac
            for pair in ${STUB_PKG_CONFIG_NEEDS:-}; do
                [ "${pair%%:*}" = "$a" ] || continue
                case " ${STUB_PKG_CONFIG_PROVIDES:-} " in
                    *" ${pair#*:} "*) ;;
                    *)
                        echo "stub pkg-config: '$a' links '${pair#*:}', which its nixpkgs package does not propagate: put that library's package in buildInputs too" >&2
                        exit 1
                        ;;
                esac
            done
            ;;
    esac
done
exec "$host" "$@"
