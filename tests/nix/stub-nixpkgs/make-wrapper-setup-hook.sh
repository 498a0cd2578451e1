# The stub's makeWrapper setup hook: makeWrapper and wrapProgram with the options tandem's
# flake uses, with the meaning of nixpkgs' (pkgs/build-support/setup-hooks/make-wrapper.sh).
makeWrapper() {
    local original=$1 wrapper=$2 var sep val
    shift 2
    {
        echo "#!/bin/bash -e"
        while [ $# -gt 0 ]; do
            case "$1" in
                --prefix) var=$2 sep=$3 val=$4; shift 4
                    echo "export $var='$val'\${$var:+'$sep'\$$var}" ;;
                --suffix) var=$2 sep=$3 val=$4; shift 4
                    echo "export $var=\${$var:+\$$var'$sep'}'$val'" ;;
                --set) echo "export $2='$3'"; shift 3 ;;
                --set-default) echo "export $2=\${$2-'$3'}"; shift 3 ;;
                --unset) echo "unset $2"; shift 2 ;;
                --run) echo "$2"; shift 2 ;;
                *) echo "stub makeWrapper: option $1 is not supported by the stub" >&2; return 1 ;;
            esac
        done
        echo "exec -a \"\$0\" \"$original\" \"\$@\""
    } > "$wrapper"
    chmod +x "$wrapper"
}

wrapProgram() {
    local prog=$1 hidden
    shift
    hidden="$(dirname "$prog")/.$(basename "$prog")-wrapped"
    mv "$prog" "$hidden"
    makeWrapper "$hidden" "$prog" "$@"
}
