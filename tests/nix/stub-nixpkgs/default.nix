# NOT nixpkgs: the package set of the stub (see flake.nix beside this file).
#
# What it keeps of nixpkgs, so that a wiring mistake in tandem's flake.nix fails here as
# it would against the real thing:
#   - only attributes that exist in nixpkgs at the pinned revision (flake.lock); a name
#     the flake misspells, or one nixpkgs does not have, is an evaluation error;
#   - stdenv.mkDerivation forces and checks its arguments (inputs are derivations, flags
#     are lists of strings, doCheck is a boolean, `just` is in no build input) and runs
#     the phases nixpkgs' stdenv runs, with the same defaults: make $makeFlags
#     $buildFlags, make $makeFlags $checkTarget when doCheck, make $makeFlags install;
#   - pkg-config answers only for the libraries a derivation has in its inputs (a
#     library left out of buildInputs fails the build, as it would in nixpkgs);
#   - checkInputs count only when doCheck; ollama-cuda needs its unfree CUDA packages
#     allowed (config.allowUnfree, or config.allowUnfreePredicate true for each);
#   - the sandbox has no /usr/bin/env: a script of the source tree whose `#!` was not
#     patched (patchShebangs) fails when the build runs it (stdenv-builder.sh).
# What it does not: the compiler, the libraries, gnuplot, python3 and pytest are the
# host's (Debian's), Ollama is a placeholder that cannot serve, nothing is fetched, and
# of fixup only patchShebangs runs (no strip, no RPATH). Every version here is "stub":
# what the pinned nixpkgs has is for `nix eval --inputs-from . nixpkgs#<attr>.version`
# on a networked machine.
{ system ? throw "stub nixpkgs: pass system explicitly (pure evaluation has no currentSystem)"
, config ? { }
, overlays ? [ ]
, ...
}:

assert system == "x86_64-linux" || throw "stub nixpkgs: only x86_64-linux, not ${system}";
assert overlays == [ ] || throw "stub nixpkgs: overlays are not supported";

let
  lib = import ./lib.nix;
  inherit (builtins) all any attrNames concatStringsSep elem isAttrs isBool isFunction isList isString;

  bash = "/bin/bash";
  # What tests/nix/check.sh found on the host (it writes host.nix into its scratch copy):
  # the python3 that has pytest, which need not be /usr/bin/python3.
  host = if builtins.pathExists ./host.nix then import ./host.nix else { };
  hostPython = host.python3 or "python3";
  isDrv = x: isAttrs x && (x.type or null) == "derivation";

  # A host program or library dressed as a package: bin/<name> runs the host's binary,
  # nix-support/setup-hook (if any) is sourced by the builds that have it as an input.
  hostPackage =
    { pname
    , version
    , bins ? [ ]            # host programs to expose in $out/bin
    , scripts ? { }         # name = file: scripts of the stub's own, copied to $out/bin
    , placeholders ? [ ]    # programs that only say they are stand-ins
    , pkgConfig ? [ ]       # pkg-config modules this package provides
    , pkgConfigNeeds ? [ ]  # modules its .pc links against that it does not propagate
    , setupHook ? null      # a file sourced by the builds that use this package
    , extra ? { }
    }:
    derivation {
      name = "${pname}-${version}";
      inherit system pname version;
      builder = bash;
      args = [ ./host-package.sh ];
      stubBins = bins;
      stubScripts = map (n: "${n}=${scripts.${n}}") (attrNames scripts);
      stubPlaceholders = placeholders;
      stubPkgConfig = pkgConfig;
      stubPkgConfigNeeds = pkgConfigNeeds;
      stubSetupHook = if setupHook == null then "" else setupHook;
    } // { inherit version pname; meta = { }; } // extra;

  # ---- stdenv -------------------------------------------------------------------------

  # What nixpkgs' stdenv puts on PATH before any input (pkgs/stdenv/generic/common-path.nix
  # and the cc/binutils wrappers), as the host's programs. Nothing else of the host's
  # /usr/bin is on a build's PATH: a program the build runs must come from an input.
  stdenvTools = hostPackage {
    pname = "stdenv-tools";
    version = "stub";
    bins = [
      # coreutils
      "[" "arch" "b2sum" "base32" "base64" "basename" "basenc" "cat" "chcon" "chgrp" "chmod"
      "chown" "cksum" "comm" "cp" "csplit" "cut" "date" "dd" "df" "dir" "dircolors" "dirname"
      "du" "echo" "env" "expand" "expr" "factor" "false" "fmt" "fold" "groups" "head" "hostid"
      "id" "install" "join" "link" "ln" "logname" "ls" "md5sum" "mkdir" "mkfifo" "mknod"
      "mktemp" "mv" "nice" "nl" "nohup" "nproc" "numfmt" "od" "paste" "pathchk" "pinky" "pr"
      "printenv" "printf" "ptx" "pwd" "readlink" "realpath" "rm" "rmdir" "runcon" "seq"
      "sha1sum" "sha224sum" "sha256sum" "sha384sum" "sha512sum" "shred" "shuf" "sleep" "sort"
      "split" "stat" "stdbuf" "stty" "sum" "sync" "tac" "tail" "tee" "test" "timeout" "touch"
      "tr" "true" "truncate" "tsort" "tty" "uname" "unexpand" "uniq" "unlink" "users" "vdir"
      "wc" "who" "whoami" "yes"
      # findutils diffutils gnused gnugrep gawk gnutar gzip bzip2 xz gnumake bash patch file
      "find" "xargs" "cmp" "diff" "diff3" "sdiff" "sed" "grep" "egrep" "fgrep" "awk" "tar"
      "gzip" "gunzip" "zcat" "bzip2" "bunzip2" "bzcat" "xz" "unxz" "xzcat" "make" "bash"
      "sh=/bin/bash" "patch" "file"
      # the C compiler and binutils
      "cc" "c++" "gcc" "g++" "cpp" "ld" "as" "ar" "ranlib" "nm" "strip" "objcopy" "objdump"
      "readelf" "size" "strings" "addr2line" "c++filt"
    ];
  };

  listOfDrvs = who: attr: value:
    if !(isList value) then throw "stub nixpkgs: ${who}: ${attr} must be a list, not ${builtins.typeOf value}"
    else if !(all isDrv value) then throw "stub nixpkgs: ${who}: every element of ${attr} must be a package"
    else value;

  # A build's inputs: packages, and never `just` (fine in a dev shell, not in a build).
  buildInputsOf = who: attr: value:
    if any (d: (d.pname or "") == "just") (listOfDrvs who attr value) then
      throw "stub nixpkgs: ${who}: `just` is in ${attr}; its setup hook replaces the build, check and install phases (use it in a dev shell only)"
    else value;

  listOfStrings = who: attr: value:
    if isList value && all isString value then value
    else throw "stub nixpkgs: ${who}: ${attr} must be a list of strings";

  mkDerivation = argsOrFun:
    let
      args = if isFunction argsOrFun then let final = argsOrFun final; in final else argsOrFun;
      who = args.pname or args.name or (throw "stub nixpkgs: mkDerivation needs pname (and version) or name");
      name = args.name or "${args.pname}-${args.version or (throw "stub nixpkgs: ${who}: pname without version")}";
      doCheck = args.doCheck or false;
      parallel = args.enableParallelBuilding or false;
      inputs = attr: buildInputsOf who attr (args.${attr} or [ ]);
      flags = attr: listOfStrings who attr (args.${attr} or [ ]);
      checkedMeta = builtins.deepSeq (args.meta or { }) (args.meta or { });
      env = builtins.removeAttrs args [ "passthru" "meta" "env" "checkInputs" "nativeCheckInputs" ];
      drv = derivation (env // (args.env or { }) // {
        inherit name system;
        builder = bash;
        args = [ ./stdenv-builder.sh ];
        stubStdenvPath = "${stdenvTools}/bin";
        stubMissingInterpreter = ./missing-interpreter.sh;
        nativeBuildInputs = inputs "nativeBuildInputs"
          ++ (if doCheck then inputs "nativeCheckInputs" else [ ]);
        buildInputs = inputs "buildInputs" ++ inputs "propagatedBuildInputs"
          ++ (if doCheck then inputs "checkInputs" else [ ]);
        makeFlags = flags "makeFlags";
        buildFlags = flags "buildFlags";
        installFlags = flags "installFlags";
        doCheck = if isBool doCheck then doCheck else throw "stub nixpkgs: ${who}: doCheck must be a boolean";
        enableParallelBuilding = parallel;
        enableParallelChecking = args.enableParallelChecking or parallel;
        enableParallelInstalling = args.enableParallelInstalling or parallel;
      } // (if args ? checkFlags then { checkFlags = flags "checkFlags"; } else { }));
    in
    assert builtins.deepSeq (builtins.removeAttrs args [ "passthru" ]) true;
    drv // (args.passthru or { }) // { meta = checkedMeta; } // lib.optionalAttrs (args ? version) { inherit (args) version; }
    // {
      # nixpkgs: overrideAttrs (prev: { ... }) or (final: prev: { ... }); a new derivation
      # from the arguments updated with what the function returns
      overrideAttrs = f:
        let g = f args; changes = if isFunction g then g args else g; in
        mkDerivation (args // changes);
    };

  stdenv = {
    inherit mkDerivation;
    shell = bash;
    hostPlatform = { inherit system; isLinux = true; isDarwin = false; };
    buildPlatform = stdenv.hostPlatform;
    isLinux = true;
    isDarwin = false;
  };

  # ---- trivial builders (pkgs/build-support/trivial-builders) --------------------------

  runCommand = name: env: buildCommand:
    mkDerivation ({ inherit name buildCommand; } // env);

  symlinkJoin = { name, paths, postBuild ? "", ... }@args:
    runCommand name
      (builtins.removeAttrs args [ "name" "paths" "postBuild" ] // {
        paths = listOfDrvs name "paths" paths;
        inherit postBuild;
      }) ''
      mkdir -p $out
      for p in $paths; do
        cp -rsf --no-preserve=mode "$p"/. "$out"/
      done
      runHook postBuild
    '';

  # Like nixpkgs': bash with errexit, nounset, pipefail; PATH from runtimeInputs; the
  # script checked with `bash -n` and shellcheck (as nixpkgs does), if the host has it.
  writeShellApplication = { name, text, runtimeInputs ? [ ], ... }:
    runCommand name
      {
        inherit text;
        nativeBuildInputs = [ pkgs.shellcheck ];
        runtimeInputs = listOfDrvs name "runtimeInputs" runtimeInputs;
        runtimePath = lib.makeBinPath runtimeInputs;
        passAsFile = [ "text" ];
        meta.mainProgram = name;
      } ''
      mkdir -p $out/bin
      target=$out/bin/${name}
      {
        echo "#!${bash}"
        echo "set -o errexit"
        echo "set -o nounset"
        echo "set -o pipefail"
        echo
        echo "export PATH=\"$runtimePath:\$PATH\""
        echo
        cat "$textPath"
      } > "$target"
      chmod +x "$target"
      ${bash} -n "$target"
      if shellcheck --version > /dev/null 2>&1; then shellcheck "$target"; fi
    '';

  mkShell = { packages ? [ ], buildInputs ? [ ], nativeBuildInputs ? [ ], inputsFrom ? [ ], shellHook ? "", ... }@args:
    let who = args.name or "mkShell"; in
    derivation {
      name = args.name or "nix-shell";
      inherit system shellHook;
      builder = bash;
      args = [ "-c" "echo \"$packages\" > $out" ];
      packages = listOfDrvs who "packages" packages
        ++ listOfDrvs who "buildInputs" buildInputs
        ++ listOfDrvs who "nativeBuildInputs" nativeBuildInputs;
      inputsFrom = listOfDrvs who "inputsFrom" inputsFrom;
    } // { meta = { }; };

  makeFontsConf = { fontDirectories, ... }:
    runCommand "fonts.conf" { fontDirectories = listOfDrvs "makeFontsConf" "fontDirectories" fontDirectories; } ''
      {
        echo '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        echo '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        for d in $fontDirectories; do echo "<dir>$d/share/fonts</dir>"; done
        echo '</fontconfig>'
      } > $out
    '';

  # ---- packages: the attributes tandem's flake uses ------------------------------------
  # Each is a long-standing nixpkgs attribute; where its package file is named, that is
  # the file (as of 2025-2026 nixpkgs) that defines it.

  python3Packages = {
    pytest = hostPackage { pname = "pytest"; version = "stub"; };
    httpx = hostPackage { pname = "httpx"; version = "stub"; };
    pyyaml = hostPackage { pname = "pyyaml"; version = "stub"; };
  };

  # ---- unfree packages (pkgs/stdenv/generic/check-meta.nix) ----------------------------
  # Refused unless config.allowUnfree, or config.allowUnfreePredicate says yes to the
  # package (it is given the package's attributes; lib.getName of them is its pname).
  allowedUnfree = p:
    (config.allowUnfree or false) || (config.allowUnfreePredicate or (_: false)) p;
  checkedUnfree = p:
    if p.meta.license.free or true || allowedUnfree p then p
    else throw "stub nixpkgs: Package ‘${p.name}’ has an unfree license (‘${p.meta.license.shortName}’), refusing to evaluate (nixpkgs refuses the same way: allow it with config.allowUnfreePredicate naming it)";

  # The CUDA packages ollama-cuda uses at the pinned revision (pkgs/by-name/ol/ollama:
  # cudaLibs = cuda_cudart, libcublas, cuda_cccl; nativeBuildInputs cuda_nvcc), each under
  # NVIDIA's CUDA EULA (lib.licenses.nvidiaCudaRedist), which is unfree.
  cudaEula = { shortName = "CUDA EULA"; fullName = "CUDA Toolkit End User License Agreement (EULA)"; free = false; };
  cudaPackage = pname: hostPackage { inherit pname; version = "stub"; extra.meta.license = cudaEula; };
  cudaPackages = lib.genAttrs [ "cuda_cudart" "libcublas" "cuda_cccl" "cuda_nvcc" ] cudaPackage;

  pkgs = {
    inherit lib stdenv runCommand symlinkJoin writeShellApplication mkShell makeFontsConf;

    # pkg-config (nixpkgs: the pkg-config wrapper); the stub's answers only for the
    # modules that the derivation's inputs provide.
    pkg-config = hostPackage { pname = "pkg-config-wrapper"; version = "stub"; scripts.pkg-config = ./pkg-config.sh; };

    # the libraries (pkg-config modules as in nixpkgs' outputs)
    curl = hostPackage { pname = "curl"; version = "stub"; bins = [ "curl" ]; pkgConfig = [ "libcurl"  ]; };    # pkgs/by-name/cu/curlMinimal/package.nix (curl = curlMinimal with more features)
    libuv = hostPackage { pname = "libuv"; version = "stub"; pkgConfig = [ "libuv"  ]; };                     # pkgs/by-name/li/libuv/package.nix
    # libcyaml.pc links -lyaml, and nixpkgs' libcyaml has libyaml in buildInputs only (not
    # propagated): a build using libcyaml needs libyaml in its own inputs.
    libcyaml = hostPackage { pname = "libcyaml"; version = "stub"; pkgConfig = [ "libcyaml" ]; pkgConfigNeeds = [ "yaml-0.1" ]; }; # pkgs/by-name/li/libcyaml/package.nix
    libyaml = hostPackage { pname = "libyaml"; version = "stub"; pkgConfig = [ "yaml-0.1" ]; };
    jansson = hostPackage { pname = "jansson"; version = "stub"; pkgConfig = [ "jansson"  ]; };               # pkgs/by-name/ja/jansson/package.nix
    cmocka = hostPackage { pname = "cmocka"; version = "stub"; pkgConfig = [ "cmocka"  ]; };                   # pkgs/by-name/cm/cmocka/package.nix

    # tools
    gnuplot = hostPackage { pname = "gnuplot"; version = "stub"; bins = [ "gnuplot" ]; };      # pkgs/tools/graphics/gnuplot/default.nix
    just = hostPackage { pname = "just"; version = "stub"; bins = [ "just" ]; };              # pkgs/by-name/ju/just/package.nix
    valgrind = hostPackage { pname = "valgrind"; version = "stub"; bins = [ "valgrind" ]; };
    coreutils = hostPackage { pname = "coreutils"; version = "stub"; bins = [ "mktemp" "cp" "ln" "mkdir" "rm" "date" "seq" "sleep" "basename" "dirname" "cat" ]; };
    gnused = hostPackage { pname = "gnused"; version = "stub"; bins = [ "sed" ]; };
    shellcheck = hostPackage { pname = "shellcheck"; version = "stub"; bins = [ "shellcheck" ]; };
    makeWrapper = hostPackage { pname = "make-shell-wrapper-hook"; version = "stub"; setupHook = ./make-wrapper-setup-hook.sh; };
    dejavu_fonts = hostPackage { pname = "dejavu-fonts"; version = "stub"; };

    python3 = hostPackage {
      pname = "python3";
      version = "stub";
      bins = [ "python3=${hostPython}" "python=${hostPython}" ];
      extra = {
        pkgs = python3Packages;
        # python3.withPackages (ps: [ ... ]): every name must be a python3Packages attribute
        withPackages = f:
          let chosen = listOfDrvs "python3.withPackages" "the selection" (f python3Packages); in
          builtins.seq (builtins.deepSeq (map (p: p.pname) chosen) chosen)
            (hostPackage { pname = "python3-env"; version = "stub"; bins = [ "python3=${hostPython}" "python=${hostPython}" ]; });
      };
    };

    # pkgs/by-name/ol/ollama/package.nix: a placeholder that says so if run.
    ollama = hostPackage { pname = "ollama"; version = "stub"; placeholders = [ "ollama" ]; };
    # ollama-cuda: the same package.nix with acceleration = "cuda" (Ollama itself is MIT);
    # its CUDA packages are unfree, so nixpkgs refuses to evaluate it unless each of them
    # is allowed (check-meta on every input).
    ollama-cuda =
      let cuda = map checkedUnfree (with cudaPackages; [ cuda_cudart libcublas cuda_cccl cuda_nvcc ]); in
      builtins.deepSeq (map (p: p.drvPath) cuda)
        (hostPackage { pname = "ollama"; version = "stub"; placeholders = [ "ollama" ]; extra.cudaInputs = cuda; });
    inherit cudaPackages;
  };
in
pkgs
